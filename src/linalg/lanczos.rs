//! The Lanczos process (Lanczos 1950) with full reorthogonalization, the building block of the
//! extreme-eigenvalue solver ([`crate::curvature::lanczos`](fn@crate::curvature::lanczos), thick restart after Wu & Simon 2000)
//! and of stochastic Lanczos quadrature ([`crate::curvature::slq_density`]).
//!
//! Given a symmetric operator `A` and a unit start vector `q₁`, the process builds an orthonormal
//! basis `V = [v₁ … v_j]` of the Krylov space `span{q₁, A q₁, …, A^{j−1} q₁}` and the projected
//! matrix `T = Vᵀ A V`, with the Lanczos relation
//! `A V = V T + q bᵀ` where `q ⊥ V` is the unit next vector and `b` its coupling
//! (`b = β_j e_j` in the plain process, so `T` is tridiagonal with diagonal `α` and off-diagonal
//! `β`; Golub & Van Loan 2013, §10.1; Saad 2011, ch. 6; Parlett 1998, ch. 13). After a thick
//! restart `V ← V Y` with eigenvectors `Y` of `T`, `T` becomes `diag(θ)` bordered by the coupling
//! `b = Yᵀ b` (an "arrowhead", Wu & Simon 2000, §2), and the process continues from `q`.
//!
//! Every new vector is reorthogonalized against the whole basis by classical Gram–Schmidt applied
//! twice ("twice is enough", Giraud et al. 2005; the DGKS correction), so the basis stays
//! orthonormal to rounding and no spurious copies of converged Ritz values appear (the failure of
//! the plain three-term recurrence in floating point, Paige 1971). The cost is `4 n j` flops at
//! step `j` beside the operator application. The process also checks the symmetry it relies on:
//! `vᵢᵀ A q` must equal the coupling `bᵢ = qᵀ A vᵢ`; a mismatch larger than a tolerance times the
//! estimate of `‖A‖` is an error that reports the observed asymmetry.
//!
//! [`gauss_quadrature`] turns a tridiagonal `T` into Gauss quadrature nodes and weights
//! (Golub & Welsch 1969).

use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use crate::linalg::vector::{norm, scale};
use faer::{Accum, Mat, MatRef, Par};
use rand::Rng;
use rand_distr::StandardNormal;

/// `tol` if it is a valid relative asymmetry tolerance (finite and > 0), else the error every
/// Lanczos builder reports.
pub(crate) fn check_symmetry_tol(tol: f64) -> Result<f64> {
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(Error::invalid(
            "symmetry_tol",
            tol,
            "must be finite and > 0",
        ));
    }
    Ok(tol)
}

/// A Lanczos basis with its projected matrix, grown one operator application at a time.
///
/// ```
/// use curvlab::linalg::lanczos::LanczosBasis;
/// let a = faer::mat![[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]];
/// let mut b = LanczosBasis::new(3, 3, &[1.0, 0.0, 0.0]).unwrap();
/// while b.len() < 3 && b.has_next() {
///     b.extend(&a).unwrap();
/// }
/// // After n steps the projected matrix is similar to A: same trace.
/// let t = b.projected();
/// assert!((t[(0, 0)] + t[(1, 1)] + t[(2, 2)] - 9.0).abs() < 1e-12);
/// assert_eq!(b.applications(), 3);
/// ```
pub struct LanczosBasis {
    n: usize,
    cap: usize,
    v: Vec<f64>,
    t: Mat<f64>,
    len: usize,
    next: Vec<f64>,
    has_next: bool,
    coupling: Vec<f64>,
    applications: usize,
    norm_estimate: f64,
    asymmetry: f64,
    symmetry_tol: f64,
    unchecked: usize,
    w: Vec<f64>,
    h: Vec<f64>,
    h2: Vec<f64>,
}

/// Default relative tolerance on the asymmetry `|vᵢᵀ A q − qᵀ A vᵢ| / ‖A‖` seen by the process.
pub const DEFAULT_SYMMETRY_TOL: f64 = 1e-6;

