//! The nearly exact trust-region subproblem `min_p m(p) = gᵀp + ½pᵀHp` subject to `‖p‖ ≤ Δ`,
//! by the algorithm of Moré & Sorensen (1983), "Computing a trust region step" (SIAM J. Sci.
//! Stat. Comput. 4(3)), as in Nocedal & Wright (2006, §4.3) and scipy's `trust-exact`.
//!
//! The solution satisfies `(H + λI)p = −g`, `λ(Δ − ‖p‖) = 0`, `H + λI ⪰ 0` (N&W Theorem 4.1).
//! Every iteration factors `H + λI = LLᵀ` ([`CholeskyWorkspace::try_factor`]) and keeps a
//! safeguarding interval `[λ_L, λ_U]` for `λ*` and a lower bound `λ_S ≤ −λ₁`:
//!
//! - initial bounds from `‖g‖/Δ` and the Gershgorin, Frobenius and ∞-norm bounds on the
//!   spectrum, `λ_S = max(0, −min hᵢᵢ)`;
//! - factorization succeeds, `p = −(H + λI)⁻¹g`: if `λ = 0` and `‖p‖ ≤ Δ` the interior Newton
//!   step is the solution; `‖p‖ > Δ` raises `λ_L`; `‖p‖ < Δ` lowers `λ_U` to `λ`, and the
//!   LINPACK near-null vector `z` of the factor ([`CholeskyWorkspace::near_null_vector`])
//!   raises `λ_S` to `λ − ‖Lᵀz‖²` and gives the *hard-case* candidate `p + τz`, `‖p + τz‖ = Δ`
//!   (the root with smaller `|τ|`), accepted when `τ²‖Lᵀz‖² ≤ σ(‖Lᵀp‖² + λΔ²)` (their
//!   eq. 3.12: its model value is then within a factor `1 − σ` of the optimum);
//! - factorization fails at pivot `k`: `λ_L` rises to `λ`, and the singular leading submatrix
//!   ([`CholeskyWorkspace::singular_vector`]) raises `λ_S` to `λ + δ/‖u‖²`;
//! - the next `λ` is Newton's step on the secular equation `1/‖p(λ)‖ − 1/Δ = 0`,
//!   `λ ← λ + (‖p‖/‖q‖)²(‖p‖ − Δ)/Δ` with `q = L⁻¹p`, safeguarded into `[λ_L, λ_U]`; a step at
//!   or below `λ_S` (or after a failed factorization) is replaced by
//!   `max(√(λ_L λ_U), λ_L + 0.01(λ_U − λ_L))` (scipy's choice of a point of the interval).
//!
//! No eigendecomposition and no cluster threshold: the hard case is decided by the model-value
//! test alone.

use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::cholesky::{CholeskyWorkspace, Factorization};
use crate::linalg::vector::{axpy, dot, norm, scale};
use faer::MatRef;

/// The solution of the trust-region subproblem.
///
/// ```
/// use curvlab::methods::trust_region::{more_sorensen, MoreSorensen};
/// // H = 2I, g = (4, 0): the Newton step (−2, 0) lies outside Δ = 1, so p = (−1, 0), λ = 2.
/// let h = faer::mat![[2.0, 0.0], [0.0, 2.0]];
/// let s = more_sorensen(h.as_ref(), &[4.0, 0.0], 1.0, &MoreSorensen::default()).unwrap();
/// assert!(s.on_boundary && (s.p[0] + 1.0).abs() < 1e-9 && (s.lambda - 2.0).abs() < 1e-8);
/// assert!((s.model_value - (-4.0 + 1.0)).abs() < 1e-8);
/// let nan = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
/// assert!(more_sorensen(nan.as_ref(), &[1.0, 0.0], 1.0, &MoreSorensen::default()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRegionStep {
    /// The step `p`.
    pub p: Vec<f64>,
    /// The multiplier `λ ≥ 0` with `(H + λI)p = −g` (up to the hard-case term).
    pub lambda: f64,
    /// The model value `m(p) = gᵀp + ½pᵀHp`.
    pub model_value: f64,
    /// Factorizations of `H + λI`.
    pub iterations: usize,
    /// True when the solution lies on the boundary `‖p‖ = Δ`.
    pub on_boundary: bool,
    /// True when the step was completed along a near-null vector (the hard case).
    pub hard_case: bool,
}

