#!/usr/bin/env bash
# Benchmark: netdoctor against curl on the same loopback nginx (issue 12).
#
# nginx serves `return 200 "ok\n"` over TLS with an openssl-made EC P-256
# chain (root -> intermediate -> leaf). Each pair runs both tools in turn
# (the order swapped every pair), each with a clean environment, as in a
# plain container: `env -i PATH=/usr/bin:/bin`, no SSL_CERT_* variables;
# both get `--cacert root.pem` and `--resolve bench.test:PORT:127.0.0.1`.
# Prints, as medians over the pairs:
#   - `netdoctor check https://… --format json` vs `curl -sS -o /dev/null`:
#     wall times and ratio (target <= 0.6);
#   - `netdoctor env` vs `curl --version`: wall times and ratio (target <= 0.6);
#   - netdoctor's peak RSS for one target (target <= 12 MB);
#   - 100 URLs (distinct paths) in one `netdoctor check --format json` vs
#     `curl --parallel --parallel-max 32 -H 'Connection: close'` fetching the
#     same 100 URLs: wall times, ratio (target <= 1.0) and the user+sys CPU;
#   - the syscalls and files opened by one run of each tool (strace).
#
#   benches/vs_curl.sh [RUNS]   (default 50 pairs; the issue's targets need
#                                >= 30; needs nginx, openssl, curl, python3)
#   NETDOCTOR=/path/to/netdoctor benches/vs_curl.sh   (that binary, no build:
#                                                       before/after figures)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh
runs=${1:-50}
if ! command -v nginx >/dev/null; then
  echo "vs_curl.sh: nginx is not installed (Debian: apt-get install nginx-light)" >&2
  exit 2
fi
if [ -n "${NETDOCTOR:-}" ]; then
  bin=$(realpath "$NETDOCTOR")
