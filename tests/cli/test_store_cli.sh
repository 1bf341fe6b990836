#!/usr/bin/env bash
# test_store_cli.sh VEIL - the store as an operator meets it: import, export,
# sessions, delete, keys, backup and restore drills, and a running server
# rotating keys in the background while the CLI reads beside it.
#
# With VEIL_TEST_CEPH set (tests/unit/test_on_rados.sh starts a cluster) the
# same drill runs on the RADOS backend; what only RocksDB has (its files,
# backups, the lock a running server holds) is checked on RocksDB only, and
# where RADOS must behave otherwise (a lost keyring file) that is checked.
set -u
. "$(dirname "$0")/lib.sh"
rados=${VEIL_TEST_CEPH:-}
rocksdb_only() { [ -z "$rados" ]; }
# the [store] lines of every configuration written here
store_section() {
    [ -n "$rados" ] || return 0
    printf '[store]\nbackend = rados\nrados_conf = %s/ceph.conf\nrados_namespace = cli-%s\n' \
        "$rados" "$$"
}

session_of() { awk -F'\t' 'NR == 1 {print $1}' "$1"; }

# A small recording: a password field typed into, a card number in page text,
# and order details that must survive untouched.
cat >checkout.json <<'EOF'
[{"type":4,"data":{"href":"https://shop.example/checkout","width":1200,"height":800},"timestamp":1700000000000},
{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[{"type":2,"tagName":"body","id":3,"attributes":{},"childNodes":[
{"type":2,"tagName":"h1","id":4,"attributes":{},"childNodes":[{"type":3,"textContent":"Order 12345 total $19.99","id":5}]},
{"type":2,"tagName":"p","id":6,"attributes":{},"childNodes":[{"type":3,"textContent":"Paid with 4111 1111 1111 1111","id":7}]},
{"type":2,"tagName":"input","id":8,"attributes":{"type":"password","value":"hunter2hunter2"},"childNodes":[]}]}]}]},"initialOffset":{"left":0,"top":0}},"timestamp":1700000000100},
{"type":3,"data":{"source":5,"id":8,"text":"hunter2hunter2!","isChecked":false},"timestamp":1700000000200}]
EOF
printf '{"type":4,"data":{"href":"https://shop.example/","width":1,"height":1},"timestamp":1700000001000}\n{"type":3,"data":{"source":2,"type":2,"id":1,"x":1,"y":2},"timestamp":1700000001001}\n' >lines.jsonl
{ printf '[server]\nstate_dir = st\n' && store_section; } >veil.conf

# --- import, export, sessions ------------------------------------------------
"$VEIL" import --site demo checkout.json >imp 2>err
check "import exits 0" test $? -eq 0
sid=$(session_of imp)
check "import prints the new session id" test -n "$sid"
check "import reports the card it masked" contains imp "cards 1"
"$VEIL" export "$sid" >exported.json 2>err
check "export exits 0" test $? -eq 0
"$VEIL" mask <checkout.json >masked.json
check "export gives the masked events back" python3 -c "import json,sys; sys.exit(json.load(open('exported.json')) != json.load(open('masked.json')))"
check "export holds no card number" lacks exported.json "4111 1111 1111 1111"
check "export holds no password" lacks exported.json "hunter2"
check "order details survive byte for byte" contains exported.json '"Order 12345 total $19.99"'
rocksdb_only && check "no plaintext in the database files" sh -c "! grep -rqaF 'Order 12345' st"
check "root key file is owner-only" test "$(stat -c %a st/root.key)" = 400

"$VEIL" import --site demo --session lines-1 lines.jsonl >imp2 2>err
check "import takes JSON Lines and --session" contains imp2 "lines-1"
"$VEIL" export --format jsonl lines-1 >lines.out
check "export --format jsonl writes one event per line" test "$(wc -l <lines.out)" -eq 2
"$VEIL" import --site demo --session lines-1 lines.jsonl >/dev/null 2>err
check "importing into an existing id appends" test "$("$VEIL" export --format jsonl lines-1 | wc -l)" -eq 4

