//! Dense Cholesky factorizations of shifted symmetric matrices `H + σI = LLᵀ`, the linear algebra
//! of every dense Newton-type step: a reusable workspace on faer's `llt` kernels
//! ([`CholeskyWorkspace`]), Cholesky with added multiple of the identity (Nocedal & Wright 2006,
//! Algorithm 3.3, [`modified_cholesky`]), and the two by-products of a factorization that Moré &
//! Sorensen's (1983) trust-region algorithm needs: the singular leading submatrix of a failed
//! factorization (their §3, a lower bound on `−λ₁`) and the LINPACK estimate of a near-null
//! vector of the factor (Cline, Moler, Stewart & Wilkinson 1979), which decides the hard case.

use crate::error::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::{Mat, MatRef};

/// The outcome of [`CholeskyWorkspace::try_factor`].
///
/// ```
/// use curvlab::linalg::cholesky::{CholeskyWorkspace, Factorization};
/// let h = faer::mat![[1.0, 2.0], [2.0, 1.0]];
/// let mut ws = CholeskyWorkspace::new();
/// // The leading 2×2 block needs δ = 3 more on its last diagonal entry to become singular.
/// match ws.try_factor(h.as_ref(), 0.0).unwrap() {
///     Factorization::Indefinite { index, delta } => assert_eq!((index, delta), (1, 3.0)),
///     Factorization::PositiveDefinite => unreachable!(),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Factorization {
    /// `H + σI = LLᵀ` with every pivot positive.
    PositiveDefinite,
    /// Pivot `index` is `−delta ≤ 0`: the leading `(index+1)×(index+1)` block of `H + σI` plus
    /// `delta · e_index e_indexᵀ` is singular ([`CholeskyWorkspace::singular_vector`]).
    Indefinite {
        /// The first column whose pivot is not positive.
        index: usize,
        /// `δ ≥ 0`, minus that pivot.
        delta: f64,
    },
}

/// A reusable Cholesky factorization `LLᵀ = H + σI` of a dense symmetric matrix (lower
/// triangle read), on faer's `llt` kernels, without reallocating between factorizations of
/// the same size. This is the linear algebra of one Newton step.
///
/// ```
/// use curvlab::linalg::cholesky::CholeskyWorkspace;
/// let h = faer::mat![[4.0, 2.0], [2.0, 3.0]];
/// let mut ws = CholeskyWorkspace::new();
/// ws.factor(h.as_ref(), 0.0).unwrap();
/// let mut x = [2.0, 1.0];
/// ws.solve_in_place(&mut x); // H x = (2, 1)
/// assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-14 && (2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-14);
/// let bad = faer::mat![[1.0, 2.0], [2.0, 1.0]];
/// assert!(ws.factor(bad.as_ref(), 0.0).is_err());
/// assert!(ws.factor(bad.as_ref(), 1.5).is_ok()); // H + 1.5 I ≻ 0
/// ```
pub struct CholeskyWorkspace {
    l: Mat<f64>,
    mem: MemBuffer,
    mem_n: usize,
    factored: bool,
}

impl Default for CholeskyWorkspace {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CholeskyWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CholeskyWorkspace")
            .field("n", &self.l.nrows())
            .field("factored", &self.factored)
            .finish()
    }
}

impl CholeskyWorkspace {
    /// An empty workspace (sized at the first factorization).
    pub fn new() -> Self {
        CholeskyWorkspace {
            l: Mat::zeros(0, 0),
            mem: MemBuffer::new(faer::dyn_stack::StackReq::EMPTY),
            mem_n: 0,
            factored: false,
        }
    }

