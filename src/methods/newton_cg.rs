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

use super::line_search::{Armijo, NonmonotoneArmijo, StrongWolfe, Watchdog};
use super::newton::{
    LineSearchKind, check_radius_alive, check_trust_region, line_search_step, nonmonotone_step,
    trial_value, update_radius,
};
use super::registry::{MethodContext, MethodEntry, MethodInfo};
use super::{Iterate, Method, Needs, StepInfo};
use crate::error::{Error, Result};
use crate::linalg::cg::{CgOptions, CgStatus, cg};
use crate::linalg::steihaug::steihaug;
use crate::linalg::vector::{add_scaled, norm};
use crate::linalg::{HessianOperator, LinearOperator};
use crate::objective::Objective;
use crate::params::{ParamInfo, Params, Value};

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
    line_search: LineSearchKind,
    armijo: Armijo,
    wolfe: StrongWolfe,
    cg_max_iters: Option<usize>,
    forcing: f64,
    nonmonotone: NonmonotoneArmijo,
    watchdog: Watchdog,
}

impl Default for NewtonCg {
    fn default() -> Self {
        NewtonCg {
            line_search: LineSearchKind::Armijo,
            armijo: Armijo::default(),
            wolfe: StrongWolfe::default(),
            cg_max_iters: None,
            forcing: 0.5,
            nonmonotone: NonmonotoneArmijo::default(),
            watchdog: Watchdog::new(),
        }
    }
}

