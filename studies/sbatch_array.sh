#!/bin/bash
# Run a curvlab study as Slurm job arrays, one shard per array task, then merge.
#
# Submit N shards and the merge job in one go (splits the arrays at the cluster's MaxArraySize):
#   studies/sbatch_array.sh --submit 8 studies/conditioning.toml [OUT_ROOT] [-- SBATCH_OPTIONS...]
# It prints one line per submitted job on stdout, `array JOBID OFFSET TASKS` and `merge JOBID`.
#
# Or by hand, as one array and a dependent merge:
#   jid=$(sbatch --parsable --array=0-7 studies/sbatch_array.sh studies/conditioning.toml)
#   sbatch --dependency=afterok:$jid --wrap \
#     "curvlab merge results/conditioning/shard-* --out results/conditioning"
#
# Each task runs `curvlab study STUDY --resume --out OUT_ROOT/shard-I` without --shard: curvlab
# reads its slice from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (the runs whose rank in
# run-id order is I modulo N), or from CURVLAB_SHARD_COUNT and CURVLAB_SHARD_OFFSET when set. With
# --resume a requeued, preempted or cancelled task continues where it stopped and never repeats a
# finished run. Resubmit one task alone (here task 2 of 8) with:
#   sbatch --array=2 --export=ALL,CURVLAB_SHARD_COUNT=8 studies/sbatch_array.sh STUDY
#
# An array's task ids must be below MaxArraySize (`scontrol show config`); --submit therefore
# submits arrays 0..M-1 with CURVLAB_SHARD_OFFSET = 0, M, 2M, ... and CURVLAB_SHARD_COUNT=N, and
# the merge job depends (afterok) on all of them.
#
# CURVLAB names the binary (default `curvlab`; e.g. CURVLAB=target/release/curvlab).
#
#SBATCH --job-name=curvlab-study
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out

set -euo pipefail

CURVLAB="${CURVLAB:-curvlab}"

usage() {
    echo "usage: sbatch --array=0-N studies/sbatch_array.sh STUDY.toml [OUT_ROOT]" >&2
    echo "       studies/sbatch_array.sh --submit N STUDY.toml [OUT_ROOT] [-- SBATCH_OPTIONS...]" >&2
    exit 2
}

# The cluster's MaxArraySize (array task ids must be below it).
max_array_size() {
    local m
    m="$(scontrol show config | awk '$1 == "MaxArraySize" {print $3}')"
    case "$m" in
        '' | *[!0-9]*) echo "sbatch_array.sh: cannot read MaxArraySize from scontrol" >&2; exit 1 ;;
    esac
    if [ "$m" -lt 1 ]; then
        echo "sbatch_array.sh: job arrays are disabled on this cluster (MaxArraySize=$m)" >&2
        exit 1
    fi
    echo "$m"
}

submit() {
    local n="$1" study="$2" out_root="$3"
    shift 3
    case "$n" in '' | *[!0-9]* | 0) echo "sbatch_array.sh: N must be an integer >= 1, got '$n'" >&2; exit 2 ;; esac
    [ -f "$study" ] || { echo "sbatch_array.sh: no study file $study" >&2; exit 2; }
    local m offset=0 tasks jid deps="" self
    m="$(max_array_size)"
    self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
    mkdir -p "$out_root"
    while [ "$offset" -lt "$n" ]; do
        tasks=$((n - offset < m ? n - offset : m))
        jid="$(sbatch --parsable "$@" --array="0-$((tasks - 1))" \
            --export="ALL,CURVLAB_SHARD_COUNT=$n,CURVLAB_SHARD_OFFSET=$offset" \
            "$self" "$study" "$out_root")"
        jid="${jid%%;*}"
        echo "array $jid $offset $tasks"
        deps="$deps:$jid"
        offset=$((offset + tasks))
    done
    local cmd
    cmd="$(printf '%q merge %q/shard-* --out %q' "$CURVLAB" "$out_root" "$out_root")"
    # (the glob shard-* is in the format, unquoted: the merge job expands it when it runs)
    jid="$(sbatch --parsable "$@" --job-name=curvlab-merge --dependency="afterok$deps" \
        --output="$out_root/merge-%j.out" --wrap "$cmd")"
    echo "merge ${jid%%;*}"
}

if [ "${1:-}" = "--submit" ]; then
    [ $# -ge 3 ] || usage
    N="$2"
    STUDY="$3"
    shift 3
    OUT_ROOT="results/$(basename "$STUDY" .toml)"
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then
        OUT_ROOT="$1"
        shift
    fi
    [ "${1:-}" = "--" ] && shift
    submit "$N" "$STUDY" "$OUT_ROOT" "$@"
    exit 0
fi

STUDY="${1:-}"
[ -n "$STUDY" ] || usage
OUT_ROOT="${2:-results/$(basename "$STUDY" .toml)}"
: "${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array (or with --submit)}"

INDEX=$((SLURM_ARRAY_TASK_ID + ${CURVLAB_SHARD_OFFSET:-0}))
mkdir -p "$OUT_ROOT"
exec "$CURVLAB" study "$STUDY" \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --resume \
    --out "$OUT_ROOT/shard-$INDEX"
