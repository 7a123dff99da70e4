#!/usr/bin/env bash
# Peers for benches/curvature.rs: scipy's ARPACK (eigsh) and LOBPCG on the same matrices, 5
# eigenvalues at each end, relative tolerance 1e-8, operator applications counted by a
# LinearOperator wrapper (a block of k columns counts k). Prints one table row per run and
# whether the returned multiset matches the closed form / dense reference to 1e-6 relative.
#
# Usage: benches/peers/curvature_scipy.sh [SPD_MTX]
#   SPD_MTX: the κ = 1e4, n = 300 matrix written by `cargo bench --bench curvature`
#            (default target/curvature_peer/spd300.mtx).
# Makes a throwaway venv in target/peer-venv with scipy from the package registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
SPD="${1:-target/curvature_peer/spd300.mtx}"
VENV=target/peer-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet scipy
fi
"$VENV/bin/python" - "$SPD" <<'PY'
import sys, time, numpy as np, scipy, scipy.io
from scipy.sparse import diags, kron, identity, csr_matrix
from scipy.sparse.linalg import LinearOperator, eigsh, lobpcg

def lap2d(k):
    t = diags([-1, 2, -1], [-1, 0, 1], shape=(k, k))
    return (kron(identity(k), t) + kron(t, identity(k))).tocsr()

def lap2d_eigs(k):
    h = np.pi / (k + 1)
    c = 2 - 2 * np.cos(np.arange(1, k + 1) * h)
    return np.sort((c[:, None] + c[None, :]).ravel())

class Counted:
    def __init__(self, a):
        self.a, self.count = a, 0
    def op(self):
        n = self.a.shape[0]
        def mv(x):
            self.count += 1
            return self.a @ x
        def mm(x):
            self.count += x.shape[1]
            return self.a @ x
        return LinearOperator((n, n), matvec=mv, matmat=mm, dtype=float)

def ok(vals, ref):
    return len(vals) == 5 and np.all(np.abs(np.sort(vals) - np.sort(ref)) <= 1e-6 * np.abs(ref).max())

def run(name, a, ref):
    n = a.shape[0]
    for which, sl in (("largest", slice(-5, None)), ("smallest", slice(0, 5))):
        want = ref[sl]
        c = Counted(a); t = time.perf_counter()
        try:
            w = eigsh(c.op(), k=5, which="LA" if which == "largest" else "SA", tol=1e-8,
                      maxiter=100000)[0]
        except Exception as e:
            w = np.array([])
        print(f"| {name} | {which} | ARPACK eigsh | {c.count} | {time.perf_counter()-t:.3f} | {ok(w, want)} | {np.sort(w)} |")
        for seed in (0, 1, 2):
            c = Counted(a); t = time.perf_counter()
            x0 = np.random.default_rng(seed).standard_normal((n, 5))
            w, _ = lobpcg(c.op(), x0, tol=1e-8 * np.abs(want).max(), maxiter=20000,
                          largest=(which == "largest"))
            print(f"| {name} | {which} | LOBPCG block 5 seed {seed} | {c.count} | {time.perf_counter()-t:.3f} | {ok(w, want)} | {np.sort(w)} |")

print(f"scipy {scipy.__version__}")
print("| matrix | end | solver | applications | seconds | right multiset | values |")
print("|---|---|---|---|---|---|---|")
run("2-D Laplacian n=3600", lap2d(60), lap2d_eigs(60))
try:
    spd = csr_matrix(scipy.io.mmread(sys.argv[1]))
    run("SPD kappa=1e4 n=300", spd, np.linalg.eigvalsh(spd.toarray()))
except FileNotFoundError:
    print(f"(no {sys.argv[1]}: run cargo bench --bench curvature first)")
PY