impl NewtonCg {
    /// Armijo backtracking (c₁ = 10⁻⁴, ρ = ½), forcing cap ½, at most `20n` CG iterations.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the line search.
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
    /// Sets the memory `M ≥ 1` of `line_search = nonmonotone` (Grippo, Lampariello & Lucidi
    /// 1986; default 10). Its backtracking parameters are those of [`NewtonCg::with_armijo`].
    ///
    /// ```
    /// use curvlab::methods::NewtonCg;
    /// use curvlab::methods::newton::LineSearchKind;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let mut m = NewtonCg::new()
    ///     .with_line_search(LineSearchKind::Nonmonotone)
    ///     .with_nonmonotone_memory(10)
    ///     .unwrap();
    /// let r = minimize(&f, &mut m, &[-1.2, 1.0], &Stop::new(1e-8, 500)).unwrap();
    /// assert!(r.converged() && (r.x[1] - 1.0).abs() < 1e-7);
    /// assert!(NewtonCg::new().with_nonmonotone_memory(0).is_err());
    /// ```
    pub fn with_nonmonotone_memory(mut self, memory: usize) -> Result<Self> {
        self.nonmonotone = NonmonotoneArmijo::new(memory)?.with_armijo(self.armijo)?;
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
        self.armijo.validate()?;
        self.nonmonotone.armijo = self.armijo;
        self.nonmonotone.validate()?;
        self.nonmonotone.reset();
        self.watchdog.reset();
        self.wolfe.validate()
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        if self.line_search == LineSearchKind::Watchdog && self.watchdog.pending_return() {
            let x_before = it.x.clone();
            let alpha = self.watchdog.return_step(&self.armijo, obj, it)?;
            let moved: Vec<f64> = it.x.iter().zip(&x_before).map(|(a, b)| a - b).collect();
            return Ok(StepInfo::new(norm(&moved))
                .with("alpha", alpha)
                .with("watchdog_return", 1.0));
        }
        let n = it.x.len();
        let gnorm = norm(&it.g);
        let eta = forcing_term(self.forcing, gnorm);
        let opts = CgOptions::default()
            .with_rtol(eta)?
            .with_max_iters(self.cg_max_iters.unwrap_or(20 * n.max(1)))?;
        let op = HessianOperator::new(obj, it.x.clone())?;
        let b: Vec<f64> = it.g.iter().map(|v| -v).collect();
        let r = cg(&op, &b, None, &opts)?;
        let negative = r.status == CgStatus::NegativeCurvature;
        let d = if r.iterations == 0 { b } else { r.x };
        let dn = norm(&d);
        let alpha = match self.line_search {
            LineSearchKind::Nonmonotone => nonmonotone_step(obj, it, &d, &mut self.nonmonotone)?,
            LineSearchKind::Watchdog => self.watchdog.step(&self.armijo, obj, it, &d)?,
            kind => line_search_step(obj, it, &d, kind, &self.armijo, &self.wolfe)?,
        };
        Ok(StepInfo::new(alpha * dn)
            .with("cg_iters", r.iterations as f64)
            .with("forcing", eta)
            .with("alpha", alpha)
            .with("negative_curvature", if negative { 1.0 } else { 0.0 }))
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
/// assert!(TrustNcg::new().with_radius(-1.0).is_err());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct TrustNcg {
    radius0: f64,
    max_radius: f64,
    eta: f64,
    cg_max_iters: Option<usize>,
    forcing: f64,
    radius: f64,
    /// A fixed relative CG tolerance instead of the forcing term (`None`: forcing term).
    cg_tol: Option<f64>,
    /// Replay the products of a rejected step.
    reuse_products: bool,
    /// `(v, ∇²f(x) v)` in the order CG asked for them at `products_at`.
    #[cfg_attr(feature = "serde1", serde(skip))]
    products: ProductLog,
    #[cfg_attr(feature = "serde1", serde(skip))]
    products_at: Vec<f64>,
}

impl Default for TrustNcg {
    fn default() -> Self {
        TrustNcg {
            radius0: 1.0,
            max_radius: 1000.0,
            eta: 0.15,
            cg_max_iters: None,
            forcing: 0.5,
            radius: 1.0,
            cg_tol: None,
            reuse_products: false,
            products: Vec::new(),
            products_at: Vec::new(),
        }
    }
}

impl TrustNcg {
    /// Initial radius 1, largest radius 1000, acceptance η = 0.15 (scipy's defaults), forcing
    /// cap ½, at most `20n` CG iterations.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the initial trust radius (finite, `> 0`; `init` also checks `≤ max_radius`).
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
    /// vectors per CG iteration of the current step (default off).
    ///
    /// ```
    /// use curvlab::methods::TrustNcg;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let x0 = [-1.2, 1.0];
    /// let stop = Stop::new(1e-8, 200);
    /// let plain = minimize(&f, &mut TrustNcg::new(), &x0, &stop).unwrap();
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

impl Method for TrustNcg {
    fn name(&self) -> &str {
        "trust-ncg"
    }
    fn needs(&self) -> Needs {
        Needs::Hvp
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        check_trust_region(self.radius0, self.max_radius, self.eta)?;
        check_cg_max_iters(self.cg_max_iters)?;
        check_forcing(self.forcing)?;
        if let Some(t) = self.cg_tol {
            check_cg_tol(t)?;
        }
        self.products.clear();
        self.products_at.clear();
        self.radius = self.radius0;
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        check_radius_alive(self.radius, &it.x)?;
        let n = it.x.len();
        let eta_k = match self.cg_tol {
            Some(t) => t,
            None => forcing_term(self.forcing, norm(&it.g)),
        };
        let op = HessianOperator::new(obj, it.x.clone())?;
        let max_cg = self.cg_max_iters.unwrap_or(20 * n.max(1));
        let r = if self.reuse_products {
            if self.products_at != it.x {
                self.products.clear();
                self.products_at.clone_from(&it.x);
            }
            let replay = Replay {
                op: &op,
                log: std::sync::Mutex::new((0, std::mem::take(&mut self.products))),
            };
            let r = steihaug(&replay, &it.g, self.radius, eta_k, max_cg);
            if let Ok((_, log)) = replay.log.into_inner() {
                self.products = log;
            }
            r?
        } else {
            steihaug(&op, &it.g, self.radius, eta_k, max_cg)?
        };
        let pred = -r.model_value();
        let mut x_new = vec![0.0; n];
        add_scaled(&it.x, 1.0, &r.x, &mut x_new);
        let f_new = trial_value(obj, &x_new)?;
        let rho = if pred > 0.0 {
            (it.f - f_new) / pred
        } else {
            f64::NEG_INFINITY
        };
        let radius_used = self.radius;
        self.radius = update_radius(self.radius, rho, r.on_boundary, self.max_radius);
        let mut step = 0.0;
        if rho > self.eta {
            let mut g_new = vec![0.0; n];
            it.f = obj.gradient(&x_new, &mut g_new)?;
            it.x = x_new;
            it.g = g_new;
            step = norm(&r.x);
        }
        Ok(StepInfo::new(step)
            .with("radius", radius_used)
            .with("rho", rho)
            .with("cg_iters", r.iterations as f64)
            .with(
                "negative_curvature",
                if r.status == CgStatus::NegativeCurvature {
                    1.0
                } else {
                    0.0
                },
            ))
    }
}

const NEWTON_CG_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "line_search",
        default: "armijo",
        doc: "armijo, wolfe, nonmonotone (Grippo-Lampariello-Lucidi 1986, memory nonmonotone_memory), watchdog (Chamberlain et al. 1982, N&W Alg 15.2) or none (unit step)",
    },
    ParamInfo {
        name: "nonmonotone_memory",
        default: "10",
        doc: "memory M >= 1 of line_search = nonmonotone (1 = monotone Armijo)",
    },
    ParamInfo {
        name: "cg_max_iters",
        default: "20n",
        doc: "CG iterations per Newton step (>= 1)",
    },
    ParamInfo {
        name: "forcing",
        default: "0.5",
        doc: "cap of the forcing term eta_k = min(cap, sqrt(|g|)), the CG relative residual tolerance",
    },
];

