//! What the spectrum predicts: iterations and cost of classical methods on the quadratic
//! `f(x) = ½xᵀAx − bᵀx` with `μ = λ_min > 0`, `L = λ_max`, `κ = L/μ`, for a stated stopping rule
//! ([`StoppingRule`]): an error reduction `‖x − x*‖₂ ≤ ε‖x₀ − x*‖₂`, or a gradient test
//! `‖∇f(x)‖ ≤ ε‖∇f(x₀)‖` (relative, or absolute `‖∇f‖ ≤ tol` from a known `‖∇f(x₀)‖`, which is
//! the relative test with `ε = tol/‖∇f(x₀)‖`).
//!
//! Two numbers per method ([`MethodPrediction`]):
//!
//! - `bound`: the worst case over all starts, from `κ` alone, for the rule's norm:
//!
//! | method | parameters | bound on the error | on the gradient |
//! |---|---|---|---|
//! | gradient descent | `α = 2/(μ+L)` | `ρᵏ`, `ρ = (κ−1)/(κ+1)` | `ρᵏ` (`∇f = A e` commutes with the iteration polynomial) |
//! | heavy ball | `α = 4/(√L+√μ)²`, `β = q²` | `qᵏ`, `q = (√κ−1)/(√κ+1)` (asymptotic rate) | `qᵏ` |
//! | Nesterov | `α = 1/L`, momentum `q` | `√(κ+1)·(1 − 1/√κ)^{k/2}` | `√(2κ)·(1 − 1/√κ)^{k/2}` |
//! | conjugate gradients | — | `2√κ·qᵏ` | `2√κ·qᵏ` |
//! | Newton | `α = 1` | exact in one step | exact in one step |
//!
//!   (Nesterov's goes through `f − f*`: `‖e‖² ≤ 2(f − f*)/μ`, `‖∇f‖² ≤ 2L(f − f*)`,
//!   `f₀ − f* + μ‖e₀‖²/2 ≤ ‖∇f₀‖²/μ`; CG's Chebyshev bound is for `‖e‖_A`, and converting to
//!   `‖·‖₂` or to `‖∇f‖ = ‖A e‖` on both ends costs `√κ`.)
//! - `iterations`: the estimate, what a run is compared with. With the *complete* spectrum
//!   (`Setting::complete`), each method's iteration is a polynomial in `A`, so on the spectrum it
//!   is a scalar recurrence per eigenvalue: the estimate is the first `k` at which that recurrence,
//!   started from an initial error spread evenly over the eigenvectors (the expected spread for
//!   a random start or a Haar-random rotation), meets the rule — gradient descent in closed form
//!   `(1 − αλ)ᵏ`, heavy ball and Nesterov by their two-term recurrences in PyTorch's form (the
//!   form [`crate::methods::first_order`] implements), CG by running CG in floating point on
//!   `diag(λ)`. The last matters: finite termination in (number of distinct eigenvalues) steps
//!   holds in exact arithmetic only, and in floating point CG on a wide spectrum loses
//!   orthogonality and is delayed (Greenbaum 1989; Greenbaum & Strakoš 1992) — on a log-uniform
//!   spectrum with `n = 100`, `κ = 10⁴` it needs about 180 steps — and CG on the diagonal matrix
//!   reproduces that delay (Greenbaum & Strakoš study exactly such diagonal matrices). With the
//!   extremes only, or when a recurrence exceeds its budget, the estimate is the asymptotic rate
//!   `ln(1/ε)/ln(1/rate)` (CG: the classical `(√κ/2)·ln(2/ε)`), and `basis` says which.
//!
//! An estimate that does not fit in `usize` (a rate that rounds to 1: a nearly singular
//! spectrum) is an empty [`Count`] (printed `—`, serialized `null`), never a saturated number.
//! A spectrum whose `κ` overflows `f64` (`[1e-300, 1e300]`) is refused as singular in floating
//! point. The eigenvalues are scaled by a power of two (`σ = 2^-round(log₂ L)`, exact) before the
//! recurrences, so eigenvalues near `f64`'s limits (`1e200`, whose square overflows) give the
//! predictions of the scaled spectrum instead of a spurious `0` iterations.
//!
//! Sources: gradient descent, Nocedal & Wright (2006, §3.3, Thm 3.3 and eq. 3.29 for the
//! `2/(μ+L)` step) and Polyak (1987, §1.4); heavy ball, Polyak (1964) and Goh (2017, "Why Momentum
//! Really Works", §2, the optimal `α, β` and rate — asymptotic: at the optimal parameters the
//! extreme eigenvalues give a double root, so a factor growing linearly in `k` multiplies `qᵏ`);
//! Nesterov (2004, §2.2, Thm 2.2.3, constant step scheme 2.2.19); CG, Nocedal & Wright (2006,
//! §5.1, Thm 5.4, eq. 5.36) and Greenbaum (1997, "Iterative methods for solving linear
//! systems", ch. 3–4).
//!
//! Cost per iteration ([`CostModel`]): one product with `A` (`2n²` flops dense, `2·nnz` sparse,
//! or a given cost for matrix-free operators) plus the vector updates (GD `2n`, heavy ball and
//! Nesterov `5n`, CG `10n`); Newton: a Cholesky factorization `n³/3` plus two triangular solves
//! `2n²`, plus `n` products to form `A` when it is not dense. The predicted winner by time is the
//! smallest `iterations × flops per iteration`.