impl LanczosBasis {
    /// An empty basis of capacity `cap` (`1 ≤ cap ≤ n`) whose first vector will be
    /// `start / ‖start‖`.
    pub fn new(n: usize, cap: usize, start: &[f64]) -> Result<Self> {
        check_len("Lanczos start vector", n, start.len())?;
        if cap == 0 || cap > n {
            return Err(Error::invalid(
                "basis size",
                cap,
                &format!("must be between 1 and n = {n}"),
            ));
        }
        if !start.iter().all(|x| x.is_finite()) {
            return Err(Error::NonFinite {
                what: "Lanczos start vector".into(),
                iteration: 0,
            });
        }
        let s = norm(start);
        if !(s > 0.0) {
            return Err(Error::invalid("start vector", "0", "must be nonzero"));
        }
        let mut next = start.to_vec();
        scale(1.0 / s, &mut next);
        Ok(LanczosBasis {
            n,
            cap,
            v: vec![0.0; n * cap],
            t: Mat::zeros(cap, cap),
            len: 0,
            next,
            has_next: true,
            coupling: Vec::with_capacity(cap),
            applications: 0,
            norm_estimate: 0.0,
            asymmetry: 0.0,
            symmetry_tol: DEFAULT_SYMMETRY_TOL,
            unchecked: 0,
            w: vec![0.0; n],
            h: vec![0.0; cap],
            h2: vec![0.0; cap],
        })
    }

    /// Empties the basis and starts again from `start / ‖start‖`, keeping every allocation (the
    /// `n × cap` basis among them): stochastic Lanczos quadrature runs one process per probe on
    /// one basis.
    ///
    /// ```
    /// use curvlab::linalg::lanczos::LanczosBasis;
    /// let a = faer::mat![[2.0, 0.0], [0.0, 5.0]];
    /// let mut b = LanczosBasis::new(2, 2, &[1.0, 0.0]).unwrap();
    /// b.extend(&a).unwrap();
    /// b.reset(&[0.0, 3.0]).unwrap();
    /// assert_eq!((b.len(), b.applications()), (0, 0));
    /// b.extend(&a).unwrap();
    /// assert_eq!(b.projected()[(0, 0)], 5.0);
    /// assert!(b.reset(&[0.0, 0.0]).is_err());
    /// ```
    pub fn reset(&mut self, start: &[f64]) -> Result<()> {
        check_len("Lanczos start vector", self.n, start.len())?;
        if let Some(i) = start.iter().position(|x| !x.is_finite()) {
            return Err(Error::NonFinite {
                what: format!("Lanczos start vector[{i}] = {}", start[i]),
                iteration: 0,
            });
        }
        let s = norm(start);
        if !(s > 0.0) {
            return Err(Error::invalid("start vector", "0", "must be nonzero"));
        }
        self.next.copy_from_slice(start);
        scale(1.0 / s, &mut self.next);
        self.len = 0;
        self.has_next = true;
        self.coupling.clear();
        self.applications = 0;
        self.norm_estimate = 0.0;
        self.asymmetry = 0.0;
        self.unchecked = 0;
        self.t.fill(0.0);
        Ok(())
    }

    /// Sets the relative asymmetry tolerance (default [`DEFAULT_SYMMETRY_TOL`]); must be > 0.
    ///
    /// ```
    /// use curvlab::linalg::lanczos::LanczosBasis;
    /// let b = LanczosBasis::new(2, 2, &[1.0, 1.0]).unwrap();
    /// assert!(b.with_symmetry_tol(-1.0).is_err());
    /// ```
    pub fn with_symmetry_tol(mut self, tol: f64) -> Result<Self> {
        self.symmetry_tol = crate::linalg::lanczos::check_symmetry_tol(tol)?;
        Ok(self)
    }