    /// Copies the lower triangle of `h + shift·I` into the workspace (sizing it on first use);
    /// [`Error::NonFinite`] for a NaN or Inf, [`Error::Dimension`] when not square.
    fn load(&mut self, h: MatRef<'_, f64>, shift: f64) -> Result<()> {
        let n = h.nrows();
        crate::error::check_len("matrix columns", n, h.ncols())?;
        self.factored = false;
        if self.l.nrows() != n {
            self.l = Mat::zeros(n, n);
        }
        let mut finite = shift.is_finite();
        for j in 0..n {
            let src = h.col(j);
            let mut dst = self.l.col_mut(j);
            for i in j..n {
                let v = src[i];
                finite &= v.is_finite();
                dst[i] = v;
            }
            dst[j] += shift;
        }
        if !finite {
            return Err(Error::NonFinite {
                what: "hessian".into(),
                iteration: 0,
            });
        }
        Ok(())
    }

    /// faer's in-place `llt` on the loaded matrix; `Err(index)` at a nonpositive pivot.
    fn faer_llt(&mut self) -> std::result::Result<(), usize> {
        let n = self.l.nrows();
        let par = faer::get_global_parallelism();
        if self.mem_n != n {
            self.mem = MemBuffer::new(llt::factor::cholesky_in_place_scratch::<f64>(
                n,
                par,
                Default::default(),
            ));
            self.mem_n = n;
        }
        let stack = MemStack::new(&mut self.mem);
        match llt::factor::cholesky_in_place(
            self.l.as_mut(),
            Default::default(),
            par,
            stack,
            Default::default(),
        ) {
            Ok(_) => Ok(()),
            Err(llt::factor::LltError::NonPositivePivot { index }) => Err(index),
        }
    }

    /// Factors `H + σI`; [`Error::NotPositiveDefinite`] when a pivot is not positive or the
    /// matrix is singular to working precision (`min Lᵢᵢ² ≤ n ε max Lᵢᵢ²`, which implies
    /// `κ ≥ 1/(nε)`),
    /// [`Error::NonFinite`] when `H` has a NaN or Inf, [`Error::Dimension`] when not square.
    pub fn factor(&mut self, h: MatRef<'_, f64>, shift: f64) -> Result<()> {
        self.load(h, shift)?;
        let n = self.l.nrows();
        if let Err(index) = self.faer_llt() {
            return Err(Error::NotPositiveDefinite(format!(
                "matrix + {shift:e}·I is not positive definite (Cholesky pivot {index} is not positive)"
            )));
        }
        // Numerically singular: κ(H) ≥ (max Lᵢᵢ / min Lᵢᵢ)², so a pivot ratio below n·ε means
        // H + σI is singular to working precision.
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for i in 0..n {
            let d = self.l[(i, i)] * self.l[(i, i)];
            lo = lo.min(d);
            hi = hi.max(d);
        }
        if n > 0 && !(lo > n as f64 * f64::EPSILON * hi) {
            return Err(Error::NotPositiveDefinite(format!(
                "matrix + {shift:e}·I is singular to working precision \
                 (Cholesky pivot ratio {:e})",
                lo / hi
            )));
        }
        self.factored = true;
        Ok(())
    }

    /// Factors `H + σI` whenever every pivot is positive (no conditioning test: the trust-region
    /// subproblem accepts `diag(1, 10⁻¹⁷)`); otherwise reports the first nonpositive pivot and
    /// keeps the partial factor for [`Self::singular_vector`]. Errors only for non-finite or
    /// non-square input.
    pub fn try_factor(&mut self, h: MatRef<'_, f64>, shift: f64) -> Result<Factorization> {
        self.load(h, shift)?;
        if self.faer_llt().is_ok() {
            self.factored = true;
            return Ok(Factorization::PositiveDefinite);
        }
        // Redo it column by column, keeping the partial factor at the failing pivot.
        self.load(h, shift)?;
        let n = self.l.nrows();
        for j in 0..n {
            let d = self.l[(j, j)] - (0..j).map(|k| self.l[(j, k)].powi(2)).sum::<f64>();
            if !(d > 0.0) {
                return Ok(Factorization::Indefinite {
                    index: j,
                    delta: -d,
                });
            }
            let ljj = d.sqrt();
            self.l[(j, j)] = ljj;
            for i in j + 1..n {
                let s = (0..j).map(|k| self.l[(i, k)] * self.l[(j, k)]).sum::<f64>();
                self.l[(i, j)] = (self.l[(i, j)] - s) / ljj;
            }
        }
        // faer failed where the column loop succeeded (rounding at a zero pivot).
        self.factored = true;
        Ok(Factorization::PositiveDefinite)
    }

