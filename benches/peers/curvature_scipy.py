"""Peers for benches/curvature.rs: scipy's ARPACK (eigsh) and LOBPCG on the bench's five matrices.

ARPACK with its default ncv (start vectors from seeds 0/1/2) and with ncv = 80 (seed 0); LOBPCG
with a block of 5 (seeds 0/1/2) and of 8 (seed 0, the 5 wanted of the 8 returned). Every start
is drawn from numpy's default_rng(seed).

5 eigenvalues at each end, relative tolerance 1e-8, operator applications counted by a
LinearOperator wrapper (a block of k columns counts k), with the same budget of applications as
the Rust bench (100,000): a run that reaches it is stopped and reported as "not converged within
100000 applications". A run returns the right multiset when its 5 sorted values match the
reference (closed form, or numpy's dense eigvalsh for the two random matrices) within 1e-6
relative each; the max relative residual ||Av - theta v|| / |theta| is recomputed from the
returned vectors (not counted). Prints markdown table rows.

Usage: python curvature_scipy.py PEER_DIR   (PEER_DIR holds indef500.mtx and spd300.mtx, written
by `cargo bench --bench curvature`; the Laplacians and the diagonal are rebuilt here.)
"""

import os
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.io
from scipy.sparse import csr_matrix, diags, identity, kron
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh, lobpcg

BUDGET = 100_000
TOL = 1e-8
K = 5


class OverBudget(Exception):
    pass


class Counted:
    """A LinearOperator that counts applications (k per block of k) and stops at BUDGET."""

    def __init__(self, a):
        self.a, self.count = a, 0

    def _charge(self, k):
        self.count += k
        if self.count > BUDGET:
            raise OverBudget()

    def op(self):
        n = self.a.shape[0]

        def mv(x):
            self._charge(1)
            return self.a @ x

        def mm(x):
            self._charge(x.shape[1])
            return self.a @ x

        return LinearOperator((n, n), matvec=mv, matmat=mm, dtype=float)


def lap1d(k):
    return diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))


def lap1d_eigs(k):
    return 2 - 2 * np.cos(np.arange(1, k + 1) * np.pi / (k + 1))


def lap2d(k):
    t, i = lap1d(k), identity(k)
    return (kron(i, t) + kron(t, i)).tocsr()


def lap3d(k):
    t, i = lap1d(k), identity(k)
    return (kron(kron(i, i), t) + kron(kron(i, t), i) + kron(kron(t, i), i)).tocsr()


def lap2d_eigs(k):
    c = lap1d_eigs(k)
    return np.sort((c[:, None] + c[None, :]).ravel())


def lap3d_eigs(k):
    c = lap1d_eigs(k)
    return np.sort((c[:, None, None] + c[None, :, None] + c[None, None, :]).ravel())


def cluster_diag():
    d = np.concatenate([np.full(4, 10.0), 1 + 8 * np.arange(1996) / 1995])
    return diags(d).tocsr(), np.sort(d)


def right(vals, want):
    vals = np.sort(np.asarray(vals))
    return len(vals) == len(want) and bool(np.all(np.abs(vals - want) <= 1e-6 * np.abs(want)))


def residual(a, vals, vecs):
    if len(vals) == 0:
        return float("nan")
    v = vecs / np.linalg.norm(vecs, axis=0)
    r = np.linalg.norm(a @ v - v * vals, axis=0) / np.abs(vals)
    return float(r.max())


def end_values(vals, vecs, largest):
    """The K wanted values (and vectors) at one end of a possibly larger returned set."""
    order = np.argsort(vals)
    pick = order[-K:] if largest else order[:K]
    return vals[pick], vecs[:, pick]


def arpack(a, n, largest, ncv, seed):
    # An explicit start vector: scipy's default draws one from an unseeded generator.
    v0 = np.random.default_rng(seed).standard_normal(n)
    kw = {} if ncv is None else {"ncv": ncv}
    w, v = eigsh(a, k=K, which="LA" if largest else "SA", tol=TOL, maxiter=BUDGET, v0=v0, **kw)
    return w, v


def lobpcg_run(a, n, want, largest, block, seed):
    x0 = np.random.default_rng(seed).standard_normal((n, block))
    # Absolute residual tolerance that gives every wanted pair ||r|| <= 1e-8 |theta|.
    tol = TOL * np.abs(want).min()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w, v = lobpcg(a, x0, tol=tol, maxiter=BUDGET // block, largest=largest)
    return end_values(w, v, largest)


def row(name, n, end, label, fn, a, want):
    c = Counted(a)
    t = time.perf_counter()
    note = ""
    try:
        w, v = fn(c.op())
    except (OverBudget, ArpackNoConvergence):
        w, v = np.array([]), np.zeros((n, 0))
        note = f"not converged within {BUDGET} applications"
    except (np.linalg.LinAlgError, ValueError) as e:
        w, v = np.array([]), np.zeros((n, 0))
        note = f"failed: {type(e).__name__}: {e}"
    secs = time.perf_counter() - t
    ok = right(w, want)
    res = residual(a, w, v)
    if not ok and not note:
        note = "returned " + ", ".join(f"{x:.6g}" for x in np.sort(w))
    apps = f"> {BUDGET}" if note.startswith("not converged") else c.count
    print(f"| {name} | {n} | {end} | {label} | {apps} | {secs:.3f} | {ok} | {res:.2e} | {note} |",
          flush=True)


def run(name, a, ref):
    n = a.shape[0]
    for end, largest in (("Largest", True), ("Smallest", False)):
        want = ref[-K:] if largest else ref[:K]
        for seed in (0, 1, 2):
            row(name, n, end, f"ARPACK eigsh default ncv seed {seed}",
                lambda op, s=seed: arpack(op, n, largest, None, s), a, want)
        row(name, n, end, "ARPACK eigsh ncv=80 seed 0",
            lambda op: arpack(op, n, largest, 80, 0), a, want)
        for seed in (0, 1, 2):
            row(name, n, end, f"LOBPCG block 5 seed {seed}",
                lambda op, s=seed: lobpcg_run(op, n, want, largest, 5, s), a, want)
        row(name, n, end, "LOBPCG block 8 seed 0",
            lambda op: lobpcg_run(op, n, want, largest, 8, 0), a, want)


def main():
    peer_dir = sys.argv[1] if len(sys.argv) > 1 else "target/curvature_peer"
    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    print()
    print("| matrix | n | end | solver | applications | seconds | right multiset | max rel residual | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    run("2-D Laplacian 60²", lap2d(60), lap2d_eigs(60))
    run("3-D Laplacian 16³", lap3d(16), lap3d_eigs(16))
    d, dref = cluster_diag()
    run("diagonal, 10 ×4 + spread", d, dref)
    for name, file in (("indefinite [−1, 10]", "indef500.mtx"), ("SPD κ=1e4", "spd300.mtx")):
        path = os.path.join(peer_dir, file)
        if not os.path.exists(path):
            print(f"(no {path}: run `cargo bench --bench curvature` first)")
            continue
        a = csr_matrix(scipy.io.mmread(path))
        run(name, a, np.linalg.eigvalsh(a.toarray()))


if __name__ == "__main__":
    main()
