//! Sharpness tracking along a run: every `k` steps the top eigenvalue `λ_max(∇²f(x))` by
//! thick-restart Lanczos (Lanczos 1950; Wu & Simon 2000) warm-started from the previous top Ritz
//! vector, and, for diagonally preconditioned methods, the preconditioned sharpness
//! `λ_max(P⁻¹∇²f)` computed on the similar symmetric operator `P^{-1/2} ∇²f P^{-1/2}`; optionally
//! the Hutch++ trace (Meyer, Musco, Musco & Woodruff 2021).
//!
//! These are the measurements of the "edge of stability" (Cohen, Kaur, Li, Kolter & Talwalkar,
//! ICLR 2021: full-batch gradient descent drives `λ_max` up to `2/η` and holds it there) and of
//! the "adaptive edge of stability" (Cohen, Ghorbani, Krishnan, Agarwal et al. 2022, "Adaptive
//! gradient methods at the edge of stability": for Adam, `λ_max(P⁻¹∇²f)` equilibrates at
//! `(2 + 2β₁)/((1 − β₁)η)`, with `P` Adam's preconditioner at that step,
//! [`crate::methods::Method::diagonal_preconditioner`]).
//!
//! The Hessian-vector products are counted by the tracker ([`SharpnessTracker::hvps`]), not by
//! the run: [`crate::minimize::minimize_monitored`] hands the tracker the uncounted objective,
//! so the measurement is not charged to the method's budget.
//!
//! Warm start: between two measurements `k` steps apart the top eigenvector moves little, so
//! Lanczos started from the last Ritz vector converges in a few products (measured on the
//! edge-of-stability test network: 11 products per warm measurement against about 40 from a
//! random start, tests/edge_of_stability.rs).

use crate::curvature::hutchinson::hutch_plus_plus;
use crate::error::{Error, Result, check_len};
use crate::linalg::lanczos::LanczosBasis;
use crate::linalg::{HessianOperator, LinearOperator};
use crate::objective::Objective;
use faer::{Accum, Mat, MatRef, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The symmetric form `D ∇²f D`, `D = P^{-1/2}`, of the preconditioned Hessian `P⁻¹∇²f` (same
/// eigenvalues: `P^{-1/2}(P⁻¹H)P^{1/2} = D H D`).
///
/// ```
/// use curvlab::curvature::sharpness::PreconditionedOperator;
/// use curvlab::linalg::LinearOperator;
/// let h = faer::mat![[2.0, 1.0], [1.0, 4.0]];
/// let op = PreconditionedOperator::new(&h, &[4.0, 1.0]).unwrap();
/// let mut out = [0.0; 2];
/// op.apply(&[1.0, 0.0], &mut out).unwrap();
/// // D = diag(1/2, 1): D H D e₁ = (2/4, 1/2).
/// assert_eq!(out, [0.5, 0.5]);
/// assert!(PreconditionedOperator::new(&h, &[1.0, 0.0]).is_err());
/// ```
pub struct PreconditionedOperator<'a, A: ?Sized> {
    op: &'a A,
    d: Vec<f64>,
}

impl<'a, A: LinearOperator + ?Sized> PreconditionedOperator<'a, A> {
    /// `D op D` with `D = diag(p)^{-1/2}`; every `pᵢ` must be finite and `> 0`.
    pub fn new(op: &'a A, p: &[f64]) -> Result<Self> {
        check_len("preconditioner", op.dim(), p.len())?;
        if let Some(i) = p.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::invalid(
                "preconditioner",
                format!("P[{i}] = {}", p[i]),
                "every diagonal entry must be finite and > 0",
            ));
        }
        Ok(PreconditionedOperator {
            op,
            d: p.iter().map(|v| 1.0 / v.sqrt()).collect(),
        })
    }
}

