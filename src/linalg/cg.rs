//! Conjugate gradients on any [`LinearOperator`]: the linear CG method of Hestenes & Stiefel
//! (1952) and its preconditioned form (Nocedal & Wright 2006, Algorithms 5.2 and 5.3), with the
//! Steihaug–Toint trust-region truncation (Steihaug 1983; Toint 1981; Nocedal & Wright 2006,
//! Algorithm 7.2) and the extras Hessian-free optimization needs (Martens 2010, §4.4–4.6): a
//! warm start, the quadratic-model value `φ(x) = ½xᵀAx − bᵀx` tracked at every iteration, the
//! relative-progress stopping rule, and iterates saved at chosen iteration numbers for CG
//! backtracking.
//!
//! There is one CG loop, [`solve`]; [`cg`], [`pcg`] and [`crate::linalg::steihaug::steihaug`]
//! are thin front ends. The residual is `r = b − Ax`, so `φ(x) = −½ xᵀ(r + b)` costs one dot
//! product per iteration. Curvature `pᵀAp ≤ 0` along a search direction is never hidden: the
//! loop stops and reports the direction and its Rayleigh quotient in
//! [`CgResult::negative_curvature`].

use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::LinearOperator;
use crate::linalg::vector::{axpy, dot, norm};

/// A preconditioner `M ≈ A` (symmetric positive definite), applied as `z = M⁻¹ r`.
///
/// ```
/// use curvlab::linalg::cg::{Diagonal, Preconditioner};
/// let m = Diagonal::new(vec![2.0, 4.0]).unwrap();
/// let mut z = [0.0; 2];
/// m.apply_inverse(&[2.0, 2.0], &mut z).unwrap();
/// assert_eq!(z, [1.0, 0.5]);
/// ```
pub trait Preconditioner: Send + Sync {
    /// The dimension `n`.
    fn dim(&self) -> usize;
    /// Writes `M⁻¹ r` into `z`.
    fn apply_inverse(&self, r: &[f64], z: &mut [f64]) -> Result<()>;
}

/// A diagonal preconditioner `M = diag(d)` with `dᵢ > 0`: Jacobi's (`d` = the diagonal of `A`)
/// or Martens's (2010, §4.7) `d = (Σᵢ ∇fᵢ ⊙ ∇fᵢ / N + λ)^ξ`.
///
/// ```
/// use curvlab::linalg::cg::Diagonal;
/// let a = faer::mat![[4.0, 1.0], [1.0, 9.0]];
/// let m = Diagonal::jacobi(&a).unwrap();
/// assert_eq!(m.diagonal(), &[4.0, 9.0]);
/// assert!(Diagonal::new(vec![1.0, 0.0]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Diagonal {
    d: Vec<f64>,
}

impl Diagonal {
    /// `M = diag(d)`; every entry must be finite and positive.
    pub fn new(d: Vec<f64>) -> Result<Self> {
        if let Some(v) = d.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(Error::NotPositiveDefinite(format!(
                "diagonal preconditioner entry {v} is not finite and positive"
            )));
        }
        Ok(Diagonal { d })
    }

    /// Jacobi's preconditioner: the diagonal of `A` (read from a dense operator, else formed by
    /// `n` applications to unit vectors). An error when a diagonal entry is not positive.
    pub fn jacobi<A: LinearOperator + ?Sized>(a: &A) -> Result<Self> {
        let n = a.dim();
        if let Some(m) = a.as_dense() {
            return Diagonal::new((0..n).map(|i| m[(i, i)]).collect());
        }
        let mut d = vec![0.0; n];
        let mut e = vec![0.0; n];
        let mut col = vec![0.0; n];
        for i in 0..n {
            e[i] = 1.0;
            a.apply(&e, &mut col)?;
            e[i] = 0.0;
            d[i] = col[i];
        }
        Diagonal::new(d)
    }

    /// The diagonal `d`.
    pub fn diagonal(&self) -> &[f64] {
        &self.d
    }
}

impl Preconditioner for Diagonal {
    fn dim(&self) -> usize {
        self.d.len()
    }
    fn apply_inverse(&self, r: &[f64], z: &mut [f64]) -> Result<()> {
        check_len("r", self.d.len(), r.len())?;
        check_len("z", self.d.len(), z.len())?;
        for ((zi, ri), di) in z.iter_mut().zip(r).zip(&self.d) {
            *zi = ri / di;
        }
        Ok(())
    }
}

