#!/usr/bin/env bash
# test_disk_full.sh VEIL - a store on a disk that fills up: the import that
# does not fit fails with a clear error, so does a write on a disk with not
# a byte left, and every session stored before them still reads back. Needs
# a small tmpfs, so root; exits 77 (skipped) when mounting is not allowed here.
set -u
. "$(dirname "$0")/lib.sh"
on_exit() { mountpoint -q "$work/st" && umount "$work/st"; }
mkdir st
if ! mount -t tmpfs -o size=24m tmpfs st 2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs here (not root?)"
    exit 77
fi
printf '[server]\nstate_dir = st\n' >veil.conf
python3 - <<'PY'
import base64, json, os
def session(n, pad):
    ev = [{"type": 4, "data": {"href": "https://shop.example/", "width": 1, "height": 1}, "timestamp": 1700000000000}]
    for i in range(n):
        # incompressible text, so the bytes reach the disk
        text = base64.b64encode(os.urandom(pad * 3 // 4)).decode()
        ev.append({"type": 5, "data": {"tag": "blob", "payload": {"text": text}},
                   "timestamp": 1700000000001 + i})
    return ev
json.dump(session(20, 200), open("small.json", "w"))
json.dump(session(2000, 20000), open("big.json", "w"))
PY
"$VEIL" import --site demo --session small small.json >out 2>err
check "a small session fits" test $? -eq 0
"$VEIL" export small >before.json
"$VEIL" import --site demo --session big big.json >out 2>err
rc=$?
check "the import that does not fit exits 1" test $rc -eq 1
check "and says the disk is full" grep -q "disk full" err
sed 's/^/# /' err
dd if=/dev/zero of=st/filler bs=64k 2>/dev/null # not a byte left
"$VEIL" import --site demo --session more small.json >out 2>err
rc=$?
check "with not a byte left, a command that writes exits 1" test $rc -eq 1
check "and says the disk is full" grep -q "disk full" err
sed 's/^/# /' err
rm -f st/filler
"$VEIL" export small >after.json 2>err
check "the session stored before still reads back" cmp -s before.json after.json
"$VEIL" sessions >list 2>&1
check "the store still opens and lists" grep -q small list
finish "disk full"
