//! The study report: `spectra.json` (per problem instance, the Hessian spectrum at the start
//! and at the minimizer where known: extreme eigenvalues, condition number κ = λ_max/λ_min,
//! inertia), `summary.md` (per problem instance: κ, the winner by iterations and by time, the
//! theory's prediction beside the measurement, the sharpness λ_max(∇²f) at each method's final
//! point) and the plots ([`super::plots`]).
//!
//! Predictions are the classical worst-case iteration counts for reducing the gradient norm by
//! the factor `ε = grad_tol / ‖∇f(x₀)‖` on a quadratic with condition number κ (Polyak 1987,
//! "Introduction to Optimization", §1.4 and §3.2; Nesterov 2004, §2.1–2.2): gradient descent with
//! the optimal step `2/(μ+L)` contracts by `(κ−1)/(κ+1)` per iteration, the heavy ball with
//! Polyak's optimal parameters and Nesterov's method by about `(√κ−1)/(√κ+1)`, Newton's method
//! takes one step. Other methods have no such bound and are shown without a prediction.

use super::expand::Plan;
use super::outputs::{RunRecord, read_records, write_atomic, write_runs_csv};
use super::spec::StudySpec;
use crate::error::{Error, Result};
use crate::problems::{ProblemInstance, build_problem};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Largest dimension for which spectra are computed densely.
pub const DENSE_SPECTRUM_MAX_DIM: usize = 1500;

/// Spectrum summary of one symmetric matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpectrumSummary {
    /// Up to 5 largest eigenvalues, descending.
    pub largest: Vec<f64>,
    /// Up to 5 smallest eigenvalues, ascending.
    pub smallest: Vec<f64>,
    /// `λ_max / λ_min` when `λ_min > 0`, else `None`.
    pub condition_number: Option<f64>,
    /// Eigenvalues below `−tol`.
    pub negative: usize,
    /// Eigenvalues within `±tol`, `tol = 1e-10 · max|λ|`.
    pub zero: usize,
    /// Eigenvalues above `tol`.
    pub positive: usize,
    /// Every eigenvalue (ascending), for the density plot.
    pub eigenvalues: Vec<f64>,
}

impl SpectrumSummary {
    /// Summarizes eigenvalues (any order).
    ///
    /// ```
    /// let s = curvlab::study::summary::SpectrumSummary::from_eigenvalues(vec![4.0, -1.0, 2.0]);
    /// assert_eq!((s.negative, s.zero, s.positive), (1, 0, 2));
    /// assert_eq!(s.largest, vec![4.0, 2.0, -1.0]);
    /// assert_eq!(s.condition_number, None);
    /// let t = curvlab::study::summary::SpectrumSummary::from_eigenvalues(vec![100.0, 1.0]);
    /// assert_eq!(t.condition_number, Some(100.0));
    /// ```
    pub fn from_eigenvalues(mut ev: Vec<f64>) -> Self {
        ev.sort_by(|a, b| a.total_cmp(b));
        let scale = ev.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tol = 1e-10 * scale;
        let negative = ev.iter().filter(|&&v| v < -tol).count();
        let positive = ev.iter().filter(|&&v| v > tol).count();
        let zero = ev.len() - negative - positive;
        let smallest: Vec<f64> = ev.iter().take(5).copied().collect();
        let largest: Vec<f64> = ev.iter().rev().take(5).copied().collect();
        let condition_number = match (ev.first(), ev.last()) {
            (Some(&lo), Some(&hi)) if lo > tol && lo > 0.0 => Some(hi / lo),
            _ => None,
        };
        SpectrumSummary {
            largest,
            smallest,
            condition_number,
            negative,
            zero,
            positive,
            eigenvalues: ev,
        }
    }
}

/// The `spectra.json` entry of one problem instance.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InstanceSpectra {
    /// `kind(k=v, ...)`.
    pub label: String,
    /// Number of variables.
    pub n: usize,
    /// Optimal value, where known.
    pub f_star: Option<f64>,
    /// Spectrum of `∇²f(x₀)`.
    pub at_start: Option<SpectrumSummary>,
    /// Spectrum of `∇²f(x*)` where the minimizer is known.
    pub at_optimum: Option<SpectrumSummary>,
    /// Why a spectrum is missing, if it is.
    pub note: Option<String>,
}

impl InstanceSpectra {
    /// κ at the optimum if known, else at the start.
    pub fn condition_number(&self) -> Option<f64> {
        self.at_optimum
            .as_ref()
            .and_then(|s| s.condition_number)
            .or_else(|| self.at_start.as_ref().and_then(|s| s.condition_number))
    }
}

