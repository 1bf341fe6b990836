#!/usr/bin/env bash
# test_rados_cli.sh VEIL - the store on a Ceph cluster as operators meet it:
# a RocksDB store with sessions under two master versions migrated to RADOS
# and back, an interrupted migration caught and resumed, the store commands
# on RADOS, a second node that has only the root key, and a rotation on one
# node seen by a running server on another. Starts and stops its own
# throwaway cluster (scripts/ceph-test-cluster.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cluster_sh=$here/../../scripts/ceph-test-cluster.sh
. "$here/lib.sh"
cluster=$work/ceph
keys_cluster=$work/ceph-keys
on_exit() {
    "$cluster_sh" stop "$cluster"
    "$cluster_sh" stop "$keys_cluster"
}
"$cluster_sh" start "$cluster" || {
    echo "not ok - the test cluster did not start"
    exit 1
}

cat >checkout.json <<'EOF'
[{"type":4,"data":{"href":"https://shop.example/checkout","width":1200,"height":800},"timestamp":1700000000000},
{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[{"type":2,"tagName":"body","id":3,"attributes":{},"childNodes":[
{"type":2,"tagName":"p","id":6,"attributes":{},"childNodes":[{"type":3,"textContent":"Paid with 4111 1111 1111 1111","id":7}]}]}]}]},"initialOffset":{"left":0,"top":0}},"timestamp":1700000000100}]
EOF

# conf STATE_DIR BACKEND NAMESPACE [EXTRA]: a configuration on this cluster
conf() {
    printf '[server]\nstate_dir = %s\n%s\n[store]\nbackend = %s\nrados_conf = %s/ceph.conf\nrados_namespace = %s\n' \
        "$1" "${4:-}" "$2" "$cluster" "$3"
}
conf st rocksdb mig >rocks.conf
conf st rados mig >rados.conf

# --- a RocksDB store with data keys under two master versions ----------------------
"$VEIL" import --config rocks.conf --site demo checkout.json >imp1 2>err
sid1=$(cut -f1 imp1)
"$VEIL" keys --config rocks.conf rotate --no-rewrap >out 2>err
check "rotate --no-rewrap leaves the data keys where they are" contains out "stay where they are"
"$VEIL" import --config rocks.conf --site demo checkout.json >imp2 2>err
sid2=$(cut -f1 imp2)
"$VEIL" keys --config rocks.conf status >status.rocks
check "two master versions, one data key under each" \
    sh -c "grep -E '^1 ' status.rocks | grep -qE ' 1$' && grep -E '^2 ' status.rocks | grep -qE ' 1$'"
"$VEIL" export --config rocks.conf "$sid1" >one.rocks
"$VEIL" export --config rocks.conf "$sid2" >two.rocks

# --- migrate to RADOS ------------------------------------------------------------------
"$VEIL" store --config rados.conf migrate --to rados >out 2>err
check "migrate from the backend the configuration names is refused" test $? -eq 2
"$VEIL" store --config rocks.conf migrate --to rados >out 2>err
check "migrate --to rados exits 0" test $? -eq 0
check "migrate reads every session of the copy back" contains out "copy verified: 2 sessions read back"
check "migrate reports progress per database" sh -c "grep -q 'keys: ' err && grep -q 'data: ' err"
"$VEIL" export --config rados.conf "$sid1" >one.rados 2>err
"$VEIL" export --config rados.conf "$sid2" >two.rados 2>err
check "the session under version 1 reads back the same from RADOS" cmp -s one.rocks one.rados
check "the session under version 2 reads back the same from RADOS" cmp -s two.rocks two.rados
check "and holds no card number" lacks one.rados "4111 1111 1111 1111"
"$VEIL" keys --config rados.conf status >status.rados
check "key status is the same on RADOS" cmp -s status.rocks status.rados
"$VEIL" sessions --config rados.conf >list
check "sessions lists both on RADOS" sh -c "grep -q '$sid1' list && grep -q '$sid2' list"

# --- migrations that name nothing: refused, not "done" ---------------------------------
{ conf st rocksdb typo && printf 'data_dir = st/dta\n'; } >typo-dir.conf
"$VEIL" store --config typo-dir.conf migrate --to rados >out 2>err
check "a mistyped data_dir is refused, and nothing is made there" \
    sh -c "test $? -eq 1 && grep -q 'no database at st/dta' err && test ! -e st/dta && ! ls st/migrate-to-* 2>/dev/null"
printf '[server]\nstate_dir = st\n[store]\nbackend = rados\ndata_dir = empty/data\nkeys_dir = empty/keys\nrados_conf = %s/ceph.conf\nrados_namespace = nothing-here\n' \
    "$cluster" >empty-ns.conf
"$VEIL" store --config empty-ns.conf migrate --to rocksdb >out 2>err
check "a namespace that holds nothing is refused" \
    sh -c "test $? -eq 1 && grep -q 'holds nothing; check rados_namespace' err"

# --- an interrupted migration: caught by the check, then resumed --------------------------
conf st rocksdb mig2 >rocks2.conf
echo done >st/migrate-to-rados-keys.cursor # as if keys had been copied, but nothing was
"$VEIL" store --config rocks2.conf migrate --to rados >out 2>err
check "a copy missing its keys fails the read-back" sh -c "test $? -eq 1 && grep -q 'does not read back whole' err"
rm st/migrate-to-rados-keys.cursor
"$VEIL" store --config rocks2.conf migrate --to rados >out 2>err
check "run again, it copies what is missing and skips what is done" \
    sh -c "grep -q 'data: copied by an earlier run' err && grep -q 'copy verified: 2 sessions' out"
