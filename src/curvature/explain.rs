//! What the spectrum predicts: iterations and cost of classical methods on the quadratic
//! `f(x) = ½xᵀAx − bᵀx` with `μ = λ_min > 0`, `L = λ_max`, `κ = L/μ`.
//!
//! "Error" and the iteration counts `k(tol)` (smallest `k` with the bound `≤ tol`):
//!
//! | method | parameters | bound | error measured |
//! |---|---|---|---|
//! | gradient descent | `α = 2/(μ+L)` | `‖eₖ‖ ≤ ((κ−1)/(κ+1))ᵏ ‖e₀‖` | `‖x − x*‖₂` (also the `A`-norm) |
//! | heavy ball | `α = 4/(√L+√μ)²`, `β = ((√κ−1)/(√κ+1))²` | `‖eₖ‖ ≲ ((√κ−1)/(√κ+1))ᵏ ‖e₀‖` (asymptotic rate) | `‖x − x*‖₂` |
//! | Nesterov | `α = 1/L`, momentum `(√κ−1)/(√κ+1)` | `f(xₖ) − f* ≤ (1 − 1/√κ)ᵏ (f(x₀) − f* + μ/2 ‖e₀‖²)` | `‖x − x*‖₂` via `‖e‖² ≤ 2(f − f*)/μ`: `‖eₖ‖ ≤ √(κ+1) (1 − 1/√κ)^{k/2} ‖e₀‖` |
//! | conjugate gradients | — | `‖eₖ‖_A ≤ 2((√κ−1)/(√κ+1))ᵏ ‖e₀‖_A`, and termination in at most (number of distinct eigenvalues) steps; the prediction is the smaller | `‖x − x*‖_A` |
//! | Newton | `α = 1` | exact in one step | — |
//!
//! Sources: gradient descent, Nocedal & Wright (2006, §3.3, Thm 3.3 and eq. 3.29 for the
//! `2/(μ+L)` step) and Polyak (1987, §1.4); heavy ball, Polyak (1964) and Goh (2017, "Why Momentum
//! Really Works", §2, the optimal `α, β` and rate — the rate is asymptotic: at the optimal
//! parameters the extreme eigenvalues give a double root, so a factor growing linearly in `k`
//! multiplies `ρᵏ`); Nesterov (2004, §2.2, Thm 2.2.3, constant step scheme 2.2.19); CG, Nocedal &
//! Wright (2006, §5.1, Thm 5.4, eq. 5.36). Finite termination and the sharper "outlier" bounds
//! (Axelsson & Lindskog 1986) hold in exact arithmetic only: in floating point, CG on a wide
//! spectrum loses orthogonality and is delayed (Greenbaum 1989; Greenbaum & Strakoš 1992) — on a
//! log-uniform spectrum with `n = 200`, `κ = 10⁴` it needs about 340 steps, not ≤ 200 — while the
//! Chebyshev bound stays valid to a small factor. The outlier bound is therefore not used.
//!
//! Cost per iteration ([`CostModel`]): one product with `A` (`2n²` flops dense, `2·nnz` sparse,
//! or a given cost for matrix-free operators) plus the vector updates (GD `2n`, heavy ball and
//! Nesterov `5n`, CG `10n`); Newton: a Cholesky factorization `n³/3` plus two triangular solves
//! `2n²`, plus `n` products to form `A` when it is not dense. The predicted winner by time is the
//! smallest `iterations × flops per iteration`.

use crate::curvature::spectrum::Spectrum;
use crate::error::{Error, Result};

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

/// The prediction for one method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodPrediction {
    /// `gd`, `heavy_ball`, `nesterov`, `cg` or `newton`.
    pub method: &'static str,
    /// The contraction factor per iteration of the bound (0 for Newton).
    pub rate: f64,
    /// Predicted iterations to reduce the error (see `error`) by `tol`.
    pub iterations: usize,
    /// Which error the bound is about.
    pub error: &'static str,
    /// Products with `A` per iteration.
    pub matvecs_per_iteration: f64,
    /// Flops per iteration.
    pub flops_per_iteration: f64,
    /// `iterations × flops_per_iteration`.
    pub total_flops: f64,
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
    /// The error reduction asked for.
    pub tol: f64,
    /// One entry per method.
    pub methods: Vec<MethodPrediction>,
    /// The method with the fewest predicted iterations.
    pub winner_by_iterations: &'static str,
    /// The method with the fewest predicted flops.
    pub winner_by_time: &'static str,
}

impl Prediction {
    /// The prediction for `method`.
    pub fn method(&self, method: &str) -> Option<&MethodPrediction> {
        self.methods.iter().find(|m| m.method == method)
    }
}

/// Smallest `k ≥ 0` with `c · ρᵏ ≤ tol`.
fn iters(c: f64, rho: f64, tol: f64) -> usize {
    if c <= tol {
        return 0;
    }
    if rho <= 0.0 {
        return 1;
    }
    ((c / tol).ln() / (1.0 / rho).ln()).ceil().max(0.0) as usize
}

