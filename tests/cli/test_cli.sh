#!/usr/bin/env bash
# test_cli.sh VEIL - the veil program as a user meets it: help, usage errors,
# broken config files, `veil mask` on stdin, and `veil serve` over TLS.
set -u
. "$(dirname "$0")/lib.sh"


# --- help and usage ----------------------------------------------------------
"$VEIL" --help >out 2>err
check "veil --help exits 0" test $? -eq 0
check "veil --help lists the commands" contains out "mask"
"$VEIL" mask --help >out 2>err
check "veil mask --help exits 0" test $? -eq 0
check "veil mask --help documents --ip-octets" contains out "--ip-octets N"
for cmd in serve keys user backup audit version; do
    "$VEIL" "$cmd" --help >out 2>err
    check "veil $cmd --help exits 0 with usage" test $? -eq 0 -a -s out
done
"$VEIL" frobnicate >out 2>err
check "unknown command exits 2" test $? -eq 2
check "unknown command says what to do" contains err "veil --help"
"$VEIL" mask --no-such-flag </dev/null >out 2>err
check "unknown option exits 2" test $? -eq 2
check "error is one line" test "$(wc -l <err)" -eq 1

# --- broken configuration ----------------------------------------------------
printf '[server]\nlisten = 127.0.0.1\nbogus_option = 1\n' >bad.conf
"$VEIL" serve --config bad.conf >out 2>err
check "broken config exits 1" test $? -eq 1
check "broken config names file:line:column and option" contains err "bad.conf:3:1: unknown option 'bogus_option'"
printf '[masking]\nip_octets = 7\n' >bad2.conf
"$VEIL" mask --config bad2.conf </dev/null >out 2>err
check "bad value names its column" contains err "bad2.conf:2:13: ip_octets"
"$VEIL" serve --config missing.conf >out 2>err
check "missing config file exits 1" test $? -eq 1
printf '[site shop]\nkey = k1\n[site blog]\nkey = k2\n' >sites.conf
echo '[]' | "$VEIL" mask --config sites.conf --site shpo >out 2>err
check "a misspelt --site exits 1" test $? -eq 1
check "a misspelt --site names the sites there are" contains err "(its sites: shop, blog)"
printf '[site shop]\nkey = k1\n[site blog]\nkey = k1\n' >samekey.conf
"$VEIL" serve --config samekey.conf >out 2>err
check "two sites with one key are refused at the second" contains err "samekey.conf:4:7: key: [site shop] has this key already"

