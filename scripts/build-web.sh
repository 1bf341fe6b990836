#!/bin/sh
# build-web.sh - builds what browsers load from Veil, from npm packages
# pinned by lock files; nothing is rebuilt when up to date:
#   ingest/snippet/dist/veil.js  the recording snippet (rrweb 2.2.2's recorder
#                                and src/veil.js, bundled by esbuild), served
#                                at /veil.js by the ingest listener;
#   replay/ui/dist/              the console (src/ and rrweb-player 2.1.6),
#                                served by the console listener.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: npm is missing; run scripts/install-deps.sh as root" >&2
    exit 1
fi

# npm_ci DIR: the packages of DIR's lock file, when it changed
npm_ci() {
    if [ ! -f "$1/node_modules/.package-lock.json" ] ||
        [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
        echo "build-web: installing the npm packages of ${1#"$root"/}"
        (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

snippet=$root/ingest/snippet
npm_ci "$snippet"
if [ ! -f "$snippet/dist/veil.js" ] || [ "$snippet/src/veil.js" -nt "$snippet/dist/veil.js" ] ||
    [ "$snippet/package-lock.json" -nt "$snippet/dist/veil.js" ]; then
    (cd "$snippet" && npm run --silent build >/dev/null)
    echo "build-web: built ingest/snippet/dist/veil.js"
fi

ui=$root/replay/ui
npm_ci "$ui"
mkdir -p "$ui/dist"
for f in index.html app.js app.css; do
    cp "$ui/src/$f" "$ui/dist/$f"
done
player=$ui/node_modules/rrweb-player/dist
# the source map is not shipped: drop the line that names it
sed '/^\/\/# sourceMappingURL=/d' "$player/rrweb-player.umd.min.cjs" >"$ui/dist/rrweb-player.js"
sed '/sourceMappingURL=/d' "$player/style.min.css" >"$ui/dist/rrweb-player.css"