    /// After [`Self::try_factor`] reported `Indefinite { index: k, .. }`: writes into `u` the
    /// vector with `(H + σI + δ e_k e_kᵀ) u = 0` (`u_k = 1`, zero after `k`) and returns
    /// `‖u‖²`. Then `uᵀ(H + σI)u = −δ`, so `−λ₁(H) ≥ σ + δ/‖u‖²` (Moré & Sorensen 1983, §3).
    pub fn singular_vector(&self, index: usize, u: &mut [f64]) -> f64 {
        let n = self.l.nrows();
        if u.len() != n || index >= n {
            return f64::NAN;
        }
        u.fill(0.0);
        u[index] = 1.0;
        // u_{0..k} = −L₁₁⁻ᵀ l, l the k-th row of the partial factor.
        for i in (0..index).rev() {
            let s = (i + 1..index).map(|j| self.l[(j, i)] * u[j]).sum::<f64>();
            u[i] = (-self.l[(index, i)] - s) / self.l[(i, i)];
        }
        u.iter().map(|v| v * v).sum()
    }

    /// The LINPACK estimate of a unit near-null vector `z` of `Lᵀ` (Cline, Moler, Stewart &
    /// Wilkinson 1979; Moré & Sorensen 1983, §3): solve `Lw = e` with signs `eᵢ = ±1` chosen to
    /// make `w` large, then `Lᵀv = w`, `z = v/‖v‖`. Returns `‖Lᵀz‖ = ‖w‖/‖v‖`, an estimate of
    /// the smallest singular value of `Lᵀ`, so `‖Lᵀz‖² = zᵀ(H + σI)z` is close to `λ₁ + σ`.
    /// `w` is scratch of length `n`. NaN when nothing is factored.
    ///
    /// ```
    /// use curvlab::linalg::cholesky::CholeskyWorkspace;
    /// let h = faer::mat![[3.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 2.0]];
    /// let mut ws = CholeskyWorkspace::new();
    /// ws.factor(h.as_ref(), 0.0).unwrap();
    /// let (mut z, mut w) = ([0.0; 3], [0.0; 3]);
    /// let s = ws.near_null_vector(&mut z, &mut w);
    /// // z ≈ ±e₁ and ‖Lᵀz‖² ≈ λ_min = 1e-6 (to 1e-6 relative here).
    /// assert!((z[1].abs() - 1.0).abs() < 1e-12 && (s * s - 1e-6).abs() < 1e-12);
    /// ```
    pub fn near_null_vector(&self, z: &mut [f64], w: &mut [f64]) -> f64 {
        let n = self.l.nrows();
        if !self.factored || z.len() != n || w.len() != n {
            return f64::NAN;
        }
        // z holds the partial sums p of the forward substitution.
        z.fill(0.0);
        for k in 0..n {
            let lkk = self.l[(k, k)];
            let (wp, wm) = ((1.0 - z[k]) / lkk, (-1.0 - z[k]) / lkk);
            let (mut sp, mut sm) = (wp.abs(), wm.abs());
            for (i, zi) in z.iter().enumerate().skip(k + 1) {
                sp += (zi + self.l[(i, k)] * wp).abs();
                sm += (zi + self.l[(i, k)] * wm).abs();
            }
            let wk = if sp >= sm { wp } else { wm };
            w[k] = wk;
            for (i, zi) in z.iter_mut().enumerate().skip(k + 1) {
                *zi += self.l[(i, k)] * wk;
            }
        }
        z.copy_from_slice(w);
        self.solve_upper_in_place(z);
        let vn = crate::linalg::vector::norm(z);
        let wn = crate::linalg::vector::norm(w);
        z.iter_mut().for_each(|v| *v /= vn);
        wn / vn
    }

