//! Truncated (inexact) Newton methods, matrix-free: every curvature product is an exact HVP
//! (counted by the driver's `Counted` wrapper), the Hessian is never formed.
//!
//! - `newton-cg` ([`NewtonCg`]): line-search Newton-CG (Nocedal & Wright 2006, Algorithm 7.1).
//!   CG on `∇²f(x) p = −g` from `p = 0`, stopped at the relative residual
//!   `η_k = min(0.5, √‖g‖)` (the forcing term giving superlinear convergence, N&W eq. 7.3 and
//!   Theorem 7.2) or on the first direction of nonpositive curvature, in which case the current
//!   CG iterate is used (`−g` if that happens at the first iteration); then a line search
//!   from the unit step.
//! - `trust-ncg` ([`TrustNcg`]): trust-region Newton-CG (N&W Algorithm 4.1 with the
//!   Steihaug–Toint subproblem solver, Algorithm 7.2), same forcing term; a rejected step is
//!   an iteration that leaves `x` unchanged (as in N&W and scipy).
//!
//! Both run the single CG loop of [`crate::linalg::cg`].

use super::line_search::{Globalization, LineSearchKind};
use super::trust_region::TrustRegion;
use super::{Iterate, Method, Needs, StepInfo};
use crate::error::{Error, Result};
use crate::linalg::cg::{CgOptions, CgResult, CgStatus, cg};
use crate::linalg::steihaug::steihaug;
use crate::linalg::vector::norm;
use crate::linalg::{HessianOperator, LinearOperator};
use crate::objective::Objective;

/// The forcing term `η = min(cap, √‖g‖)` (N&W eq. 7.3 with cap ½).
///
/// ```
/// assert_eq!(curvlab::methods::newton_cg::forcing_term(0.5, 4.0), 0.5);
/// assert_eq!(curvlab::methods::newton_cg::forcing_term(0.5, 0.01), 0.1);
/// ```
pub fn forcing_term(cap: f64, grad_norm: f64) -> f64 {
    cap.min(grad_norm.sqrt())
}

fn check_cg_max_iters(v: Option<usize>) -> Result<()> {
    if v == Some(0) {
        return Err(Error::invalid(
            "cg_max_iters",
            0,
            "CG needs at least one iteration",
        ));
    }
    Ok(())
}

fn check_forcing(cap: f64) -> Result<()> {
    if !(cap > 0.0 && cap < 1.0) {
        return Err(Error::invalid(
            "forcing",
            cap,
            "forcing-term cap must be in (0, 1)",
        ));
    }
    Ok(())
}

/// Line-search Newton-CG (N&W Algorithm 7.1).
///
/// ```
/// use curvlab::methods::NewtonCg;
/// use curvlab::problems::Rosenbrock;
/// use curvlab::{minimize, Stop};
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut NewtonCg::default(), &[-1.2, 1.0], &Stop::new(1e-8, 200)).unwrap();
/// assert!(r.converged() && r.counts.hessian == 0 && r.counts.hvp > 0);
/// assert!(NewtonCg::new().with_cg_max_iters(0).is_err());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct NewtonCg {
    globalization: Globalization,
    cg_max_iters: Option<usize>,
    forcing: f64,
}

impl Default for NewtonCg {
    fn default() -> Self {
        NewtonCg {
            globalization: Globalization::new(LineSearchKind::Nonmonotone),
            cg_max_iters: None,
            forcing: 0.5,
        }
    }
}

