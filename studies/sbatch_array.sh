#!/bin/bash
# Run a curvlab study as a Slurm job array, one shard per array task, then merge.
#
# Usage:
#   sbatch --array=0-7 studies/sbatch_array.sh studies/conditioning.toml
#   # after every task finished (or as a dependent job, see below):
#   curvlab merge results/conditioning/shard-* --out results/conditioning
#
# Each task runs the deterministic slice `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
# (the runs whose rank in run-id order is the task id modulo the task count) into its own
# folder, with `--resume`, so a requeued or preempted task continues where it stopped and never
# repeats a finished run. Merge with a dependent job:
#   jid=$(sbatch --parsable --array=0-7 studies/sbatch_array.sh studies/conditioning.toml)
#   sbatch --dependency=afterok:$jid --wrap \
#     "curvlab merge results/conditioning/shard-* --out results/conditioning"
#
#SBATCH --job-name=curvlab-study
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out

set -euo pipefail

STUDY="${1:?usage: sbatch --array=0-N studies/sbatch_array.sh STUDY.toml [OUT_ROOT]}"
NAME="$(basename "$STUDY" .toml)"
OUT_ROOT="${2:-results/$NAME}"
CURVLAB="${CURVLAB:-curvlab}"   # or target/release/curvlab

: "${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array}"
: "${SLURM_ARRAY_TASK_COUNT:?run this script with sbatch --array}"

SHARD_DIR="$OUT_ROOT/shard-$SLURM_ARRAY_TASK_ID"
mkdir -p "$OUT_ROOT"

"$CURVLAB" study "$STUDY" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --resume \
    --out "$SHARD_DIR"
