//! The study report: `spectra.json` ([`super::spectra`]), `summary.md` and the plots
//! ([`super::plots`]).
//!
//! `summary.md` answers, per problem instance, "who wins and why": the winner by iterations and
//! by wall time among the runs that reached the tolerance, the condition number κ of the
//! Hessian, one sentence of explanation from the convergence theory for the winner's family, the
//! iteration counts [`crate::curvature::explain`](fn@crate::curvature::explain) predicts beside the measured ones (gradient
//! descent at `2/(μ+L)`, heavy ball and Nesterov at their optimal parameters, conjugate
//! gradients, Newton — Polyak 1964/1987, Nesterov 2004, Nocedal & Wright 2006), and the
//! sharpness `λ_max(∇²f)` at each method's final point (Cohen et al. 2021; Keskar et al. 2017 for
//! the flat-minimum question of the seed article).
//!
//! Predictions are made for quadratics only (constant Hessian) and for the error reduction
//! `ε = grad_rtol` (or `grad_tol / ‖∇f(x₀)‖`). The bounds are for `‖x − x*‖`; gradient descent,
//! heavy ball and CG iterates are polynomials in `A` applied to the initial error, and
//! `∇f = A(x − x*)` commutes with them, so the same per-step factors bound `‖∇f‖`.