printf '[{"type":4,"data":{}},{"type":' >broken.json
"$VEIL" import --site demo broken.json >out 2>err
check "malformed import exits 1" test $? -eq 1
check "malformed import names the byte offset" contains err "at byte"
check "malformed import stores nothing" test "$("$VEIL" sessions --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 2
"$VEIL" import --site nosuch checkout.json >out 2>err
check "import into an unknown site exits 1" test $? -eq 1
"$VEIL" sessions >list
check "sessions lists both sessions" sh -c "grep -q '$sid' list && grep -q lines-1 list"
check "a session's time is the server's, not the recording's (2023)" \
    sh -c "! grep -q '2023-11-14' list && grep -q \"\$(date -u +%Y-%m-%d)\" list"
"$VEIL" export no-such-session >out 2>err
check "export of an unknown session exits 1" test $? -eq 1
check "export of an unknown session says so" contains err "no session"

# --- delete -------------------------------------------------------------------
rocksdb_only && cp -a st/data data-before-delete
"$VEIL" delete lines-1 >out 2>err
check "delete exits 0" test $? -eq 0
"$VEIL" export lines-1 >out 2>err
check "a deleted session cannot be exported" contains err "deleted"
if rocksdb_only; then
    mv st/data st/data-live && cp -a data-before-delete st/data
    "$VEIL" export --format jsonl lines-1 >out 2>err
    check "nor read from a copy of data taken before the delete" test $? -eq 1 -a ! -s out
    rm -rf st/data && mv st/data-live st/data
fi

# --- keys -----------------------------------------------------------------------
"$VEIL" keys rotate >out 2>err
check "keys rotate makes version 2 current" contains out "version 2 is now current"
check "keys rotate reports rewrap progress" contains err "0 to go"
"$VEIL" keys status >status
check "keys status shows version 1 unused" sh -c "grep -E '^1 +active' status | grep -qE ' 0$'"
"$VEIL" keys retire 2 >out 2>err
check "retiring the current version is refused" test $? -eq 1
"$VEIL" keys retire 1 >out 2>err
check "retiring an unused version works" test $? -eq 0
"$VEIL" export "$sid" >after-rotate.json
check "sessions read the same after rotation and retirement" cmp -s after-rotate.json exported.json

# --- backup and restore drill -------------------------------------------------------
# (RocksDB's BackupEngine; on RADOS backups are Ceph's, docs/scale-out.md)
if rocksdb_only; then
    "$VEIL" backup keys bk/keys >out 2>err
    check "backup keys" contains out "verified"
    "$VEIL" backup data bk/data >out 2>err
    check "backup data" contains out "verified"
    "$VEIL" backup keys bk/data >out 2>err
    check "a keys backup into a data backup directory is refused" test $? -eq 1
    check "and the failed backup closes the store (no leak under ASan)" lacks err "LeakSanitizer"
    mkdir -p drill && cp st/keyring st/root.key drill/ && printf '[server]\nstate_dir = drill\n' >drill.conf
    "$VEIL" backup --config drill.conf restore data bk/data >out 2>err
    check "restore data" test $? -eq 0
    "$VEIL" backup --config drill.conf restore keys bk/keys >out 2>err
    check "restore keys" test $? -eq 0
    "$VEIL" export --config drill.conf "$sid" >drill.json
    check "the restored pair reads back" cmp -s drill.json exported.json
    "$VEIL" store --config drill.conf verify >out 2>err
    check "store verify is clean after the drill" test $? -eq 0

    "$VEIL" backup keys bk/keys-old >/dev/null 2>&1