# --- veil mask ---------------------------------------------------------------
printf '[{"type":4,"data":{"href":"https://shop/?ip=10.1.2.3","width":1,"height":1},"timestamp":1},{"type":5,"data":{"tag":"note","payload":{"card":"4242 4242 4242 4242"}},"timestamp":2}]\n' >in.json
"$VEIL" mask --report report.json <in.json >out 2>err
check "veil mask exits 0" test $? -eq 0
check "card number masked" contains out '"card":"**** **** **** ****"'
check "IP in URL truncated" contains out 'ip=10.1.0.0'
check "report counts the card outside a field" contains report.json '"card_elsewhere": 1'
check "report raises the alert" contains report.json '"alert": true'
"$VEIL" mask --ip-octets 0 <in.json >out 2>err
check "--ip-octets 0 keeps the IP" contains out 'ip=10.1.2.3'
printf '{"type":3,"data":{"source":0,"texts":[]},"timestamp":1}\n{"type":5,"data":{"tag":"x","payload":"mail a.b@example.org"},"timestamp":2}\n' >in.jsonl
"$VEIL" mask <in.jsonl >out 2>err
check "JSON Lines in, JSON Lines out" test "$(wc -l <out)" -eq 2
check "email masked in JSON Lines" contains out 'mail *.*@*******.***'
"$VEIL" mask --record-pii <in.jsonl >out 2>err
check "--record-pii keeps the email" contains out 'a.b@example.org'
printf '[{"type":3,"data":{"source":0,"texts":[{"id":1,"value":"4242424242424242"}]},"timestamp":1},}]' >broken.json
"$VEIL" mask <broken.json >out 2>err
check "malformed JSON exits 1" test $? -eq 1
check "malformed JSON error gives the byte offset" contains err "at byte 92"
check "nothing unmasked written before the error" lacks out '4242424242424242'
printf '[{"type":3,"data":{"source":5,"text":"4242424242424242","id":9},"timestamp":1},\n{"type":3}\n' >cut.json
"$VEIL" mask <cut.json >out 2>err
check "an array cut short exits 1" test $? -eq 1
check "an array cut short says so, with the offset" contains err "ends before the array's closing ']' (byte 91)"
check "events before the cut are written masked" sh -c "grep -q '\"source\":5' out && ! grep -q 4242424242424242 out"
printf '[{"type":3,"data":{"source":5,"text":"x","id":9},"timestamp":1}] trailing' >trail.json
"$VEIL" mask <trail.json >out 2>err
check "data after the array exits 1 with its offset" sh -c "test $? -eq 1 && grep -q 'after the array at byte 65' err"
printf '\n  \n' | "$VEIL" mask >out 2>err
check "blank input says what to pipe" contains err "no events on stdin"
printf '\357\273\277[{"type":5,"data":{"tag":"x","payload":"4242 4242 4242 4242"},"timestamp":2}]\r\n' >bom.json
"$VEIL" mask <bom.json >out 2>err
check "a file that starts with a UTF-8 byte order mark masks" sh -c "test $? -eq 0 && grep -q '\*\*\*\* \*\*\*\*' out && ! grep -q 4242 out"
# one event pretty-printed over many lines (as jq writes it), then one per line
printf '{\n  "type": 5,\n  "data": {\n    "tag": "x",\n    "payload": "4242 4242 4242 4242"\n  },\n  "timestamp": 2\n}\n{"type":5,"data":{"tag":"y","payload":"a.b@example.org"},"timestamp":3}\n' >pretty.json
"$VEIL" mask <pretty.json >out 2>err
check "an event pretty-printed over many lines masks" sh -c "test $? -eq 0 && grep -q '\"payload\": \"\*\*\*\* \*\*\*\*' out && test \$(wc -l <out) -eq 9"
check "and the event on one line after it too" contains out '*.*@*******.***'
printf '{"type":5,"data":{},"timestamp":3}\n{"type":5,"data":{"tag":"x","payload":"4242 4242 4242 4242"' | "$VEIL" mask >out 2>err
check "an event cut short after a whole one says where it starts" sh -c "test $? -eq 1 && grep -q 'ends inside the event that starts at byte 35' err && grep -q 'timestamp\":3}' out"
printf '{"type":5,"data":{"tag":"x","payload":"4242 4242 4242 4242"},"timestamp":2}' | "$VEIL" mask >out 2>err
check "a last line without a newline is masked, and stays without one" sh -c "grep -q '\\*\\*\\*\\* \\*\\*\\*\\*' out && test \"\$(tail -c 1 out | od -An -c | tr -d ' ')\" = '}'"
if [ -f "$FIXTURES/rust-book-scroll.json" ]; then
    "$VEIL" mask <"$FIXTURES/rust-book-scroll.json" >out 2>err
    check "8.6 MB real recording masks" test $? -eq 0 -a -s out
    cat "$FIXTURES/rust-book-scroll.json" | "$VEIL" mask >piped 2>err
    check "a pipe and a file mask the same" cmp -s out piped
    # 24 copies of the recording's events in one array (~200 MB), read from a
    # pipe with the address space capped far below that: only a reader that
    # streams gets through.
    python3 -c '
import sys
events = open(sys.argv[1], "rb").read().strip()[1:-1]
sys.stdout.buffer.write(b"[" + b",\n".join([events] * 24) + b"]\n")' "$FIXTURES/rust-book-scroll.json" >big.json
    big=$(stat -c %s big.json)
    limit=400000 # KB; AddressSanitizer reserves terabytes of address space
    ldd "$VEIL" | grep -q libasan && limit=unlimited
    (ulimit -v $limit && cat big.json | "$VEIL" mask >big.out 2>err)
    check "a 200 MB recording masks through a pipe in bounded memory" \
        test $? -eq 0 -a "$(stat -c %s big.out)" -eq "$big"
    (ulimit -v $limit && "$VEIL" mask <big.json >big2.out 2>err)
    check "and from a file the same" cmp -s big.out big2.out
    rm -f big.json big.out big2.out
    # The same events as an array and as JSON Lines, cut into batches and
    # buffers at different places, mask the same.
    python3 -c '
import json, sys
events = [json.dumps(e, separators=(",", ":")) for e in json.load(open(sys.argv[1]))] * 6
open("events.json", "w").write("[" + ",\n".join(events) + "]\n")
open("events.jsonl", "w").write("\n".join(events) + "\n")' "$FIXTURES/rust-book-scroll.json"
    "$VEIL" mask <events.json >array.out 2>err
    "$VEIL" mask <events.jsonl >lines.out 2>err
    check "an array and JSON Lines of the same events mask the same" \
        sh -c "{ head -c -2 array.out | tail -c +2 | sed 's/},\$/}/'; echo; } | cmp -s - lines.out"
    rm -f events.json events.jsonl array.out lines.out