use crate::curvature::spectrum::Spectrum;
use crate::error::{Error, Result};

/// Budget of scalar recurrence steps (`n × iterations`) for one spectral estimate; beyond it the
/// estimate falls back to the asymptotic rate.
pub const RECURRENCE_BUDGET: f64 = 2e8;

/// How expensive a product with `A` is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CostModel {
    /// Dimension.
    pub n: usize,
    /// Flops of one product `A v`.
    pub matvec_flops: f64,
    /// Whether `A` is available as a dense matrix (Newton needs no products to form it).
    pub dense: bool,
}

impl CostModel {
    /// A dense `n × n` matrix: `2n²` flops per product.
    ///
    /// ```
    /// assert_eq!(curvlab::curvature::CostModel::dense(10).matvec_flops, 200.0);
    /// ```
    pub fn dense(n: usize) -> Self {
        CostModel {
            n,
            matvec_flops: 2.0 * (n as f64).powi(2),
            dense: true,
        }
    }
    /// A sparse matrix with `nnz` stored entries: `2·nnz` flops per product.
    ///
    /// ```
    /// assert_eq!(curvlab::curvature::CostModel::sparse(10, 28).matvec_flops, 56.0);
    /// ```
    pub fn sparse(n: usize, nnz: usize) -> Self {
        CostModel {
            n,
            matvec_flops: 2.0 * nnz as f64,
            dense: false,
        }
    }
}

/// An iteration count, or none when it is beyond any count (a contraction factor that rounds to
/// 1): displayed as the number or `—` (honouring width and alignment), serialized as the number
/// or `null` — never as a saturated `usize::MAX`.
///
/// ```
/// use curvlab::curvature::Count;
/// assert_eq!(format!("{:>4}|{}", Count(Some(12)), Count(None)), "  12|—");
/// assert_eq!(Count(Some(3)), Some(3));
/// assert_eq!(serde_json::to_string(&Count(None)).unwrap(), "null");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Count(pub Option<usize>);

impl Count {
    /// The count, if any.
    ///
    /// ```
    /// assert_eq!(curvlab::curvature::Count(Some(7)).get(), Some(7));
    /// ```
    pub fn get(self) -> Option<usize> {
        self.0
    }
}

impl PartialEq<Option<usize>> for Count {
    fn eq(&self, other: &Option<usize>) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(k) => f.pad(&k.to_string()),
            None => f.pad("—"),
        }
    }
}