use super::expand::{Instance, Plan};
use super::outputs::{RunRecord, read_records, write_atomic, write_runs_csv};
use super::spec::StudySpec;
use super::spectra::{InstanceSpectra, instance_spectra};
use crate::curvature::Prediction;
use crate::error::{Error, Result};
use crate::params::Value;
use crate::problems::{ProblemInstance, build_problem};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

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
/// use curvlab::study::summary::{theory_for, Measure};
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

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A number for a table: 4 significant digits, scientific outside `[1e-3, 1e5)`, `—` for none.
///
/// ```
/// use curvlab::study::summary::fmt_g;
/// assert_eq!(fmt_g(Some(922.0)), "922");
/// assert_eq!(fmt_g(Some(14.7358)), "14.74");
/// assert_eq!(fmt_g(Some(0.0013)), "0.0013");
/// assert_eq!(fmt_g(Some(0.000012)), "1.200e-5");
/// assert_eq!(fmt_g(None), "—");
/// ```
pub fn fmt_g(x: Option<f64>) -> String {
    match x {
        None => "—".into(),
        Some(0.0) => "0".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if (1e-3..1e5).contains(&v.abs()) => {
            let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
            let s = format!("{v:.digits$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
        Some(v) => format!("{v:.3e}"),
    }
}

/// `‖∇f(x₀)‖` of an instance.
fn grad0(inst: &ProblemInstance) -> Option<f64> {
    let mut g = vec![0.0; inst.x0.len()];
    inst.objective.gradient(&inst.x0, &mut g).ok()?;
    Some(crate::linalg::vector::norm(&g))
}

/// The error reduction `ε` a study asks for on an instance: `grad_rtol`, or
/// `grad_tol / ‖∇f(x₀)‖`.
///
/// ```
/// use curvlab::study::{StudySpec, summary::error_reduction};
/// let src = "name='s'\n[stop]\ngrad_tol=1e-6\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let inst = curvlab::problems::build_problem("ravine", &Default::default(), 0).unwrap();
/// // ‖∇f(1, 8)‖ = ‖(100, 8)‖ on the seed's ravine.
/// let e = error_reduction(&spec, &inst).unwrap();
/// assert!((e - 1e-6 / 10064f64.sqrt()).abs() < 1e-20);
/// ```
pub fn error_reduction(spec: &StudySpec, inst: &ProblemInstance) -> Option<f64> {
    match spec.grad_rtol {
        Some(r) => Some(r),
        None => grad0(inst).map(|g| spec.stop.grad_tol / g),
    }
}

/// Regenerates the study outputs from the records on disk: `runs.csv` always; `spectra.json`,
/// `summary.md` and `plots/` when `full` (an unsharded study or a merge). `instances` are the
/// problem instances built with the first seed (rebuilt when `None`). Spectra and plots are
/// computed per problem instance in parallel on the current rayon pool.
pub fn finalize(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    only: Option<&BTreeSet<String>>,
    full: bool,
    instances: Option<&[Arc<ProblemInstance>]>,
) -> Result<()> {
    let records = read_records(out)?;
    write_runs_csv(out, plan, &records, only)?;
    if !full {
        return Ok(());
    }
    let built: Vec<Arc<ProblemInstance>> = match instances {
        Some(v) => v.to_vec(),
        None => plan
            .problems
            .iter()
            .map(|p| build_problem(&p.kind, &p.to_params(), spec.seeds[0]).map(Arc::new))
            .collect::<Result<_>>()?,
    };
    // One task per instance on the current rayon pool (the study's `--jobs`).
    let spectra: Vec<InstanceSpectra> = built
        .par_iter()
        .with_max_len(1)
        .map(|i| instance_spectra(i, error_reduction(spec, i), spec.seeds[0]))
        .collect();
    let json = serde_json::to_string_pretty(&spectra)
        .map_err(|e| Error::Numerical(format!("spectra.json: {e}")))?;
    write_atomic(&out.join("spectra.json"), json.as_bytes())?;
    let plots = super::plots::write_plots(spec, plan, out, &records, &spectra, &built)?;
    let md = summary_markdown(spec, plan, &records, &spectra, &plots);
    write_atomic(&out.join("summary.md"), md.as_bytes())
}

/// One method instance on one problem instance, over its seeds.
struct Row<'a> {
    method: &'a Instance,
    runs: Vec<&'a RunRecord>,
    converged: usize,
    iterations: Option<f64>,
    hvps: Option<f64>,
    seconds: Option<f64>,
    f_end: Option<f64>,
    gap: Option<f64>,
    sharpness: Option<f64>,
}

fn rows<'a>(
    plan: &'a Plan,
    records: &'a BTreeMap<String, RunRecord>,
    problem: usize,
) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    for (mi, m) in plan.methods.iter().enumerate() {
        let runs: Vec<&RunRecord> = plan
            .runs
            .iter()
            .filter(|r| r.problem == problem && r.method == mi)
            .filter_map(|r| records.get(&r.id))
            .collect();
        if runs.is_empty() {
            continue;
        }
        let conv: Vec<&&RunRecord> = runs.iter().filter(|r| r.converged).collect();
        let cm =
            |f: &dyn Fn(&RunRecord) -> f64| mean(&conv.iter().map(|r| f(r)).collect::<Vec<_>>());
        let am = |f: &dyn Fn(&RunRecord) -> Option<f64>| {
            mean(&runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
        };
        out.push(Row {
            method: m,
            converged: conv.len(),
            iterations: cm(&|r| r.iterations as f64),
            hvps: cm(&|r| r.hvp_evals as f64),
            seconds: cm(&|r| r.seconds),
            f_end: am(&|r| r.f),
            gap: am(&|r| Some(r.f? - r.f_star?)),
            sharpness: am(&|r| r.sharpness),
            runs,
        });
    }
    out
}