fn dense_spectrum(inst: &ProblemInstance, x: &[f64]) -> Result<SpectrumSummary> {
    let h = inst.objective.hessian(x)?;
    let ev = h
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("eigenvalues: {e:?}")))?;
    Ok(SpectrumSummary::from_eigenvalues(ev))
}

/// The spectra of one problem instance (dense, for `n ≤ DENSE_SPECTRUM_MAX_DIM`).
///
/// ```
/// use curvlab::params::Params;
/// let inst = curvlab::problems::build_problem("ravine", &Params::new(), 0).unwrap();
/// let s = curvlab::study::summary::instance_spectra(&inst);
/// assert!((s.condition_number().unwrap() - 100.0).abs() < 1e-9);
/// ```
pub fn instance_spectra(inst: &ProblemInstance) -> InstanceSpectra {
    let n = inst.x0.len();
    let mut s = InstanceSpectra {
        label: inst.label.clone(),
        n,
        f_star: inst.f_star,
        at_start: None,
        at_optimum: None,
        note: None,
    };
    if n > DENSE_SPECTRUM_MAX_DIM {
        s.note = Some(format!(
            "n = {n} > {DENSE_SPECTRUM_MAX_DIM}: no dense spectrum"
        ));
        return s;
    }
    match dense_spectrum(inst, &inst.x0) {
        Ok(v) => s.at_start = Some(v),
        Err(e) => s.note = Some(e.to_string()),
    }
    if let Some(xs) = &inst.x_star {
        match dense_spectrum(inst, xs) {
            Ok(v) => s.at_optimum = Some(v),
            Err(e) => s.note = Some(e.to_string()),
        }
    }
    s
}

/// The classical iteration prediction for `method` (a registry kind) on a quadratic with
/// condition number `kappa`, to reduce the gradient norm by `eps` (see the module docs).
///
/// ```
/// use curvlab::study::summary::predicted_iterations;
/// // GD with the optimal step on κ = 100: ln(1e-6)/ln(99/101) ≈ 690.7.
/// assert_eq!(predicted_iterations("gd", 100.0, 1e-6), Some(691.0));
/// assert_eq!(predicted_iterations("newton", 1e4, 1e-6), Some(1.0));
/// assert_eq!(predicted_iterations("adam", 100.0, 1e-6), None);
/// ```
pub fn predicted_iterations(method: &str, kappa: f64, eps: f64) -> Option<f64> {
    if !(kappa >= 1.0 && eps > 0.0 && eps < 1.0) {
        return None;
    }
    let rate = match method {
        "gd" => (kappa - 1.0) / (kappa + 1.0),
        "momentum" | "nesterov" => (kappa.sqrt() - 1.0) / (kappa.sqrt() + 1.0),
        "newton" => return Some(1.0),
        _ => return None,
    };
    if rate <= 0.0 {
        return Some(1.0);
    }
    Some((eps.ln() / rate.ln()).ceil().max(1.0))
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn fmt_g(x: Option<f64>) -> String {
    match x {
        None => "—".into(),
        Some(0.0) => "0".into(),
        Some(v) if (1e-3..1e5).contains(&v.abs()) => {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Some(v) => format!("{v:.3e}"),
    }
}

/// Regenerates the study outputs from the records on disk: `runs.csv` always; `spectra.json`,
/// `summary.md` and `plots/` when `full` (an unsharded study or a merge). `instances` are the
/// problem instances built with the first seed (rebuilt when `None`).
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
    let spectra: Vec<InstanceSpectra> = built.iter().map(|i| instance_spectra(i)).collect();
    let json = serde_json::to_string_pretty(&spectra)
        .map_err(|e| Error::Numerical(format!("spectra.json: {e}")))?;
    write_atomic(&out.join("spectra.json"), json.as_bytes())?;
    let plots = super::plots::write_plots(spec, plan, out, &records, &spectra, &built)?;
    let md = summary_markdown(spec, plan, out, &records, &spectra, &built, &plots);
    write_atomic(&out.join("summary.md"), md.as_bytes())
}

/// One line of a summary table: label, converged runs, runs, mean iterations, mean seconds,
/// prediction, mean f − f*, mean sharpness.
type Row = (
    String,
    usize,
    usize,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// Per method instance on one problem instance: the runs over seeds.
fn runs_of<'a>(
    plan: &Plan,
    records: &'a BTreeMap<String, RunRecord>,
    problem: usize,
    method: usize,
) -> Vec<&'a RunRecord> {
    plan.runs
        .iter()
        .filter(|r| r.problem == problem && r.method == method)
        .filter_map(|r| records.get(&r.id))
        .collect()
}

