#!/usr/bin/env bash
# Compares the outputs of a sharded + merged study with those of an unsharded run:
#
#   ci/slurm/compare.sh REF_DIR GOT_DIR      # exit 0 when equal, 1 with the differences
#   source ci/slurm/compare.sh               # functions only
#
# - runs.csv: byte for byte once the `seconds` column (wall time of each run) is removed. The
#   rows come from the runs' records, which merge copies byte for byte.
# - summary.md: with the quoted times masked (the `seconds` cell of each per-method table, the
#   "by time **X** (T s)" winner, and the "By time X wins instead: ..." sentence, removed, since
#   it appears only when the time winner differs from the iteration winner), then equal up to the printed precision: every number within a relative
#   1e-3 (summary.md prints 4 significant digits), all text between the numbers identical.
# - spectra.json: with the `"seconds"` values (time of each eigensolve) masked, every number
#   within a relative 1e-9, all text between them identical.
#
# Why not byte for byte for the last two: `curvlab study` runs faer single-threaded, while
# `curvlab merge` recomputes the spectra with faer's default parallelism, so the eigenvalues
# differ in the last bits (issue #19; measured on ci/slurm/smoke.toml: largest relative
# difference 2e-12 against the tolerance 1e-9), and a κ of 1e5 may print as `1.000e5` on one side and `100000` on the
# other. Each comparison says whether the files were identical or equal within the tolerance,
# with the largest relative difference it saw.

# Prints FILE without the `seconds` column (found by name in the header).
drop_seconds_column() {
    awk -F, -v OFS=, '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i
                  if (!c) { print "runs.csv has no seconds column" > "/dev/stderr"; exit 1 } }
        { out = ""; for (i = 1; i <= NF; i++) if (i != c) out = out (out == "" && i == 1 ? "" : OFS) $i
          print out }' "$1"
}

# Prints summary.md with the times it quotes masked.
mask_summary_times() {
    sed -E \
        -e 's/; by time \*\*([^*]|\\\*)*\*\* \([^ )]* s\)\./; by time <masked>./' \
        -e 's/ By time \*\*([^*]|\\\*)*\*\* \([^)]* s\)\.//' \
        -e 's/ No winner by time: .* and 1 ms\)\.//' \
        -e "s/ By time .* wins instead: each of its iterations costs [^ ]* less than one of .*'s, which outweighs its [^ ]* more iterations\.//" \
        "$1" |
        awk '
            /^\| method \| (converged|verdict) \| iterations \| seconds \|/ { t = 1; print; next }
            t && /^\|---/ { print; next }
            t && /^\| / { n = split($0, c, / \| /); c[4] = "<s>"; out = c[1]
                          for (i = 2; i <= n; i++) out = out " | " c[i]
                          print out; next }
            { t = 0; print }'
}

# Prints spectra.json with the time of each eigensolve masked.
mask_spectra_times() {
    sed -E 's/^( *"seconds": )[-+0-9.eE]+/\1"<masked>"/' "$1"
}

# numbers_within A B RELTOL NAME: A and B are equal except for numbers, which may differ by
# RELTOL relative to the larger magnitude. Prints the largest relative difference.
numbers_within() {
    awk -v rtol="$3" -v name="$4" '
        function split_nums(s, parts,    n, re) {
            re = "-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?"
            n = 0
            while (match(s, re)) {
                parts[++n] = "T" substr(s, 1, RSTART - 1)
                parts[++n] = "N" substr(s, RSTART, RLENGTH)
                s = substr(s, RSTART + RLENGTH)
            }
            parts[++n] = "T" s
            return n
        }
        function abs(x) { return x < 0 ? -x : x }
        BEGIN { worst = 0; bad = 0 }
        FNR == NR { a[FNR] = $0; na = FNR; next }
        {
            nb = FNR
            if (!(FNR in a)) { bad = 1; print name ": extra line " FNR ": " $0 > "/dev/stderr"; next }
            if (a[FNR] == $0) next
            n1 = split_nums(a[FNR], p); n2 = split_nums($0, q)
            if (n1 != n2) { bad = 1; print name ":" FNR ": -" a[FNR] "\n" name ":" FNR ": +" $0 > "/dev/stderr"; next }
            for (i = 1; i <= n1; i++) {
                if (substr(p[i], 1, 1) == "T" || substr(q[i], 1, 1) == "T") {
                    if (p[i] != q[i]) { bad = 1; print name ":" FNR ": text differs: \"" p[i] "\" vs \"" q[i] "\"" > "/dev/stderr" }
                    continue
                }
                x = substr(p[i], 2) + 0; y = substr(q[i], 2) + 0
                m = abs(x) > abs(y) ? abs(x) : abs(y)
                d = m > 0 ? abs(x - y) / m : 0
                if (d > worst) worst = d
                if (d > rtol) { bad = 1; print name ":" FNR ": " substr(p[i], 2) " vs " substr(q[i], 2) " (relative " d " > " rtol ")" > "/dev/stderr" }
            }
        }
        END {
            if (na != nb) { bad = 1; print name ": " na " vs " nb " lines" > "/dev/stderr" }
            printf "%s: %s relative %s (largest relative difference %.2g)\n", name,
                bad ? "DIFFERS beyond" : "equal within", rtol, worst
            exit bad
        }' "$1" "$2"
}

# compare_outputs REF GOT: all three files; returns 1 on any difference.
compare_outputs() {
    local ref="$1" got="$2" status=0 f
    for f in runs.csv summary.md spectra.json; do
        [ -f "$ref/$f" ] && [ -f "$got/$f" ] || { echo "missing $f in $ref or $got" >&2; return 1; }
    done
    if cmp -s <(drop_seconds_column "$ref/runs.csv") <(drop_seconds_column "$got/runs.csv"); then
        echo "runs.csv: identical without the seconds column ($(($(wc -l <"$got/runs.csv") - 1)) rows)"
    else
        echo "runs.csv: DIFFERS (seconds column removed):" >&2
        diff <(drop_seconds_column "$ref/runs.csv") <(drop_seconds_column "$got/runs.csv") | head -20 >&2 || true
        status=1
    fi
    if cmp -s <(mask_spectra_times "$ref/spectra.json") <(mask_spectra_times "$got/spectra.json"); then
        echo "spectra.json: identical with the times masked"
    else
        numbers_within <(mask_spectra_times "$ref/spectra.json") <(mask_spectra_times "$got/spectra.json") \
            1e-9 "spectra.json (times masked)" || status=1
    fi
    if cmp -s <(mask_summary_times "$ref/summary.md") <(mask_summary_times "$got/summary.md"); then
        echo "summary.md: identical with the times masked"
    else
        numbers_within <(mask_summary_times "$ref/summary.md") <(mask_summary_times "$got/summary.md") \
            1e-3 "summary.md (times masked)" || status=1
    fi
    return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ $# -eq 2 ] || { echo "usage: ci/slurm/compare.sh REF_DIR GOT_DIR" >&2; exit 2; }
    compare_outputs "$1" "$2"
fi