/// Martens's relative-progress stopping rule (Martens 2010, §4.4): at iteration `i` with
/// `k = max(min_window, ⌈window_fraction · i⌉)`, stop when `i > k`, `φ(x_i) < 0` and
/// `(φ(x_i) − φ(x_{i−k})) / φ(x_i) < k ε`.
///
/// ```
/// use curvlab::linalg::cg::MartensStop;
/// let m = MartensStop::default();
/// assert_eq!((m.min_window, m.window_fraction, m.eps), (10, 0.1, 5e-4));
/// // φ flat over the last 10 iterations: stop.
/// let phi = vec![-1.0; 12];
/// assert!(m.should_stop(&phi));
/// assert!(!m.should_stop(&phi[..5]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MartensStop {
    /// Smallest window `k` (Martens: 10).
    pub min_window: usize,
    /// Window as a fraction of the iteration count (Martens: 0.1).
    pub window_fraction: f64,
    /// Relative progress per iteration below which CG stops (Martens: 5·10⁻⁴).
    pub eps: f64,
}

impl Default for MartensStop {
    fn default() -> Self {
        MartensStop {
            min_window: 10,
            window_fraction: 0.1,
            eps: 5e-4,
        }
    }
}

impl MartensStop {
    /// Checks the constants.
    ///
    /// ```
    /// use curvlab::linalg::cg::MartensStop;
    /// assert!(MartensStop { eps: -1.0, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.min_window == 0 {
            return Err(Error::invalid("min_window", 0, "must be >= 1"));
        }
        if !(self.window_fraction >= 0.0 && self.window_fraction.is_finite()) {
            return Err(Error::invalid(
                "window_fraction",
                self.window_fraction,
                "must be finite and >= 0",
            ));
        }
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(Error::invalid(
                "martens_eps",
                self.eps,
                "must be finite and > 0",
            ));
        }
        Ok(())
    }

    /// Whether to stop, given `phi[j] = φ(x_j)` for `j = 0..=i`.
    pub fn should_stop(&self, phi: &[f64]) -> bool {
        let Some(i) = phi.len().checked_sub(1) else {
            return false;
        };
        let k = self
            .min_window
            .max((self.window_fraction * i as f64).ceil() as usize);
        if i <= k {
            return false;
        }
        let (now, before) = (phi[i], phi[i - k]);
        now < 0.0 && (now - before) / now < k as f64 * self.eps
    }
}

/// CG options. [`CgOptions::default`] solves to a relative residual of 1e-10 in at most
/// 10 000 iterations, with no trust region, no Martens rule and no saved iterates.
///
/// ```
/// use curvlab::linalg::cg::CgOptions;
/// let o = CgOptions::default().with_rtol(1e-6).unwrap().with_max_iters(50).unwrap();
/// assert_eq!((o.rtol, o.max_iters), (1e-6, 50));
/// assert!(CgOptions::default().with_max_iters(0).is_err());
/// assert!(CgOptions::default().with_radius(0.0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CgOptions {
    /// Stop when `‖b − Ax‖ ≤ rtol · ‖b‖`.
    pub rtol: f64,
    /// Iteration budget (at least 1).
    pub max_iters: usize,
    /// Trust-region radius `Δ` (Steihaug–Toint): stop on the boundary `‖x‖ = Δ` when a step
    /// would leave the region or along negative curvature. `None`: no region.
    pub radius: Option<f64>,
    /// Martens's relative-progress rule, if any.
    pub martens: Option<MartensStop>,
    /// Iteration numbers whose iterates are saved in [`CgResult::saved`].
    pub save_at: Vec<usize>,
}

impl Default for CgOptions {
    fn default() -> Self {
        CgOptions {
            rtol: 1e-10,
            max_iters: 10_000,
            radius: None,
            martens: None,
            save_at: Vec::new(),
        }
    }
}