    /// Number of basis vectors `j`.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when the basis has no vector yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Capacity (maximum basis size before a restart).
    pub fn capacity(&self) -> usize {
        self.cap
    }
    /// Operator applications so far.
    pub fn applications(&self) -> usize {
        self.applications
    }
    /// Lower estimate of `‖A‖₂`: the largest `‖A q‖` seen.
    pub fn norm_estimate(&self) -> f64 {
        self.norm_estimate
    }
    /// Largest relative asymmetry `|vᵢᵀ A q − qᵀ A vᵢ| / ‖A‖` observed.
    pub fn asymmetry(&self) -> f64 {
        self.asymmetry
    }
    /// False once the basis spans an invariant subspace (the residual vanished).
    pub fn has_next(&self) -> bool {
        self.has_next
    }
    /// The basis `V` (`n × j`, orthonormal columns).
    pub fn basis(&self) -> MatRef<'_, f64> {
        MatRef::from_column_major_slice(&self.v[..self.n * self.len], self.n, self.len)
    }
    /// The projected matrix `T = Vᵀ A V` (`j × j`).
    pub fn projected(&self) -> MatRef<'_, f64> {
        self.t.as_ref().submatrix(0, 0, self.len, self.len)
    }
    /// The coupling `b` of the Lanczos relation `A V = V T + q bᵀ` (zero after an invariant
    /// subspace was found).
    pub fn coupling(&self) -> &[f64] {
        &self.coupling
    }
    /// The unit next vector `q`.
    pub fn next_vector(&self) -> &[f64] {
        &self.next
    }
    /// Column `j` of the basis.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.v[j * self.n..(j + 1) * self.n]
    }

    /// Appends `q` to the basis with one application of `op`, reorthogonalizes, and computes the
    /// next vector. Returns `false` when the residual vanished (the basis spans an invariant
    /// subspace); errors on a full basis, a wrong operator size, NaN/Inf from the operator, or an
    /// asymmetry above the tolerance.
    pub fn extend<A: LinearOperator + ?Sized>(&mut self, op: &A) -> Result<bool> {
        check_len("operator", self.n, op.dim())?;
        if self.len >= self.cap {
            return Err(Error::Usage(
                "Lanczos basis is full: restart before extending".into(),
            ));
        }
        if !self.has_next {
            return Err(Error::Usage(
                "Lanczos basis spans an invariant subspace: no next vector".into(),
            ));
        }
        let n = self.n;
        let j = self.len;
        self.v[j * n..(j + 1) * n].copy_from_slice(&self.next);
        for (i, bi) in self.coupling.iter().enumerate() {
            self.t[(i, j)] = *bi;
            self.t[(j, i)] = *bi;
        }
        op.apply(&self.next, &mut self.w)?;
        self.applications += 1;
        if !self.w.iter().all(|x| x.is_finite()) {
            return Err(Error::NonFinite {
                what: "operator application in Lanczos".into(),
                iteration: self.applications,
            });
        }
        let aq_norm = norm(&self.w);
        self.norm_estimate = self.norm_estimate.max(aq_norm);
        let vmat = MatRef::from_column_major_slice(&self.v[..n * (j + 1)], n, j + 1);
        // Classical Gram–Schmidt, twice.
        project_out(vmat, &mut self.w, &mut self.h[..=j]);
        project_out(vmat, &mut self.w, &mut self.h2[..=j]);
        for i in 0..=j {
            self.h[i] += self.h2[i];
        }
        // Symmetry: vᵢᵀ A q must equal the coupling qᵀ A vᵢ.
        let scale_a = self.norm_estimate.max(f64::MIN_POSITIVE);
        for i in self.unchecked.min(j)..j {
            let d = (self.h[i] - self.coupling[i]).abs() / scale_a;
            self.asymmetry = self.asymmetry.max(d);
        }
        if self.asymmetry > self.symmetry_tol {
            return Err(Error::invalid(
                "operator",
                "not symmetric",
                &format!(
                    "asymmetry |vᵢᵀAq − qᵀAvᵢ| / ‖A‖ = {:.3e} on the Lanczos basis exceeds the \
                     tolerance {:.1e}",
                    self.asymmetry, self.symmetry_tol
                ),
            ));
        }
        self.t[(j, j)] = self.h[j];
        self.len += 1;
        let beta = norm(&self.w);
        self.coupling.clear();
        self.coupling.resize(self.len, 0.0);
        let floor = (n as f64).sqrt() * f64::EPSILON * self.norm_estimate.max(aq_norm);
        if beta <= floor || self.len == n {
            self.has_next = false;
            return Ok(false);
        }
        self.coupling[j] = beta;
        self.next.copy_from_slice(&self.w);
        scale(1.0 / beta, &mut self.next);
        Ok(true)
    }

    /// Thick restart (Wu & Simon 2000): `V ← V Y`, `T ← Yᵀ T Y`, `b ← Yᵀ b`, keeping `q`.
    /// `Y` (`j × r`, orthonormal columns) must span an invariant subspace of `T` (eigenvectors
    /// of `T`, as from a Rayleigh–Ritz step), so the Lanczos relation is preserved.
    ///
    /// ```
    /// use curvlab::linalg::lanczos::LanczosBasis;
    /// let a = faer::mat![[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]];
    /// let mut b = LanczosBasis::new(3, 2, &[1.0, 1.0, 1.0]).unwrap();
    /// b.extend(&a).unwrap();
    /// b.extend(&a).unwrap();
    /// let e = b.projected().to_owned().self_adjoint_eigen(faer::Side::Lower).unwrap();
    /// b.restart(e.U().subcols(1, 1)).unwrap();
    /// assert_eq!(b.len(), 1);
    /// assert!((b.projected()[(0, 0)] - e.S()[1]).abs() < 1e-12);
    /// ```
    pub fn restart(&mut self, y: MatRef<'_, f64>) -> Result<()> {
        let j = self.len;
        let r = y.ncols();
        if y.nrows() != j || r > j {
            return Err(Error::Dimension {
                what: "restart vectors (rows)".into(),
                expected: j,
                got: y.nrows(),
            });
        }
        let n = self.n;
        let mut newv = Mat::<f64>::zeros(n, r);
        let vmat = MatRef::from_column_major_slice(&self.v[..n * j], n, j);
        faer::linalg::matmul::matmul(newv.as_mut(), Accum::Replace, vmat, y, 1.0, Par::Seq);
        for c in 0..r {
            for i in 0..n {
                self.v[c * n + i] = newv[(i, c)];
            }
        }
        let t = self.projected().to_owned();
        let ty = &t * y;
        let newt = y.transpose() * &ty;
        for a in 0..self.cap {
            for b in 0..self.cap {
                self.t[(a, b)] = 0.0;
            }
        }
        for a in 0..r {
            for b in 0..r {
                self.t[(a, b)] = 0.5 * (newt[(a, b)] + newt[(b, a)]);
            }
        }
        let newb: Vec<f64> = (0..r)
            .map(|c| (0..j).map(|i| y[(i, c)] * self.coupling[i]).sum())
            .collect();
        self.coupling = newb;
        self.len = r;
        self.unchecked = self.unchecked.min(r);
        Ok(())
    }

    /// Replaces the next vector by a random unit vector orthogonal to the basis and drops the
    /// coupling (used after an invariant subspace is found, or to start a fresh Krylov sequence
    /// beside locked Ritz vectors whose small residuals are then neglected). Returns `false`
    /// when the basis already spans the whole space (or five random draws fell in its span).
    pub fn restart_random<R: Rng>(&mut self, rng: &mut R) -> Result<bool> {
        let n = self.n;
        if self.len >= n {
            self.has_next = false;
            return Ok(false);
        }
        let vmat = MatRef::from_column_major_slice(&self.v[..n * self.len], n, self.len);
        for _attempt in 0..5 {
            for x in self.w.iter_mut() {
                *x = rng.sample(StandardNormal);
            }
            let s0 = norm(&self.w);
            project_out(vmat, &mut self.w, &mut self.h[..self.len]);
            project_out(vmat, &mut self.w, &mut self.h2[..self.len]);
            let s = norm(&self.w);
            if s > 1e-8 * s0 {
                self.next.copy_from_slice(&self.w);
                scale(1.0 / s, &mut self.next);
                self.coupling.clear();
                self.coupling.resize(self.len, 0.0);
                self.has_next = true;
                self.unchecked = self.len;
                return Ok(true);
            }
        }
        // Five draws in the span of the basis: treat it as spanning everything reachable.
        self.has_next = false;
        Ok(false)
    }
}

