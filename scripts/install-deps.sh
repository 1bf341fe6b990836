#!/bin/sh
# install-deps.sh [--tests] - installs the Debian 12 packages Veil builds and
# runs with (Node.js and npm included: they build the browser snippet), when
# any is missing; with --tests also what the test suite needs (Chromium,
# Python and the browser tests' npm packages). Run as root; does
# nothing when all are there.
set -eu
with_tests=false
[ "${1:-}" = --tests ] && with_tests=true
PACKAGES="meson ninja-build re2c pkg-config gcc clang libclang-rt-14-dev
libwebsockets-dev librocksdb-dev libsodium-dev libjansson-dev libzstd-dev
libcmocka-dev libinih-dev libssl-dev zlib1g-dev libqrencode-dev librados-dev openssl curl iproute2"
# Node.js and npm build the browser snippet (scripts/build-web.sh)
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
if [ "$(dpkg --print-architecture)" = amd64 ]; then
    # the regex engine and the JSON parser (C++: g++) bench/masker compares against
    PACKAGES="$PACKAGES libhyperscan-dev libsimdjson-dev g++"
fi
if $with_tests; then
    PACKAGES="$PACKAGES chromium python3" # python3: the adversarial and ingest suites
    # a throwaway Ceph cluster for the RADOS backend's tests (scripts/ceph-test-cluster.sh),
    # and the balancer of the scale-out test (deploy/haproxy.cfg)
    PACKAGES="$PACKAGES ceph-mon ceph-osd ceph-common haproxy"
fi
missing=
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages:$missing; run this script as root (or with sudo)" >&2
        exit 1
    fi
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The browser tests' npm packages (rrweb, playwright-core), pinned by the lock
# file; reinstalled when the lock file changes. Playwright never downloads a
# browser here: the tests drive Debian's /usr/bin/chromium.
$with_tests || exit 0
browser=$(dirname "$0")/../tests/browser
if [ ! -f "$browser/node_modules/.package-lock.json" ] ||
    [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
    echo "install-deps: installing the browser tests' npm packages"
    (cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
