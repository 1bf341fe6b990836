#!/bin/sh
# test_on_rados.sh COMMAND... - runs a test (test_store, test_kv, the store
# CLI drill) with VEIL_TEST_CEPH naming a throwaway Ceph cluster
# (scripts/ceph-test-cluster.sh) that this script starts and stops.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cluster=$(mktemp -d /tmp/veil-ceph-XXXXXX)
rmdir "$cluster"
trap '"$here/../../scripts/ceph-test-cluster.sh" stop "$cluster"' EXIT INT TERM
"$here/../../scripts/ceph-test-cluster.sh" start "$cluster"
VEIL_TEST_CEPH=$cluster "$@"
