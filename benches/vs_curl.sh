#!/usr/bin/env bash
# Benchmark: `netdoctor check` (env scan, dns, tcp, tls, certificate, http)
# against `curl` on the same local HTTPS server, in one run.
#
# Prints the median wall time of each, their ratio (netdoctor / curl) and
# netdoctor's peak RSS, and the syscalls and files opened by one run of each
# (with strace). Targets: ratio <= 1.0, peak RSS <= 20 MB.
#
#   benches/vs_curl.sh [RUNS]      (default 50; needs openssl, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/netdoctor

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Bench Root" -keyout root.key -out root.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=bench.test" -keyout leaf.key -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:bench.test\n' > ext.cnf
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial \
  -days 2 -extfile ext.cnf -out leaf.pem 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert leaf.pem -key leaf.key >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

url="https://bench.test:$port/"
pin="bench.test:$port:127.0.0.1"
case $bin in /*) ;; *) bin="$OLDPWD/$bin";; esac
python3 - "$runs" "$bin" "$url" "$pin" <<'PY'
import resource, statistics, subprocess, sys, time
runs, nd, url, pin = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
cmds = {
    "netdoctor": [nd, "check", url, "--resolve", pin, "--cacert", "root.pem", "--format", "json"],
    "curl": ["curl", "-sS", "-o", "/dev/null", "--resolve", pin, "--cacert", "root.pem", url],
}
times = {k: [] for k in cmds}
for i in range(runs):
    for name, cmd in cmds.items():
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times[name].append(time.perf_counter() - t0)
        if r.returncode != 0:
            sys.exit(f"{name} failed (exit {r.returncode}): {r.stderr.decode()}")
# Peak RSS of netdoctor alone, in a fresh child so curl does not count.
peak = subprocess.run([sys.executable, "-c",
    "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"] + cmds["netdoctor"],
    env=env, capture_output=True, text=True).stdout.strip()
# Syscalls and files opened by one run of each (strace, when installed):
# a regression in what a run reads shows here before it shows in time.
import os, shutil, tempfile
def traced(cmd):
    if not shutil.which("strace"):
        return None
    with tempfile.TemporaryDirectory() as d:
        calls, opens = os.path.join(d, "c"), os.path.join(d, "o")
        subprocess.run(["strace", "-f", "-qq", "-c", "-o", calls] + cmd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", opens] + cmd,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = [l.split() for l in open(calls) if l.strip().endswith("total")]
        n_calls = int(total[0][3]) if total else 0
        n_opens = sum(1 for l in open(opens) if "open" in l)
        return n_calls, n_opens
nd_ms = statistics.median(times["netdoctor"]) * 1000
curl_ms = statistics.median(times["curl"]) * 1000
print(f"runs:              {runs}")
print(f"netdoctor median:  {nd_ms:.2f} ms")
print(f"curl median:       {curl_ms:.2f} ms")
print(f"ratio:             {nd_ms / curl_ms:.2f} (target <= 1.0)")
print(f"netdoctor peak RSS: {int(peak) / 1024:.1f} MB (target <= 20 MB)")
for name, cmd in cmds.items():
    t = traced(cmd)
    if t is None:
        print(f"{name + ' syscalls:':<19} n/a (no strace)")
    else:
        print(f"{name + ' syscalls:':<19} {t[0]}, files opened {t[1]}")
PY
