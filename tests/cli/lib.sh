# lib.sh - what the CLI test scripts share. Source it with the veil binary as
# $1: it sets VEIL and FIXTURES, moves into a fresh directory that is removed
# on exit (after stopping $server_pid and running on_exit, when set), and
# defines the check helpers. The script ends with `finish NAME`.
VEIL=$(realpath "$1")
FIXTURES=$(realpath "$(dirname "$0")/../../../shared/fixtures" 2>/dev/null || true)
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    command -v on_exit >/dev/null && on_exit
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

passed=0 failed=0
check() { # check NAME CONDITION...
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok - $name"
    else
        failed=$((failed + 1))
        echo "not ok - $name"
    fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# A port nothing listens on, below the kernel's ephemeral range (32768 and
# up), where the Python tests' servers and every client socket get theirs.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        ss -ltn | grep -q ":$p " || { echo $p; return; }
    done
}

# start_serve WRITE_CONF [ARGS...]: picks two free ports, has WRITE_CONF
# INGEST CONSOLE write the configuration, starts `veil serve ARGS` (output in
# serve.out and serve.err) and waits until both ports listen. Another test
# may take a port between the pick and the bind, and serve then exits ("is
# the port in use?"): it tries other ports. Sets ingest, console, server_pid.
start_serve() {
    local write=$1 attempt
    shift
    for attempt in 1 2 3 4 5; do
        ingest=$(free_port)
        console=$(free_port)
        [ "$ingest" != "$console" ] || continue
        "$write" "$ingest" "$console"
        "$VEIL" serve "$@" >serve.out 2>serve.err &
        server_pid=$!
        for _ in $(seq 1 100); do
            ss -ltn | grep -q ":$console " && ss -ltn | grep -q ":$ingest " && return 0
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$server_pid" 2>/dev/null && return 0 # slow to start: the checks tell
        wait "$server_pid"
        server_pid=
        grep -q "port in use" serve.err || return 1
    done
    return 1
}

finish() { # finish NAME: the summary line and the exit status
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
