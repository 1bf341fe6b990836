#!/bin/sh
# build-snippet.sh - builds the browser snippet (ingest/snippet) into
# ingest/snippet/dist/veil.js, the file `veil serve` serves at /veil.js:
# rrweb 2.2.2's recorder and src/veil.js, bundled and minified by esbuild.
# npm packages come from the lock file; nothing is rebuilt when up to date.
set -eu
cd "$(dirname "$0")/../ingest/snippet"
if ! command -v npm >/dev/null 2>&1; then
    echo "build-snippet: npm is missing; run scripts/install-deps.sh as root" >&2
    exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "build-snippet: installing the snippet's npm packages"
    npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f dist/veil.js ] || [ src/veil.js -nt dist/veil.js ] || [ package-lock.json -nt dist/veil.js ]; then
    npm run --silent build >/dev/null
    echo "build-snippet: built ingest/snippet/dist/veil.js"
fi