/// What [`MoreSorensenWorkspace::solve`] reports besides the step.
///
/// ```
/// use curvlab::methods::trust_region::{MoreSorensen, MoreSorensenWorkspace};
/// let h = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// let mut ws = MoreSorensenWorkspace::new();
/// let info = ws.solve(h.as_ref(), &[0.5, 0.0], 1.0, &MoreSorensen::default()).unwrap();
/// assert!(!info.on_boundary && info.lambda == 0.0 && ws.step() == &[-0.5, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubproblemInfo {
    /// The multiplier `λ`.
    pub lambda: f64,
    /// `m(p)`.
    pub model_value: f64,
    /// Factorizations used.
    pub iterations: usize,
    /// `‖p‖ = Δ` (to the tolerance).
    pub on_boundary: bool,
    /// The step was completed along a near-null vector.
    pub hard_case: bool,
    /// False when the budget ran out and the step is the best approximation at hand.
    pub converged: bool,
}

/// Options of [`more_sorensen`].
///
/// ```
/// let o = curvlab::methods::trust_region::MoreSorensen::default();
/// assert_eq!((o.rtol, o.hard_rtol, o.max_iters), (1e-10, 1e-10, 100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoreSorensen {
    /// Accept a boundary solution when `|‖p‖ − Δ| ≤ rtol · Δ` (Moré & Sorensen's σ₁; default
    /// 1e-10, scipy uses 0.1).
    pub rtol: f64,
    /// The hard-case test's σ: accept `p + τz` when `τ²‖Lᵀz‖² ≤ σ(‖Lᵀp‖² + λΔ²)` (default 1e-10,
    /// scipy uses 0.2).
    pub hard_rtol: f64,
    /// Factorizations allowed (default 100).
    pub max_iters: usize,
}

impl Default for MoreSorensen {
    fn default() -> Self {
        MoreSorensen {
            rtol: 1e-10,
            hard_rtol: 1e-10,
            max_iters: 100,
        }
    }
}

impl MoreSorensen {
    /// Checks `rtol, hard_rtol ∈ (0, 1)` and `max_iters ≥ 1`.
    ///
    /// ```
    /// use curvlab::methods::trust_region::MoreSorensen;
    /// assert!(MoreSorensen { rtol: 0.0, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.rtol > 0.0 && self.rtol < 1.0) {
            return Err(Error::invalid("rtol", self.rtol, "must be in (0, 1)"));
        }
        if !(self.hard_rtol > 0.0 && self.hard_rtol < 1.0) {
            return Err(Error::invalid(
                "hard_rtol",
                self.hard_rtol,
                "must be in (0, 1)",
            ));
        }
        if self.max_iters == 0 {
            return Err(Error::invalid("max_iters", 0, "must be >= 1"));
        }
        Ok(())
    }
}

/// The safeguarding interval `[λ_L, λ_U]` for `λ*` and the lower bound `λ_S ≤ −λ₁`.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lo: f64,
    hi: f64,
    s: f64,
}

