#!/usr/bin/env bash
# The overhead of sharding a study on one machine: N shards run one after another plus the merge,
# against one unsharded run (same --jobs). Not part of CI (it takes minutes); prints one table.
#
#   ci/slurm/overhead.sh [STUDY] [N]     # default studies/conditioning.toml, 4 shards
#
# Times: T1 the unsharded run; S the N shard runs' total; M the merge; P the N shards rerun with
# --resume once every run is finished (parse, validate, set up instances and outputs, run
# nothing); F the unsharded study rerun likewise (prepare + the final spectra, summary and plots,
# which the merge redoes in its place). Overhead, measured directly: (S + M - T1) / T1; from its
# parts, less sensitive to a loaded machine: ((N-1)/N * P + M - F) / T1 (the extra prepares, and
# the merge beyond the unsharded run's own finalisation). CURVLAB names the binary (default
# target/release/curvlab, built if missing); CURVLAB_JOBS the --jobs of every run (default 2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
STUDY="${1:-studies/conditioning.toml}"
N="${2:-4}"
JOBS="${CURVLAB_JOBS:-2}"
if [ -z "${CURVLAB:-}" ]; then
    cargo build --release --quiet --bin curvlab
    CURVLAB="$ROOT/target/release/curvlab"
fi
D="$(mktemp -d)"
trap 'rm -rf "$D"' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t=$(now)
"$CURVLAB" study "$STUDY" --out "$D/whole" --jobs "$JOBS" --quiet
t1=$(since "$t")
t=$(now)
for i in $(seq 0 $((N - 1))); do
    "$CURVLAB" study "$STUDY" --out "$D/shard-$i" --jobs "$JOBS" --quiet --shard "$i/$N"
done
s=$(since "$t")
t=$(now)
"$CURVLAB" merge "$D"/shard-* --out "$D/merged" 2>/dev/null
m=$(since "$t")
t=$(now)
for i in $(seq 0 $((N - 1))); do
    "$CURVLAB" study "$STUDY" --out "$D/shard-$i" --jobs "$JOBS" --quiet --shard "$i/$N" --resume
done
p=$(since "$t")
t=$(now)
"$CURVLAB" study "$STUDY" --out "$D/whole" --jobs "$JOBS" --quiet --resume
f=$(since "$t")
awk -v t1="$t1" -v s="$s" -v m="$m" -v p="$p" -v f="$f" -v n="$N" -v jobs="$JOBS" -v study="$STUDY" 'BEGIN {
    printf "%s, %d shards, --jobs %s: T1 = %.2f s, S = %.2f s, M = %.2f s, P = %.2f s, F = %.2f s\n", study, n, jobs, t1, s, m, p, f
    printf "overhead: direct (S + M - T1) / T1 = %.1f%%; from parts ((N-1)/N P + M - F) / T1 = %.1f%%\n", 100 * (s + m - t1) / t1, 100 * ((n - 1) / n * p + m - f) / t1
}'