fi
"$VEIL" import --site demo --session newer lines.jsonl >/dev/null 2>&1
if rocksdb_only; then
    "$VEIL" backup data bk/data >/dev/null 2>&1
    mkdir -p drill2 && cp st/keyring st/root.key drill2/ && printf '[server]\nstate_dir = drill2\n' >drill2.conf
    "$VEIL" backup --config drill2.conf restore data bk/data >/dev/null 2>&1
    "$VEIL" backup --config drill2.conf restore keys bk/keys-old >out 2>err
    check "a keys backup older than the data backup is reported" sh -c "test $? -eq 1 && grep -q 'older than the data backup' err"
    "$VEIL" sessions --config drill2.conf >out
    check "sessions marks the session whose key is missing" sh -c "grep newer out | grep -q missing"
    "$VEIL" export --config drill2.conf newer >out 2>err
    check "its export fails with the reason" contains err "not in the keys database"
fi

# --- operators' mistakes ------------------------------------------------------------
mv st/keyring keyring.aside
"$VEIL" sessions >out 2>err
status=$?
if rocksdb_only; then
    check "a missing keyring over existing data is an error, not a new keyring" \
        sh -c "test $status -eq 1 && grep -q 'keyring file is missing' err && test ! -e st/keyring"
    mv keyring.aside st/keyring
else
    check "a missing keyring file is taken back from the keys pool, the same one" \
        sh -c "test $status -eq 0 && cmp -s st/keyring keyring.aside"
fi

# the stale-escrow drill: the keyring was escrowed once, then rotated past
cp st/keyring escrowed-keyring
"$VEIL" keys rotate >out 2>err
check "rotation says to re-escrow the keyring" contains out "re-escrow the keyring file"
if rocksdb_only; then
    "$VEIL" backup keys bk/keys-new >out 2>err
    check "a keys backup carries the keyring" contains out "with a copy of the keyring"
    "$VEIL" backup data bk/data-new >/dev/null 2>&1
    mkdir -p drill4 && cp escrowed-keyring drill4/keyring && cp st/root.key drill4/ &&
        printf '[server]\nstate_dir = drill4\n' >drill4.conf
    "$VEIL" backup --config drill4.conf restore data bk/data-new >/dev/null 2>&1
    "$VEIL" backup --config drill4.conf restore keys bk/keys-new >out 2>err
    check "restoring with a stale keyring fails loudly" \
        sh -c "test $? -eq 1 && grep -q 'master key versions this keyring does not hold' err"
    "$VEIL" store --config drill4.conf verify >out 2>err
    check "and store verify fails too" test $? -eq 1
    "$VEIL" export --config drill4.conf "$sid" >out 2>err
    check "an export names the version the keyring lacks" contains err "master key version 3, which this keyring does not hold"
    "$VEIL" backup --config drill4.conf restore keys bk/keys-new --with-keyring >out 2>err
    check "restoring keys with the keyring they carry fixes it" test $? -eq 0
    "$VEIL" store --config drill4.conf verify >out 2>err
    check "verify is clean then" test $? -eq 0
    "$VEIL" export --config drill4.conf "$sid" >drill4.json 2>err
    check "and the session reads back" cmp -s drill4.json exported.json
    check "the stale keyring is kept aside" test -e drill4/keyring.before-restore

    "$VEIL" backup keys bk/keys >/dev/null 2>&1
    "$VEIL" backup purge keys bk/keys --keep 1 >out 2>err
    check "backup purge keeps the newest" sh -c "test $? -eq 0 && grep -q 'removed 1 keys backups' out"
    "$VEIL" backup purge keys bk/keys >out 2>err
    check "backup purge wants --keep or --before" test $? -eq 2
fi

