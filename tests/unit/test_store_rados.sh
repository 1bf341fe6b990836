#!/bin/sh
# test_store_rados.sh TEST_STORE - the store's unit tests again, on the
# pools of a throwaway Ceph cluster (scripts/ceph-test-cluster.sh) that this
# script starts and stops.
set -eu
test_store=$1
here=$(cd "$(dirname "$0")" && pwd)
cluster=$(mktemp -d /tmp/veil-ceph-XXXXXX)
rmdir "$cluster"
trap '"$here/../../scripts/ceph-test-cluster.sh" stop "$cluster"' EXIT INT TERM
"$here/../../scripts/ceph-test-cluster.sh" start "$cluster"
VEIL_TEST_CEPH=$cluster "$test_store"