/// When a run stops: the rule the predictions are made for.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoppingRule {
    /// `‖x − x*‖₂ ≤ ε ‖x₀ − x*‖₂`.
    ErrorReduction {
        /// `ε`.
        eps: f64,
    },
    /// `‖∇f(x)‖ ≤ ε ‖∇f(x₀)‖` (a study's `grad_rtol`).
    RelativeGradient {
        /// `ε`.
        eps: f64,
    },
    /// `‖∇f(x)‖ ≤ tol` from a start with `‖∇f(x₀)‖ = initial` (a study's `grad_tol`).
    AbsoluteGradient {
        /// `tol`.
        tol: f64,
        /// `‖∇f(x₀)‖`.
        initial: f64,
    },
}

impl StoppingRule {
    /// The reduction factor `ε` asked for (`tol / initial` for the absolute rule).
    ///
    /// ```
    /// use curvlab::curvature::StoppingRule;
    /// let r = StoppingRule::AbsoluteGradient { tol: 1e-6, initial: 100.0 };
    /// assert_eq!(r.reduction(), 1e-8);
    /// assert!(r.on_gradient());
    /// assert!(!StoppingRule::ErrorReduction { eps: 1e-3 }.on_gradient());
    /// ```
    pub fn reduction(&self) -> f64 {
        match *self {
            StoppingRule::ErrorReduction { eps } | StoppingRule::RelativeGradient { eps } => eps,
            StoppingRule::AbsoluteGradient { tol, initial } => tol / initial,
        }
    }
    /// Whether the rule measures the gradient (else the error `x − x*`).
    pub fn on_gradient(&self) -> bool {
        !matches!(self, StoppingRule::ErrorReduction { .. })
    }
    /// The rule in words, e.g. `‖∇f‖ ≤ 1e-6·‖∇f(x₀)‖`.
    ///
    /// ```
    /// use curvlab::curvature::StoppingRule;
    /// assert_eq!(StoppingRule::RelativeGradient { eps: 1e-6 }.describe(), "‖∇f‖ ≤ 1e-6·‖∇f(x₀)‖");
    /// ```
    pub fn describe(&self) -> String {
        match *self {
            StoppingRule::ErrorReduction { eps } => format!("‖x − x*‖ ≤ {eps:e}·‖x₀ − x*‖"),
            StoppingRule::RelativeGradient { eps } => format!("‖∇f‖ ≤ {eps:e}·‖∇f(x₀)‖"),
            StoppingRule::AbsoluteGradient { tol, initial } => {
                format!("‖∇f‖ ≤ {tol:e} from ‖∇f(x₀)‖ = {initial:e}")
            }
        }
    }
    fn validate(&self) -> Result<f64> {
        if let StoppingRule::AbsoluteGradient { tol, initial } = *self
            && !(tol > 0.0 && initial.is_finite() && initial > 0.0)
        {
            return Err(Error::invalid(
                "stopping rule",
                format!("tol = {tol}, initial = {initial}"),
                "needs tol > 0 and a finite initial gradient norm > 0",
            ));
        }
        let eps = self.reduction();
        if !(eps > 0.0 && eps < 1.0) {
            return Err(Error::invalid(
                "reduction",
                eps,
                "must be in (0, 1): the start already meets the rule, or the rule is not positive",
            ));
        }
        Ok(eps)
    }
}

/// What to predict for: the stopping rule, the cost of a product, and whether the spectrum is
/// complete (every eigenvalue with its multiplicity) or only its extremes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Setting {
    /// The stopping rule.
    pub rule: StoppingRule,
    /// The cost model.
    pub cost: CostModel,
    /// True when the spectrum holds every eigenvalue (dense); false for extremes only (Lanczos).
    pub complete: bool,
}

/// The prediction for one method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodPrediction {
    /// `gd`, `heavy_ball`, `nesterov`, `cg` or `newton`.
    pub method: &'static str,
    /// The asymptotic contraction factor per iteration (0 for Newton).
    pub rate: f64,
    /// Estimated iterations to meet the rule; empty when beyond any count.
    pub iterations: Count,
    /// `spectrum` (the recurrence on the complete spectrum), `κ` (the asymptotic rate) or
    /// `exact` (Newton).
    pub basis: &'static str,
    /// Worst-case iterations from `κ` alone (see the module documentation); `None` when beyond
    /// any count.
    pub bound: Count,
    /// Which quantity the rule measures.
    pub error: &'static str,
    /// Products with `A` per iteration.
    pub matvecs_per_iteration: f64,
    /// Flops per iteration.
    pub flops_per_iteration: f64,
    /// `iterations × flops_per_iteration`.
    pub total_flops: Option<f64>,
}