fn summary_markdown(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    instances: &[Arc<ProblemInstance>],
    plots: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Study `{}`\n", spec.name);
    if let Some(d) = &spec.description {
        let _ = writeln!(s, "{}\n", d.trim());
    }
    let total = plan.runs.len();
    let present = plan
        .runs
        .iter()
        .filter(|r| records.contains_key(&r.id))
        .count();
    let _ = writeln!(
        s,
        "{present} of {total} runs finished; seeds {:?}; stop: grad_tol = {}, max_iters = {}{}.\n",
        spec.seeds,
        spec.stop.grad_tol,
        spec.stop.max_iters,
        spec.stop
            .max_seconds
            .map(|t| format!(", max_seconds = {t}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "Predictions: classical worst-case iterations to reduce ‖∇f‖ by grad_tol/‖∇f(x₀)‖ on a quadratic \
         with the instance's κ (gd with step 2/(μ+L): (κ−1)/(κ+1) per iteration; heavy ball / Nesterov: \
         (√κ−1)/(√κ+1); Newton: 1). Sharpness: λ_max(∇²f) at the final point (mean over seeds).\n"
    );
    for (pi, p) in plan.problems.iter().enumerate() {
        let sp = spectra.get(pi);
        let kappa = sp.and_then(|s| s.condition_number());
        let _ = writeln!(s, "## {}\n", p.label());
        let n = instances.get(pi).map(|i| i.x0.len()).unwrap_or(0);
        let g0 = instances.get(pi).and_then(|i| {
            let mut g = vec![0.0; n];
            i.objective.gradient(&i.x0, &mut g).ok()?;
            Some(crate::linalg::vector::norm(&g))
        });
        let _ = writeln!(
            s,
            "n = {n}, κ = {}, inertia at the start (−/0/+) = {}\n",
            fmt_g(kappa),
            sp.and_then(|s| s.at_start.as_ref())
                .map(|a| format!("{}/{}/{}", a.negative, a.zero, a.positive))
                .unwrap_or_else(|| "—".into())
        );
        let eps = g0.map(|g| spec.stop.grad_tol / g);
        let mut rows: Vec<Row> = Vec::new();
        for (mi, m) in plan.methods.iter().enumerate() {
            let rs = runs_of(plan, records, pi, mi);
            if rs.is_empty() {
                continue;
            }
            let conv: Vec<&&RunRecord> = rs.iter().filter(|r| r.converged).collect();
            let its = mean(&conv.iter().map(|r| r.iterations as f64).collect::<Vec<_>>());
            let secs = mean(&conv.iter().map(|r| r.seconds).collect::<Vec<_>>());
            let gap = mean(
                &rs.iter()
                    .filter_map(|r| Some(r.f? - r.f_star?))
                    .collect::<Vec<_>>(),
            );
            let sharp = mean(&rs.iter().filter_map(|r| r.sharpness).collect::<Vec<_>>());
            let pred = match (kappa, eps) {
                (Some(k), Some(e)) => predicted_iterations(&m.kind, k, e),
                _ => None,
            };
            rows.push((m.label(), conv.len(), rs.len(), its, secs, pred, gap, sharp));
        }
        let best = |key: fn(&Row) -> Option<f64>| {
            rows.iter()
                .filter(|r| r.1 > 0)
                .filter_map(|r| key(r).map(|v| (v, r.0.clone())))
                .min_by(|a, b| a.0.total_cmp(&b.0))
        };
        match best(|r| r.3) {
            Some((v, w)) => {
                let _ = writeln!(
                    s,
                    "Winner by iterations: **{w}** ({} iterations).  ",
                    fmt_g(Some(v))
                );
            }
            None => {
                let _ = writeln!(s, "Winner by iterations: none converged.  ");
            }
        }
        if let Some((v, w)) = best(|r| r.4) {
            let _ = writeln!(s, "Winner by time: **{w}** ({} s).\n", fmt_g(Some(v)));
        } else {
            let _ = writeln!(s);
        }
        let _ = writeln!(
            s,
            "| method | converged | iterations (mean) | predicted | seconds (mean) | f − f* | sharpness |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for (label, c, total, its, secs, pred, gap, sharp) in &rows {
            let _ = writeln!(
                s,
                "| {label} | {c}/{total} | {} | {} | {} | {} | {} |",
                fmt_g(*its),
                fmt_g(*pred),
                fmt_g(*secs),
                fmt_g(*gap),
                fmt_g(*sharp)
            );
        }
        let _ = writeln!(s);
        let prefix = super::plots::slug(pi, p);
        for f in plots.iter().filter(|f| f.starts_with(&prefix)) {
            let _ = writeln!(s, "![{f}](plots/{f})");
        }
        let _ = writeln!(s);
    }
    for f in plots.iter().filter(|f| !f.starts_with('p')) {
        let _ = writeln!(s, "![{f}](plots/{f})\n");
    }
    let _ = out;
    s
}