impl<A: LinearOperator + ?Sized> LinearOperator for PreconditionedOperator<'_, A> {
    fn dim(&self) -> usize {
        self.d.len()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("vector", self.d.len(), v.len())?;
        let w: Vec<f64> = v.iter().zip(&self.d).map(|(a, b)| a * b).collect();
        self.op.apply(&w, out)?;
        for (o, d) in out.iter_mut().zip(&self.d) {
            *o *= d;
        }
        Ok(())
    }
}

/// The top eigenpair of a symmetric operator found by [`top_eigenpair`].
#[derive(Debug, Clone)]
pub struct TopEigen {
    /// The largest Ritz value `θ`.
    pub value: f64,
    /// Its unit Ritz vector `u`.
    pub vector: Vec<f64>,
    /// The residual `‖A u − θ u‖` (a bound on `|θ − λ|`).
    pub residual: f64,
    /// Operator applications used.
    pub applications: usize,
    /// Whether the residual met the tolerance.
    pub converged: bool,
}

/// Ritz vectors kept at a thick restart.
const KEEP: usize = 3;
/// Lanczos basis size before a restart.
const BASIS: usize = 20;

/// The largest eigenvalue of a symmetric operator by thick-restart Lanczos from `start`
/// (unnormalized, nonzero), stopping when `‖A u − θ u‖ ≤ tol · |θ|` or after `max_applications`.
///
/// This is the one extreme-eigenvalue computation that stays on the single-vector process
/// ([`LanczosBasis`]) instead of the default solver of [`crate::curvature::Lanczos::new`]: it
/// wants ONE value, whose multiplicity does not matter (a repeated top eigenvalue still has the
/// right value), so a block of start vectors would only multiply the products; and it is
/// warm-started from the previous measurement's Ritz vector, which a single Krylov sequence
/// uses exactly (11 products per warm measurement against about 40 from a random start).
///
/// ```
/// use curvlab::curvature::sharpness::top_eigenpair;
/// let a = faer::Mat::<f64>::from_fn(30, 30, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
/// let e = top_eigenpair(&a, &vec![1.0; 30], 1e-10, 300).unwrap();
/// assert!((e.value - 30.0).abs() < 1e-9 && e.converged);
/// // Warm start from the answer: one restart cycle at most.
/// let w = top_eigenpair(&a, &e.vector, 1e-10, 300).unwrap();
/// assert!(w.applications <= 2 && (w.value - 30.0).abs() < 1e-9);
/// ```
pub fn top_eigenpair<A: LinearOperator + ?Sized>(
    op: &A,
    start: &[f64],
    tol: f64,
    max_applications: usize,
) -> Result<TopEigen> {
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(Error::invalid("tol", tol, "must be finite and > 0"));
    }
    if max_applications == 0 {
        return Err(Error::invalid("max_applications", 0, "must be >= 1"));
    }
    let n = op.dim();
    let mut basis = LanczosBasis::new(n, BASIS.min(n), start)?;
    loop {
        let more = basis.extend(op)?;
        let (theta, y, residual) = top_ritz(&basis)?;
        let converged = residual <= tol * theta.abs() || !more;
        let spent = basis.applications() >= max_applications;
        if converged || spent {
            return Ok(TopEigen {
                value: theta,
                vector: ritz_vector(basis.basis(), y.as_ref().col(0).as_mat()),
                residual,
                applications: basis.applications(),
                converged,
            });
        }
        if basis.len() == basis.capacity() {
            restart(&mut basis)?;
        }
    }
}

/// `(θ_max, its eigenvector in T's coordinates, |bᵀy|)` of the projected matrix.
fn top_ritz(basis: &LanczosBasis) -> Result<(f64, Mat<f64>, f64)> {
    let t = basis.projected().to_owned();
    let e = t
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("Lanczos projected eigenproblem: {e:?}")))?;
    let j = t.nrows();
    let theta = e.S()[j - 1];
    let y = e.U().subcols(j - 1, 1).to_owned();
    let residual = (0..j)
        .map(|i| basis.coupling().get(i).copied().unwrap_or(0.0) * y[(i, 0)])
        .sum::<f64>()
        .abs();
    Ok((theta, y, residual))
}

