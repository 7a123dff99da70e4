//! Exact Newton's method on the dense Hessian with the classical safeguards (Nocedal & Wright
//! 2006, chapters 3 and 4):
//!
//! - `modified` (default): Cholesky with added multiple of the identity, `H + τI = LLᵀ`, τ from
//!   N&W Algorithm 3.3 (β = 10⁻³, τ doubled until the factorization succeeds), then a line
//!   search along `d = −(H + τI)⁻¹g`. The shift τ is reported in the trace as `shift`. The line
//!   search (`line_search`) is monotone Armijo backtracking (default), strong Wolfe, the
//!   nonmonotone Armijo search of Grippo, Lampariello & Lucidi (1986) (`nonmonotone`: sufficient
//!   decrease against the largest of the last `nonmonotone_memory` values, so full Newton steps
//!   that raise `f` temporarily are kept), or none (the unit step).
//! - `lm`: Levenberg–Marquardt damping `(H + λI)d = −g` (Levenberg 1944; Marquardt 1963) with λ
//!   adapted from the reduction ratio `ρ = (f(x) − f(x + d)) / (m(0) − m(d))` by Nielsen's rule
//!   (Nielsen 1999; Madsen, Nielsen & Tingleff 2004, eq. 2.21): accept when ρ > 0 and set
//!   `λ ← λ·max(⅓, 1 − (2ρ − 1)³)`, `ν ← 2`; otherwise `λ ← λν`, `ν ← 2ν`. λ is raised further
//!   (doubled, at least β) while `H + λI` is not positive definite.
//! - `trust-exact`: the trust-region method (N&W Algorithm 4.1) with the nearly exact
//!   subproblem solution of Moré & Sorensen (1983), hard case included
//!   ([`crate::methods::trust_region`]).
//! - `none`: plain Newton; a Hessian that is not positive definite (indefinite or singular) is
//!   an [`Error::NotPositiveDefinite`] naming the remedy (the driver ends the run as `Failed`).
//!
//! The Hessian is `Objective::hessian`: dense where the problem has one, else assembled from
//! `n` exact HVPs. Cholesky factorizations use faer's `llt` kernel in a reused workspace
//! ([`CholeskyWorkspace`]). In the trust-region and LM variants a rejected step is an iteration
//! that leaves `x` unchanged (as in N&W Algorithm 4.1 and scipy), and the Hessian is reused.

use super::line_search::{Armijo, NonmonotoneArmijo, StrongWolfe, Watchdog};
use super::registry::{MethodContext, MethodEntry, MethodInfo};
use super::trust_region::{MoreSorensen, more_sorensen};
use super::{Iterate, Method, Needs, StepInfo};
use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, dot, norm};
use crate::objective::Objective;
use crate::params::{ParamInfo, Params};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::{Mat, MatRef};

/// A reusable Cholesky factorization `LLᵀ = H + σI` of a dense symmetric matrix (lower
/// triangle read), on faer's `llt` kernels, without reallocating between factorizations of
/// the same size. This is the linear algebra of one Newton step.
///
/// ```
/// use curvlab::methods::newton::CholeskyWorkspace;
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

    /// Factors `H + σI`; [`Error::NotPositiveDefinite`] when a pivot is not positive or the
    /// matrix is singular to working precision (`min Lᵢᵢ² ≤ n ε max Lᵢᵢ²`, which implies
    /// `κ ≥ 1/(nε)`),
    /// [`Error::NonFinite`] when `H` has a NaN or Inf, [`Error::Dimension`] when not square.
    pub fn factor(&mut self, h: MatRef<'_, f64>, shift: f64) -> Result<()> {
        let n = h.nrows();
        crate::error::check_len("matrix columns", n, h.ncols())?;
        self.factored = false;
        if self.l.nrows() != n {
            self.l = Mat::zeros(n, n);
        }
        let par = faer::get_global_parallelism();
        if self.mem_n != n {
            self.mem = MemBuffer::new(llt::factor::cholesky_in_place_scratch::<f64>(
                n,
                par,
                Default::default(),
            ));
            self.mem_n = n;
        }
        let mut finite = true;
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
        if !(finite && shift.is_finite()) {
            return Err(Error::NonFinite {
                what: "hessian".into(),
                iteration: 0,
            });
        }
        let stack = MemStack::new(&mut self.mem);
        match llt::factor::cholesky_in_place(
            self.l.as_mut(),
            Default::default(),
            par,
            stack,
            Default::default(),
        ) {
            Ok(_) => {
                // Numerically singular: κ(H) ≥ (max Lᵢᵢ / min Lᵢᵢ)², so a pivot ratio below
                // n·ε means H + σI is singular to working precision.
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
            Err(llt::factor::LltError::NonPositivePivot { index }) => {
                Err(Error::NotPositiveDefinite(format!(
                    "matrix + {shift:e}·I is not positive definite (Cholesky pivot {index} is not positive)"
                )))
            }
        }
    }

    /// Overwrites `rhs` with `(H + σI)⁻¹ rhs` (after a successful [`Self::factor`]; a no-op
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
}

