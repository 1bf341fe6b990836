#!/bin/sh
# quickstart.sh - from a fresh Debian 12 checkout to a running Veil: installs
# what is missing, builds, and starts `veil serve` in the background with the
# embedded defaults (or ./veil.conf), state under ./var/.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-web.sh
if [ ! -f build-release/build.ninja ]; then
    meson setup build-release --buildtype=release >/dev/null
fi
ninja -C build-release >/dev/null
mkdir -p var
if [ -f var/veil.pid ] && kill -0 "$(cat var/veil.pid)" 2>/dev/null; then
    kill "$(cat var/veil.pid)"
    sleep 0.5
fi
nohup build-release/veil/veil serve >var/veil.log 2>&1 &
echo $! >var/veil.pid
i=0
until grep -q "veil serve: console " var/veil.log 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$(cat var/veil.pid)" 2>/dev/null; then
        echo "quickstart: veil serve did not start; see var/veil.log:" >&2
        cat var/veil.log >&2
        exit 1
    fi
    sleep 0.1
done
grep -v "one-time password" var/veil.log
# the first admin's one-time password: shown here once, not left in the log
admin=$(grep -o "one-time password [^ ]*" var/veil.log | cut -d' ' -f3)
sed -i '/one-time password/d' var/veil.log
cat <<MSG

Veil is running (pid $(cat var/veil.pid), log var/veil.log, state under var/).
  console:       https://127.0.0.1:8444/ $([ -n "$admin" ] && echo "- first login: user admin, one-time password $admin
                 (change it at once, then enrol an authenticator app)" || echo "- lost the admin password? stop the
                 server, then build-release/veil/veil user passwd admin")
  demo page:     https://127.0.0.1:8443/demo records into the demo site (key
                 "demo-site-key"); accept the self-signed certificate first
  your site:     build-release/veil/veil snippet --site NAME prints its tag
  mask a file:   build-release/veil/veil mask < recording.json
  stored data:   var/data and var/keys, sealed under master keys in var/keyring;
                 var/root.key opens them. It sits beside the data it protects,
                 fine for a trial: in production keep it on another volume
                 (root_key_file), and escrow it and the keyring apart from both
  list, export:  build-release/veil/veil sessions; build-release/veil/veil export ID
  import:        build-release/veil/veil import --site demo recording.json
                 (through the running server)
  delete:        stop the server first (it needs the store to itself)
  stop:          kill \$(cat var/veil.pid)
The certificate is self-signed (var/tls/cert.pem): browsers will ask you to
accept it.
MSG