/// Keeps the `KEEP` largest Ritz vectors.
fn restart(basis: &mut LanczosBasis) -> Result<()> {
    let t = basis.projected().to_owned();
    let e = t
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("Lanczos projected eigenproblem: {e:?}")))?;
    let j = t.nrows();
    let keep = KEEP.min(j - 1).max(1);
    let y = e.U().subcols(j - keep, keep).to_owned();
    basis.restart(y.as_ref())
}

/// `V y` as a unit vector.
fn ritz_vector(v: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Vec<f64> {
    let mut u = Mat::<f64>::zeros(v.nrows(), 1);
    faer::linalg::matmul::matmul(u.as_mut(), Accum::Replace, v, y, 1.0, Par::Seq);
    let mut out: Vec<f64> = (0..v.nrows()).map(|i| u[(i, 0)]).collect();
    let s = crate::linalg::vector::norm(&out);
    if s > 0.0 {
        crate::linalg::vector::scale(1.0 / s, &mut out);
    }
    out
}

/// What to measure and how often.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackConfig {
    /// Measure at steps `0, k, 2k, …` (`k ≥ 1`).
    pub every: usize,
    /// Also `λ_max(P⁻¹∇²f)` when the method has a diagonal preconditioner.
    pub precond: bool,
    /// Hutch++ trace with this many products (0: off; at least 6 otherwise).
    pub trace_products: usize,
    /// Relative residual tolerance of Lanczos (`‖Hu − θu‖ ≤ tol·|θ|`, default 1e-6; the
    /// eigenvalue error is below `residual²/gap`).
    pub tol: f64,
    /// Products per Lanczos run at most (default 300).
    pub max_products: usize,
    /// Seed of the first random start vector and of the Hutch++ probes.
    pub seed: u64,
}

impl TrackConfig {
    /// `λ_max` every `every` steps, no preconditioned sharpness, no trace, `tol = 1e-6`.
    ///
    /// ```
    /// let c = curvlab::curvature::sharpness::TrackConfig::every(20).unwrap();
    /// assert_eq!((c.every, c.precond, c.trace_products), (20, false, 0));
    /// assert!(curvlab::curvature::sharpness::TrackConfig::every(0).is_err());
    /// ```
    pub fn every(every: usize) -> Result<Self> {
        let c = TrackConfig {
            every,
            precond: false,
            trace_products: 0,
            tol: 1e-6,
            max_products: 300,
            seed: 0,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks `every ≥ 1`, `trace_products` 0 or ≥ 6, `tol` in `(0, 1)`, `max_products ≥ 1`.
    ///
    /// ```
    /// use curvlab::curvature::sharpness::TrackConfig;
    /// let c = TrackConfig { trace_products: 3, ..TrackConfig::every(5).unwrap() };
    /// assert!(c.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.every == 0 {
            return Err(Error::invalid("sharpness_every", 0, "must be >= 1"));
        }
        if self.trace_products != 0 && self.trace_products < 6 {
            return Err(Error::invalid(
                "trace_products",
                self.trace_products,
                "must be 0 (off) or >= 6 (Hutch++)",
            ));
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(Error::invalid("tol", self.tol, "must be in (0, 1)"));
        }
        if self.max_products == 0 {
            return Err(Error::invalid("max_products", 0, "must be >= 1"));
        }
        Ok(())
    }
}

/// One measurement of [`SharpnessTracker::measure`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// `λ_max(∇²f(x))`.
    pub sharpness: f64,
    /// `λ_max(P⁻¹∇²f(x))`, when asked for and the method gave `P`.
    pub precond_sharpness: Option<f64>,
    /// The Hutch++ estimate of `tr ∇²f(x)`, when asked for.
    pub trace: Option<f64>,
    /// Hessian-vector products this measurement used.
    pub hvps: usize,
}