impl CgOptions {
    /// Sets the relative residual tolerance (finite, `≥ 0`).
    pub fn with_rtol(mut self, rtol: f64) -> Result<Self> {
        if !(rtol >= 0.0 && rtol.is_finite()) {
            return Err(Error::invalid("rtol", rtol, "must be finite and >= 0"));
        }
        self.rtol = rtol;
        Ok(self)
    }
    /// Sets the iteration budget (`≥ 1`).
    pub fn with_max_iters(mut self, max_iters: usize) -> Result<Self> {
        if max_iters == 0 {
            return Err(Error::invalid("cg_max_iters", 0, "must be >= 1"));
        }
        self.max_iters = max_iters;
        Ok(self)
    }
    /// Sets a trust-region radius (finite, `> 0`).
    pub fn with_radius(mut self, radius: f64) -> Result<Self> {
        if !(radius > 0.0 && radius.is_finite()) {
            return Err(Error::invalid(
                "radius",
                radius,
                "trust radius must be finite and > 0",
            ));
        }
        self.radius = Some(radius);
        Ok(self)
    }
    /// Enables Martens's stopping rule.
    pub fn with_martens(mut self, m: MartensStop) -> Result<Self> {
        m.validate()?;
        self.martens = Some(m);
        Ok(self)
    }
    /// Saves the iterates at these iteration numbers.
    pub fn with_save_at(mut self, save_at: Vec<usize>) -> Self {
        self.save_at = save_at;
        self
    }
    /// Checks all fields (the `with_*` builders already do; this catches direct struct edits).
    pub fn validate(&self) -> Result<()> {
        let mut o = CgOptions::default().with_rtol(self.rtol)?;
        o = o.with_max_iters(self.max_iters)?;
        if let Some(r) = self.radius {
            o.with_radius(r)?;
        }
        if let Some(m) = self.martens {
            m.validate()?;
        }
        Ok(())
    }
}

/// Why CG stopped.
///
/// ```
/// use curvlab::linalg::cg::{cg, CgOptions, CgStatus};
/// let a = faer::mat![[1.0, 0.0], [0.0, 100.0]];
/// let r = cg(&a, &[1.0, 1.0], None, &CgOptions::default().with_max_iters(1).unwrap()).unwrap();
/// assert_eq!(r.status, CgStatus::MaxIterations);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CgStatus {
    /// `‖r‖ ≤ rtol · ‖b‖`.
    Converged,
    /// The iteration budget was spent.
    MaxIterations,
    /// `pᵀAp ≤ 0` along a search direction (see [`CgResult::negative_curvature`]).
    NegativeCurvature,
    /// The next iterate would have left the trust region; the result lies on its boundary.
    Boundary,
    /// Martens's relative-progress rule fired.
    MartensStop,
}

/// A direction of nonpositive curvature found by CG.
///
/// ```
/// use curvlab::linalg::cg::{cg, CgOptions};
/// let a = faer::mat![[-2.0, 0.0], [0.0, 1.0]];
/// let r = cg(&a, &[1.0, 0.0], None, &CgOptions::default()).unwrap();
/// let neg = r.negative_curvature.unwrap();
/// assert_eq!((neg.direction, neg.curvature), (vec![1.0, 0.0], -2.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NegativeCurvature {
    /// The search direction `p`.
    pub direction: Vec<f64>,
    /// Its Rayleigh quotient `pᵀAp / pᵀp ≤ 0`.
    pub curvature: f64,
}

/// What CG returns.
///
/// ```
/// use curvlab::linalg::cg::{cg, CgOptions};
/// let a = faer::mat![[2.0, 0.0], [0.0, 4.0]];
/// let r = cg(&a, &[2.0, 4.0], None, &CgOptions::default()).unwrap();
/// // φ(x*) = −½ bᵀx* = −½ (2 + 4) = −3
/// assert!((r.model_value() + 3.0).abs() < 1e-14);
/// assert_eq!(r.phi[0], 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CgResult {
    /// The final iterate.
    pub x: Vec<f64>,
    /// Why it stopped.
    pub status: CgStatus,
    /// Completed iterations (updates of `x`, including a final step to the trust-region
    /// boundary). Detecting negative curvature without a region does not update `x`.
    pub iterations: usize,
    /// `‖b − Ax‖` at the final iterate (from the recurrence).
    pub residual_norm: f64,
    /// Operator applications (including the one for the residual of a nonzero warm start).
    pub applications: usize,
    /// `φ(x_j) = ½x_jᵀAx_j − bᵀx_j` for `j = 0..=iterations`.
    pub phi: Vec<f64>,
    /// The direction of nonpositive curvature that stopped CG, if any.
    pub negative_curvature: Option<NegativeCurvature>,
    /// `(j, x_j)` for every `j` in [`CgOptions::save_at`] that was reached.
    pub saved: Vec<(usize, Vec<f64>)>,
    /// True when the result lies on the trust-region boundary.
    pub on_boundary: bool,
}