/// Predictions from a spectrum (see the module documentation).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    /// `μ = λ_min`.
    pub mu: f64,
    /// `L = λ_max`.
    pub l: f64,
    /// `κ = L/μ`.
    pub kappa: f64,
    /// Eigenvalues that differ by more than `1e−10·L`.
    pub distinct_eigenvalues: usize,
    /// Groups of eigenvalues separated by gaps larger than 1% of `L − μ`.
    pub clusters: usize,
    /// The rule the predictions are for.
    pub rule: StoppingRule,
    /// Its reduction factor `ε`.
    pub tol: f64,
    /// Whether the spectrum was complete.
    pub complete: bool,
    /// One entry per method.
    pub methods: Vec<MethodPrediction>,
    /// The method with the fewest predicted iterations.
    pub winner_by_iterations: &'static str,
    /// The method with the fewest predicted flops.
    pub winner_by_time: &'static str,
}

impl Prediction {
    /// The prediction for `method`.
    ///
    /// ```
    /// use curvlab::curvature::{explain, Spectrum};
    /// let p = explain(&Spectrum::from_eigenvalues(vec![1.0, 4.0]).unwrap(), 1e-3).unwrap();
    /// assert!(p.method("gd").is_some() && p.method("adam").is_none());
    /// ```
    pub fn method(&self, method: &str) -> Option<&MethodPrediction> {
        self.methods.iter().find(|m| m.method == method)
    }
    /// Drops `method` and recomputes the winners.
    ///
    /// ```
    /// use curvlab::curvature::{explain, Spectrum};
    /// let mut p = explain(&Spectrum::from_eigenvalues(vec![1.0, 4.0]).unwrap(), 1e-3).unwrap();
    /// p.remove("newton");
    /// assert_eq!(p.winner_by_iterations, "cg");
    /// ```
    pub fn remove(&mut self, method: &str) {
        self.methods.retain(|m| m.method != method);
        (self.winner_by_iterations, self.winner_by_time) = winners(&self.methods);
    }
}

/// Smallest `k ≥ 0` with `c · ρᵏ ≤ eps`; `None` when no count fits.
fn iters(c: f64, rho: f64, eps: f64) -> Option<usize> {
    if c <= eps {
        return Some(0);
    }
    if rho <= 0.0 {
        return Some(1);
    }
    let k = ((c / eps).ln() / (1.0 / rho).ln()).ceil();
    (0.0..1e15).contains(&k).then_some(k as usize)
}

/// [`explain_for`] for the error reduction `tol`, a dense matrix of the spectrum's size and a
/// complete spectrum.
///
/// ```
/// use curvlab::curvature::{explain, Spectrum};
/// let s = Spectrum::from_eigenvalues((1..=100).map(|i| i as f64).collect()).unwrap();
/// let p = explain(&s, 1e-6).unwrap();
/// assert_eq!(p.kappa, 100.0);
/// let gd = p.method("gd").unwrap();
/// assert!((gd.rate - 99.0 / 101.0).abs() < 1e-15);
/// assert!(gd.iterations <= gd.bound);
/// assert_eq!(p.method("newton").unwrap().iterations, Some(1));
/// ```
pub fn explain(spectrum: &Spectrum, tol: f64) -> Result<Prediction> {
    explain_with(spectrum, tol, &CostModel::dense(spectrum.n()))
}

/// [`explain_for`] for the error reduction `tol` and a complete spectrum.
///
/// ```
/// use curvlab::curvature::{explain_with, CostModel, Spectrum};
/// let s = Spectrum::from_eigenvalues(vec![1.0, 1e4]).unwrap();
/// let p = explain_with(&s, 1e-8, &CostModel::sparse(2, 2)).unwrap();
/// assert_eq!(p.method("cg").unwrap().iterations, Some(2)); // two distinct eigenvalues
/// assert!(explain_with(&Spectrum::from_eigenvalues(vec![-1.0, 1.0]).unwrap(), 1e-6,
///     &CostModel::dense(2)).is_err());
/// ```
pub fn explain_with(spectrum: &Spectrum, tol: f64, cost: &CostModel) -> Result<Prediction> {
    let setting = Setting {
        rule: StoppingRule::ErrorReduction { eps: tol },
        cost: *cost,
        complete: true,
    };
    explain_for(spectrum, &setting)
}