/// `h ← Vᵀ w; w ← w − V h`.
fn project_out(v: MatRef<'_, f64>, w: &mut [f64], h: &mut [f64]) {
    if v.ncols() == 0 {
        return;
    }
    {
        let hc = faer::ColMut::from_slice_mut(h);
        let wc = faer::ColRef::from_slice(w);
        faer::linalg::matmul::matmul(hc, Accum::Replace, v.transpose(), wc, 1.0, Par::Seq);
    }
    let hc = faer::ColRef::from_slice(h);
    let wc = faer::ColMut::from_slice_mut(w);
    faer::linalg::matmul::matmul(wc, Accum::Add, v, hc, -1.0, Par::Seq);
}

/// The result of `m` plain Lanczos steps: `A V = V T + β_m q e_mᵀ` with `T` tridiagonal.
#[derive(Debug, Clone)]
pub struct Tridiagonal {
    /// Diagonal `α₁ … α_m`.
    pub alpha: Vec<f64>,
    /// Off-diagonal `β₁ … β_{m−1}`.
    pub beta: Vec<f64>,
    /// The residual norm `β_m` (0 when an invariant subspace was reached).
    pub beta_last: f64,
    /// The orthonormal basis `V` (`n × m`).
    pub basis: Mat<f64>,
    /// Operator applications (`m`).
    pub applications: usize,
}