/// Solves `(H + σI) x = b` by Cholesky: the factor-and-solve of one Newton step.
///
/// ```
/// let h = faer::mat![[2.0, 0.0], [0.0, 8.0]];
/// let mut x = [0.0; 2];
/// curvlab::methods::newton::cholesky_solve(h.as_ref(), 0.0, &[2.0, 4.0], &mut x).unwrap();
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 0.5).abs() < 1e-15);
/// ```
pub fn cholesky_solve(h: MatRef<'_, f64>, shift: f64, b: &[f64], x: &mut [f64]) -> Result<()> {
    let mut ws = CholeskyWorkspace::new();
    factor_solve(&mut ws, h, shift, b, x)
}

/// [`cholesky_solve`] in a reused workspace.
///
/// ```
/// use curvlab::methods::newton::{factor_solve, CholeskyWorkspace};
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

/// Which safeguard keeps Newton's method globally convergent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Safeguard {
    /// Cholesky with added multiple of the identity (N&W Algorithm 3.3) and a line search.
    Modified,
    /// Levenberg–Marquardt damping with Nielsen's ρ rule.
    Lm,
    /// Trust region with Moré–Sorensen's nearly exact subproblem solution.
    TrustExact,
    /// None: an error when the Hessian is not positive definite.
    None,
}

impl Safeguard {
    /// Parses `modified`, `lm`, `trust-exact` or `none`.
    ///
    /// ```
    /// use curvlab::methods::newton::Safeguard;
    /// assert_eq!(Safeguard::parse("lm").unwrap(), Safeguard::Lm);
    /// assert!(Safeguard::parse("magic").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "modified" => Ok(Safeguard::Modified),
            "lm" => Ok(Safeguard::Lm),
            "trust-exact" => Ok(Safeguard::TrustExact),
            "none" => Ok(Safeguard::None),
            _ => Err(Error::invalid(
                "safeguard",
                s,
                "expected modified, lm, trust-exact or none",
            )),
        }
    }
}

/// Which line search a Newton-type method uses along its direction (both from
/// [`crate::methods::line_search`], started at the unit step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LineSearchKind {
    /// Armijo backtracking.
    Armijo,
    /// Strong Wolfe.
    Wolfe,
    /// The unit step, unconditionally.
    None,
    /// Nonmonotone Armijo backtracking (Grippo, Lampariello & Lucidi 1986), [`NonmonotoneArmijo`].
    Nonmonotone,
    /// The watchdog technique (Chamberlain et al. 1982; N&W Algorithm 15.2), [`Watchdog`].
    Watchdog,
}

