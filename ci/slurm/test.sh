#!/usr/bin/env bash
# Integration test of curvlab's cluster path on a real one-node Slurm cluster (ci/slurm/cluster.sh):
# studies/sbatch_array.sh runs ci/slurm/smoke.toml (36 short deterministic runs) as job arrays,
# `curvlab merge` runs as a dependent job, and the merged runs.csv, spectra.json and summary.md
# must equal those of an unsharded local run (ci/slurm/compare.sh says what is masked: times).
#
#   ci/slurm/test.sh          # exit 0 = pass (or a loud SKIP when Slurm cannot be installed)
#
# Scenarios (the test cluster has MaxArraySize=3):
#   A. by hand, as the README shows: one array `sbatch --array=0-2` + `--dependency=afterok`
#      merge; and `--array=0-3` is refused by the cluster (so 4 shards need splitting).
#   B. `studies/sbatch_array.sh --submit 4`: 4 shards split into arrays 0-2 (offset 0) and 0-0
#      (offset 3), each task's slice read from the environment, merge after both.
#   C. task 1 of `--array=0-2` cancelled with scancel after its first finished run, resubmitted
#      alone (`--array=1`, CURVLAB_SHARD_COUNT=3, --resume); the records written before the kill
#      are untouched, the resumed task runs exactly the rest, the merge equals the reference.
#
# Environment: CURVLAB (binary; default: cargo build --release, target/release/curvlab),
# CURVLAB_SLURM_TEST_TIMEOUT (whole-script bound in seconds, default 900), CURVLAB_SLURM_KEEP=1
# (keep the temporary folder with the cluster's logs and every job's output).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ -z "${CURVLAB_SLURM_TEST_BOUNDED:-}" ]; then
    export CURVLAB_SLURM_TEST_BOUNDED=1
    exec timeout --kill-after=30 "${CURVLAB_SLURM_TEST_TIMEOUT:-900}" bash "$0" "$@"
fi
# shellcheck source=ci/slurm/cluster.sh
source ci/slurm/cluster.sh
# shellcheck source=ci/slurm/compare.sh
source ci/slurm/compare.sh

STUDY=ci/slurm/smoke.toml
RUNS=36 # runs in $STUDY: 3 instances x 4 methods x 3 seeds

say() { echo "slurm test: $*"; }
fail() {
    echo "FAIL: slurm test: $*" >&2
    if [ -n "${SLURM_TMP:-}" ]; then
        slurm_logs
        local f
        for f in "$W"/*/*.out; do
            [ -f "$f" ] && { echo "---- $f" >&2; tail -5 "$f" >&2; }
        done
    fi
    exit 1
}

if ! slurm_install; then
    echo "################################################################" >&2
    echo "SKIP: Slurm integration test (ci/slurm/test.sh) NOT RUN: $SLURM_SKIP_REASON" >&2
    echo "################################################################" >&2
    exit 0
fi

if [ -z "${CURVLAB:-}" ]; then
    cargo build --release --quiet --bin curvlab
    CURVLAB="$ROOT/target/release/curvlab"
fi
export CURVLAB

trap slurm_stop EXIT
trap 'exit 143' INT TERM
slurm_start || fail "the one-node cluster did not start"
W="$SLURM_TMP/work"
mkdir -p "$W"/{a,b,c}

# The states of a job's tasks (one per line; an array gives one line per task).
states() { scontrol -o show job "$1" 2>/dev/null | sed -nE 's/.*JobState=([A-Z_]+).*/\1/p'; }

# wait_job JOBID SECONDS: waits until every task ended; succeeds when all COMPLETED.
wait_job() {
    local deadline=$((SECONDS + $2)) s
    while [ "$SECONDS" -lt "$deadline" ]; do
        s="$(states "$1")"
        if [ -n "$s" ] && ! grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|RESIZING|SUSPENDED' <<<"$s"; then
            [ -z "$(grep -v '^COMPLETED$' <<<"$s")" ] && return 0
            fail "job $1 ended as: $(sort <<<"$s" | uniq -c | tr '\n' ' ')"
        fi
        if scontrol -o show job "$1" 2>/dev/null | grep -q 'Reason=DependencyNeverSatisfied'; then
            fail "job $1: dependency never satisfied"
        fi
        sleep 0.5
    done
    fail "job $1 not finished after $2 s (states: $(tr '\n' ' ' <<<"$s"))"
}

# Run ids present in a folder's runs/ (one per line, sorted).
records() { find "$1/runs" -name '*.json' -printf '%f\n' 2>/dev/null | sed 's/\.json$//' | sort; }

check_merged() { # check_merged DIR: equals the reference, $RUNS distinct runs
    local rows ids
    rows=$(($(wc -l <"$1/runs.csv") - 1))
    ids="$(tail -n +2 "$1/runs.csv" | cut -d, -f1 | sort -u | wc -l)"
    [ "$rows" = "$RUNS" ] && [ "$ids" = "$RUNS" ] || fail "$1/runs.csv: $rows rows, $ids distinct run ids, want $RUNS"
    compare_outputs "$W/ref" "$1" || fail "$1 differs from the unsharded run"
}

# Reference: the unsharded study, locally.
t0=$SECONDS
"$CURVLAB" study "$STUDY" --out "$W/ref" --jobs 2 --quiet
say "unsharded reference: $(($(wc -l <"$W/ref/runs.csv") - 1)) runs in $((SECONDS - t0)) s"

# A. By hand, as in the README.
if sbatch --parsable --array=0-3 --cpus-per-task=1 --wrap true >/dev/null 2>"$W/refused.txt"; then
    fail "sbatch --array=0-3 was accepted although MaxArraySize=3"
fi
say "A: --array=0-3 refused by the cluster: $(head -1 "$W/refused.txt")"
jid=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --output="$W/a/slurm-%A_%a.out" \
    studies/sbatch_array.sh "$STUDY" "$W/a")
