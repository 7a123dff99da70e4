//! The theory side of a study report: which of [`crate::curvature::explain`](fn@crate::curvature::explain)'s
//! predictions a method is compared with ([`theory_for`]), the stopping rule a study's `[stop]`
//! table asks of an instance ([`stopping_rule`]: `grad_rtol` → `‖∇f‖ ≤ ε‖∇f(x₀)‖`, `grad_tol` →
//! `‖∇f‖ ≤ tol` from the instance's `‖∇f(x₀)‖`), so that predictions and runs stop on the same
//! test, and one sentence of convergence theory per method family ([`why`]): Polyak
//! (1964/1987), Nesterov (2004), Nocedal & Wright (2006).
//!
//! Used by [`super::spectra`], [`super::summary`] and [`super::plots`]; imports neither of the
//! last two.

use super::format::fmt_g;
use super::spec::StudySpec;
use super::spectra::InstanceSpectra;
use crate::curvature::StoppingRule;
use crate::params::Value;
use crate::problems::ProblemInstance;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a run's measurement is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Outer iterations.
    Iterations,
    /// Hessian-vector products (the CG steps of Newton-CG methods).
    HessianVectorProducts,
}

/// How a registry method relates to one of [`crate::curvature::explain`](fn@crate::curvature::explain)'s bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TheoryMatch {
    /// `gd`, `heavy_ball`, `nesterov`, `cg` or `newton` (explain's names).
    pub family: &'static str,
    /// What to compare the prediction with.
    pub measure: Measure,
    /// True when the run uses exactly the method and parameters the bound is for; false when
    /// the bound is only a reference (other parameters, restarted or inexact CG, L-BFGS).
    pub exact: bool,
}

fn is_optimal(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Str(s)) if s == "optimal")
}

/// The bound of [`crate::curvature::explain`](fn@crate::curvature::explain) a method (registry kind and study parameters)
/// is compared with, if any.
///
/// ```
/// use curvlab::study::theory::{theory_for, Measure};
/// use curvlab::params::Value;
/// let opt = [("lr".to_string(), Value::Str("optimal".into()))].into();
/// let t = theory_for("gd", &opt).unwrap();
/// assert_eq!((t.family, t.exact), ("gd", true));
/// let fixed = [("lr".to_string(), Value::Num(0.01))].into();
/// assert!(!theory_for("gd", &fixed).unwrap().exact);
/// assert_eq!(theory_for("momentum", &opt).unwrap().family, "heavy_ball");
/// assert_eq!(theory_for("newton-cg", &Default::default()).unwrap().measure,
///            Measure::HessianVectorProducts);
/// assert!(theory_for("adam", &Default::default()).is_none());
/// ```
pub fn theory_for(kind: &str, params: &BTreeMap<String, Value>) -> Option<TheoryMatch> {
    let only = |allowed: &[&str]| params.keys().all(|k| allowed.contains(&k.as_str()));
    let t = |family, measure, exact| {
        Some(TheoryMatch {
            family,
            measure,
            exact,
        })
    };
    match kind {
        "gd" => t(
            "gd",
            Measure::Iterations,
            is_optimal(params.get("lr")) && only(&["lr"]),
        ),
        "momentum" | "nesterov" => t(
            if kind == "momentum" {
                "heavy_ball"
            } else {
                "nesterov"
            },
            Measure::Iterations,
            is_optimal(params.get("lr"))
                && (params.get("momentum").is_none() || is_optimal(params.get("momentum")))
                && only(&["lr", "momentum"]),
        ),
        "newton" => t(
            "newton",
            Measure::Iterations,
            match params.get("safeguard") {
                None => true,
                Some(Value::Str(s)) => s == "modified" || s == "none",
                _ => false,
            },
        ),
        "newton-cg" | "trust-ncg" => t("cg", Measure::HessianVectorProducts, false),
        "lbfgs" => t("cg", Measure::Iterations, false),
        _ => None,
    }
}

/// `‖∇f(x₀)‖` of an instance.
fn grad0(inst: &ProblemInstance) -> Option<f64> {
    let mut g = vec![0.0; inst.x0.len()];
    inst.objective.gradient(&inst.x0, &mut g).ok()?;
    Some(crate::linalg::vector::norm(&g))
}