impl LineSearchKind {
    /// Parses `armijo`, `wolfe`, `nonmonotone`, `watchdog` or `none`.
    ///
    /// ```
    /// use curvlab::methods::newton::LineSearchKind;
    /// assert_eq!(LineSearchKind::parse("wolfe").unwrap(), LineSearchKind::Wolfe);
    /// assert_eq!(LineSearchKind::parse("nonmonotone").unwrap(), LineSearchKind::Nonmonotone);
    /// assert!(LineSearchKind::parse("exact").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "armijo" => Ok(LineSearchKind::Armijo),
            "wolfe" => Ok(LineSearchKind::Wolfe),
            "none" => Ok(LineSearchKind::None),
            "nonmonotone" => Ok(LineSearchKind::Nonmonotone),
            "watchdog" => Ok(LineSearchKind::Watchdog),
            _ => Err(Error::invalid(
                "line_search",
                s,
                "expected armijo, wolfe, nonmonotone, watchdog or none",
            )),
        }
    }
}

/// Moves `it` along `d` with the chosen line search from `α = 1`; returns `α`. Leaves `it`
/// consistent (`f`, `g` at the new `x`).
pub(crate) fn line_search_step(
    obj: &dyn Objective,
    it: &mut Iterate,
    d: &[f64],
    kind: LineSearchKind,
    armijo: &Armijo,
    wolfe: &StrongWolfe,
) -> Result<f64> {
    let n = it.x.len();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let alpha = match kind {
        LineSearchKind::Armijo => {
            let r = armijo.search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new)?;
            it.f = obj.gradient(&x_new, &mut g_new)?;
            r.alpha
        }
        LineSearchKind::Wolfe => {
            let r = wolfe.search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new, &mut g_new)?;
            it.f = r.f;
            r.alpha
        }
        LineSearchKind::None => {
            add_scaled(&it.x, 1.0, d, &mut x_new);
            it.f = obj.gradient(&x_new, &mut g_new)?;
            1.0
        }
        LineSearchKind::Nonmonotone | LineSearchKind::Watchdog => {
            return Err(Error::Numerical(
                "the nonmonotone and watchdog searches keep a state: the method handles them"
                    .into(),
            ));
        }
    };
    it.x = x_new;
    it.g = g_new;
    Ok(alpha)
}

/// Moves `it` along `d` with the nonmonotone Armijo search (which records `it.f`) from `α = 1`;
/// returns `α`. Leaves `it` consistent (`f`, `g` at the new `x`).
pub(crate) fn nonmonotone_step(
    obj: &dyn Objective,
    it: &mut Iterate,
    d: &[f64],
    ls: &mut NonmonotoneArmijo,
) -> Result<f64> {
    let n = it.x.len();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let r = ls.search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new)?;
    it.f = obj.gradient(&x_new, &mut g_new)?;
    it.x = x_new;
    it.g = g_new;
    Ok(r.alpha)
}

/// `f(x)`, with a non-finite value (or a `NonFinite` error) read as `+∞`: a trial point of a
/// trust-region or damped step that overflows is rejected, not fatal.
pub(crate) fn trial_value(obj: &dyn Objective, x: &[f64]) -> Result<f64> {
    match obj.value(x) {
        Ok(f) if f.is_finite() => Ok(f),
        Ok(_) | Err(Error::NonFinite { .. }) => Ok(f64::INFINITY),
        Err(e) => Err(e),
    }
}

/// Validates a trust-region triple: `0 < radius ≤ max_radius < ∞`, `0 ≤ eta < ¼`.
pub(crate) fn check_trust_region(radius: f64, max_radius: f64, eta: f64) -> Result<()> {
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(Error::invalid(
            "radius",
            radius,
            "trust radius must be finite and > 0",
        ));
    }
    if !(max_radius >= radius && max_radius.is_finite()) {
        return Err(Error::invalid(
            "max_radius",
            max_radius,
            "must be finite and >= radius",
        ));
    }
    if !((0.0..0.25).contains(&eta)) {
        return Err(Error::invalid(
            "eta",
            eta,
            "acceptance threshold must be in [0, 0.25)",
        ));
    }
    Ok(())
}