/// The state of sharpness tracking along one run: the configuration, the last top Ritz vectors
/// (raw and preconditioned: the warm starts) and the products spent.
///
/// ```
/// use curvlab::curvature::sharpness::{SharpnessTracker, TrackConfig};
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let mut t = SharpnessTracker::new(TrackConfig::every(1).unwrap());
/// let m = t.measure(&f, &[1.0, 1.0], None).unwrap();
/// // ∇²f(1,1) = [[802, −400], [−400, 200]]: λ_max = 501 + √(301² + 400²).
/// assert!((m.sharpness - (501.0 + (301f64.powi(2) + 400f64.powi(2)).sqrt())).abs() < 1e-9);
/// assert_eq!(t.hvps(), m.hvps as u64);
/// ```
#[derive(Debug, Clone)]
pub struct SharpnessTracker {
    config: TrackConfig,
    top: Option<Vec<f64>>,
    top_precond: Option<Vec<f64>>,
    hvps: u64,
    measurements: usize,
}

impl SharpnessTracker {
    /// A tracker with no measurement yet.
    pub fn new(config: TrackConfig) -> Self {
        SharpnessTracker {
            config,
            top: None,
            top_precond: None,
            hvps: 0,
            measurements: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrackConfig {
        &self.config
    }

    /// Hessian-vector products spent so far (all measurements).
    pub fn hvps(&self) -> u64 {
        self.hvps
    }

    /// Measurements made so far.
    pub fn measurements(&self) -> usize {
        self.measurements
    }

    /// Whether step `k` is measured (`k` a multiple of `every`).
    pub fn due(&self, k: usize) -> bool {
        k.is_multiple_of(self.config.every)
    }

    /// Measures at `x`; `precond` is the method's diagonal `P` at this step (used when the
    /// configuration asks for the preconditioned sharpness).
    pub fn measure<O: Objective + ?Sized>(
        &mut self,
        obj: &O,
        x: &[f64],
        precond: Option<&[f64]>,
    ) -> Result<Measurement> {
        check_len("x", obj.dim(), x.len())?;
        let h = HessianOperator::new(obj, x.to_vec())?;
        let c = self.config;
        let start = self.start(self.top.as_deref(), x.len(), 0);
        let top = top_eigenpair(&h, &start, c.tol, c.max_products)?;
        let mut hvps = top.applications;
        self.top = Some(top.vector);
        let mut precond_sharpness = None;
        if let (true, Some(p)) = (c.precond, precond) {
            let op = PreconditionedOperator::new(&h, p)?;
            let start = self.start(self.top_precond.as_deref(), x.len(), 1);
            let e = top_eigenpair(&op, &start, c.tol, c.max_products)?;
            hvps += e.applications;
            precond_sharpness = Some(e.value);
            self.top_precond = Some(e.vector);
        }
        let mut trace = None;
        if c.trace_products > 0 {
            let seed = c.seed.wrapping_add(self.measurements as u64);
            let t = hutch_plus_plus(&h, c.trace_products, seed)?;
            hvps += t.matvecs;
            trace = Some(t.estimate);
        }
        self.hvps += hvps as u64;
        self.measurements += 1;
        Ok(Measurement {
            sharpness: top.value,
            precond_sharpness,
            trace,
            hvps,
        })
    }

    /// The warm start, or a Gaussian vector from the seed (stream `which`) the first time.
    fn start(&self, warm: Option<&[f64]>, n: usize, which: u64) -> Vec<f64> {
        match warm {
            Some(v) if v.len() == n => v.to_vec(),
            _ => gaussian(n, self.config.seed, which),
        }
    }
}

/// `n` standard normal numbers from `seed` (stream `which`).
fn gaussian(n: usize, seed: u64, which: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}
