#!/bin/sh
# run inside: unshare -n sh scripts/run_chunked_openai.sh VENV
ip link set lo up
python3 scripts/chunked_cut_server.py 18481 & SRV=$!
sleep 0.5
$1/bin/python scripts/openai_stream.py http://127.0.0.1:18481/v1
kill $SRV