impl Bounds {
    /// Moré & Sorensen's initial bounds (their §3; scipy's `estimate_lambda_bounds`).
    fn initial(h: MatRef<'_, f64>, gnorm: f64, radius: f64) -> Bounds {
        let n = h.nrows();
        let (mut gl, mut gu) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut frob, mut inf, mut min_diag) = (0.0f64, 0.0f64, f64::INFINITY);
        for i in 0..n {
            let off: f64 = (0..n).filter(|&j| j != i).map(|j| h[(i, j)].abs()).sum();
            let d = h[(i, i)];
            gl = gl.min(d - off);
            gu = gu.max(d + off);
            inf = inf.max(off + d.abs());
            frob += (0..n).map(|j| h[(i, j)] * h[(i, j)]).sum::<f64>();
            min_diag = min_diag.min(d);
        }
        let frob = frob.sqrt();
        let s = (-min_diag).max(0.0);
        let lo = s.max(gnorm / radius - gu.min(frob).min(inf)).max(0.0);
        let hi = (gnorm / radius + (-gl).min(frob).min(inf)).max(0.0);
        Bounds { lo, hi, s }
    }

    /// A point strictly inside `(λ_L, λ_U)` when the interval is not empty.
    fn inner(&self) -> f64 {
        (self.lo * self.hi)
            .sqrt()
            .max(self.lo + 0.01 * (self.hi - self.lo))
    }

    /// The safeguarded next `λ`: the Newton candidate clamped into `[λ_L, λ_U]`, or
    /// [`Self::inner`] when it is not above `λ_S` (or not finite).
    fn safeguard(&self, candidate: f64) -> f64 {
        let l = candidate.max(self.lo).min(self.hi);
        if !(l.is_finite() && l > self.s) {
            self.inner()
        } else {
            l
        }
    }
}

/// The reused buffers of the Moré–Sorensen iteration: the Cholesky workspace, the step and its
/// scratch vectors (no allocation per solve once sized).
#[derive(Debug, Default)]
pub struct MoreSorensenWorkspace {
    chol: CholeskyWorkspace,
    p: Vec<f64>,
    q: Vec<f64>,
    z: Vec<f64>,
    w: Vec<f64>,
}

/// The state of one Moré–Sorensen iteration after a successful factorization.
enum Outcome {
    /// The step in `p` is the answer.
    Done {
        on_boundary: bool,
        hard_case: bool,
        /// The budget ran out: an approximation.
        forced: bool,
    },
    /// Continue from this `λ`.
    Next(f64),
}

impl MoreSorensenWorkspace {
    /// Empty buffers (sized at the first solve).
    pub fn new() -> Self {
        Self::default()
    }

    /// The step `p` of the last [`Self::solve`].
    pub fn step(&self) -> &[f64] {
        &self.p
    }

    /// Solves the subproblem for the dense symmetric `h` (lower triangle factored, whole
    /// matrix used for the bounds and the model value), gradient `g` and radius `Δ > 0`; the
    /// step is left in [`Self::step`].
    pub fn solve(
        &mut self,
        h: MatRef<'_, f64>,
        g: &[f64],
        radius: f64,
        opts: &MoreSorensen,
    ) -> Result<SubproblemInfo> {
        validate(h, g, radius, opts)?;
        let n = g.len();
        for v in [&mut self.p, &mut self.q, &mut self.z, &mut self.w] {
            v.resize(n, 0.0);
        }
        let gnorm = norm(g);
        let mut b = Bounds::initial(h, gnorm, radius);
        if gnorm == 0.0 && b.hi <= 0.0 {
            // g = 0 and H diagonally dominant with nonnegative diagonal: p = 0 is optimal.
            self.p.fill(0.0);
            return Ok(self.info(h, g, 0.0, 0, false, false, true));
        }
        let mut lambda = if b.lo == 0.0 { 0.0 } else { b.safeguard(b.lo) };
        for it in 1..=opts.max_iters {
            let last = it == opts.max_iters;
            match self.chol.try_factor(h, lambda)? {
                Factorization::PositiveDefinite => {
                    match self.positive_definite(g, lambda, radius, &mut b, opts, last) {
                        Outcome::Done {
                            on_boundary,
                            hard_case,
                            forced,
                        } => {
                            let conv = !forced;
                            return Ok(self.info(h, g, lambda, it, on_boundary, hard_case, conv));
                        }
                        Outcome::Next(l) => lambda = l,
                    }
                }
                Factorization::Indefinite { index, delta } => {
                    let uu = self.chol.singular_vector(index, &mut self.q);
                    b.lo = b.lo.max(lambda);
                    if uu.is_finite() && uu > 0.0 {
                        b.s = b.s.max(lambda + delta / uu);
                    }
                    b.lo = b.lo.max(b.s);
                    b.hi = b.hi.max(b.lo);
                    lambda = b.inner();
                }
            }
        }
        Err(Error::Numerical(format!(
            "Moré–Sorensen: H + λI was not positive definite at any of {} shifts",
            opts.max_iters
        )))
    }

