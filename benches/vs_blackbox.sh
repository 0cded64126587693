#!/usr/bin/env bash
# Benchmark: `netdoctor serve` against Debian's prometheus-blackbox-exporter
# probing the same loopback HTTPS target in the same run (issue 13).
#
# nginx serves `return 200 "ok\n"` over TLS 1.2/1.3 with an openssl-made EC
# P-256 chain (root -> intermediate -> leaf, leaf for bench.test), as in
# vs_curl.sh. Both exporters verify that chain against root.pem and the name
# bench.test, and connect to 127.0.0.1:
#   - netdoctor: a check file whose [defaults] say `cacert = "root.pem"` and
#     `resolve = ["bench.test:PORT:127.0.0.1"]`, `[serve] allow =
#     ["bench.test"]`; probed as /probe?target=https://bench.test:PORT/&module=bench;
#   - blackbox_exporter (no --resolve): module `bench`, prober http,
#     `tls_config: {ca_file: root.pem, server_name: bench.test}`; probed as
#     /probe?target=https://127.0.0.1:PORT/&module=bench.
# Both start with a clean environment (`env -i PATH=/usr/bin:/bin`: no
# SSL_CERT_* variables, a plain container's). A Python client (C threads,
# one HTTP/1.1 keep-alive connection each, sending Prometheus'
# X-Prometheus-Scrape-Timeout-Seconds: 10) fires the probes: after a warm-up,
# N probes at each exporter in four rounds of N/2, netdoctor/blackbox/
# blackbox/netdoctor, so drift in the machine's load hits both alike.
# Prints the TLS version each negotiated, then for each: probes per second
# (N over the wall time of its two rounds), the exporter's user+sys CPU per
# probe (/proc/PID/stat utime+stime around each round, over N), its peak RSS, failures (every answer must be 200 with
# `probe_success 1`; any failure: exit 1), the client's own CPU per probe
# (it shares the cores), and the ratios netdoctor/blackbox.
# Targets: probe rate ratio >= 1, CPU per probe ratio <= 1.
#
#   benches/vs_blackbox.sh [N] [C]   (default 2000 probes, concurrency 4; needs
#                                     nginx, openssl, python3 and
#                                     prometheus-blackbox-exporter)
#   NETDOCTOR=/path/to/netdoctor benches/vs_blackbox.sh   (that binary, no build)
#   BLACKBOX=/path/to/blackbox_exporter benches/vs_blackbox.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh
n=${1:-2000}
c=${2:-4}
if ! [[ $n =~ ^[0-9]+$ && $c =~ ^[0-9]+$ ]] || ((n < 2 || c < 1)); then
  echo "usage: benches/vs_blackbox.sh [N >= 2] [C >= 1]" >&2
  exit 2
fi
blackbox=${BLACKBOX:-$(command -v prometheus-blackbox-exporter || command -v blackbox_exporter || true)}
missing=()
command -v nginx >/dev/null || missing+=("nginx (Debian: apt-get install nginx-light)")
command -v openssl >/dev/null || missing+=("openssl (Debian: apt-get install openssl)")
command -v python3 >/dev/null || missing+=("python3 (Debian: apt-get install python3)")
[ -n "$blackbox" ] && [ -x "$blackbox" ] ||
  missing+=("blackbox_exporter (Debian: apt-get install prometheus-blackbox-exporter, or BLACKBOX=path)")