/// The stopping rule a study asks of an instance: `grad_rtol` as a relative gradient test,
/// `grad_tol` as an absolute one from the instance's `‖∇f(x₀)‖` (`None` when that gradient
/// cannot be evaluated).
///
/// ```
/// use curvlab::curvature::StoppingRule;
/// use curvlab::study::{StudySpec, theory::stopping_rule};
/// let src = "name='s'\n[stop]\ngrad_tol=1e-6\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let inst = curvlab::problems::build_problem("ravine", &Default::default(), 0).unwrap();
/// // ‖∇f(1, 8)‖ = ‖(100, 8)‖ on the seed's ravine.
/// let r = stopping_rule(&spec, &inst).unwrap();
/// assert_eq!(r, StoppingRule::AbsoluteGradient { tol: 1e-6, initial: 10064f64.sqrt() });
/// assert!((r.reduction() - 1e-6 / 10064f64.sqrt()).abs() < 1e-20);
/// ```
pub fn stopping_rule(spec: &StudySpec, inst: &ProblemInstance) -> Option<StoppingRule> {
    match spec.grad_rtol {
        Some(eps) => Some(StoppingRule::RelativeGradient { eps }),
        None => grad0(inst).map(|initial| StoppingRule::AbsoluteGradient {
            tol: spec.stop.grad_tol,
            initial,
        }),
    }
}

/// The family a registry method belongs to for [`why`]: `newton`, `krylov` (Newton-CG,
/// trust-region Newton-CG, Hessian-free), `quasi-newton` (L-BFGS), `momentum`, `gd`,
/// `adaptive` or `other`.
///
/// ```
/// use curvlab::study::theory::family;
/// assert_eq!((family("lbfgs"), family("newton-cg")), ("quasi-newton", "krylov"));
/// assert_eq!((family("adam"), family("zzz")), ("adaptive", "other"));
/// ```
pub fn family(kind: &str) -> &'static str {
    match kind {
        "newton" => "newton",
        "newton-cg" | "trust-ncg" | "hessian-free" => "krylov",
        "lbfgs" => "quasi-newton",
        "momentum" | "nesterov" => "momentum",
        "gd" => "gd",
        "adam" | "adamw" | "amsgrad" | "nadam" | "rmsprop" | "adagrad" => "adaptive",
        _ => "other",
    }
}

/// One sentence from the theory on why a method of `kind` wins on an instance with these
/// spectra.
///
/// ```
/// use curvlab::curvature::StoppingRule;
/// use curvlab::params::Params;
/// use curvlab::study::{spectra::instance_spectra, theory::why};
/// let inst = curvlab::problems::build_problem("ravine", &Params::new(), 0).unwrap();
/// let s = instance_spectra(&inst, Some(StoppingRule::RelativeGradient { eps: 1e-6 }), 0);
/// assert!(why("newton", &s).contains("one step"));
/// assert!(why("momentum", &s).contains("√κ"));
/// // Each family has its own text: L-BFGS is not explained with Newton-CG's.
/// assert!(why("lbfgs", &s).contains("secant") && !why("newton-cg", &s).contains("secant"));
/// ```
pub fn why(kind: &str, sp: &InstanceSpectra) -> String {
    why_at(kind, sp, None)
}