/// [`explain_with`] for a dense matrix of the spectrum's size.
///
/// ```
/// use curvlab::curvature::{explain, Spectrum};
/// let s = Spectrum::from_eigenvalues((1..=100).map(|i| i as f64).collect()).unwrap();
/// let p = explain(&s, 1e-6).unwrap();
/// assert_eq!(p.kappa, 100.0);
/// let gd = p.method("gd").unwrap();
/// assert!((gd.rate - 99.0 / 101.0).abs() < 1e-15);
/// assert!(p.method("cg").unwrap().iterations <= 100);
/// assert_eq!(p.method("newton").unwrap().iterations, 1);
/// ```
pub fn explain(spectrum: &Spectrum, tol: f64) -> Result<Prediction> {
    explain_with(spectrum, tol, &CostModel::dense(spectrum.n()))
}

/// Predicted iterations and costs of gradient descent, heavy ball, Nesterov, CG and Newton to
/// reduce the error by `tol ∈ (0, 1)`, for a positive definite spectrum.
///
/// ```
/// use curvlab::curvature::{explain_with, CostModel, Spectrum};
/// let s = Spectrum::from_eigenvalues(vec![1.0, 1e4]).unwrap();
/// let p = explain_with(&s, 1e-8, &CostModel::sparse(2, 2)).unwrap();
/// assert_eq!(p.method("cg").unwrap().iterations, 2); // two distinct eigenvalues
/// assert!(explain_with(&Spectrum::from_eigenvalues(vec![-1.0, 1.0]).unwrap(), 1e-6,
///     &CostModel::dense(2)).is_err());
/// ```
pub fn explain_with(spectrum: &Spectrum, tol: f64, cost: &CostModel) -> Result<Prediction> {
    if !(tol > 0.0 && tol < 1.0) {
        return Err(Error::invalid("tol", tol, "must be in (0, 1)"));
    }
    let ev = &spectrum.eigenvalues;
    let n = ev.len();
    if n == 0 {
        return Err(Error::invalid("spectrum", "[]", "must be nonempty"));
    }
    let mu = spectrum.min();
    let l = spectrum.max();
    if !(mu > 0.0) || !l.is_finite() {
        return Err(Error::NotPositiveDefinite(format!(
            "the predictions need a positive definite spectrum (λ_min = {mu:e})"
        )));
    }
    let kappa = l / mu;
    let sk = kappa.sqrt();
    let distinct = 1 + ev.windows(2).filter(|w| w[1] - w[0] > 1e-10 * l).count();
    let clusters = 1 + ev
        .windows(2)
        .filter(|w| w[1] - w[0] > 0.01 * (l - mu))
        .count();
    let nf = cost.n as f64;
    let mv = cost.matvec_flops;
    let mut methods = Vec::new();
    let mut push = |method, rate, iterations: usize, error, per_matvec: f64, extra: f64| {
        let fl = per_matvec * mv + extra;
        methods.push(MethodPrediction {
            method,
            rate,
            iterations,
            error,
            matvecs_per_iteration: per_matvec,
            flops_per_iteration: fl,
            total_flops: fl * iterations as f64,
        });
    };
    let rho_gd = (kappa - 1.0) / (kappa + 1.0);
    push(
        "gd",
        rho_gd,
        iters(1.0, rho_gd, tol),
        "‖x − x*‖₂",
        1.0,
        2.0 * nf,
    );
    let rho_hb = (sk - 1.0) / (sk + 1.0);
    push(
        "heavy_ball",
        rho_hb,
        iters(1.0, rho_hb, tol),
        "‖x − x*‖₂",
        1.0,
        5.0 * nf,
    );
    let rho_n = 1.0 - 1.0 / sk;
    let k_n = if rho_n <= 0.0 {
        1
    } else {
        iters((kappa + 1.0).sqrt(), rho_n.sqrt(), tol)
    };
    push("nesterov", rho_n, k_n, "‖x − x*‖₂", 1.0, 5.0 * nf);
    // CG: the Chebyshev bound, capped by finite termination (number of distinct eigenvalues).
    let k_cg = iters(2.0, rho_hb, tol).min(distinct);
    push("cg", rho_hb, k_cg, "‖x − x*‖_A", 1.0, 10.0 * nf);
    let form = if cost.dense { 0.0 } else { nf };
    push(
        "newton",
        0.0,
        1,
        "exact on a quadratic",
        form,
        nf.powi(3) / 3.0 + 2.0 * nf * nf,
    );
    let by_it = methods
        .iter()
        .min_by_key(|m| m.iterations)
        .map(|m| m.method)
        .unwrap_or("newton");
    let by_time = methods
        .iter()
        .min_by(|a, b| a.total_flops.total_cmp(&b.total_flops))
        .map(|m| m.method)
        .unwrap_or("newton");
    Ok(Prediction {
        mu,
        l,
        kappa,
        distinct_eigenvalues: distinct,
        clusters,
        tol,
        methods,
        winner_by_iterations: by_it,
        winner_by_time: by_time,
    })
}