fn family(kind: &str) -> &'static str {
    match kind {
        "newton" => "newton",
        "newton-cg" | "trust-ncg" | "hessian-free" | "lbfgs" => "krylov",
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
/// use curvlab::params::Params;
/// use curvlab::study::{spectra::instance_spectra, summary::why};
/// let inst = curvlab::problems::build_problem("ravine", &Params::new(), 0).unwrap();
/// let s = instance_spectra(&inst, Some(1e-6), 0);
/// assert!(why("newton", &s).contains("one step"));
/// assert!(why("momentum", &s).contains("√κ"));
/// ```
pub fn why(kind: &str, sp: &InstanceSpectra) -> String {
    let kappa = sp.condition_number();
    let r = sp.reference();
    let (mu, l) = (
        r.and_then(|r| r.lambda_min()),
        r.and_then(|r| r.lambda_max()),
    );
    let pred = |m: &str| {
        sp.prediction
            .as_ref()
            .and_then(|p| p.method(m))
            .map(|m| m.iterations)
    };
    let ks = fmt_g(kappa);
    match family(kind) {
        "newton" if sp.quadratic => {
            let mut s = format!(
                "Newton's step −(∇²f)⁻¹∇f divides each eigencomponent of the gradient by its own \
                 curvature, so on a quadratic it lands on x* in one step whatever κ (= {ks}); \
                 first-order methods must keep their step below 2/L = {} for the steepest \
                 direction and then crawl along the flattest (curvature μ = {})",
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
        "newton" => format!(
            "Near a minimizer with a positive definite Hessian Newton's method converges \
             quadratically (Nocedal & Wright 2006, Thm 3.5) whatever the conditioning (κ = {ks} \
             here), while first-order methods converge linearly at a κ-dependent rate."
        ),
        "krylov" if !sp.quadratic => {
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
                fmt_g(l)
            )
        }
        "krylov" => format!(
            "It gathers curvature from Hessian-vector products or gradient differences without \
             forming or factorizing the Hessian: CG-type inner solves need about \
             (√κ/2)·ln(2/ε) products (κ = {ks}), or at most the number of distinct eigenvalues, \
             instead of gradient descent's (κ/2)·ln(1/ε) steps{}.",
            if sp.n > 200 {
                format!(
                    ", and each costs far less than a Newton factorization at n = {}",
                    sp.n
                )
            } else {
                String::new()
            }
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

/// A ratio with 2 significant digits (`44`, `2.4`, `0.38`).
fn ratio(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let digits = (1 - x.abs().max(1e-300).log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn stop_text(spec: &StudySpec) -> String {
    let mut s = match spec.grad_rtol {
        Some(r) => format!("‖∇f‖ ≤ {r}·‖∇f(x₀)‖"),
        None => format!("‖∇f‖ ≤ {}", spec.stop.grad_tol),
    };
    let _ = write!(s, ", at most {} iterations", spec.stop.max_iters);
    if let Some(t) = spec.stop.max_seconds {
        let _ = write!(s, ", {t} s per run");
    }
    if let Some(e) = spec.stop.max_evals {
        let _ = write!(s, ", {e} gradient-equivalent evaluations");
    }
    s
}

fn theory_table(s: &mut String, rows: &[Row], p: &Prediction) {
    let mut lines = Vec::new();
    let mut dagger = false;
    for r in rows {
        let Some(t) = theory_for(&r.method.kind, &r.method.params) else {
            continue;
        };
        let Some(mp) = p.method(t.family) else {
            continue;
        };
        let (measured, unit) = match t.measure {
            Measure::Iterations => (r.iterations, "iterations"),
            Measure::HessianVectorProducts => (r.hvps, "Hessian-vector products"),
        };
        dagger |= !t.exact;
        let ratio = measured
            .filter(|_| mp.iterations > 0)
            .map(|m| m / mp.iterations as f64);
        lines.push(format!(
            "| {} | {}{} (rate {}) | {} {} | {} | {} |",
            md_escape(&r.method.label()),
            mp.method,
            if t.exact { "" } else { " †" },
            fmt_g(Some(mp.rate)),
            mp.iterations,
            if mp.iterations == 1 {
                unit.trim_end_matches('s')
            } else {
                unit
            },
            fmt_g(measured),
            ratio.map_or("—".into(), |x| format!("{x:.2}"))
        ));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "Theory vs measurement (`curvature::explain` on the spectrum, for the error reduction \
         ε = {} the stopping rule asks for; measured = mean over converged seeds). The bounds are \
         worst cases: a measurement below the prediction means the bound is not tight here \
         (Nesterov's goes through f − f*, which costs a factor √κ inside the logarithm).\n",
        fmt_g(Some(p.tol))
    );
    let _ = writeln!(
        s,
        "| method | bound | predicted | measured | measured / predicted |\n|---|---|---|---|---|"
    );
    for l in lines {
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(s);
    if dagger {
        let _ = writeln!(
            s,
            "† a reference, not a prediction for this run: the bound is for the method at its \
             optimal parameters (`lr = momentum = \"optimal\"`), or for one CG solve (Newton-CG \
             restarts CG at every outer step with a loose forcing term; L-BFGS with an inexact \
             line search only approximates CG).\n"
        );
    }
    let _ = writeln!(
        s,
        "The spectrum alone predicts the winner by iterations to be **{}** and by flops **{}**.\n",
        p.winner_by_iterations, p.winner_by_time
    );
}

fn summary_markdown(
    spec: &StudySpec,
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    plots: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Study `{}`\n", spec.name);
    if let Some(d) = &spec.description {
        let _ = writeln!(s, "{}\n", d.trim());
    }
    let present = plan
        .runs
        .iter()
        .filter(|r| records.contains_key(&r.id))
        .count();
    let _ = writeln!(
        s,
        "{present} of {} runs finished · seeds {:?} · stop: {}.\n",
        plan.runs.len(),
        spec.seeds,
        stop_text(spec)
    );
    for (pi, p) in plan.problems.iter().enumerate() {
        let Some(sp) = spectra.get(pi) else {
            continue;
        };
        let _ = writeln!(s, "## {}\n", md_escape(&p.label()));
        let kappa = sp.condition_number();
        let mut facts = vec![format!("n = {}", sp.n)];
        if let Some(r) = sp.reference() {
            facts.push(format!(
                "κ(∇²f({})) = {} (λ_min = {}, λ_max = {})",
                r.point,
                fmt_g(kappa),
                fmt_g(r.lambda_min()),
                fmt_g(r.lambda_max())
            ));
            let mut inertia = Vec::new();
            for q in [&sp.at_start, &sp.at_optimum].into_iter().flatten() {
                inertia.push(format!("{} at {}", q.inertia_text(), q.point));
            }
            facts.push(format!("inertia (−/0/+) {}", inertia.join(", ")));
            facts.push(format!("spectrum: {} ({})", r.algo, r.reason));
        }
        let _ = writeln!(s, "{}\n", facts.join(" · "));
        let rows = rows(plan, records, pi);
        let best = |key: &dyn Fn(&Row) -> Option<f64>| {
            rows.iter()
                .filter(|r| r.converged > 0)
                .filter_map(|r| key(r).map(|v| (v, r)))
                .min_by(|a, b| a.0.total_cmp(&b.0))
        };
        let by_it = best(&|r| r.iterations);
        let by_time = best(&|r| r.seconds);
        let _ = write!(s, "**Who wins and why.** ");
        match (by_it, by_time) {
            (Some((k, wi)), Some((t, wt))) => {
                let _ = write!(
                    s,
                    "By iterations **{}** ({} iteration{}); by time **{}** ({} s). {}",
                    md_escape(&wi.method.label()),
                    fmt_g(Some(k)),
                    if k == 1.0 { "" } else { "s" },
                    md_escape(&wt.method.label()),
                    fmt_g(Some(t)),
                    why(&wi.method.kind, sp)
                );
                if !std::ptr::eq(wi, wt)
                    && let (Some(ti), Some(ki)) = (wi.seconds, wi.iterations)
                    && let Some(kt) = wt.iterations
                {
                    let per = |sec: f64, k: f64| sec / k.max(1.0);
                    let _ = write!(
                        s,
                        " By time {} wins instead: each of its iterations costs {}× less than one \
                         of {}'s, which outweighs its {}× more iterations.",
                        md_escape(&wt.method.label()),
                        ratio(per(ti, ki) / per(t, kt)),
                        md_escape(&wi.method.label()),
                        ratio(kt / ki.max(1.0))
                    );
                }
            }
            _ => {
                let lowest = rows
                    .iter()
                    .filter_map(|r| r.f_end.map(|f| (f, r)))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                let _ = write!(s, "No method reached the tolerance");
                if let Some((f, r)) = lowest {
                    let _ = write!(
                        s,
                        "; lowest final f: **{}** (f = {})",
                        md_escape(&r.method.label()),
                        fmt_g(Some(f))
                    );
                }
                s.push('.');
            }
        }
        let stalled: Vec<String> = rows
            .iter()
            .filter(|r| r.converged == 0 && family(&r.method.kind) == "adaptive")
            .map(|r| md_escape(&r.method.label()))
            .collect();
        let unconverged: Vec<String> = rows
            .iter()
            .filter(|r| r.converged == 0 && (!sp.quadratic || family(&r.method.kind) != "adaptive"))
            .map(|r| format!("{} (f = {})", md_escape(&r.method.label()), fmt_g(r.f_end)))
            .collect();
        if !unconverged.is_empty() {
            let _ = write!(
                s,
                " Not converged within the budget: {}.",
                unconverged.join(", ")
            );
        }
        if sp.quadratic && !stalled.is_empty() {
            let _ = write!(
                s,
                " Not converged: {} — with a constant learning rate the normalized step \
                 g/√v (m/√v for Adam) stays of the order of lr near x*, so these hover around the minimizer \
                 instead of converging (see f − f* below).",
                stalled.join(", ")
            );
        }
        if !sp.quadratic {
            let sharp: Vec<(f64, &Row)> = rows
                .iter()
                .filter_map(|r| r.sharpness.map(|v| (v, r)))
                .collect();
            let lo = sharp.iter().min_by(|a, b| a.0.total_cmp(&b.0));
            let hi = sharp.iter().max_by(|a, b| a.0.total_cmp(&b.0));
            if let (Some(lo), Some(hi)) = (lo, hi)
                && sharp.len() > 1
                && (lo.0 <= 0.0 || hi.0 > 1.5 * lo.0)
            {
                let _ = write!(
                    s,
                    " Sharpness λ_max(∇²f) at the final points ranges from {} ({}) to {} ({}): \
                     the methods end in differently curved regions (compare at similar final f: \
                     curvature also changes with the loss level, e.g. it shrinks with a \
                     cross-entropy loss).",
                    fmt_g(Some(lo.0)),
                    md_escape(&lo.1.method.label()),
                    fmt_g(Some(hi.0)),
                    md_escape(&hi.1.method.label())
                );
            }
        }
        let _ = writeln!(s, "\n");
        let gap_col = sp.f_star.is_some();
        let _ = writeln!(
            s,
            "| method | converged | iterations | seconds | evaluations f / ∇f / Hv / H / Gv | {} | sharpness λ_max(∇²f(x_end)) |\n|---|---|---|---|---|---|---|",
            if gap_col { "f − f*" } else { "f (final)" }
        );
        for r in &rows {
            let ev = |f: &dyn Fn(&RunRecord) -> u64| {
                fmt_g(mean(
                    &r.runs.iter().map(|x| f(x) as f64).collect::<Vec<_>>(),
                ))
            };
            let _ = writeln!(
                s,
                "| {} | {}/{} | {} | {} | {} / {} / {} / {} / {} | {} | {} |",
                md_escape(&r.method.label()),
                r.converged,
                r.runs.len(),
                fmt_g(r.iterations),
                fmt_g(r.seconds),
                ev(&|x| x.value_evals),
                ev(&|x| x.gradient_evals),
                ev(&|x| x.hvp_evals),
                ev(&|x| x.hessian_evals),
                ev(&|x| x.ggn_evals),
                fmt_g(if gap_col { r.gap } else { r.f_end }),
                fmt_g(r.sharpness)
            );
        }
        let _ = writeln!(
            s,
            "\nIterations and seconds: mean over the converged seeds; evaluations, f and \
             sharpness: mean over all seeds.\n"
        );
        if let Some(pred) = &sp.prediction {
            theory_table(&mut s, &rows, pred);
        }
        for n in &sp.notes {
            let _ = writeln!(s, "- {n}");
        }
        if !sp.notes.is_empty() {
            let _ = writeln!(s);
        }
        let prefix = super::plots::slug(pi, p);
        for f in plots.iter().filter(|f| f.starts_with(&prefix)) {
            let _ = writeln!(s, "![{f}](plots/{f})");
        }
        let _ = writeln!(s);
    }
    for f in plots.iter().filter(|f| !f.starts_with('p')) {
        let _ = writeln!(s, "![{f}](plots/{f})\n");
    }
    s
}
