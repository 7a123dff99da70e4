#!/usr/bin/env bash
# Peers for benches/curvature.rs: scipy's ARPACK (eigsh, default ncv with seeds 0/1/2, ncv = 80) and LOBPCG
# (block 5 with seeds 0/1/2, block 8) on the bench's five matrices, 5 eigenvalues at each end,
# relative tolerance 1e-8, operator applications counted by a LinearOperator wrapper (a block of k
# columns counts k), budget 100,000 applications per run as in the Rust bench. Prints markdown
# table rows: applications, seconds, whether the returned multiset matches the closed form / dense
# reference to 1e-6 relative, and the max relative true residual. The solver code is
# benches/peers/curvature_scipy.py.
#
# Usage: benches/peers/curvature_scipy.sh [PEER_DIR]
#   PEER_DIR holds indef500.mtx and spd300.mtx, written by `cargo bench --bench curvature`
#   (default target/curvature_peer); the Laplacians and the diagonal are rebuilt by the script.
# Makes a throwaway venv in target/peer-venv with scipy and numpy from the package registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${1:-target/curvature_peer}"
VENV=target/peer-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import scipy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet scipy numpy
fi
# One thread for BLAS, like the single-threaded Rust kernels, and no oversubscription.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec "$VENV/bin/python" benches/peers/curvature_scipy.py "$DIR"