/// [`why`] with the curvature where the run ended: `end = (λ_min, λ_max)` of `∇²f(x_end)`. On a
/// non-quadratic problem the condition number quoted is then `κ(∇²f(x_end))` (when `λ_min > 0`),
/// the one that governs the final convergence rate, rather than the one at `x₀`.
///
/// ```
/// use curvlab::curvature::StoppingRule;
/// use curvlab::study::{spectra::instance_spectra, theory::why_at};
/// let inst = curvlab::problems::build_problem("rosenbrock", &Default::default(), 0).unwrap();
/// let s = instance_spectra(&inst, Some(StoppingRule::RelativeGradient { eps: 1e-6 }), 0);
/// // At x* = (1, 1) the Hessian of Rosenbrock is [[802, −400], [−400, 200]]: κ ≈ 2508.
/// assert!(why_at("gd", &s, Some((0.3994, 1001.6))).contains("2508 at the end point"));
/// ```
pub fn why_at(kind: &str, sp: &InstanceSpectra, end: Option<(f64, f64)>) -> String {
    let end_kappa = end
        .filter(|&(lo, hi)| !sp.quadratic && lo > 0.0 && hi.is_finite())
        .map(|(lo, hi)| hi / lo);
    let kappa = end_kappa.or(sp.condition_number());
    let ks = match end_kappa {
        Some(k) => format!("{} at the end point", fmt_g(Some(k))),
        None => fmt_g(kappa),
    };
    match family(kind) {
        "newton" if sp.quadratic => why_newton_quadratic(sp),
        "newton" => format!(
            "Near a minimizer with a positive definite Hessian Newton's method converges \
             quadratically (Nocedal & Wright 2006, Thm 3.5) whatever the conditioning (κ = {ks} \
             here), while first-order methods converge linearly at a κ-dependent rate."
        ),
        "krylov" => why_krylov(sp),
        "quasi-newton" => format!(
            "L-BFGS builds an approximation of the inverse Hessian from the last few pairs of \
             steps and gradient differences (the secant condition), without a single Hessian \
             product, so its steps are scaled by curvature the first-order methods ignore \
             (κ = {ks}); on a quadratic with exact line searches BFGS reproduces conjugate \
             gradients, and near a minimizer the full BFGS update converges superlinearly \
             (Nocedal & Wright 2006, §6.1 and Thm 6.6; Liu & Nocedal 1989)."
        ),
        "momentum" => {
            let rate = |k: f64| (k - 1.0) / (k + 1.0);
            format!(
                "Momentum accumulates the consistent push along the flat directions while the \
                 oscillation across the steep ones cancels, so the contraction per step improves \
                 from (κ−1)/(κ+1) = {} to about (√κ−1)/(√κ+1) = {} — iterations grow like √κ \
                 instead of κ (κ = {ks}).",
                fmt_g(kappa.map(rate)),
                fmt_g(kappa.map(|k| rate(k.sqrt())))
            )
        }
        "gd" => format!(
            "With κ = {ks} gradient descent's contraction (κ−1)/(κ+1) = {} per step is already \
             fast, and its steps are the cheapest.",
            fmt_g(kappa.map(|k| (k - 1.0) / (k + 1.0)))
        ),
        "adaptive" => format!(
            "It divides each coordinate's step by a running RMS of that coordinate's gradient — a \
             diagonal curvature estimate — which evens out steep and flat directions when they are \
             aligned with the coordinate axes (κ = {ks})."
        ),
        _ => String::new(),
    }
}

fn why_newton_quadratic(sp: &InstanceSpectra) -> String {
    let r = sp.reference();
    let (mu, l) = (
        r.and_then(|r| r.lambda_min()),
        r.and_then(|r| r.lambda_max()),
    );
    let pred = |m: &str| {
        sp.prediction
            .as_ref()
            .and_then(|p| p.method(m))
            .and_then(|m| m.iterations.get())
    };
    let mut s = format!(
        "Newton's step −(∇²f)⁻¹∇f divides each eigencomponent of the gradient by its own \
         curvature, so on a quadratic it lands on x* in one step whatever κ (= {}); \
         first-order methods must keep their step below 2/L = {} for the steepest \
         direction and then crawl along the flattest (curvature μ = {})",
        fmt_g(sp.condition_number()),
        fmt_g(l.map(|l| 2.0 / l)),
        fmt_g(mu)
    );
    if let (Some(g), Some(h)) = (pred("gd"), pred("heavy_ball")) {
        let _ = write!(
            s,
            ", which the theory prices at {g} iterations for gradient descent and {h} for \
             the heavy ball"
        );
    }
    s.push('.');
    s
}

fn why_krylov(sp: &InstanceSpectra) -> String {
    let r = sp.reference();
    if sp.quadratic {
        return format!(
            "It gathers curvature from Hessian-vector products or gradient differences without \
             forming or factorizing the Hessian: CG-type inner solves need about \
             (√κ/2)·ln(2/ε) products (κ = {}), fewer on a spectrum with clusters, \
             instead of gradient descent's (κ/2)·ln(1/ε) steps{}.",
            fmt_g(sp.condition_number()),
            if sp.n > 200 {
                format!(
                    ", and each costs far less than a Newton factorization at n = {}",
                    sp.n
                )
            } else {
                String::new()
            }
        );
    }
    let neg = r
        .and_then(|r| r.negative_count)
        .filter(|&k| k > 0)
        .map(|k| {
            format!(
                "; the Hessian at {} is indefinite ({k} negative eigenvalues), and a \
                 damped Gauss-Newton or trust-region model stays well posed there",
                r.map_or("x0", |r| r.point.as_str())
            )
        })
        .unwrap_or_default();
    format!(
        "Each of its steps minimizes a local quadratic model by conjugate gradients on \
         curvature products, so it moves along flat and steep directions at once, while \
         a first-order step is limited by the sharpest direction (λ_max = {}){neg}.",
        fmt_g(r.and_then(|r| r.lambda_max()))
    )
}
