#!/bin/sh
# test_browser.sh VEIL - the real-browser tests (run.mjs) as one meson test.
# Needs node, Debian's chromium and `npm ci` done here: scripts/install-deps.sh.
here=$(dirname "$0")
if [ ! -d "$here/node_modules/rrweb" ] || [ ! -x /usr/bin/chromium ]; then
    echo "browser tests: rrweb or chromium missing; run scripts/install-deps.sh" >&2
    exit 1
fi
exec node "$here/run.mjs" "$1"