impl NewtonCg {
    /// Nonmonotone Armijo backtracking (Grippo et al. 1986, memory 10, c₁ = 10⁻⁴, ρ = ½), forcing
    /// cap ½, at most `20n` CG iterations: the setting chosen by the study in `docs/defaults.md`.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the line search kind, keeping its parameters.
    pub fn with_line_search(mut self, kind: LineSearchKind) -> Self {
        self.globalization = self.globalization.with_kind(kind);
        self
    }
    /// Sets the whole line-search globalization (kind and parameters).
    ///
    /// ```
    /// use curvlab::methods::NewtonCg;
    /// use curvlab::methods::line_search::{Globalization, LineSearchKind};
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let g = Globalization::new(LineSearchKind::Nonmonotone).with_nonmonotone_memory(10).unwrap();
    /// let mut m = NewtonCg::new().with_globalization(g);
    /// let r = minimize(&f, &mut m, &[-1.2, 1.0], &Stop::new(1e-8, 500)).unwrap();
    /// assert!(r.converged() && (r.x[1] - 1.0).abs() < 1e-7);
    /// ```
    pub fn with_globalization(mut self, g: Globalization) -> Self {
        self.globalization = g;
        self
    }
    /// The line-search globalization.
    pub fn globalization(&self) -> &Globalization {
        &self.globalization
    }
    /// Sets the CG iteration budget per Newton step (`≥ 1`).
    pub fn with_cg_max_iters(mut self, k: usize) -> Result<Self> {
        check_cg_max_iters(Some(k))?;
        self.cg_max_iters = Some(k);
        Ok(self)
    }
    /// Sets the forcing-term cap (in (0, 1); N&W use ½).
    pub fn with_forcing(mut self, cap: f64) -> Result<Self> {
        check_forcing(cap)?;
        self.forcing = cap;
        Ok(self)
    }
}

impl Method for NewtonCg {
    fn name(&self) -> &str {
        "newton-cg"
    }
    fn needs(&self) -> Needs {
        Needs::Hvp
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        check_cg_max_iters(self.cg_max_iters)?;
        check_forcing(self.forcing)?;
        self.globalization.reset()
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let (forcing, cg_max_iters) = (self.forcing, self.cg_max_iters);
        let (s, extra) = self.globalization.step(obj, it, |it, d| {
            let n = it.x.len();
            let eta = forcing_term(forcing, norm(&it.g));
            let opts = CgOptions::default()
                .with_rtol(eta)?
                .with_max_iters(cg_max_iters.unwrap_or(20 * n.max(1)))?;
            let op = HessianOperator::new(obj, it.x.clone())?;
            d.copy_from_slice(&it.g);
            d.iter_mut().for_each(|v| *v = -*v);
            let r = cg(&op, d, None, &opts)?;
            // The CG iterate, or −g when CG stopped before its first update.
            if r.iterations > 0 {
                d.copy_from_slice(&r.x);
            }
            let negative = r.status == CgStatus::NegativeCurvature;
            Ok((r.iterations, eta, negative))
        })?;
        let info = StepInfo::new(s.step_length);
        Ok(match extra {
            Some((cg_iters, eta, negative)) => info
                .with("cg_iters", cg_iters as f64)
                .with("forcing", eta)
                .with("alpha", s.alpha)
                .with("negative_curvature", if negative { 1.0 } else { 0.0 }),
            None => info.with("alpha", s.alpha).with("watchdog_return", 1.0),
        })
    }
}

/// Trust-region Newton-CG with Steihaug–Toint CG (N&W Algorithms 4.1 and 7.2).
///
/// ```
/// use curvlab::methods::TrustNcg;
/// use curvlab::problems::Rosenbrock;
/// use curvlab::{minimize, Stop};
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut TrustNcg::default(), &[-1.2, 1.0], &Stop::new(1e-8, 200)).unwrap();
/// assert!(r.converged() && r.counts.hessian == 0);
/// let bad = curvlab::methods::trust_region::TrustRegion { radius: -1.0, ..Default::default() };
/// assert!(TrustNcg::new().with_trust_region(bad).is_err());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct TrustNcg {
    region0: TrustRegion,
    cg_max_iters: Option<usize>,
    forcing: f64,
    region: TrustRegion,
    /// A fixed relative CG tolerance instead of the forcing term (`None`: forcing term).
    cg_tol: Option<f64>,
    /// Replay the products of a rejected step.
    reuse_products: bool,
    /// `(v, ∇²f(x) v)` in the order CG asked for them at `products_at`.
    #[cfg_attr(feature = "serde1", serde(skip))]
    products: ProductLog,
    #[cfg_attr(feature = "serde1", serde(skip))]
    products_at: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    x_trial: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    g_trial: Vec<f64>,
}