else
  cargo build --release --locked -q
  bin=$PWD/${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/netdoctor
fi

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
bench_pki

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bench_nginx_conf "$work" "$port"
nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf" &
server=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
if ! kill -0 "$server" 2>/dev/null; then
  echo "vs_curl.sh: nginx did not start:" >&2
  cat error.log >&2
  exit 2
fi

# The machine, for the figures' record (other load makes every figure worse).
echo "date:   $(date -u +%FT%TZ); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); Linux $(uname -r)"
echo "tools:  $("$bin" --version); $(curl --version | head -1 | cut -d' ' -f1-2,5); $(nginx -v 2>&1 | cut -d' ' -f3)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the runs"
python3 - "$runs" "$bin" "$port" <<'PY'
import os, re, shutil, statistics, subprocess, sys, tempfile, time
runs, nd, port = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# What `env -i PATH=/usr/bin:/bin` leaves: a plain container's environment.
ENV = {"PATH": "/usr/bin:/bin"}
pin = f"bench.test:{port}:127.0.0.1"
url = f"https://bench.test:{port}/"
urls = [f"https://bench.test:{port}/p{i}" for i in range(100)]
ca = ["--cacert", "root.pem"]
nd_check = [nd, "check", "--resolve", pin, *ca, "--format", "json"]
curl = ["curl", "-sS", "--resolve", pin, *ca]
curl_many = curl + ["--parallel", "--parallel-max", "32", "-H", "Connection: close"]
for u in urls:
    curl_many += [u, "-o", "/dev/null"]
pairs = {
    "check": (nd_check + [url], curl + ["-o", "/dev/null", url]),
    "env": ([nd, "env"], ["curl", "--version"]),
    "100 URLs": (nd_check + urls, curl_many),
}
# `netdoctor env` exits 10 when a finding fails; that is a result, not an error.
allowed = {"env": {0, 10}}


def run(cmd):
    """Wall time (s), user+sys CPU (s), peak RSS (KB), exit code of one run."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd[0] if os.path.isabs(cmd[0]) else shutil.which(cmd[0]),
                             cmd, ENV, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                                     (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    finally:
        os.close(devnull)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)


def check(name, tool, cmd, code):
    if code not in allowed.get(name, {0}):
        r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
        sys.exit(f"{tool} failed on '{name}' (exit {code}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")


res = {name: {"netdoctor": [], "curl": []} for name in pairs}
for name, (a, b) in pairs.items():
    for tool, cmd in (("netdoctor", a), ("curl", b)):  # warm the page cache
        check(name, tool, cmd, run(cmd)[3])
for i in range(runs):
    for name, (a, b) in pairs.items():
        order = (("netdoctor", a), ("curl", b))
        for tool, cmd in order if i % 2 == 0 else order[::-1]:
            r = run(cmd)
            check(name, tool, cmd, r[3])
            res[name][tool].append(r)


def med(name, tool, k):
    return statistics.median(r[k] for r in res[name][tool])


def traced(cmd):
    """Syscalls, files opened and threads started by one run (strace)."""
    if not shutil.which("strace"):
        return None
    with tempfile.TemporaryDirectory() as d:
        calls, opens = os.path.join(d, "c"), os.path.join(d, "o")
        quiet = {"env": ENV, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["strace", "-f", "-qq", "-c", "-o", calls] + cmd, **quiet)
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open,clone,clone3",
                        "-o", opens] + cmd, **quiet)
        total = [l.split() for l in open(calls) if l.strip().endswith("total")]
        lines = open(opens).read().splitlines()
        return (int(total[0][3]) if total else 0,
                sum(1 for l in lines if re.search(r"\bopen(at)?\(", l)),
                sum(1 for l in lines if re.search(r"\bclone3?\(.*CLONE_THREAD", l)))


target = {"check": 0.6, "env": 0.6, "100 URLs": 1.0}
print(f"pairs:  {runs}{'  (fewer than 30: not the issue measurement)' if runs < 30 else ''}")
print(f"{'':<10} {'netdoctor ms':>12} {'curl ms':>8} {'ratio':>6} {'target':>7}"
      f" {'nd CPU ms':>10} {'curl CPU ms':>11}")
for name in pairs:
    n, c = med(name, "netdoctor", 0) * 1e3, med(name, "curl", 0) * 1e3
    ncpu, ccpu = med(name, "netdoctor", 1) * 1e3, med(name, "curl", 1) * 1e3
    print(f"{name:<10} {n:>12.2f} {c:>8.2f} {n / c:>6.2f} {'<= ' + str(target[name]):>7}"
          f" {ncpu:>10.1f} {ccpu:>11.1f}")


def peak_rss(cmd, times=5):
    """Peak RSS (MB) of `cmd` over a few runs, as GNU time reports it.

    Not from this script's wait4(): a child spawned by Python starts in
    Python's address space (vfork), and Linux carries that address space's
    high-water mark into the child's ru_maxrss across exec — every tool
    would show Python's ~14 MB. GNU time forks from its own small process.
    """
    gnu_time = shutil.which("time") and "/usr/bin/time"
    if not gnu_time or not os.path.exists(gnu_time):
        return None
    peak = 0
    for _ in range(times):
        r = subprocess.run([gnu_time, "-f", "%M"] + cmd, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        peak = max(peak, int(r.stderr.strip().splitlines()[-1]))
    return peak / 1024


for label, name in (("one target", "check"), ("100 URLs", "100 URLs")):
    nd, cu = peak_rss(pairs[name][0]), peak_rss(pairs[name][1])
    if nd is None:
        print("peak RSS: n/a (GNU time is not installed: apt-get install time)")
        break
    print(f"peak RSS, {label}: netdoctor {nd:.1f} MB (target <= 12 MB), curl {cu:.1f} MB")
for name in ("check", "env"):
    for tool, cmd in zip(("netdoctor", "curl"), pairs[name]):
        t = traced(cmd)
        label = f"{tool} {name}:"
        if t is None:
            print(f"{label:<17} n/a (no strace)")
        else:
            print(f"{label:<17} {t[0]} syscalls, {t[1]} files opened, {t[2]} threads started")
t = traced(pairs["100 URLs"][0])
if t is not None:
    print(f"{'netdoctor 100:':<17} {t[0]} syscalls, {t[1]} files opened, {t[2]} threads started")
print(f"load:   {' '.join(open('/proc/loadavg').read().split()[:3])} after the runs")
PY
