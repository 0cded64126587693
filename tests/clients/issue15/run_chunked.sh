#!/bin/sh
# run inside: unshare -n sh scripts/run_chunked.sh VENV
ip link set lo up
python3 scripts/chunked_cut_server.py 18480 & SRV=$!
sleep 0.5
$1/bin/python scripts/httpx_stream.py http://127.0.0.1:18480/v1/chat/completions
kill $SRV