impl Default for TrustNcg {
    fn default() -> Self {
        TrustNcg {
            region0: TrustRegion::default(),
            cg_max_iters: None,
            forcing: 0.1,
            region: TrustRegion::default(),
            cg_tol: None,
            reuse_products: true,
            products: Vec::new(),
            products_at: Vec::new(),
            x_trial: Vec::new(),
            g_trial: Vec::new(),
        }
    }
}

impl TrustNcg {
    /// Initial radius 1, largest radius 10⁸, acceptance η = 0, forcing cap 0.1, products
    /// reused after a rejected step, at most `20n` CG iterations: the setting chosen by the study
    /// in `docs/defaults.md` (scipy's defaults are Δ_max = 1000, η = 0.15, cap ½).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the trust region (validated).
    pub fn with_trust_region(mut self, tr: TrustRegion) -> Result<Self> {
        tr.validate()?;
        self.region0 = tr;
        self.region = tr;
        Ok(self)
    }
    /// The initial trust region.
    pub fn trust_region(&self) -> TrustRegion {
        self.region0
    }
    /// Sets the CG iteration budget per step (`≥ 1`).
    pub fn with_cg_max_iters(mut self, k: usize) -> Result<Self> {
        check_cg_max_iters(Some(k))?;
        self.cg_max_iters = Some(k);
        Ok(self)
    }
    /// Sets the forcing-term cap (in (0, 1)).
    pub fn with_forcing(mut self, cap: f64) -> Result<Self> {
        check_forcing(cap)?;
        self.forcing = cap;
        Ok(self)
    }
    /// Stops Steihaug-CG in the interior at the fixed relative residual
    /// `‖Bp + g‖ ≤ tol·‖g‖` (in (0, 1)) instead of the forcing term `min(cap, √‖g‖)`: a small
    /// tolerance such as 1e-10 solves each subproblem nearly exactly (as argmin's `Steihaug`,
    /// whose default is 1e-9), trading Hessian-vector products for outer iterations.
    ///
    /// ```
    /// use curvlab::methods::TrustNcg;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let mut m = TrustNcg::new().with_cg_tol(1e-10).unwrap();
    /// let r = minimize(&f, &mut m, &[-1.2, 1.0], &Stop::new(1e-8, 200)).unwrap();
    /// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
    /// assert!(TrustNcg::new().with_cg_tol(1.0).is_err());
    /// assert!(TrustNcg::new().with_cg_tol(0.0).is_err());
    /// ```
    pub fn with_cg_tol(mut self, tol: f64) -> Result<Self> {
        check_cg_tol(tol)?;
        self.cg_tol = Some(tol);
        Ok(self)
    }
    /// Keeps the Hessian-vector products of a step until it is accepted. After a rejected
    /// step `x` and `g` are unchanged, so Steihaug-CG with the smaller radius repeats the same
    /// CG iterates (bit for bit) until it reaches the new boundary, a prefix of the rejected
    /// run; with this option those products are replayed instead of recomputed, as a method on
    /// the dense Hessian reuses the matrix after a rejection. Costs memory for one pair of
    /// vectors per CG iteration of the current step (default on, chosen by `docs/defaults.md`).
    ///
    /// ```
    /// use curvlab::methods::TrustNcg;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let x0 = [-1.2, 1.0];
    /// let stop = Stop::new(1e-8, 200);
    /// let plain = minimize(&f, &mut TrustNcg::new().with_reuse_products(false), &x0, &stop).unwrap();
    /// let reuse = minimize(&f, &mut TrustNcg::new().with_reuse_products(true), &x0, &stop).unwrap();
    /// // Same iterates, fewer products (Rosenbrock from (−1.2, 1) has rejected steps).
    /// assert_eq!(plain.x, reuse.x);
    /// assert_eq!(plain.iterations, reuse.iterations);
    /// assert!(reuse.counts.hvp < plain.counts.hvp);
    /// ```
    pub fn with_reuse_products(mut self, reuse: bool) -> Self {
        self.reuse_products = reuse;
        self
    }
}