/// The trust-region radius update of N&W Algorithm 4.1 (shrink to ¼ when ρ < ¼; double up to
/// `max_radius` when ρ > ¾ and the step reached the boundary).
pub(crate) fn update_radius(radius: f64, rho: f64, on_boundary: bool, max_radius: f64) -> f64 {
    if rho < 0.25 {
        0.25 * radius
    } else if rho > 0.75 && on_boundary {
        (2.0 * radius).min(max_radius)
    } else {
        radius
    }
}

/// Exact Newton with a selectable safeguard.
///
/// ```
/// use curvlab::methods::Newton;
/// use curvlab::problems::Rosenbrock;
/// use curvlab::{minimize, Stop};
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut Newton::default(), &[-1.2, 1.0], &Stop::new(1e-8, 100)).unwrap();
/// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
/// assert!(Newton::new().with_radius(0.0).is_err());
/// ```
#[derive(Debug)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct Newton {
    safeguard: Safeguard,
    line_search: LineSearchKind,
    armijo: Armijo,
    wolfe: StrongWolfe,
    nonmonotone: NonmonotoneArmijo,
    watchdog: Watchdog,
    beta: f64,
    lambda0: f64,
    radius0: f64,
    max_radius: f64,
    eta: f64,
    // state
    lambda: f64,
    nu: f64,
    radius: f64,
    // Caches (recomputed after a checkpoint resume).
    #[cfg_attr(feature = "serde1", serde(skip))]
    cached: Option<(Vec<f64>, Mat<f64>)>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    chol: CholeskyWorkspace,
}

impl Default for Newton {
    fn default() -> Self {
        Newton {
            safeguard: Safeguard::Modified,
            line_search: LineSearchKind::Armijo,
            armijo: Armijo::default(),
            wolfe: StrongWolfe::default(),
            nonmonotone: NonmonotoneArmijo::default(),
            watchdog: Watchdog::new(),
            beta: 1e-3,
            lambda0: 1e-3,
            radius0: 1.0,
            max_radius: 1000.0,
            eta: 0.15,
            lambda: 1e-3,
            nu: 2.0,
            radius: 1.0,
            cached: None,
            chol: CholeskyWorkspace::new(),
        }
    }
}

impl Newton {
    /// The default: `modified` safeguard with Armijo backtracking (c₁ = 10⁻⁴, ρ = ½).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the safeguard.
    ///
    /// ```
    /// use curvlab::methods::newton::{Newton, Safeguard};
    /// let m = Newton::new().with_safeguard(Safeguard::TrustExact);
    /// assert_eq!(m.safeguard(), Safeguard::TrustExact);
    /// ```
    pub fn with_safeguard(mut self, s: Safeguard) -> Self {
        self.safeguard = s;
        self
    }

    /// The safeguard.
    pub fn safeguard(&self) -> Safeguard {
        self.safeguard
    }

    /// Sets the line search (used by `modified` and `none`).
    pub fn with_line_search(mut self, l: LineSearchKind) -> Self {
        self.line_search = l;
        self
    }

    /// Sets the Armijo parameters (validated).
    pub fn with_armijo(mut self, a: Armijo) -> Result<Self> {
        a.validate()?;
        self.armijo = a;
        Ok(self)
    }

    /// Sets the strong-Wolfe parameters (validated).
    pub fn with_wolfe(mut self, w: StrongWolfe) -> Result<Self> {
        w.validate()?;
        self.wolfe = w;
        Ok(self)
    }

    /// Sets the memory `M ≥ 1` of the nonmonotone line search (`line_search = nonmonotone`,
    /// default 10; `M = 1` is monotone Armijo). Its backtracking parameters are those of
    /// [`Newton::with_armijo`].
    ///
    /// ```
    /// use curvlab::methods::newton::{LineSearchKind, Newton};
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let mut m = Newton::new()
    ///     .with_line_search(LineSearchKind::Nonmonotone)
    ///     .with_nonmonotone_memory(10)
    ///     .unwrap();
    /// let r = minimize(&f, &mut m, &[-1.2, 1.0], &Stop::new(1e-8, 100)).unwrap();
    /// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
    /// assert!(Newton::new().with_nonmonotone_memory(0).is_err());
    /// ```
    pub fn with_nonmonotone_memory(mut self, memory: usize) -> Result<Self> {
        self.nonmonotone = NonmonotoneArmijo::new(memory)?.with_armijo(self.armijo)?;
        Ok(self)
    }

