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

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        ss -ltn | grep -q ":$p " || { echo $p; return; }
    done
}

finish() { # finish NAME: the summary line and the exit status
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
