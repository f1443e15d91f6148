#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after another, at the lowest
# priority and as one process at a time: on nightly with AddressSanitizer when the machine has
# a nightly toolchain, else on stable without a sanitizer (`-s none`). Debug assertions are on
# (`-a`), so that an arithmetic overflow is a finding too.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Seeds are read from fuzz/corpus/<target> (committed; see seed_corpus.py) and what the fuzzer
# finds new goes to fuzz/work/<target> (not committed), crashes to fuzz/artifacts/<target>, the
# whole output to fuzz/logs/<target>.log. Prints per target the runs executed, coverage, corpus
# size and crashes; exits non-zero when a target crashed.
set -u
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
    sanitizer=()
    mode="nightly, address sanitizer"
else
    toolchain=()
    sanitizer=(-s none)
    mode="stable, no sanitizer"
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi

mkdir -p fuzz/logs
failed=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/work/$target" "fuzz/artifacts/$target" "fuzz/corpus/$target"
    log="fuzz/logs/$target.log"
    before=$(find "fuzz/artifacts/$target" -type f | wc -l)
    echo "== $target: ${seconds}s ($mode)"
    nice -n 19 cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" -a "$target" \
        "fuzz/work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1
    status=$?
    after=$(find "fuzz/artifacts/$target" -type f | wc -l)
    crashes=$((after - before))
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | awk '{print $2}')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | awk '{print $2}')
    corpus=$(grep -o 'corp: [0-9]*/[0-9A-Za-z]*' <<<"$last" | awk '{print $2}')
    line="$target: seconds=$seconds execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corpus:-?} crashes=$crashes exit=$status"
    echo "$line"
    summary+=("$line")
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        grep -E "panicked|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -5
    fi
done

echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(cargo "${toolchain[@]}" --version 2>/dev/null))"
printf '%s\n' "${summary[@]}"
exit $failed