impl CgResult {
    /// `φ` at the final iterate.
    pub fn model_value(&self) -> f64 {
        self.phi.last().copied().unwrap_or(0.0)
    }
}

/// Conjugate gradients (Nocedal & Wright Algorithm 5.2) for `Ax = b`, `A` symmetric, from `x0`
/// (zero when `None`).
///
/// ```
/// use curvlab::linalg::cg::{cg, CgOptions, CgStatus};
/// let a = faer::mat![[4.0, 1.0], [1.0, 3.0]];
/// let r = cg(&a, &[1.0, 2.0], None, &CgOptions::default()).unwrap();
/// assert_eq!(r.status, CgStatus::Converged);
/// // exact solution (1/11, 7/11); CG terminates in n = 2 iterations
/// assert!((r.x[0] - 1.0 / 11.0).abs() < 1e-14 && (r.x[1] - 7.0 / 11.0).abs() < 1e-14);
/// assert_eq!(r.iterations, 2);
/// ```
pub fn cg<A: LinearOperator + ?Sized>(
    a: &A,
    b: &[f64],
    x0: Option<&[f64]>,
    opts: &CgOptions,
) -> Result<CgResult> {
    solve(a, None, b, x0, opts)
}

/// Preconditioned conjugate gradients (Nocedal & Wright Algorithm 5.3).
///
/// ```
/// use curvlab::linalg::cg::{pcg, CgOptions, Diagonal};
/// let a = faer::mat![[100.0, 1.0], [1.0, 0.1]];
/// let m = Diagonal::jacobi(&a).unwrap();
/// let r = pcg(&a, &m, &[1.0, 1.0], None, &CgOptions::default()).unwrap();
/// let mut ax = [0.0; 2];
/// curvlab::linalg::LinearOperator::apply(&a, &r.x, &mut ax).unwrap();
/// assert!((ax[0] - 1.0).abs() < 1e-9 && (ax[1] - 1.0).abs() < 1e-9);
/// ```
pub fn pcg<A: LinearOperator + ?Sized>(
    a: &A,
    m: &dyn Preconditioner,
    b: &[f64],
    x0: Option<&[f64]>,
    opts: &CgOptions,
) -> Result<CgResult> {
    solve(a, Some(m), b, x0, opts)
}

/// The roots `τ₋ ≤ 0 ≤ τ₊` of `‖x + τp‖ = Δ` for `‖x‖ ≤ Δ`, `p ≠ 0` (computed without
/// cancellation).
fn boundary_roots(x: &[f64], p: &[f64], radius: f64) -> (f64, f64) {
    let a = dot(p, p);
    let bh = dot(x, p);
    let c = (dot(x, x) - radius * radius).min(0.0);
    let disc = (bh * bh - a * c).max(0.0).sqrt();
    if bh >= 0.0 {
        let q = -(bh + disc);
        let lo = q / a;
        let hi = if q != 0.0 { c / q } else { 0.0 };
        (lo, hi)
    } else {
        let q = -bh + disc;
        let hi = q / a;
        let lo = if q != 0.0 { c / q } else { 0.0 };
        (lo, hi)
    }
}

