#!/bin/sh
# test_on_rados.sh TEST - runs a unit test binary (test_store, test_kv) with
# VEIL_TEST_CEPH naming a throwaway Ceph cluster (scripts/ceph-test-cluster.sh)
# that this script starts and stops.
set -eu
test_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
cluster=$(mktemp -d /tmp/veil-ceph-XXXXXX)
rmdir "$cluster"
trap '"$here/../../scripts/ceph-test-cluster.sh" stop "$cluster"' EXIT INT TERM
"$here/../../scripts/ceph-test-cluster.sh" start "$cluster"
VEIL_TEST_CEPH=$cluster "$test_bin"
