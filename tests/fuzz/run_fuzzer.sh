#!/bin/sh
# run_fuzzer.sh FUZZER SEEDS SECONDS - a bounded libFuzzer run that never
# writes into the seed folder: new corpus entries go to a temporary one.
set -e
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# libFuzzer exits 77 on a finding by default, which meson counts as a skip:
# a crash must fail the test. An input that runs 10 s is a hang: it fails
# with its reproducer, rather than stalling the run until meson kills it.
"$1" -max_total_time="$3" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -timeout=10 -error_exitcode=1 -timeout_exitcode=1 "$corpus" "$2"