    /// Overwrites `rhs` with `(H + σI)⁻¹ rhs` (after a successful factorization; a no-op
    /// otherwise or when the length does not match).
    pub fn solve_in_place(&self, rhs: &mut [f64]) {
        if !self.factored || rhs.len() != self.l.nrows() {
            return;
        }
        let par = faer::get_global_parallelism();
        let col = faer::ColMut::from_slice_mut(rhs);
        let mut mem = MemBuffer::new(faer::dyn_stack::StackReq::EMPTY);
        llt::solve::solve_in_place(
            self.l.as_ref(),
            col.as_mat_mut(),
            par,
            MemStack::new(&mut mem),
        );
    }

    /// Overwrites `rhs` with `L⁻¹ rhs` (the Moré–Sorensen `q = L⁻¹p`).
    pub fn solve_lower_in_place(&self, rhs: &mut [f64]) {
        if !self.factored || rhs.len() != self.l.nrows() {
            return;
        }
        let par = faer::get_global_parallelism();
        let col = faer::ColMut::from_slice_mut(rhs);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
            self.l.as_ref(),
            col.as_mat_mut(),
            par,
        );
    }

    /// Overwrites `rhs` with `L⁻ᵀ rhs`.
    fn solve_upper_in_place(&self, rhs: &mut [f64]) {
        let n = self.l.nrows();
        for i in (0..n).rev() {
            let s = (i + 1..n).map(|j| self.l[(j, i)] * rhs[j]).sum::<f64>();
            rhs[i] = (rhs[i] - s) / self.l[(i, i)];
        }
    }

    /// `‖Lᵀv‖² = vᵀ(H + σI)v` from the factor (NaN when nothing is factored).
    ///
    /// ```
    /// let h = faer::mat![[2.0, 0.0], [0.0, 3.0]];
    /// let mut ws = curvlab::linalg::cholesky::CholeskyWorkspace::new();
    /// ws.factor(h.as_ref(), 1.0).unwrap();
    /// assert!((ws.energy(&[1.0, 1.0]) - 7.0).abs() < 1e-14);
    /// ```
    pub fn energy(&self, v: &[f64]) -> f64 {
        let n = self.l.nrows();
        if !self.factored || v.len() != n {
            return f64::NAN;
        }
        (0..n)
            .map(|i| (i..n).map(|j| self.l[(j, i)] * v[j]).sum::<f64>().powi(2))
            .sum()
    }
}

/// Solves `(H + σI) x = b` by Cholesky: the factor-and-solve of one Newton step.
///
/// ```
/// let h = faer::mat![[2.0, 0.0], [0.0, 8.0]];
/// let mut x = [0.0; 2];
/// curvlab::linalg::cholesky::cholesky_solve(h.as_ref(), 0.0, &[2.0, 4.0], &mut x).unwrap();
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 0.5).abs() < 1e-15);
/// ```
pub fn cholesky_solve(h: MatRef<'_, f64>, shift: f64, b: &[f64], x: &mut [f64]) -> Result<()> {
    let mut ws = CholeskyWorkspace::new();
    factor_solve(&mut ws, h, shift, b, x)
}

/// [`cholesky_solve`] in a reused workspace.
///
/// ```
/// use curvlab::linalg::cholesky::{factor_solve, CholeskyWorkspace};
/// let h = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// let mut ws = CholeskyWorkspace::new();
/// let mut x = [0.0; 2];
/// factor_solve(&mut ws, h.as_ref(), 1.0, &[2.0, 4.0], &mut x).unwrap();
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 2.0).abs() < 1e-15);
/// ```
pub fn factor_solve(
    ws: &mut CholeskyWorkspace,
    h: MatRef<'_, f64>,
    shift: f64,
    b: &[f64],
    x: &mut [f64],
) -> Result<()> {
    crate::error::check_len("b", h.nrows(), b.len())?;
    crate::error::check_len("x", h.nrows(), x.len())?;
    ws.factor(h, shift)?;
    x.copy_from_slice(b);
    ws.solve_in_place(x);
    Ok(())
}