/// Predicted iterations and costs of gradient descent, heavy ball, Nesterov, CG and Newton to
/// meet `setting.rule` on a positive definite spectrum (see the module documentation).
///
/// ```
/// use curvlab::curvature::{explain_for, CostModel, Setting, Spectrum, StoppingRule};
/// let ev: Vec<f64> = (0..100).map(|i| 100f64.powf(i as f64 / 99.0)).collect();
/// let s = Spectrum::from_eigenvalues(ev).unwrap();
/// let rule = StoppingRule::RelativeGradient { eps: 1e-6 };
/// let full = explain_for(&s, &Setting { rule, cost: CostModel::dense(100), complete: true }).unwrap();
/// let ends = explain_for(&s, &Setting { rule, cost: CostModel::dense(100), complete: false }).unwrap();
/// let nest = |p: &curvlab::curvature::Prediction| p.method("nesterov").unwrap().iterations;
/// // The spectrum's distribution sharpens the estimate below the κ-only one (138).
/// assert!(nest(&full) < nest(&ends));
/// assert_eq!(full.method("nesterov").unwrap().basis, "spectrum");
/// ```
pub fn explain_for(spectrum: &Spectrum, setting: &Setting) -> Result<Prediction> {
    let eps = setting.rule.validate()?;
    let ev = &spectrum.eigenvalues;
    if ev.is_empty() {
        return Err(Error::invalid("spectrum", "[]", "must be nonempty"));
    }
    let (mu, l) = (spectrum.min(), spectrum.max());
    if !(mu > 0.0) || !l.is_finite() {
        return Err(Error::NotPositiveDefinite(format!(
            "the predictions need a positive definite spectrum (λ_min = {mu:e})"
        )));
    }
    let kappa = l / mu;
    if !kappa.is_finite() {
        return Err(Error::NotPositiveDefinite(format!(
            "κ = λ_max/λ_min = {l:e}/{mu:e} overflows f64: the spectrum is singular in floating \
             point (∞ iterations for every method but Newton)"
        )));
    }
    let distinct = 1 + ev.windows(2).filter(|w| w[1] - w[0] > 1e-10 * l).count();
    let clusters = 1 + ev
        .windows(2)
        .filter(|w| w[1] - w[0] > 0.01 * (l - mu))
        .count();
    // The predictions are invariant under A → σA; σ = 2^-round(log₂ L) keeps the recurrences'
    // norms (Σ λ²e²) inside f64 for eigenvalues near its limits (1e200 squared overflows), and
    // a power of two scales exactly, so every other spectrum gives bit-identical predictions.
    let sigma = 2f64.powi(-(l.log2().round() as i32));
    let scaled: Vec<f64> = ev.iter().map(|x| x * sigma).collect();
    let methods = predictions(&scaled, mu * sigma, l * sigma, eps, setting);
    let (by_it, by_time) = winners(&methods);
    Ok(Prediction {
        mu,
        l,
        kappa,
        distinct_eigenvalues: distinct,
        clusters,
        rule: setting.rule,
        tol: eps,
        complete: setting.complete,
        methods,
        winner_by_iterations: by_it,
        winner_by_time: by_time,
    })
}