"$VEIL" keys change-root --key-file st/root2.key >out 2>err
check "keys change-root seals the keyring by a new key" sh -c "test $? -eq 0 && grep -q 'root_key_file = st/root2.key' out"
"$VEIL" sessions >out 2>err
check "the old root key no longer opens it" contains err "does not open the keyring"
{ printf '[server]\nstate_dir = st\n' && store_section && printf '[store]\nroot_key_file = st/root2.key\n'; } >rekey.conf
"$VEIL" export --config rekey.conf "$sid" >after-rekey.json 2>err
check "the new one does, and sessions read the same" cmp -s after-rekey.json exported.json
"$VEIL" keys --config rekey.conf change-root --key-file st/root.key >out 2>err
check "and back to the first key" test $? -eq 0

# --- beside a running server --------------------------------------------------------
echo "a-metrics-token-of-some-length" >metrics.token
store_serve_conf() {
    {
        printf '[server]\nstate_dir = st\ningest_port = %s\nconsole_port = %s\nmetrics_token_file = metrics.token\n' \
            "$1" "$2" && store_section
    } >veil.conf
}
start_serve store_serve_conf
"$VEIL" import --site demo checkout.json >out 2>err
if rocksdb_only; then
    check "import while the server runs goes through it" contains out "through the running server"
else # no lock on a cluster: the CLI writes beside the servers, as another node would
    check "import beside the server writes to the cluster" test -s out
fi
live_sid=$(cut -f1 out)
"$VEIL" export "$live_sid" >live.json 2>err
check "and that session reads back, masked" sh -c "test -s live.json && ! grep -q \"4111 1111 1111 1111\" live.json && grep -q Paid live.json"
if rocksdb_only; then
    "$VEIL" import --site demo --session mine checkout.json >out 2>err
    check "import --session while the server runs says why it cannot" contains err "needs the server stopped"
fi
"$VEIL" sessions >out 2>err
check "sessions works beside the server" contains out "$sid"
"$VEIL" keys rotate >out 2>err
check "keys rotate beside the server hands the rewrap to it" contains out "in the background"
rewrapped=1 # three data keys: the two sessions imported before, and the one through the server
# The server's maintenance thread reloads the keyring and rewraps once a
# second while it holds the maintenance lease (15 s); under AddressSanitizer
# on a loaded machine a tick can come late, so this waits up to a minute.
for _ in $(seq 1 300); do
    "$VEIL" keys status >status 2>/dev/null
    grep -E '^4 +current' status | grep -qE ' 3$' && { rewrapped=0; break; }
    sleep 0.2
done
check "the server moves every data key to the new version" test $rewrapped -eq 0
curl -sk --max-time 5 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$console/metrics" >status
check "metrics without the bearer token: 401" contains status 401
curl -sk --max-time 5 -H "Authorization: Bearer a-metrics-token-of-some-length" \
    "https://127.0.0.1:$console/metrics" >metrics
check "metrics show the current master key" contains metrics "veil_master_key_current 4"
if rocksdb_only; then
    "$VEIL" backup data bk/live-data >out 2>err
    check "backup works while the server runs" contains out "verified"
fi
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
check "server log shows the rewrap progress" contains serve.err "to go"
if rocksdb_only; then
    "$VEIL" backup keys bk/live-keys >/dev/null 2>&1
    mkdir -p drill3 && cp st/keyring st/root.key drill3/ && printf '[server]\nstate_dir = drill3\n' >drill3.conf
    "$VEIL" backup --config drill3.conf restore data bk/live-data >/dev/null 2>&1
    "$VEIL" backup --config drill3.conf restore keys bk/live-keys >/dev/null 2>&1
    "$VEIL" export --config drill3.conf "$sid" >drill3.json 2>err
    check "the backup taken beside the server restores and reads back" cmp -s drill3.json exported.json
fi

cp st/root.key good.key && chmod 600 st/root.key && head -c 32 /dev/urandom >st/root.key && chmod 400 st/root.key
"$VEIL" serve >out 2>err
check "a wrong root key stops the server with a clear error" sh -c "test $? -eq 1 && grep -q 'does not open the keyring' err"

finish "store cli${rados:+ on RADOS}"