if ((${#missing[@]})); then
  printf 'vs_blackbox.sh: missing: %s\n' "${missing[@]}" >&2
  exit 2
fi
if [ -n "${NETDOCTOR:-}" ]; then
  bin=$(realpath "$NETDOCTOR")
else
  cargo build --release --locked -q
  bin=$PWD/${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/netdoctor
fi

work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
bench_pki

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Waits until something accepts on 127.0.0.1:$1 (5 s), else says why and exits.
wait_port() {
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "vs_blackbox.sh: $2 did not start:" >&2
  cat "$3" >&2
  exit 2
}

port=$(free_port)
bench_nginx_conf "$work" "$port" "ssl_protocols TLSv1.2 TLSv1.3;"
nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf" &
pids+=($!)
wait_port "$port" nginx error.log

cat > checks.toml <<EOF
[defaults]
cacert = "root.pem"
timeout = "5s"
resolve = ["bench.test:$port:127.0.0.1"]

[[check]]
name = "bench"
url = "https://bench.test:$port/"

[serve]
allow = ["bench.test"]
EOF
env -i PATH=/usr/bin:/bin "$bin" serve checks.toml --listen 127.0.0.1:0 2> netdoctor.log &
nd_pid=$!
pids+=($nd_pid)
nd_port=
for _ in $(seq 50); do
  nd_port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' netdoctor.log)
  [ -n "$nd_port" ] && break
  kill -0 "$nd_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$nd_port" ]; then
  echo "vs_blackbox.sh: netdoctor serve did not start:" >&2
  cat netdoctor.log >&2
  exit 2
fi

cat > blackbox.yml <<EOF
modules:
  bench:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      valid_status_codes: [200]
      tls_config:
        ca_file: $work/root.pem
        server_name: bench.test
EOF
bb_port=$(free_port)
env -i PATH=/usr/bin:/bin "$blackbox" --config.file="$work/blackbox.yml" \
  --web.listen-address="127.0.0.1:$bb_port" --log.level=warn 2> blackbox.log &
bb_pid=$!
pids+=($bb_pid)
wait_port "$bb_port" blackbox_exporter blackbox.log

echo "date:   $(date -u +%FT%TZ); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); Linux $(uname -r)"
echo "tools:  $("$bin" --version); blackbox_exporter $("$blackbox" --version 2>&1 | sed -n 's/.*version \([^ ]*\) .*/\1/p;q'); $(nginx -v 2>&1 | cut -d' ' -f3)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the runs"
python3 - "$n" "$c" "$port" "$nd_port" "$nd_pid" "$bb_port" "$bb_pid" <<'PY'
import http.client, os, re, sys, threading, time
n, c, port, nd_port, nd_pid, bb_port, bb_pid = map(int, sys.argv[1:])
TICK = os.sysconf("SC_CLK_TCK")
exporters = {
    "netdoctor": (nd_port, nd_pid,
                  f"/probe?target=https://bench.test:{port}/&module=bench"),
    "blackbox": (bb_port, bb_pid,
                 f"/probe?target=https://127.0.0.1:{port}/&module=bench"),
}
HEADERS = {"X-Prometheus-Scrape-Timeout-Seconds": "10"}


def cpu(pid):
    """user+sys CPU seconds of a process so far (/proc/PID/stat utime+stime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def client_cpu():
    """user+sys CPU seconds of this client so far (it shares the 2 cores)."""
    t = os.times()
    return t.user + t.system


def succeeded(status, body):
    if status != 200:
        return False
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("probe_success "):
            return float(line.split()[1]) == 1.0
    return False


def fire(name, count):
    """`count` probes at `name` over c keep-alive connections.

    Returns wall seconds, exporter CPU seconds, client CPU seconds,
    failures and one failed answer (for the message)."""
    eport, pid, path = exporters[name]
    left = [count]
    lock = threading.Lock()
    fails, sample = [0], [None]

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", eport, timeout=30)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            try:
                conn.request("GET", path, headers=HEADERS)
                r = conn.getresponse()
                status, body = r.status, r.read()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", eport, timeout=30)
                status, body = None, repr(e).encode()
            if not succeeded(status, body):
                with lock:
                    fails[0] += 1
                    sample[0] = sample[0] or (status, body[-1500:])
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(c)]
    cpu0, mine0, t0 = cpu(pid), client_cpu(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, mine = time.perf_counter() - t0, client_cpu() - mine0
    return wall, cpu(pid) - cpu0, mine, fails[0], sample[0]


warm = min(200, n)
for name in exporters:
    _, _, _, f, s = fire(name, warm)
    if f == warm:
        sys.exit(f"vs_blackbox.sh: every warm-up probe of {name} failed; one answer:\n"
                 f"{s[0]} {s[1].decode('utf-8', 'replace')}")


def get(eport, path):
    conn = http.client.HTTPConnection("127.0.0.1", eport, timeout=30)
    conn.request("GET", path, headers=HEADERS)
    body = conn.getresponse().read().decode("utf-8", "replace")
    conn.close()
    return body


# What each negotiated with nginx (the same TLS for both, or the figures lie).
nd_tls = re.search(r"TLSv1\.\d", get(nd_port, exporters["netdoctor"][2] + "&format=json"))
bb_tls = re.search(r'probe_tls_version_info\{version="([^"]+)"', get(bb_port, exporters["blackbox"][2]))
print(f"TLS:    netdoctor {nd_tls[0] if nd_tls else '?'}, blackbox {bb_tls[1] if bb_tls else '?'}"
      " (nginx offers TLS 1.2 and 1.3; both verify leaf <- intermediate <- root.pem, bench.test)")
halves = (n // 2, n - n // 2)
res = {name: [0.0, 0.0, 0.0, 0, None] for name in exporters}
for name, count in (("netdoctor", halves[0]), ("blackbox", halves[0]),
                    ("blackbox", halves[1]), ("netdoctor", halves[1])):
    wall, used, mine, fails, sample = fire(name, count)
    r = res[name]
    r[0] += wall
    r[1] += used
    r[2] += mine
    r[3] += fails
    r[4] = r[4] or sample

print(f"probes: {n} per exporter at concurrency {c} (after {warm} warm-up probes each);"
      f" CPU from /proc/PID/stat, {TICK} ticks/s")
print(f"{'':<10} {'probes/s':>9} {'CPU ms/probe':>13} {'peak RSS MB':>12} {'failures':>9}"
      f" {'client CPU ms/probe':>20}")
rate, per = {}, {}
for name, (wall, used, mine, fails, _) in res.items():
    rate[name], per[name] = n / wall, used / n * 1e3
    print(f"{name:<10} {rate[name]:>9.0f} {per[name]:>13.3f}"
          f" {peak_rss_mb(exporters[name][1]):>12.1f} {fails:>9} {mine / n * 1e3:>20.3f}")
rr, cr = rate["netdoctor"] / rate["blackbox"], per["netdoctor"] / per["blackbox"]
print(f"{'ratio':<10} {rr:>9.2f} {cr:>13.2f}   netdoctor/blackbox"
      f" (targets: rate >= 1.00 {'met' if rr >= 1 else 'MISSED'},"
      f" CPU <= 1.00 {'met' if cr <= 1 else 'MISSED'})")
print(f"load:   {' '.join(open('/proc/loadavg').read().split()[:3])} after the runs")
bad = [name for name, r in res.items() if r[3]]
for name in bad:
    status, body = res[name][4]
    print(f"{name}: {res[name][3]} of {n} probes failed; one answer: {status}\n"
          f"{body.decode('utf-8', 'replace')}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