/// Recorded products `(v, Av)`, in the order they were asked for.
type ProductLog = Vec<(Vec<f64>, Vec<f64>)>;

/// A linear operator that replays recorded products `(v, Av)` while the requests match them in
/// order and applies (and records) `A` from the first request that does not.
struct Replay<'a, A: ?Sized> {
    op: &'a A,
    log: std::sync::Mutex<(usize, ProductLog)>,
}

impl<A: LinearOperator + ?Sized> LinearOperator for Replay<'_, A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let mut guard = self
            .log
            .lock()
            .map_err(|_| Error::Numerical("product log poisoned by an earlier panic".into()))?;
        let (next, log) = &mut *guard;
        if let Some((lv, lav)) = log.get(*next)
            && lv.as_slice() == v
            && lav.len() == out.len()
        {
            out.copy_from_slice(lav);
        } else {
            self.op.apply(v, out)?;
            log.truncate(*next);
            log.push((v.to_vec(), out.to_vec()));
        }
        *next += 1;
        Ok(())
    }
}

fn check_cg_tol(tol: f64) -> Result<()> {
    if !(tol > 0.0 && tol < 1.0) {
        return Err(Error::invalid(
            "cg_tol",
            tol,
            "relative CG tolerance must be in (0, 1), or \"forcing\"",
        ));
    }
    Ok(())
}

impl TrustNcg {
    /// The Steihaug–Toint step at `it`, replaying recorded products when enabled.
    fn subproblem<A: LinearOperator + ?Sized>(&mut self, op: &A, it: &Iterate) -> Result<CgResult> {
        let n = it.x.len();
        let eta_k = match self.cg_tol {
            Some(t) => t,
            None => forcing_term(self.forcing, norm(&it.g)),
        };
        let max_cg = self.cg_max_iters.unwrap_or(20 * n.max(1));
        let radius = self.region.radius;
        if !self.reuse_products {
            return steihaug(op, &it.g, radius, eta_k, max_cg);
        }
        if self.products_at != it.x {
            self.products.clear();
            self.products_at.clone_from(&it.x);
        }
        let replay = Replay {
            op,
            log: std::sync::Mutex::new((0, std::mem::take(&mut self.products))),
        };
        let r = steihaug(&replay, &it.g, radius, eta_k, max_cg);
        if let Ok((_, log)) = replay.log.into_inner() {
            self.products = log;
        }
        r
    }
}

impl Method for TrustNcg {
    fn name(&self) -> &str {
        "trust-ncg"
    }
    fn needs(&self) -> Needs {
        Needs::Hvp
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        self.region0.validate()?;
        check_cg_max_iters(self.cg_max_iters)?;
        check_forcing(self.forcing)?;
        if let Some(t) = self.cg_tol {
            check_cg_tol(t)?;
        }
        self.products.clear();
        self.products_at.clear();
        self.region = self.region0;
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        self.region.alive(&it.x)?;
        let op = HessianOperator::new(obj, it.x.clone())?;
        let r = self.subproblem(&op, it)?;
        let t = self.region.try_step(
            obj,
            it,
            &r.x,
            -r.model_value(),
            r.on_boundary,
            &mut self.x_trial,
            &mut self.g_trial,
        )?;
        let negative = r.status == CgStatus::NegativeCurvature;
        Ok(StepInfo::new(t.step_length)
            .with("radius", t.radius)
            .with("rho", t.rho)
            .with("cg_iters", r.iterations as f64)
            .with("negative_curvature", if negative { 1.0 } else { 0.0 }))
    }
}