/// The one CG loop behind [`cg`], [`pcg`] and Steihaug–Toint: preconditioned CG for `Ax = b`
/// from `x0`, with the options' trust region, Martens rule and saved iterates.
///
/// With a radius the loop is Nocedal & Wright's Algorithm 7.2 (for a preconditioner the
/// region is still measured in the Euclidean norm; the monotone growth of `‖x_j‖` that
/// Steihaug proved holds in the `M`-norm). Along negative curvature inside a region the step
/// goes to the boundary root with the lower model value `φ`.
///
/// ```
/// use curvlab::linalg::cg::{solve, CgOptions, CgStatus};
/// let a = faer::mat![[1.0, 0.0], [0.0, -1.0]]; // indefinite
/// let r = solve(&a, None, &[1.0, 1.0], None, &CgOptions::default()).unwrap();
/// assert_eq!(r.status, CgStatus::NegativeCurvature);
/// assert!(r.negative_curvature.unwrap().curvature <= 0.0);
/// ```
pub fn solve<A: LinearOperator + ?Sized>(
    a: &A,
    m: Option<&dyn Preconditioner>,
    b: &[f64],
    x0: Option<&[f64]>,
    opts: &CgOptions,
) -> Result<CgResult> {
    let mut st = CgState::start(a, m, b, x0, opts)?;
    if st.rnorm <= st.target || st.rnorm == 0.0 {
        return Ok(st.finish(CgStatus::Converged, None, false));
    }
    st.precondition()?;
    let mut p = st.z.clone();
    let mut rz = dot(&st.r, &st.z);
    while st.iterations < opts.max_iters {
        a.apply(&p, &mut st.ap)?;
        st.applications += 1;
        check_finite("operator product", &st.ap, st.iterations)?;
        let kappa = dot(&p, &st.ap);
        if !(kappa > 0.0) {
            return Ok(st.negative_curvature_exit(p, kappa));
        }
        let alpha = rz / kappa;
        if let Some(radius) = opts.radius
            && st.leaves_region(&p, alpha, radius)
        {
            let (_, tau) = boundary_roots(&st.x, &p, radius);
            st.move_along(&p, tau);
            return Ok(st.finish(CgStatus::Boundary, None, true));
        }
        st.move_along(&p, alpha);
        if let Some(status) = st.stop_test() {
            return Ok(st.finish(status, None, false));
        }
        st.precondition()?;
        let rz_new = dot(&st.r, &st.z);
        let beta = rz_new / rz;
        rz = rz_new;
        for (pi, zi) in p.iter_mut().zip(&st.z) {
            *pi = zi + beta * *pi;
        }
    }
    Ok(st.finish(CgStatus::MaxIterations, None, false))
}

/// The state of one CG run: iterate, residual `r = b − Ax`, preconditioned residual, the last
/// product, the history of `φ` and the saved iterates.
struct CgState<'a> {
    m: Option<&'a dyn Preconditioner>,
    b: &'a [f64],
    opts: &'a CgOptions,
    x: Vec<f64>,
    r: Vec<f64>,
    z: Vec<f64>,
    ap: Vec<f64>,
    phi: Vec<f64>,
    saved: Vec<(usize, Vec<f64>)>,
    rnorm: f64,
    target: f64,
    iterations: usize,
    applications: usize,
}

impl<'a> CgState<'a> {
    /// Checks the input and forms the initial residual (one product for a nonzero warm start).
    fn start<A: LinearOperator + ?Sized>(
        a: &A,
        m: Option<&'a dyn Preconditioner>,
        b: &'a [f64],
        x0: Option<&[f64]>,
        opts: &'a CgOptions,
    ) -> Result<Self> {
        opts.validate()?;
        let n = a.dim();
        check_len("b", n, b.len())?;
        check_finite("b", b, 0)?;
        if let Some(m) = m {
            check_len("preconditioner", n, m.dim())?;
        }
        let x = match x0 {
            Some(x0) => {
                check_len("x0", n, x0.len())?;
                check_finite("x0", x0, 0)?;
                x0.to_vec()
            }
            None => vec![0.0; n],
        };
        if let Some(radius) = opts.radius
            && norm(&x) > radius
        {
            return Err(Error::invalid(
                "x0",
                format!("norm {:e}", norm(&x)),
                "the warm start must lie inside the trust region",
            ));
        }
        let mut st = CgState {
            m,
            b,
            opts,
            r: b.to_vec(),
            z: vec![0.0; n],
            ap: vec![0.0; n],
            phi: Vec::new(),
            saved: Vec::new(),
            rnorm: 0.0,
            target: opts.rtol * norm(b),
            iterations: 0,
            applications: 0,
            x,
        };
        if st.x.iter().any(|v| *v != 0.0) {
            a.apply(&st.x, &mut st.ap)?;
            st.applications += 1;
            check_finite("operator product", &st.ap, 0)?;
            axpy(-1.0, &st.ap, &mut st.r);
        }
        st.phi.push(st.phi_now());
        if opts.save_at.contains(&0) {
            st.saved.push((0, st.x.clone()));
        }
        st.rnorm = norm(&st.r);
        Ok(st)
    }

