#!/bin/sh
# ceph-test-cluster.sh start DIR | stop DIR - a throwaway single-node Ceph
# cluster for the tests and benchmarks: one mon and one memstore OSD on
# 127.0.0.1, no systemd, everything inside DIR. Two pools, each with its own
# cephx client whose caps cover that pool only:
#   veil-data  client.veil-data   (sessions, indexes, alerts, console)
#   veil-keys  client.veil-keys   (wrapped data keys and the keyring)
# plus client.admin. `start` prints nothing but errors and leaves
# DIR/ceph.conf and DIR/<client>.keyring for librados; `stop` kills exactly
# this cluster's daemons and removes DIR. Recipe and the settings that
# matter: docs/scale-out.md ("Test cluster").
set -eu
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

stop_cluster() {
    [ -d "$dir/run" ] || {
        rm -rf "$dir"
        return 0
    }
    for pidfile in "$dir"/run/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # Only a process whose command line names this cluster's conf.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$dir/ceph.conf"; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$dir"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_cluster() {
    [ ! -e "$dir" ] || {
        echo "ceph-test-cluster: $dir already exists" >&2
        exit 1
    }
    mkdir -p "$dir/run" "$dir/log" "$dir/osd0"
    dir=$(cd "$dir" && pwd)
    fsid=$(cat /proc/sys/kernel/random/uuid)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    port=$(free_port)
    cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$port]
mon initial members = a
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/\$name.keyring
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
ms bind msgr1 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
paxos propose interval = 0.01
osd objectstore = memstore
memstore device bytes = 2147483648
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd0
EOF
    # Every key in one initial keyring, imported by the mon's mkfs.
    ring=$dir/initial.keyring
    ceph-authtool --create-keyring "$ring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    add_key() { # name, then caps as pairs
        name=$1
        shift
        ceph-authtool "$ring" --gen-key -n "$name" "$@" >/dev/null
        {
            echo "[$name]"
            echo "    key = $(ceph-authtool "$ring" --print-key -n "$name")"
        } >"$dir/$name.keyring"
    }
    add_key client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
    add_key osd.0 --cap mon 'allow profile osd' --cap osd 'allow *'
    # `x` so object classes (cls_lock) work; neither client reaches the other pool.
    add_key client.veil-data --cap mon 'allow r' --cap osd 'allow rwx pool=veil-data'
    add_key client.veil-keys --cap mon 'allow r' --cap osd 'allow rwx pool=veil-keys'

    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$dir/monmap" >/dev/null
    log=$dir/log/start.log
    ceph-mon -c "$dir/ceph.conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$ring" >>"$log" 2>&1
    ceph-mon -c "$dir/ceph.conf" -i a >>"$log" 2>&1
    ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$log" 2>&1
    # One CLI process for all commands: each start of the Python CLI costs ~0.3 s.
    ceph -c "$dir/ceph.conf" -n client.admin >/dev/null 2>"$dir/log/cli.log" <<EOF
osd new $osd_uuid 0
osd pool create veil-data 8 8
osd pool application enable veil-data veil
osd pool create veil-keys 8 8
osd pool application enable veil-keys veil
EOF
    ceph-osd -c "$dir/ceph.conf" -i 0 >>"$log" 2>&1
    for client in veil-data veil-keys; do
        tries=0
        until echo ok | rados -c "$dir/ceph.conf" -n "client.$client" -p "$client" put probe - 2>/dev/null; do
            tries=$((tries + 1))
            [ $tries -lt 300 ] || {
                echo "ceph-test-cluster: pool $client never took a write (logs in $dir/log)" >&2
                exit 1
            }
            sleep 0.1
        done
        rados -c "$dir/ceph.conf" -n "client.$client" -p "$client" rm probe
    done
}

case $cmd in
start) start_cluster ;;
stop) stop_cluster ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
