#!/usr/bin/env bash
# Runs curvlab's fuzz targets (cargo-fuzz / libFuzzer) on the stable toolchain.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]     default: 60 s each, every target
#   fuzz/run.sh 600                                   the 10-minute-per-target manual run
#
# Nightly toolchains cannot be fetched here, so the sanitizer flags cargo-fuzz passes are
# accepted with RUSTC_BOOTSTRAP=1. Seeds come from fuzz/corpus/<target>/ (committed, never
# written) and fuzz/regressions/<target>/ (every crash found, kept as a regression test that
# `cargo test --test fuzz_regressions` runs); new inputs go to target/fuzz-corpus/<target>/.
# Limits per input: 10 s, 4 GiB RSS, 1 MiB. Exit 1 if any target found a crash, an
# out-of-memory or a timeout (its input is in fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build --release
status=0
total=0
for t in "${targets[@]}"; do
    work="../target/fuzz-corpus/$t"
    mkdir -p "$work" "corpus/$t" "regressions/$t"
    log="../target/fuzz-$t.log"
    if cargo fuzz run --release "$t" "$work" "corpus/$t" "regressions/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=1048576 \
        -print_final_stats=1 >"$log" 2>&1; then
        result="0 crashes"
    else
        result="FAILED (see $log and fuzz/artifacts/$t/)"
        status=1
        grep -E "^==[0-9]+==|panicked|ERROR: libFuzzer|SUMMARY" "$log" | head -20 || true
    fi
    execs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)"
    execs="${execs:-0}"
    total=$((total + execs))
    echo "fuzz: $t: $execs executions in ${secs} s, $result"
done
echo "fuzz: ${#targets[@]} targets, $total executions in all"
exit "$status"