    /// `φ(x) = ½xᵀAx − bᵀx = −½ xᵀ(r + b)`.
    fn phi_now(&self) -> f64 {
        -0.5 * (dot(&self.x, &self.r) + dot(&self.x, self.b))
    }

    /// `z = M⁻¹r` (a copy without a preconditioner).
    fn precondition(&mut self) -> Result<()> {
        match self.m {
            Some(m) => m.apply_inverse(&self.r, &mut self.z),
            None => {
                self.z.copy_from_slice(&self.r);
                Ok(())
            }
        }
    }

    /// `x ← x + τp`, `r ← r − τAp` (with `Ap` the last product); records `φ`.
    fn move_along(&mut self, p: &[f64], tau: f64) {
        axpy(tau, p, &mut self.x);
        axpy(-tau, &self.ap, &mut self.r);
        self.rnorm = norm(&self.r);
        self.iterations += 1;
        self.phi.push(self.phi_now());
    }

    /// `‖x + αp‖ ≥ Δ`: the CG step would leave the region (Algorithm 7.2).
    fn leaves_region(&self, p: &[f64], alpha: f64, radius: f64) -> bool {
        let (xx, xp, pp) = (dot(&self.x, &self.x), dot(&self.x, p), dot(p, p));
        xx + 2.0 * alpha * xp + alpha * alpha * pp >= radius * radius
    }

    /// After an interior CG step: saves the iterate if asked, then the residual and Martens
    /// tests.
    fn stop_test(&mut self) -> Option<CgStatus> {
        if self.opts.save_at.contains(&self.iterations) {
            self.saved.push((self.iterations, self.x.clone()));
        }
        if self.rnorm <= self.target {
            return Some(CgStatus::Converged);
        }
        match &self.opts.martens {
            Some(ms) if ms.should_stop(&self.phi) => Some(CgStatus::MartensStop),
            _ => None,
        }
    }

    /// `pᵀAp = κ ≤ 0`: report the direction; inside a region, first move to the boundary root
    /// with the lower model value, `φ(x + τp) − φ(x) = −τ pᵀr + ½ τ² κ`.
    fn negative_curvature_exit(mut self, p: Vec<f64>, kappa: f64) -> CgResult {
        let curvature = kappa / dot(&p, &p);
        let mut on_boundary = false;
        if let Some(radius) = self.opts.radius {
            let (lo, hi) = boundary_roots(&self.x, &p, radius);
            let pr = dot(&p, &self.r);
            let dphi = |t: f64| -t * pr + 0.5 * t * t * kappa;
            let tau = if dphi(lo) < dphi(hi) { lo } else { hi };
            self.move_along(&p, tau);
            on_boundary = true;
        }
        let neg = NegativeCurvature {
            direction: p,
            curvature,
        };
        self.finish(CgStatus::NegativeCurvature, Some(neg), on_boundary)
    }

    fn finish(
        self,
        status: CgStatus,
        negative_curvature: Option<NegativeCurvature>,
        on_boundary: bool,
    ) -> CgResult {
        CgResult {
            x: self.x,
            status,
            iterations: self.iterations,
            residual_norm: self.rnorm,
            applications: self.applications,
            phi: self.phi,
            negative_curvature,
            saved: self.saved,
            on_boundary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_roots_solve_the_quadratic() {
        let x = [0.3, -0.2];
        let p = [1.0, 2.0];
        let (lo, hi) = boundary_roots(&x, &p, 2.0);
        for t in [lo, hi] {
            let y = [x[0] + t * p[0], x[1] + t * p[1]];
            assert!((norm(&y) - 2.0).abs() < 1e-14);
        }
        assert!(lo < 0.0 && hi > 0.0);
    }

    #[test]
    fn warm_start_phi_matches_definition() {
        let a = faer::mat![[3.0, 1.0], [1.0, 2.0]];
        let b = [1.0, -1.0];
        let x0 = [0.5, 0.25];
        let o = CgOptions::default().with_max_iters(1).unwrap();
        let r = cg(&a, &b, Some(&x0), &o).unwrap();
        for (x, phi) in [(&x0[..], r.phi[0]), (&r.x[..], r.phi[1])] {
            let mut ax = [0.0; 2];
            a.apply(x, &mut ax).unwrap();
            let want = 0.5 * dot(x, &ax) - dot(&b, x);
            assert!((phi - want).abs() < 1e-14);
        }
        assert_eq!(r.applications, 2);
    }
}
