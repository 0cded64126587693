#!/bin/sh
# Node with NODE_EXTRA_CA_CERTS pointing nowhere / at a directory / at a non-PEM file.
echo "== /nonexistent"; NODE_EXTRA_CA_CERTS=/nonexistent node -e 'require("https")'; echo "exit=$?"
echo "== /nonexistent, https.get to closed 127.0.0.1:9"; NODE_EXTRA_CA_CERTS=/nonexistent node -e 'require("https").get("https://127.0.0.1:9/").on("error", e => console.log("err", e.code))'; echo "exit=$?"
echo "== directory /tmp"; NODE_EXTRA_CA_CERTS=/tmp node -e 'require("https")'; echo "exit=$?"
echo "== non-PEM file /etc/hostname"; NODE_EXTRA_CA_CERTS=/etc/hostname node -e 'require("https")'; echo "exit=$?"
echo "== empty file"; : > /tmp/repro15-empty.pem; NODE_EXTRA_CA_CERTS=/tmp/repro15-empty.pem node -e 'require("https")'; echo "exit=$?"; rm -f /tmp/repro15-empty.pem