const TRUST_NCG_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "radius",
        default: "1",
        doc: "initial trust radius (> 0)",
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
    ParamInfo {
        name: "cg_max_iters",
        default: "20n",
        doc: "Steihaug-CG iterations per step (>= 1)",
    },
    ParamInfo {
        name: "forcing",
        default: "0.5",
        doc: "cap of the forcing term eta_k = min(cap, sqrt(|g|))",
    },
    ParamInfo {
        name: "cg_tol",
        default: "forcing",
        doc: "interior stop of Steihaug-CG: forcing (relative residual eta_k = min(forcing, sqrt(|g|)), as scipy's trust-ncg) or a fixed relative residual in (0, 1), e.g. 1e-10 for a nearly exact subproblem solution (argmin's Steihaug uses 1e-9)",
    },
    ParamInfo {
        name: "reuse_products",
        default: "false",
        doc: "after a rejected step, replay the Hessian-vector products of the rejected Steihaug-CG run (the new run repeats its iterates up to the smaller boundary) instead of recomputing them; memory: one vector pair per CG iteration",
    },
];

fn opt_usize(p: &Params, key: &str) -> Result<Option<usize>> {
    if p.get(key).is_none() {
        return Ok(None);
    }
    Ok(Some(p.usize(key, 0)?))
}

fn build_newton_cg(p: &Params, _ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let mut m = NewtonCg::new()
        .with_line_search(LineSearchKind::parse(&p.str("line_search", "armijo")?)?)
        .with_nonmonotone_memory(p.usize("nonmonotone_memory", 10)?)?
        .with_forcing(p.f64("forcing", 0.5)?)?;
    if let Some(k) = opt_usize(p, "cg_max_iters")? {
        m = m.with_cg_max_iters(k)?;
    }
    Ok(Box::new(m))
}

fn build_trust_ncg(p: &Params, _ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = TrustNcg::default();
    let mut m = TrustNcg::new()
        .with_radius(p.f64("radius", d.radius0)?)?
        .with_max_radius(p.f64("max_radius", d.max_radius)?)?
        .with_eta(p.f64("eta", d.eta)?)?
        .with_forcing(p.f64("forcing", d.forcing)?)?;
    if let Some(k) = opt_usize(p, "cg_max_iters")? {
        m = m.with_cg_max_iters(k)?;
    }
    m = m.with_reuse_products(p.bool("reuse_products", false)?);
    match p.get("cg_tol") {
        None => {}
        Some(Value::Str(s)) if s == "forcing" => {}
        Some(Value::Num(t)) => m = m.with_cg_tol(*t)?,
        Some(v) => {
            return Err(Error::invalid(
                "cg_tol",
                v,
                "expected \"forcing\" or a number in (0, 1)",
            ));
        }
    }
    check_trust_region(m.radius0, m.max_radius, m.eta)?;
    Ok(Box::new(m))
}

/// Registry entries.
pub const ENTRIES: &[MethodEntry] = &[
    MethodEntry {
        info: MethodInfo {
            name: "newton-cg",
            summary: "line-search Newton-CG, matrix-free with exact HVPs, forcing term min(0.5, sqrt|g|) (Nocedal & Wright Alg 7.1)",
            params: NEWTON_CG_PARAMS,
        },
        build: build_newton_cg,
    },
    MethodEntry {
        info: MethodInfo {
            name: "trust-ncg",
            summary: "trust-region Newton-CG with Steihaug-Toint CG, matrix-free (Nocedal & Wright Alg 4.1 + 7.2)",
            params: TRUST_NCG_PARAMS,
        },
        build: build_trust_ncg,
    },
];
