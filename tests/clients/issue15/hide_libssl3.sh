#!/bin/sh
# Run "$@" in a private mount+net namespace where libssl.so.3/libcrypto.so.3 are hidden
# (bind-mount /dev/null over them; the real files are untouched) and only lo exists.
# usage: unshare -m -n sh scripts/hide_libssl3.sh CMD...
set -e
mount --make-rprivate /
for f in /lib/x86_64-linux-gnu/libssl.so.3 /lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3; do
  [ -e "$f" ] && mount --bind /dev/null "$f" || true
done
ip link set lo up
exec "$@"