check "a finished migration leaves no cursor behind" sh -c "! ls st/migrate-to-* 2>/dev/null"

# --- and back to RocksDB ------------------------------------------------------------------
printf '[server]\nstate_dir = st\n[store]\nbackend = rados\ndata_dir = back/data\nkeys_dir = back/keys\nrados_conf = %s/ceph.conf\nrados_namespace = mig\n' \
    "$cluster" >back.conf
"$VEIL" store --config back.conf migrate --to rocksdb >out 2>err
check "migrate --to rocksdb exits 0" test $? -eq 0
sed 's/backend = rados/backend = rocksdb/' back.conf >back-rocks.conf
"$VEIL" export --config back-rocks.conf "$sid1" >one.back 2>err
check "a session moved there and back reads the same" cmp -s one.rocks one.back

# --- the store commands on RADOS ---------------------------------------------------------
"$VEIL" delete --config rados.conf "$sid2" >out 2>err
check "delete on RADOS exits 0" test $? -eq 0
"$VEIL" export --config rados.conf "$sid2" >out 2>err
check "a deleted session cannot be exported" contains err "deleted"
"$VEIL" store --config rados.conf verify --deep >out 2>err
check "store verify --deep on RADOS is clean" test $? -eq 0
"$VEIL" backup --config rados.conf data bk >out 2>err
check "backup on RADOS says what to use instead" sh -c "test $? -eq 1 && grep -q 'Ceph' err"
conf st rados mig | sed 's/^rados_namespace/rados_keys_pool = veil-data\nrados_namespace/' >same.conf
"$VEIL" sessions --config same.conf >out 2>err
check "data and keys in one pool is refused" sh -c "test $? -eq 1 && grep -q 'pool and a client of their own' err"

# --- a second node: only the root key is copied ------------------------------------------
mkdir -p st2 && cp st/root.key st2/
conf st2 rados mig >node2.conf
"$VEIL" export --config node2.conf "$sid1" >one.node2 2>err
check "a node with only the root key takes the keyring from the keys pool" cmp -s one.rocks one.node2
check "and keeps it as its own file" test -s st2/keyring

# --- the keys on a cluster of their own ------------------------------------------------
"$cluster_sh" start "$keys_cluster" || echo "not ok - the keys' cluster did not start"
mkdir -p st3
{ conf st3 rados apart && printf 'rados_keys_conf = %s/ceph.conf\n' "$keys_cluster"; } >apart.conf
"$VEIL" import --config apart.conf --site demo checkout.json >imp3 2>err
sid3=$(cut -f1 imp3)
"$VEIL" export --config apart.conf "$sid3" >three.json 2>err
check "with the keys on another cluster, a session stores and reads back" \
    sh -c "test -s three.json && ! grep -q '4111 1111 1111 1111' three.json"
objects() { rados -c "$1/ceph.conf" -n client.admin -p "$2" -N apart ls 2>/dev/null | wc -l; }
check "the data key is on the keys' cluster" test "$(objects "$keys_cluster" veil-keys)" -gt 0
check "and nothing of it on the data's cluster" test "$(objects "$cluster" veil-keys)" -eq 0

# --- operators' mistakes: a wrong ceph.conf path, a cluster that is down ----------------
conf st rados mig | sed "s|^rados_conf = .*|rados_conf = $work/no-such/ceph.conf|" >typo.conf
"$VEIL" sessions --config typo.conf >out 2>err
check "a ceph.conf that is not there is named as the reason" \
    sh -c "test $? -eq 1 && grep -q 'cannot read the ceph.conf that rados_conf' err"
# its ceph.conf and keyrings kept (the stop removes the directory), the cluster gone
mkdir -p gone && cp "$keys_cluster"/ceph.conf "$keys_cluster"/*.keyring gone/
sed -i "s|$keys_cluster|$work/gone|g" gone/ceph.conf
"$cluster_sh" stop "$keys_cluster"
sed -i "s|^rados_keys_conf = .*|rados_keys_conf = $work/gone/ceph.conf|" apart.conf
start=$(date +%s)
"$VEIL" sessions --config apart.conf >out 2>err
status=$?
check "a cluster that is down fails with a clear error, not a hang" \
    sh -c "test $status -eq 1 && grep -q 'is the cluster up' err && test $(($(date +%s) - start)) -lt 40"

# --- a running server learns of a rotation made on another node --------------------------------
rados_serve_conf() {
    conf st rados mig "$(printf 'ingest_port = %s\nconsole_port = %s\n' "$1" "$2")" >serve.conf
}
start_serve rados_serve_conf --config serve.conf
for _ in $(seq 1 50); do
    grep -q "this node now does rotation" serve.err && break
    sleep 0.1
done
check "the server takes the maintenance lease" contains serve.err "this node now does rotation, rewrap and retention"
"$VEIL" keys --config node2.conf rotate >out 2>err
check "a rotation on node 2 leaves the rewrap to the lease holder" contains out "maintenance lease"
seen=1
for _ in $(seq 1 50); do
    grep -q "keyring changed: reloaded" serve.err && { seen=0; break; }
    sleep 0.2
done
check "the server on node 1 reloads the new keyring without a restart" test $seen -eq 0
moved=1
for _ in $(seq 1 50); do
    "$VEIL" keys --config node2.conf status >status 2>/dev/null
    grep -E '^3 +current' status | grep -qE ' 1$' && { moved=0; break; }
    sleep 0.2
done
check "and moves the data keys to it" test $moved -eq 0
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=

finish "rados cli"