    /// One iteration after `H + λI = LLᵀ` succeeded: the step, the convergence tests, the
    /// bound updates and the Newton step on `λ`. On the `last` iteration the best step at hand
    /// is returned (scaled onto the boundary, or completed along `z`).
    fn positive_definite(
        &mut self,
        g: &[f64],
        lambda: f64,
        radius: f64,
        b: &mut Bounds,
        opts: &MoreSorensen,
        last: bool,
    ) -> Outcome {
        self.p.copy_from_slice(g);
        scale(-1.0, &mut self.p);
        self.chol.solve_in_place(&mut self.p);
        let pn = norm(&self.p);
        if lambda == 0.0 && pn <= radius {
            return Outcome::Done {
                on_boundary: false,
                hard_case: false,
                forced: false,
            };
        }
        if (pn - radius).abs() <= opts.rtol * radius {
            return Outcome::Done {
                on_boundary: true,
                hard_case: false,
                forced: false,
            };
        }
        // Bounds: ‖p‖ < Δ puts λ* below λ, and z gives λ − ‖Lᵀz‖² ≤ −λ₁; ‖p‖ > Δ puts it above.
        let mut accept_hard = false;
        let mut tau = 0.0;
        if pn < radius {
            let s_min = self.chol.near_null_vector(&mut self.z, &mut self.w);
            tau = boundary_step(&self.p, &self.z, radius);
            let rp2 = self.chol.energy(&self.p);
            accept_hard =
                tau * tau * s_min * s_min <= opts.hard_rtol * (rp2 + lambda * radius * radius);
            b.hi = b.hi.min(lambda);
            b.s = b.s.max(lambda - s_min * s_min);
        } else {
            b.lo = b.lo.max(lambda);
        }
        b.lo = b.lo.max(b.s);
        // Newton's step on 1/‖p(λ)‖ − 1/Δ: ‖q‖² = pᵀ(H + λI)⁻¹p with q = L⁻¹p.
        self.q.copy_from_slice(&self.p);
        self.chol.solve_lower_in_place(&mut self.q);
        let qq = dot(&self.q, &self.q);
        let next = b.safeguard(lambda + (pn * pn / qq) * (pn - radius) / radius);
        // λ can no longer move (next within rounding of λ): ‖p(λ)‖ is as close to Δ as
        // floating point allows, next to −λ₁ where it is steepest.
        let stalled = (next - lambda).abs() <= 4.0 * f64::EPSILON * lambda.abs();
        if !(accept_hard || stalled || last) {
            return Outcome::Next(next);
        }
        let forced = !(accept_hard || stalled);
        if pn < radius {
            axpy(tau, &self.z, &mut self.p);
        } else {
            scale(radius / pn, &mut self.p);
        }
        Outcome::Done {
            on_boundary: true,
            hard_case: pn < radius,
            forced,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn info(
        &self,
        h: MatRef<'_, f64>,
        g: &[f64],
        lambda: f64,
        iterations: usize,
        on_boundary: bool,
        hard_case: bool,
        converged: bool,
    ) -> SubproblemInfo {
        SubproblemInfo {
            lambda,
            model_value: model(h, g, &self.p),
            iterations,
            on_boundary,
            hard_case,
            converged,
        }
    }
}

/// The root `τ` of `‖p + τz‖ = Δ` (`‖z‖ = 1`, `‖p‖ ≤ Δ`) with the smaller `|τ|`: both roots
/// give `m(p + τz) = −½(‖Lᵀp‖² + λΔ²) + ½τ²‖Lᵀz‖²` (Moré & Sorensen 1983, eq. 3.9), so the
/// smaller one has the lower model value.
fn boundary_step(p: &[f64], z: &[f64], radius: f64) -> f64 {
    let pz = dot(p, z);
    let c = (dot(p, p) - radius * radius).min(0.0);
    let disc = (pz * pz - c).sqrt();
    // Roots −pz ± disc, computed without cancellation; their product is c ≤ 0.
    let big = if pz >= 0.0 { -pz - disc } else { -pz + disc };
    let small = if big != 0.0 { c / big } else { 0.0 };
    if small.abs() <= big.abs() { small } else { big }
}

fn validate(h: MatRef<'_, f64>, g: &[f64], radius: f64, opts: &MoreSorensen) -> Result<()> {
    let n = h.nrows();
    check_len("hessian columns", n, h.ncols())?;
    check_len("g", n, g.len())?;
    check_finite("g", g, 0)?;
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(Error::invalid(
            "radius",
            radius,
            "trust radius must be finite and > 0",
        ));
    }
    opts.validate()?;
    for j in 0..n {
        for i in 0..n {
            if !h[(i, j)].is_finite() {
                return Err(Error::NonFinite {
                    what: "hessian".into(),
                    iteration: 0,
                });
            }
        }
    }
    Ok(())
}

/// Solves the trust-region subproblem for the dense symmetric `h`, gradient `g` and radius
/// `Δ > 0` (a fresh [`MoreSorensenWorkspace`]; methods keep one).
///
/// ```
/// use curvlab::methods::trust_region::{more_sorensen, MoreSorensen};
/// // Hard case: H = diag(-2, 1, 3), g ⊥ e₁.
/// let h = faer::mat![[-2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]];
/// let s = more_sorensen(h.as_ref(), &[0.0, 1.0, 1.0], 2.0, &MoreSorensen::default()).unwrap();
/// let pn = s.p.iter().map(|v| v * v).sum::<f64>().sqrt();
/// assert!(s.hard_case && (pn - 2.0).abs() < 1e-12 && (s.lambda - 2.0).abs() < 1e-8);
/// assert!(more_sorensen(h.as_ref(), &[0.0, 1.0, 1.0], -1.0, &MoreSorensen::default()).is_err());
/// ```
pub fn more_sorensen(
    h: MatRef<'_, f64>,
    g: &[f64],
    radius: f64,
    opts: &MoreSorensen,
) -> Result<TrustRegionStep> {
    let mut ws = MoreSorensenWorkspace::new();
    let info = ws.solve(h, g, radius, opts)?;
    Ok(TrustRegionStep {
        p: ws.p,
        lambda: info.lambda,
        model_value: info.model_value,
        iterations: info.iterations,
        on_boundary: info.on_boundary,
        hard_case: info.hard_case,
    })
}

/// `m(p) = gᵀp + ½pᵀHp` for a dense `H`.
///
/// ```
/// let h = faer::mat![[2.0, 0.0], [0.0, 4.0]];
/// let m = curvlab::methods::trust_region::model(h.as_ref(), &[1.0, 1.0], &[1.0, -1.0]);
/// assert_eq!(m, 0.0 + 0.5 * (2.0 + 4.0));
/// ```
pub fn model(h: MatRef<'_, f64>, g: &[f64], p: &[f64]) -> f64 {
    let n = p.len().min(h.nrows()).min(h.ncols());
    let mut php = 0.0;
    for j in 0..n {
        let col = h.col(j);
        let hp_j: f64 = (0..n).map(|i| col[i] * p[i]).sum();
        php += p[j] * hp_j;
    }
    dot(g, p) + 0.5 * php
}
