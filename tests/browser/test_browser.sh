#!/bin/sh
# test_browser.sh VEIL - the real-browser tests as one meson test: run.mjs
# (recordings masked by `veil mask`), snippet.mjs (the snippet recording
# into `veil serve`) and console.mjs (roles and replay in the console). Needs node, Debian's chromium, `npm ci` done here
# (scripts/install-deps.sh) and the web assets built (scripts/build-web.sh).
here=$(dirname "$0")
if [ ! -d "$here/node_modules/rrweb" ] || [ ! -x /usr/bin/chromium ]; then
    echo "browser tests: rrweb or chromium missing; run scripts/install-deps.sh" >&2
    exit 1
fi
status=0
node "$here/run.mjs" "$1" || status=1
node "$here/snippet.mjs" "$1" || status=1
node "$here/console.mjs" "$1" || status=1
exit $status
