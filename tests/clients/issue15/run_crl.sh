#!/bin/sh
# run inside: unshare -n sh scripts/run_crl.sh VENV TAG
# Two openssl s_server -www on loopback: 18443 serves leaf-cdp (CDP -> closed 127.0.0.1:9), 18444 leaf-nocdp.
# The SDK trusts the test root through SSL_CERT_FILE (OpenSSL's default verify paths).
V=$1; TAG=$2
ip link set lo up
openssl s_server -quiet -www -accept 127.0.0.1:18443 -cert crl/leaf-cdp.pem -key crl/leaf-cdp.key >/dev/null 2>&1 & S1=$!
openssl s_server -quiet -www -accept 127.0.0.1:18444 -cert crl/leaf-nocdp.pem -key crl/leaf-nocdp.key >/dev/null 2>&1 & S2=$!
sleep 0.5
for p in 18443 18444; do
  echo "===== $V port $p"
  SSL_CERT_FILE=$PWD/crl/root.pem SPEECH_PROPS="$SPEECH_PROPS" SPEECH_ENDPOINT="wss://localhost:$p/speech/recognition/conversation/cognitiveservices/v1" \
    timeout 90 $V/bin/python scripts/speech_init.py endpoint logs/speechlog-crl-$TAG-$p.txt
done
kill $S1 $S2