/// Cholesky with added multiple of the identity (N&W Algorithm 3.3): factors `H + τI` with
/// `τ₀ = 0` if `min hᵢᵢ > 0`, else `−min hᵢᵢ + β`, doubling `τ` (at least β) until the
/// factorization succeeds. Returns τ.
///
/// ```
/// use curvlab::linalg::cholesky::{modified_cholesky, CholeskyWorkspace};
/// let h = faer::mat![[1.0, 0.0], [0.0, -2.0]];
/// let mut ws = CholeskyWorkspace::new();
/// let tau = modified_cholesky(&mut ws, h.as_ref(), 1e-3).unwrap();
/// assert!((tau - 2.001).abs() < 1e-12); // −min hᵢᵢ + β succeeds at once
/// ```
pub fn modified_cholesky(ws: &mut CholeskyWorkspace, h: MatRef<'_, f64>, beta: f64) -> Result<f64> {
    let n = h.nrows();
    let min_diag = (0..n.min(h.ncols()))
        .map(|i| h[(i, i)])
        .fold(f64::INFINITY, f64::min);
    if !min_diag.is_finite() && n > 0 {
        return Err(Error::NonFinite {
            what: "hessian".into(),
            iteration: 0,
        });
    }
    let mut tau = if min_diag > 0.0 {
        0.0
    } else {
        -min_diag + beta
    };
    for _ in 0..1100 {
        match ws.factor(h, tau) {
            Ok(()) => return Ok(tau),
            Err(Error::NotPositiveDefinite(_)) => tau = (2.0 * tau).max(beta),
            Err(e) => return Err(e),
        }
    }
    Err(Error::Numerical(
        "modified Cholesky: no shift made the Hessian positive definite".into(),
    ))
}

/// The Frobenius norm `‖H‖_F = (Σᵢⱼ hᵢⱼ²)^½`, an upper bound on `‖H‖₂` at `n²` flops (against
/// the factorization's `n³/3`): the scale of [`modified_cholesky_scaled`]'s shift.
///
/// ```
/// let h = faer::mat![[3.0, 0.0], [0.0, -4.0]];
/// assert_eq!(curvlab::linalg::cholesky::frobenius_norm(h.as_ref()), 5.0);
/// ```
pub fn frobenius_norm(h: MatRef<'_, f64>) -> f64 {
    // Scaled sum of squares (LAPACK's dnrm2 idea): no overflow for entries near 1e200.
    let big = (0..h.ncols())
        .map(|j| h.col(j).iter().fold(0.0f64, |m, v| m.max(v.abs())))
        .fold(0.0f64, f64::max);
    if !(big > 0.0) || !big.is_finite() {
        return big;
    }
    let ss: f64 = (0..h.ncols())
        .map(|j| h.col(j).iter().map(|v| (v / big).powi(2)).sum::<f64>())
        .sum();
    big * ss.sqrt()
}