mjid=$(sbatch --parsable --dependency=afterok:"$jid" --output="$W/a/merge-%j.out" \
    --wrap "$CURVLAB merge $W/a/shard-* --out $W/a")
wait_job "$jid" 300
wait_job "$mjid" 120
for i in 0 1 2; do
    [ "$(cat "$W/a/shard-$i/shard.txt")" = "$i/3" ] || fail "A: shard-$i/shard.txt is not $i/3"
done
say "A: array $jid (3 tasks) + merge $mjid:"
check_merged "$W/a"

# B. --submit 4: split at MaxArraySize=3.
bash studies/sbatch_array.sh --submit 4 "$STUDY" "$W/b" -- --cpus-per-task=1 \
    --output="$W/b/slurm-%A_%a.out" >"$W/jobs-b.txt"
arrays="$(awk '$1 == "array" {print $3 "+" $4}' "$W/jobs-b.txt" | tr '\n' ' ')"
[ "$arrays" = "0+3 3+1 " ] || fail "B: want arrays offset 0 x 3 tasks and offset 3 x 1 task, got '$arrays'"
for j in $(awk '$1 == "array" {print $2}' "$W/jobs-b.txt"); do wait_job "$j" 300; done
wait_job "$(awk '$1 == "merge" {print $2}' "$W/jobs-b.txt")" 120
for i in 0 1 2 3; do
    [ "$(cat "$W/b/shard-$i/shard.txt")" = "$i/4" ] || fail "B: shard-$i/shard.txt is not $i/4"
    grep -q "shard $i/4 from SLURM_ARRAY_TASK_ID" "$W"/b/slurm-*.out || fail "B: no task says shard $i/4"
done
say "B: $(tr '\n' ' ' <"$W/jobs-b.txt"):"
check_merged "$W/b"

# C. Cancel task 1 after its first finished run, resubmit it alone with --resume.
jid=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --output="$W/c/slurm-%A_%a.out" \
    studies/sbatch_array.sh "$STUDY" "$W/c")
deadline=$((SECONDS + 300))
until [ -n "$(records "$W/c/shard-1")" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "C: task 1 wrote no record in 300 s"
    sleep 0.05
done
scancel "${jid}_1"
deadline=$((SECONDS + 60))
until [ "$(states "${jid}_1")" = CANCELLED ]; do
    s1="$(states "${jid}_1")"
    [ "$s1" = COMPLETED ] && fail "C: task 1 finished before scancel took effect (runs too short for this machine)"
    [ "$SECONDS" -lt "$deadline" ] || fail "C: task 1 not cancelled after 60 s (state $s1)"
    sleep 0.2
done
slice=$(((RUNS + 2 - 1) / 3)) # ids at positions 1, 4, 7, ... < RUNS
(cd "$W/c/shard-1/runs" && md5sum -- *.json) >"$W/before-c.md5"
before=$(wc -l <"$W/before-c.md5")
[ "$before" -gt 0 ] && [ "$before" -lt "$slice" ] || fail "C: $before of $slice runs done at the kill"
say "C: task ${jid}_1 cancelled with $before of $slice runs finished"
jid2=$(sbatch --parsable --array=1 --cpus-per-task=1 --export=ALL,CURVLAB_SHARD_COUNT=3 \
    --output="$W/c/resumed-%A_%a.out" studies/sbatch_array.sh "$STUDY" "$W/c")
mjid=$(sbatch --parsable --dependency=afterany:"$jid",afterok:"$jid2" \
    --output="$W/c/merge-%j.out" --wrap "$CURVLAB merge $W/c/shard-* --out $W/c")
wait_job "$jid2" 300
wait_job "$mjid" 120
(cd "$W/c/shard-1/runs" && md5sum --quiet -c "$W/before-c.md5") ||
    fail "C: a record written before the kill changed on resume"
[ "$(records "$W/c/shard-1" | wc -l)" = "$slice" ] || fail "C: shard-1 does not hold its $slice runs"
want="$slice runs ($((slice - before)) run now, $before already finished)"
grep -qF "$want" "$W"/c/resumed-*.out || fail "C: the resumed task did not say '$want'"
say "C: resubmitted as $jid2: '$want'; merge $mjid (afterany:$jid,afterok:$jid2):"
check_merged "$W/c"

say "PASS (${SECONDS} s)"