fn winners(methods: &[MethodPrediction]) -> (&'static str, &'static str) {
    let by_it = methods
        .iter()
        .filter_map(|m| m.iterations.get().map(|k| (k, m.method)))
        .min_by_key(|&(k, _)| k)
        .map_or("none", |(_, m)| m);
    let by_time = methods
        .iter()
        .filter_map(|m| m.total_flops.map(|f| (f, m.method)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or("none", |(_, m)| m);
    (by_it, by_time)
}

/// The five method predictions (bounds, estimates, costs).
fn predictions(ev: &[f64], mu: f64, l: f64, eps: f64, s: &Setting) -> Vec<MethodPrediction> {
    let kappa = l / mu;
    let sk = kappa.sqrt();
    let grad = s.rule.on_gradient();
    let error = if grad {
        "‖∇f‖₂"
    } else {
        "‖x − x*‖₂"
    };
    let q = (sk - 1.0) / (sk + 1.0);
    let rho_gd = (kappa - 1.0) / (kappa + 1.0);
    let rho_n = 1.0 - 1.0 / sk;
    let c_n = if grad {
        (2.0 * kappa).sqrt()
    } else {
        (kappa + 1.0).sqrt()
    };
    let rec = Recurrence::new(ev, grad, eps, s.complete);
    let rows = [
        ("gd", rho_gd, iters(1.0, rho_gd, eps), rec.gd(mu, l), 1.0),
        (
            "heavy_ball",
            q,
            iters(1.0, q, eps),
            rec.heavy_ball(mu, l),
            1.0,
        ),
        (
            "nesterov",
            rho_n,
            iters(c_n, rho_n.sqrt(), eps),
            rec.nesterov(mu, l),
            1.0,
        ),
        ("cg", q, iters(2.0 * sk, q, eps), rec.cg(), 1.0),
    ];
    let nf = s.cost.n as f64;
    let extra = |m: &str| match m {
        "gd" => 2.0 * nf,
        "cg" => 10.0 * nf,
        _ => 5.0 * nf,
    };
    let asymptotic = |m: &str, rate: f64| {
        let c = if m == "cg" { 2.0 } else { 1.0 };
        iters(c, rate, eps)
    };
    let mut out: Vec<MethodPrediction> = rows
        .into_iter()
        .map(|(method, rate, bound, spectral, per)| {
            let (iterations, basis) = match spectral {
                Some(k) => (Some(k), "spectrum"),
                None => (asymptotic(method, rate), "κ"),
            };
            let fl = per * s.cost.matvec_flops + extra(method);
            MethodPrediction {
                method,
                rate,
                iterations: Count(iterations),
                basis,
                bound: Count(bound),
                error,
                matvecs_per_iteration: per,
                flops_per_iteration: fl,
                total_flops: iterations.map(|k| k as f64 * fl),
            }
        })
        .collect();
    out.push(newton(&s.cost));
    out
}

/// Newton on a quadratic: one step, a Cholesky factorization `n³/3` and two triangular solves
/// `2n²`, plus `n` products to form `A` when it is not dense.
fn newton(cost: &CostModel) -> MethodPrediction {
    let nf = cost.n as f64;
    let form = if cost.dense { 0.0 } else { nf };
    let fl = form * cost.matvec_flops + nf.powi(3) / 3.0 + 2.0 * nf * nf;
    MethodPrediction {
        method: "newton",
        rate: 0.0,
        iterations: Count(Some(1)),
        basis: "exact",
        bound: Count(Some(1)),
        error: "exact on a quadratic",
        matvecs_per_iteration: form,
        flops_per_iteration: fl,
        total_flops: Some(fl),
    }
}

/// The scalar recurrences of the methods on the eigenvalues, started from an initial error
/// spread evenly over the eigenvectors; each returns the first iteration that meets the rule,
/// or `None` (incomplete spectrum, or beyond [`RECURRENCE_BUDGET`]).
struct Recurrence<'a> {
    ev: &'a [f64],
    /// `‖∇f‖` (true) or `‖x − x*‖` (false).
    grad: bool,
    eps: f64,
    complete: bool,
    max_steps: usize,
}

impl<'a> Recurrence<'a> {
    fn new(ev: &'a [f64], grad: bool, eps: f64, complete: bool) -> Self {
        let max_steps = (RECURRENCE_BUDGET / ev.len().max(1) as f64) as usize;
        Recurrence {
            ev,
            grad,
            eps,
            complete,
            max_steps,
        }
    }
    /// `Σ w(λ)² e²` where `w = λ` for the gradient, `1` for the error.
    fn norm2(&self, e: &[f64]) -> f64 {
        self.ev
            .iter()
            .zip(e)
            .map(|(l, x)| if self.grad { (l * x).powi(2) } else { x * x })
            .sum()
    }
    /// Gradient descent at `α = 2/(μ+L)`: `eₖ = (1 − αλ)ᵏ e₀`, monotone in `k`, by bisection.
    fn gd(&self, mu: f64, l: f64) -> Option<usize> {
        if !self.complete {
            return None;
        }
        let a = 2.0 / (mu + l);
        let start = self.norm2(&vec![1.0; self.ev.len()]);
        let target = self.eps * self.eps * start;
        let at = |k: usize| -> f64 {
            let e: Vec<f64> = self
                .ev
                .iter()
                .map(|x| (1.0 - a * x).abs().powf(k as f64))
                .collect();
            self.norm2(&e)
        };
        let mut hi = 1usize;
        while at(hi) > target {
            hi = hi.checked_mul(2)?;
            if hi > 1 << 50 {
                return None;
            }
        }
        let mut lo = hi / 2;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if at(mid) > target { lo = mid } else { hi = mid }
        }
        Some(if at(lo) <= target { lo } else { hi })
    }
    /// PyTorch-form momentum `v ← βv + g`, `x ← x − α(g + βv)` (Nesterov) or `x ← x − αv`
    /// (heavy ball), per eigenvalue.
    fn momentum(&self, alpha: f64, beta: f64, nesterov: bool) -> Option<usize> {
        if !self.complete {
            return None;
        }
        let mut e = vec![1.0; self.ev.len()];
        let mut v = vec![0.0; self.ev.len()];
        let target = self.eps * self.eps * self.norm2(&e);
        for k in 0..=self.max_steps {
            if self.norm2(&e) <= target {
                return Some(k);
            }
            for ((ei, vi), l) in e.iter_mut().zip(v.iter_mut()).zip(self.ev) {
                let g = l * *ei;
                *vi = beta * *vi + g;
                *ei -= alpha * if nesterov { g + beta * *vi } else { *vi };
            }
        }
        None
    }
    fn heavy_ball(&self, mu: f64, l: f64) -> Option<usize> {
        let q = ((l / mu).sqrt() - 1.0) / ((l / mu).sqrt() + 1.0);
        self.momentum(4.0 / (l.sqrt() + mu.sqrt()).powi(2), q * q, false)
    }
    fn nesterov(&self, mu: f64, l: f64) -> Option<usize> {
        let q = ((l / mu).sqrt() - 1.0) / ((l / mu).sqrt() + 1.0);
        self.momentum(1.0 / l, q, true)
    }
    /// CG (Nocedal & Wright Algorithm 5.2) in floating point on `diag(λ) y = r₀`, `r₀ = λ`
    /// (the gradient of an even initial error); the error is `r/λ`.
    fn cg(&self) -> Option<usize> {
        if !self.complete {
            return None;
        }
        let mut r: Vec<f64> = self.ev.to_vec();
        let mut p = r.clone();
        let measure = |r: &[f64]| -> f64 {
            if self.grad {
                r.iter().map(|x| x * x).sum()
            } else {
                r.iter().zip(self.ev).map(|(x, l)| (x / l).powi(2)).sum()
            }
        };
        let target = self.eps * self.eps * measure(&r);
        let mut rr: f64 = r.iter().map(|x| x * x).sum();
        for k in 0..=self.max_steps {
            if measure(&r) <= target {
                return Some(k);
            }
            let pap: f64 = p.iter().zip(self.ev).map(|(x, l)| l * x * x).sum();
            if !(pap > 0.0 && rr > 0.0) {
                return Some(k + 1);
            }
            let a = rr / pap;
            for ((ri, pi), l) in r.iter_mut().zip(&p).zip(self.ev) {
                *ri -= a * l * pi;
            }
            let rr_new: f64 = r.iter().map(|x| x * x).sum();
            let b = rr_new / rr;
            rr = rr_new;
            for (pi, ri) in p.iter_mut().zip(&r) {
                *pi = ri + b * *pi;
            }
        }
        None
    }
}