/// Runs up to `steps` Lanczos steps with full reorthogonalization from `start`, stopping early
/// at an invariant subspace (then fewer than `steps` values are returned).
///
/// ```
/// use curvlab::linalg::lanczos::tridiagonalize;
/// let a = faer::mat![[4.0, 1.0], [1.0, 2.0]];
/// let t = tridiagonalize(&a, &[1.0, 0.0], 2).unwrap();
/// assert_eq!(t.alpha[0], 4.0);       // e₁ᵀAe₁
/// assert!((t.beta[0] - 1.0).abs() < 1e-14);
/// assert!((t.alpha[1] - 2.0).abs() < 1e-14);
/// assert!(tridiagonalize(&a, &[1.0, 0.0], 0).is_err());
/// ```
pub fn tridiagonalize<A: LinearOperator + ?Sized>(
    op: &A,
    start: &[f64],
    steps: usize,
) -> Result<Tridiagonal> {
    let n = op.dim();
    if steps == 0 {
        return Err(Error::invalid("steps", steps, "must be >= 1"));
    }
    let mut b = LanczosBasis::new(n, steps.min(n), start)?;
    while b.len() < b.capacity() && b.has_next() {
        b.extend(op)?;
    }
    let m = b.len();
    let t = b.projected();
    let alpha = (0..m).map(|i| t[(i, i)]).collect();
    let beta = (1..m).map(|i| t[(i, i - 1)]).collect();
    let beta_last = if b.has_next() {
        b.coupling().last().copied().unwrap_or(0.0)
    } else {
        0.0
    };
    Ok(Tridiagonal {
        alpha,
        beta,
        beta_last,
        basis: b.basis().to_owned(),
        applications: b.applications(),
    })
}

/// Gauss quadrature from a Jacobi (symmetric tridiagonal) matrix (Golub & Welsch 1969): the
/// nodes are the eigenvalues of `T` (ascending), the weights the squared first components of its
/// unit eigenvectors; they sum to 1. `beta` has one entry fewer than `alpha`.
///
/// ```
/// use curvlab::linalg::lanczos::gauss_quadrature;
/// // Two-point Gauss–Legendre rule on [-1, 1] (probability measure dx/2): nodes ±1/√3.
/// let (x, w) = gauss_quadrature(&[0.0, 0.0], &[1.0 / 3f64.sqrt()]).unwrap();
/// assert!((x[1] - 1.0 / 3f64.sqrt()).abs() < 1e-14);
/// assert!((w[0] - 0.5).abs() < 1e-14 && (w[0] + w[1] - 1.0).abs() < 1e-14);
/// ```
pub fn gauss_quadrature(alpha: &[f64], beta: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    let m = alpha.len();
    if m == 0 {
        return Err(Error::invalid("alpha", "[]", "must be nonempty"));
    }
    check_len("beta", m - 1, beta.len())?;
    if !alpha.iter().chain(beta).all(|x| x.is_finite()) {
        return Err(Error::NonFinite {
            what: "tridiagonal entries".into(),
            iteration: 0,
        });
    }
    let t = Mat::<f64>::from_fn(m, m, |i, j| {
        if i == j {
            alpha[i]
        } else if i == j + 1 {
            beta[j]
        } else if j == i + 1 {
            beta[i]
        } else {
            0.0
        }
    });
    let e = t
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|_| Error::Numerical("tridiagonal eigensolver did not converge".into()))?;
    let nodes = (0..m).map(|i| e.S()[i]).collect();
    let weights = (0..m).map(|i| e.U()[(0, i)].powi(2)).collect();
    Ok((nodes, weights))
}