/// [`modified_cholesky`] with the shift scaled to the matrix: β is replaced by `β · ‖H‖_F`
/// ([`frobenius_norm`]; β itself when `H = 0`). Nocedal & Wright (2006, §3.4) note that
/// Algorithm 3.3's fixed β = 10⁻³ presumes a well-scaled `H`; a relative shift makes the step
/// invariant to scaling `f`. On a singular Hessian with small curvature (a softmax regression
/// near its minimizer, ‖H‖_F ≈ 10⁻²) a constant β = 10⁻³ is a large part of the spectrum and
/// the iteration converges linearly with ratio `τ/(λ + τ)`; the relative shift restores fast
/// convergence (tests/own_model.rs). Returns τ.
///
/// ```
/// use curvlab::linalg::cholesky::{modified_cholesky_scaled, CholeskyWorkspace};
/// // Singular PSD: H = diag(0.02, 0); ‖H‖_F = 0.02, so τ = 1e-3 · 0.02 = 2e-5.
/// let h = faer::mat![[0.02, 0.0], [0.0, 0.0]];
/// let mut ws = CholeskyWorkspace::new();
/// let tau = modified_cholesky_scaled(&mut ws, h.as_ref(), 1e-3).unwrap();
/// assert!((tau - 2e-5).abs() < 1e-18);
/// ```
pub fn modified_cholesky_scaled(
    ws: &mut CholeskyWorkspace,
    h: MatRef<'_, f64>,
    beta: f64,
) -> Result<f64> {
    let scale = frobenius_norm(h);
    if !scale.is_finite() {
        return Err(Error::NonFinite {
            what: "hessian".into(),
            iteration: 0,
        });
    }
    let b = if scale > 0.0 { beta * scale } else { beta };
    modified_cholesky(ws, h, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_vector_annihilates_the_shifted_leading_block() {
        let h = faer::mat![[4.0, 2.0, 1.0], [2.0, -1.0, 3.0], [1.0, 3.0, 2.0]];
        let mut ws = CholeskyWorkspace::new();
        let Factorization::Indefinite { index, delta } = ws.try_factor(h.as_ref(), 0.0).unwrap()
        else {
            panic!("H is indefinite");
        };
        // pivot 1: −1 − 2²/4 = −2 → δ = 2.
        assert_eq!((index, delta), (1, 2.0));
        let mut u = [0.0; 3];
        let uu = ws.singular_vector(index, &mut u);
        // (H + δ e₁e₁ᵀ) u restricted to the leading 2×2 block is 0.
        let r0 = 4.0 * u[0] + 2.0 * u[1];
        let r1 = 2.0 * u[0] + (-1.0 + delta) * u[1];
        assert!(r0.abs() < 1e-15 && r1.abs() < 1e-15 && u[2] == 0.0);
        assert!((uu - (u[0] * u[0] + u[1] * u[1])).abs() < 1e-15);
    }

    #[test]
    fn scaled_shift_is_invariant_to_scaling_the_matrix() {
        // Indefinite H = [[1, 2], [2, 1]] (λ = −1, 3), ‖H‖_F = √10: the shift of c·H is c times
        // the shift of H, so the step −(H + τI)⁻¹g is invariant to scaling f (N&W §3.4).
        let mut ws = CholeskyWorkspace::new();
        let h = faer::mat![[1.0, 2.0], [2.0, 1.0]];
        let t1 = modified_cholesky_scaled(&mut ws, h.as_ref(), 1e-3).unwrap();
        for c in [1e-6, 1e3] {
            let hc = faer::mat![[c, 2.0 * c], [2.0 * c, c]];
            let tc = modified_cholesky_scaled(&mut ws, hc.as_ref(), 1e-3).unwrap();
            assert!((tc - c * t1).abs() <= 1e-12 * c * t1, "{tc} vs {}", c * t1);
        }
        // The first shift that works, by hand: min hᵢᵢ = 1 > 0 so τ₀ = 0 fails, then β√10,
        // doubled until τ > 1 (= −λ_min): β√10·2ᵏ > 1 first at k = 9 (3.162e-3 · 512 = 1.619).
        assert!((t1 - 1e-3 * 10f64.sqrt() * 512.0).abs() < 1e-12);
        let z = faer::Mat::<f64>::zeros(2, 2);
        // H = 0: ‖H‖_F = 0, β itself.
        assert_eq!(
            modified_cholesky_scaled(&mut ws, z.as_ref(), 1e-3).unwrap(),
            1e-3
        );
        let bad = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
        assert!(modified_cholesky_scaled(&mut ws, bad.as_ref(), 1e-3).is_err());
    }

    #[test]
    fn energy_is_the_quadratic_form() {
        let h = faer::mat![[4.0, 1.0], [1.0, 3.0]];
        let mut ws = CholeskyWorkspace::new();
        ws.factor(h.as_ref(), 0.5).unwrap();
        let v = [0.3, -0.7];
        let want = 4.5 * 0.09 + 2.0 * 0.3 * -0.7 + 3.5 * 0.49;
        assert!((ws.energy(&v) - want).abs() < 1e-14);
    }
}
