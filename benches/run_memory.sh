#!/usr/bin/env bash
# Benchmark: peak RSS and wall time of `netdoctor run FILE` for check files
# of 100, 1,000 and 10,000 checks against one local HTTP server (each
# [[check]] has its own options, as in a real file). Memory must follow
# --jobs, not the file's length (issue 11): tens of MB for 10,000 checks.
#
#   benches/run_memory.sh [JOBS] [SIZES...]   (default 32; 100 1000 10000; needs python3, GNU time)
# Formats: json and prometheus keep a little of each target to the end
# (its text, its metric facts); jsonl keeps nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-32}
shift || true
sizes=("${@:-100 1000 10000}")
cargo build --release --locked -q
bin=$PWD/${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/netdoctor

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

python3 - "$bin" "$port" "$jobs" ${sizes[*]} <<'PY'
import resource, subprocess, sys, time
nd, port, jobs, sizes = sys.argv[1], sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4:]]
print(f"{'checks':>7} {'format':>10} {'wall s':>7} {'peak RSS MB':>12} {'exit':>4}")
for n in sizes:
    with open(f"c{n}.toml", "w") as f:
        f.write('[defaults]\ntimeout = "5s"\n')
        for i in range(n):
            f.write(f'[[check]]\nname = "c{i}"\nurl = "http://127.0.0.1:{port}/"\n')
    for fmt in ("json", "jsonl", "prometheus"):
        t0 = time.perf_counter()
        # GNU time forks from its own small process: a child spawned by
        # Python would carry Python's RSS high-water mark across exec.
        r = subprocess.run(["/usr/bin/time", "-f", "%M %x",
            nd, "run", f"c{n}.toml", "--jobs", jobs, "--format", fmt],
            env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        rss, code = r.stderr.strip().splitlines()[-1].split()[-2:]
        print(f"{n:>7} {fmt:>10} {wall:>7.2f} {int(rss) / 1024:>12.1f} {code:>4}")
PY
