#!/usr/bin/env bash
# JAX on CPU as a benchmark-only peer of benches/network.rs (never a curvlab dependency):
#   1. runs the Rust bench, which exports the digits training set, the parameters, the direction
#      and curvlab's gradient / HVP / GGN product and timings to a JSON file;
#   2. installs jax + jaxlib into a throwaway venv (or the one named by $JAX_VENV);
#   3. times jit-compiled float64 jax.grad, jax.jvp(jax.grad(loss)) and the GGN product on the same
#      network and data, checks they agree with curvlab, and prints both sides.
# Both sides single-threaded by default (curvlab runs faer with Par::Seq); set JAX_THREADS=all to
# let XLA use every core.
# Usage (repository root): benches/peers/network_jax.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export_file="$work/network_export.json"
(cd "$root" && CURVLAB_NETWORK_EXPORT="$export_file" cargo bench --bench network) | grep -E "RATIO|BLOCK|SOLVER|EXPORT"
venv="${JAX_VENV:-$work/venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet jax jaxlib
fi
if [ "${JAX_THREADS:-1}" = "1" ]; then
    export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    export OMP_NUM_THREADS=1
fi
"$venv/bin/python" "$root/benches/peers/network_jax.py" "$export_file"