    /// Sets N&W Algorithm 3.3's β (finite, `> 0`).
    pub fn with_beta(mut self, beta: f64) -> Result<Self> {
        if !(beta > 0.0 && beta.is_finite()) {
            return Err(Error::invalid("beta", beta, "must be finite and > 0"));
        }
        self.beta = beta;
        Ok(self)
    }

    /// Sets the initial Levenberg–Marquardt damping λ₀ (finite, `≥ 0`).
    ///
    /// ```
    /// assert!(curvlab::methods::Newton::new().with_lambda(-1.0).is_err());
    /// ```
    pub fn with_lambda(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::invalid(
                "lambda",
                lambda,
                "damping must be finite and >= 0",
            ));
        }
        self.lambda0 = lambda;
        Ok(self)
    }

    /// Sets the initial trust radius (finite, `> 0`; `init` also checks `radius ≤ max_radius`).
    pub fn with_radius(mut self, radius: f64) -> Result<Self> {
        check_trust_region(radius, f64::MAX, self.eta)?;
        self.radius0 = radius;
        Ok(self)
    }

    /// Sets the largest trust radius (finite, `> 0`).
    pub fn with_max_radius(mut self, max_radius: f64) -> Result<Self> {
        check_trust_region(max_radius, max_radius, self.eta)?;
        self.max_radius = max_radius;
        Ok(self)
    }

    /// Sets the acceptance threshold η ∈ [0, ¼).
    pub fn with_eta(mut self, eta: f64) -> Result<Self> {
        check_trust_region(1.0, 1.0, eta)?;
        self.eta = eta;
        Ok(self)
    }

    fn hessian(&mut self, obj: &dyn Objective, x: &[f64]) -> Result<()> {
        if let Some((cx, _)) = &self.cached
            && cx.as_slice() == x
        {
            return Ok(());
        }
        let h = obj.hessian(x)?;
        crate::error::check_len("hessian rows", x.len(), h.nrows())?;
        crate::error::check_len("hessian columns", x.len(), h.ncols())?;
        self.cached = Some((x.to_vec(), h));
        Ok(())
    }

    /// Takes the cached Hessian out (put it back with `self.cached = Some(..)`).
    fn take_hessian(&mut self) -> Result<(Vec<f64>, Mat<f64>)> {
        self.cached
            .take()
            .ok_or_else(|| Error::Numerical("Hessian not computed".into()))
    }

    fn step_line_search(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        if self.line_search == LineSearchKind::Watchdog && self.watchdog.pending_return() {
            let x_before = it.x.clone();
            let alpha = self.watchdog.return_step(&self.armijo, obj, it)?;
            let moved: Vec<f64> = it.x.iter().zip(&x_before).map(|(a, b)| a - b).collect();
            return Ok(StepInfo::new(norm(&moved))
                .with("alpha", alpha)
                .with("watchdog_return", 1.0));
        }
        let h = obj.hessian(&it.x)?;
        crate::error::check_len("hessian rows", it.x.len(), h.nrows())?;
        let tau = match self.safeguard {
            Safeguard::None => {
                self.chol.factor(h.as_ref(), 0.0).map_err(|e| match e {
                    Error::NotPositiveDefinite(m) => Error::NotPositiveDefinite(format!(
                        "Newton (safeguard = none): the Hessian is not positive definite \
                         (indefinite or singular): {m}; use safeguard = modified, lm or trust-exact"
                    )),
                    other => other,
                })?;
                0.0
            }
            _ => modified_cholesky(&mut self.chol, h.as_ref(), self.beta)?,
        };
        let mut d: Vec<f64> = it.g.iter().map(|v| -v).collect();
        self.chol.solve_in_place(&mut d);
        let dn = norm(&d);
        let alpha = match self.line_search {
            LineSearchKind::Nonmonotone => nonmonotone_step(obj, it, &d, &mut self.nonmonotone)?,
            LineSearchKind::Watchdog => self.watchdog.step(&self.armijo, obj, it, &d)?,
            kind => line_search_step(obj, it, &d, kind, &self.armijo, &self.wolfe)?,
        };
        Ok(StepInfo::new(alpha * dn)
            .with("shift", tau)
            .with("alpha", alpha))
    }

    fn step_lm(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        self.hessian(obj, &it.x)?;
        let (cx, hm) = self.take_hessian()?;
        let h = hm.as_ref();
        // Raise λ until H + λI ≻ 0.
        let mut tries = 0;
        while let Err(e) = self.chol.factor(h, self.lambda) {
            if !matches!(e, Error::NotPositiveDefinite(_)) || tries > 200 {
                return Err(e);
            }
            self.lambda = (2.0 * self.lambda).max(self.beta);
            tries += 1;
        }
        let mut d: Vec<f64> = it.g.iter().map(|v| -v).collect();
        self.chol.solve_in_place(&mut d);
        // m(0) − m(d) with (H + λI)d = −g: −gᵀd − ½dᵀHd = ½(−gᵀd + λ‖d‖²).
        let dd = dot(&d, &d);
        let pred = 0.5 * (-dot(&it.g, &d) + self.lambda * dd);
        let mut x_new = vec![0.0; it.x.len()];
        add_scaled(&it.x, 1.0, &d, &mut x_new);
        let f_new = trial_value(obj, &x_new)?;
        let rho = (it.f - f_new) / pred;
        let lambda_used = self.lambda;
        let mut step = 0.0;
        if rho > 0.0 && pred > 0.0 {
            let mut g_new = vec![0.0; it.x.len()];
            it.f = obj.gradient(&x_new, &mut g_new)?;
            it.x = x_new;
            it.g = g_new;
            self.lambda *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
            self.nu = 2.0;
            step = dd.sqrt();
        } else {
            self.lambda = (self.lambda * self.nu).max(self.beta);
            self.nu *= 2.0;
        }
        self.cached = Some((cx, hm));
        Ok(StepInfo::new(step)
            .with("lambda", lambda_used)
            .with("rho", rho))
    }

    fn step_trust_exact(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        check_radius_alive(self.radius, &it.x)?;
        self.hessian(obj, &it.x)?;
        let (cx, hm) = self.take_hessian()?;
        let s = more_sorensen(hm.as_ref(), &it.g, self.radius, &MoreSorensen::default())?;
        self.cached = Some((cx, hm));
        let pred = -s.model_value;
        let mut x_new = vec![0.0; it.x.len()];
        add_scaled(&it.x, 1.0, &s.p, &mut x_new);
        let f_new = trial_value(obj, &x_new)?;
        let rho = if pred > 0.0 {
            (it.f - f_new) / pred
        } else {
            f64::NEG_INFINITY
        };
        let radius_used = self.radius;
        self.radius = update_radius(self.radius, rho, s.on_boundary, self.max_radius);
        let mut step = 0.0;
        if rho > self.eta {
            let mut g_new = vec![0.0; it.x.len()];
            it.f = obj.gradient(&x_new, &mut g_new)?;
            it.x = x_new;
            it.g = g_new;
            step = norm(&s.p);
        }
        Ok(StepInfo::new(step)
            .with("radius", radius_used)
            .with("rho", rho)
            .with("lambda", s.lambda))
    }
}