fi
# Events of 40 MB, read from a file faster than they are masked: the
# reader keeps its buffers within 64 MB, waiting for the masker to give
# them back, rather than hold a buffer of 64 MB per event queued (peak
# memory: 105 MB; 138 MB when a buffer may grow past the budget, 210 MB
# when new buffers may too).
python3 -c '
import sys
event = b"{\"type\":5,\"data\":{\"tag\":\"note\",\"payload\":\"" + b"x" * (40 << 20) + b" 4242 4242 4242 4242\"},\"timestamp\":1}"
sys.stdout.buffer.write(b"[" + b",".join([event] * 6) + b"]")' >huge.json
python3 - "$VEIL" <<'EOF' >huge.rss
import resource, subprocess, sys
with open("huge.json", "rb") as i, open("huge.out", "wb") as o:
    rc = subprocess.run([sys.argv[1], "mask"], stdin=i, stdout=o).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
EOF
check "six events of 40 MB are masked" \
    sh -c "test \$(grep -o '\*\*\*\* \*\*\*\* \*\*\*\* \*\*\*\*' huge.out | wc -l) -eq 6 && ! grep -q 4242 huge.out"
if ! ldd "$VEIL" | grep -q libasan; then # (AddressSanitizer keeps freed memory a while)
    check "in under 125 MB of memory" awk '$1 == 0 && $2 < 125 { ok = 1 } END { exit !ok }' huge.rss
fi
rm -f huge.json huge.out huge.rss

# veil mask opens no database: RocksDB's and Ceph's libraries, 40 ms of a
# start before they were loaded on first use, stay out of it.
(sleep 2; printf '[]') | "$VEIL" mask >/dev/null 2>&1 &
mask_pid=$!
sleep 0.5
check "veil mask runs without RocksDB's and Ceph's libraries loaded" \
    sh -c "grep -q libsodium /proc/$mask_pid/maps && ! grep -qE 'librocksdb|librados' /proc/$mask_pid/maps"
wait $mask_pid

# --- veil serve --------------------------------------------------------------
serve_conf() {
    printf '[server]\ningest_port = %s\nconsole_port = %s\nstate_dir = st\n[store]\ndata_dir = st/data\nkeys_dir = st/keys\n' \
        "$1" "$2" >serve.conf
}
start_serve serve_conf --config serve.conf
check "serve listens on both ports" sh -c "ss -ltn | grep -q ':$console ' && ss -ltn | grep -q ':$ingest '"
check "serve binds only the configured address" sh -c "ss -ltn | grep -q '127.0.0.1:$ingest ' && ! ss -ltn | grep -q '\\*:$ingest '"
check "self-signed certificate created" test -s st/tls/cert.pem -a -s st/tls/key.pem
check "private key is not world-readable" test "$(stat -c %a st/tls/key.pem)" = 600
check "data and keys directories are apart" test -d st/data -a -d st/keys
check "serve warns that the root key sits beside the data" contains serve.err "sits in the state directory"
curl -sk --max-time 5 "https://127.0.0.1:$console/healthz" >health 2>/dev/null
check "console answers over TLS" contains health '"status":"ok"'
curl -s --max-time 5 "http://127.0.0.1:$console/healthz" >plain 2>/dev/null
plain_rc=$? # 7 would be "connection refused": then nothing was listening to refuse it
check "console refuses plain HTTP" test ! -s plain -a $plain_rc -ne 0 -a $plain_rc -ne 7
check "and keeps serving after it" kill -0 "$server_pid"
upgrade() { # upgrade SITE ORIGIN: the ingest's answer to a WebSocket upgrade
    curl -sk --max-time 3 -i -N --http1.1 -H "Connection: Upgrade" -H "Upgrade: websocket" \
        -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
        -H "Sec-WebSocket-Protocol: veil.v1" -H "Origin: $2" "https://127.0.0.1:$ingest/?site=$1" 2>/dev/null
}
upgrade demo-site-key "https://127.0.0.1:$ingest" >ws
check "the demo site's own page may record: ingest upgrades to veil.v1" contains ws "101"
upgrade demo-site-key "https://evil.example" >ws
check "another origin may not (403)" contains ws "403"
curl -sk --max-time 5 "https://127.0.0.1:$ingest/demo" >demo 2>/dev/null
check "the demo page carries the snippet tag for the demo site" contains demo 'data-veil-site='"'"'demo-site-key'"'"
check "serve prints the demo page" contains serve.out "demo page https://127.0.0.1:$ingest/demo"
kill -TERM "$server_pid"
wait "$server_pid"
check "serve stops cleanly on SIGTERM" test $? -eq 0
server_pid=

finish "cli"