/// An error once the trust radius has collapsed below rounding level at `x`.
pub(crate) fn check_radius_alive(radius: f64, x: &[f64]) -> Result<()> {
    if radius <= f64::EPSILON * norm(x).max(1.0) {
        return Err(Error::Numerical(format!(
            "trust radius collapsed to {radius:e}: no model decrease can be realized"
        )));
    }
    Ok(())
}

/// Cholesky with added multiple of the identity (N&W Algorithm 3.3): factors `H + τI` with
/// `τ₀ = 0` if `min hᵢᵢ > 0`, else `−min hᵢᵢ + β`, doubling `τ` (at least β) until the
/// factorization succeeds. Returns τ.
///
/// ```
/// use curvlab::methods::newton::{modified_cholesky, CholeskyWorkspace};
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

impl Method for Newton {
    fn name(&self) -> &str {
        "newton"
    }
    fn needs(&self) -> Needs {
        Needs::Hessian
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        check_trust_region(self.radius0, self.max_radius, self.eta)?;
        self.armijo.validate()?;
        self.wolfe.validate()?;
        self.nonmonotone.armijo = self.armijo;
        self.nonmonotone.validate()?;
        self.nonmonotone.reset();
        self.watchdog.reset();
        self.lambda = self.lambda0;
        self.nu = 2.0;
        self.radius = self.radius0;
        self.cached = None;
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        match self.safeguard {
            Safeguard::Modified | Safeguard::None => self.step_line_search(obj, it),
            Safeguard::Lm => self.step_lm(obj, it),
            Safeguard::TrustExact => self.step_trust_exact(obj, it),
        }
    }
}

const PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "safeguard",
        default: "modified",
        doc: "modified (Cholesky with added multiple of I, N&W Alg 3.3, + line search), lm (Levenberg-Marquardt, Nielsen's rho rule), trust-exact (More-Sorensen trust region), none (error if H is not positive definite)",
    },
    ParamInfo {
        name: "line_search",
        default: "armijo",
        doc: "armijo (monotone backtracking), wolfe (strong Wolfe), nonmonotone (Grippo-Lampariello-Lucidi 1986 Armijo against the max of the last nonmonotone_memory values), watchdog (Chamberlain-Powell-Lemarechal-Pedersen 1982, N&W Alg 15.2: a unit step that fails Armijo is kept once, checked after the next step) or none (unit step); used by safeguard = modified and none",
    },
    ParamInfo {
        name: "nonmonotone_memory",
        default: "10",
        doc: "memory M >= 1 of line_search = nonmonotone (1 = monotone Armijo)",
    },
    ParamInfo {
        name: "beta",
        default: "1e-3",
        doc: "smallest shift of the modified Cholesky (N&W Alg 3.3) and of LM when H + lambda I is indefinite",
    },
    ParamInfo {
        name: "lambda",
        default: "1e-3",
        doc: "initial Levenberg-Marquardt damping (safeguard = lm), >= 0",
    },
    ParamInfo {
        name: "radius",
        default: "1",
        doc: "initial trust radius (safeguard = trust-exact), > 0",
    },
    ParamInfo {
        name: "max_radius",
        default: "1000",
        doc: "largest trust radius",
    },
    ParamInfo {
        name: "eta",
        default: "0.15",
        doc: "step acceptance threshold on rho, in [0, 0.25)",
    },
];

fn build(p: &Params, _ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = Newton::default();
    let m = Newton::new()
        .with_safeguard(Safeguard::parse(&p.str("safeguard", "modified")?)?)
        .with_line_search(LineSearchKind::parse(&p.str("line_search", "armijo")?)?)
        .with_nonmonotone_memory(p.usize("nonmonotone_memory", d.nonmonotone.memory)?)?
        .with_beta(p.f64("beta", d.beta)?)?
        .with_lambda(p.f64("lambda", d.lambda0)?)?
        .with_max_radius(p.f64("max_radius", d.max_radius)?)?
        .with_radius(p.f64("radius", d.radius0)?)?
        .with_eta(p.f64("eta", d.eta)?)?;
    check_trust_region(m.radius0, m.max_radius, m.eta)?;
    Ok(Box::new(m))
}

/// Registry entries.
pub const ENTRIES: &[MethodEntry] = &[MethodEntry {
    info: MethodInfo {
        name: "newton",
        summary: "exact Newton on the dense Hessian (Cholesky via faer llt) with a safeguard: modified Cholesky + line search, Levenberg-Marquardt, or More-Sorensen trust region (Nocedal & Wright ch. 3-4)",
        params: PARAMS,
    },
    build,
}];
