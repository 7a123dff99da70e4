//! `spectra.json`: per problem instance, the Hessian spectrum at the start `x₀` and at the
//! minimizer `x*` where it is known, computed with [`crate::curvature`] — a dense
//! eigendecomposition for small `n`, thick-restart Lanczos on exact Hessian-vector products
//! plus a stochastic-Lanczos-quadrature density for large `n`, by the rule of
//! [`crate::curvature::auto::choose`] (Golub & Van Loan 2013, ch. 8 and §10.1; Ubaru, Chen &
//! Saad 2017) — and, for quadratics, the iteration counts the spectrum predicts
//! ([`crate::curvature::explain`](fn@crate::curvature::explain): Polyak 1964/1987, Nesterov 2004, Nocedal & Wright 2006).
//!
//! Each entry holds the extremes (5 at each end), `κ = λ_max/λ_min` when the Hessian is positive
//! definite, the inertia (Sylvester's law; counted from the dense spectrum with the relative
//! tolerance [`crate::curvature::auto::NEGATIVE_TOL`]), which algorithm was used and why, every
//! eigenvalue (dense) or the SLQ density (Lanczos), and for quadratics the prediction for the
//! study's own stopping rule ([`super::theory::stopping_rule`]: `grad_rtol` relative to
//! `‖∇f(x₀)‖`, or `grad_tol` absolute from `‖∇f(x₀)‖`).

use super::expand::Plan;
use super::outputs::RunRecord;
use super::verdict::{Tolerances, classify};
use crate::curvature::{
    self, Algo, CostModel, Inertia, Prediction, Setting, Spectrum, StoppingRule, Which,
};
use crate::error::Result;
use crate::linalg::HessianOperator;
use crate::objective::Objective;
use crate::problems::ProblemInstance;
use std::collections::BTreeMap;

/// Eigenvalues reported at each end of the spectrum.
pub const EXTREMES_K: usize = 5;
/// Relative accuracy of the Lanczos eigenvalues.
pub const LANCZOS_TOL: f64 = 1e-8;
/// SLQ probes (Rademacher vectors).
pub const SLQ_PROBES: usize = 10;
/// Lanczos steps per SLQ probe (at most `n`).
pub const SLQ_STEPS: usize = 80;
/// Points of the SLQ density grid.
pub const SLQ_GRID: usize = 400;

/// Whether a registry problem kind has a constant Hessian (so that the spectrum at any point is
/// the spectrum, and the quadratic convergence theory applies exactly).
///
/// ```
/// use curvlab::study::spectra::is_quadratic;
/// assert!(is_quadratic("ravine") && is_quadratic("quadratic") && !is_quadratic("rosenbrock"));
/// ```
pub fn is_quadratic(kind: &str) -> bool {
    matches!(kind, "quadratic" | "ravine" | "matrix")
}

/// The SLQ density of a large Hessian.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SlqDensity {
    /// Probes.
    pub probes: usize,
    /// Lanczos steps per probe.
    pub steps: usize,
    /// Gaussian bandwidth σ.
    pub bandwidth: f64,
    /// Hessian-vector products used.
    pub matvecs: usize,
    /// Grid (ascending, evenly spaced).
    pub grid: Vec<f64>,
    /// Density on the grid (integrates to 1).
    pub density: Vec<f64>,
}

/// The spectrum of `∇²f` at one point.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PointSpectrum {
    /// `x0` or `x*`.
    pub point: String,
    /// `dense` or `lanczos`.
    pub algo: String,
    /// Why that algorithm ([`crate::curvature::auto::choose`]).
    pub reason: String,
    /// Up to 5 largest eigenvalues, descending.
    pub largest: Vec<f64>,
    /// Up to 5 smallest eigenvalues, ascending.
    pub smallest: Vec<f64>,
    /// `λ_max / λ_min` when `λ_min > 0`, else `None`.
    pub condition_number: Option<f64>,
    /// Negative / zero / positive eigenvalue counts (dense only).
    pub inertia: Option<Inertia>,
    /// Negative eigenvalues where known (dense, or Lanczos with a nonnegative smallest).
    pub negative_count: Option<usize>,
    /// `tr ∇²f` (dense only).
    pub trace: Option<f64>,
    /// Hessian-vector products (a dense Hessian counts `n`).
    pub matvecs: usize,
    /// Largest Lanczos residual `‖Hv − θv‖` (0 for dense).
    pub max_residual: f64,
    /// Whether Lanczos converged (true for dense).
    pub converged: bool,
    /// Wall time.
    pub seconds: f64,
    /// Every eigenvalue, ascending (dense only).
    pub eigenvalues: Option<Vec<f64>>,
    /// The SLQ density (Lanczos only).
    pub density: Option<SlqDensity>,
}

impl PointSpectrum {
    /// `λ_min` (the smallest computed eigenvalue).
    ///
    /// ```
    /// let f = curvlab::problems::Ravine::seed();
    /// let (p, _, _) = curvlab::study::spectra::point_spectrum(&f, &[0.0, 0.0], "x*", 0).unwrap();
    /// assert_eq!((p.lambda_min(), p.lambda_max()), (Some(1.0), Some(100.0)));
    /// assert_eq!(p.inertia_text(), "0/0/2");
    /// ```
    pub fn lambda_min(&self) -> Option<f64> {
        self.smallest.first().copied()
    }
    /// `λ_max` (the largest computed eigenvalue).
    pub fn lambda_max(&self) -> Option<f64> {
        self.largest.first().copied()
    }
    /// `negative/zero/positive`, or `?` where the inertia is unknown.
    pub fn inertia_text(&self) -> String {
        match (self.inertia, self.negative_count) {
            (Some(i), _) => format!("{}/{}/{}", i.negative, i.zero, i.positive),
            (None, Some(k)) => format!("{k}/?/?"),
            _ => "?".into(),
        }
    }
}

/// Counts eigenvalues below `−tol·max|λ|`, within, and above (Sylvester's inertia).
fn count_inertia(ev: &[f64]) -> Inertia {
    let z = curvature::auto::NEGATIVE_TOL * ev.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let negative = ev.iter().filter(|&&l| l < -z).count();
    let positive = ev.iter().filter(|&&l| l > z).count();
    Inertia {
        negative,
        zero: ev.len() - negative - positive,
        positive,
    }
}

/// The spectrum of `∇²f(x)` by the automatic rule, and the [`Spectrum`] the predictions use: the
/// full spectrum (dense) or only its computed extremes (Lanczos; `false` as second value).
///
/// ```
/// use curvlab::study::spectra::point_spectrum;
/// let f = curvlab::problems::Ravine::seed();
/// let (p, s, full) = point_spectrum(&f, &[1.0, 8.0], "x0", 0).unwrap();
/// assert_eq!((p.algo.as_str(), full), ("dense", true));
/// assert_eq!(p.largest, vec![100.0, 1.0]);
/// assert_eq!(p.condition_number, Some(100.0));
/// assert_eq!(s.eigenvalues, vec![1.0, 100.0]);
/// ```
pub fn point_spectrum(
    obj: &dyn Objective,
    x: &[f64],
    point: &str,
    seed: u64,
) -> Result<(PointSpectrum, Spectrum, bool)> {
    let n = obj.dim();
    let t0 = std::time::Instant::now();
    let (algo, reason) = curvature::auto::choose(Algo::Auto, n, Which::Both, false);
    let kappa = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
        (Some(lo), Some(hi)) if lo > 0.0 => Some(hi / lo),
        _ => None,
    };
    if algo == Algo::Dense {
        let h = obj.hessian(x)?;
        let s = curvature::spectrum(&h)?;
        let inertia = count_inertia(&s.eigenvalues);
        let (largest, smallest) = (s.largest(EXTREMES_K), s.smallest(EXTREMES_K));
        let p = PointSpectrum {
            point: point.into(),
            algo: algo.name().into(),
            reason,
            condition_number: kappa(smallest.first().copied(), largest.first().copied()),
            largest,
            smallest,
            inertia: Some(inertia),
            negative_count: Some(inertia.negative),
            trace: Some(s.trace()),
            matvecs: n,
            max_residual: 0.0,
            converged: true,
            seconds: t0.elapsed().as_secs_f64(),
            eigenvalues: Some(s.eigenvalues.clone()),
            density: None,
        };
        return Ok((p, s, true));
    }
    let op = HessianOperator::new(obj, x.to_vec())?;
    let e = curvature::extremes(
        &op,
        EXTREMES_K.min(n),
        Which::Both,
        Algo::Lanczos,
        LANCZOS_TOL,
        seed,
    )?;
    let steps = SLQ_STEPS.min(n);
    let d = curvature::slq_density(&op, SLQ_PROBES, steps, None, SLQ_GRID, seed)?;
    let mut ends: Vec<f64> = e.smallest.iter().chain(&e.largest).copied().collect();
    ends.dedup();
    let s = Spectrum::from_eigenvalues(ends)?;
    let p = PointSpectrum {
        point: point.into(),
        algo: e.algo.name().into(),
        reason: e.reason.clone(),
        condition_number: kappa(e.smallest.first().copied(), e.largest.first().copied()),
        largest: e.largest,
        smallest: e.smallest,
        inertia: None,
        negative_count: e.negative_count,
        trace: None,
        matvecs: e.matvecs + d.matvecs,
        max_residual: e.max_residual,
        converged: e.converged,
        seconds: t0.elapsed().as_secs_f64(),
        eigenvalues: None,
        density: Some(SlqDensity {
            probes: SLQ_PROBES,
            steps,
            bandwidth: d.bandwidth,
            matvecs: d.matvecs,
            grid: d.grid,
            density: d.density,
        }),
    };
    Ok((p, s, false))
}

/// The `spectra.json` entry of one problem instance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstanceSpectra {
    /// `kind(k=v, ...)` as built by the registry.
    pub label: String,
    /// Number of variables.
    pub n: usize,
    /// Optimal value, where known.
    pub f_star: Option<f64>,
    /// The Hessian is constant ([`is_quadratic`]).
    pub quadratic: bool,
    /// Spectrum of `∇²f(x₀)`.
    pub at_start: Option<PointSpectrum>,
    /// Spectrum of `∇²f(x*)` where the minimizer is known.
    pub at_optimum: Option<PointSpectrum>,
    /// Spectrum of `∇²f(x_end)` (`point = "x_end"`) at the end point of the best successful
    /// run of the first seed ([`end_point`]), when it differs from `x₀`.
    pub at_end: Option<PointSpectrum>,
    /// The run `at_end` was taken at: `method label (run id)`.
    pub end_run: Option<String>,
    /// The stopping rule the prediction is for.
    pub rule: Option<StoppingRule>,
    /// What the spectrum predicts ([`crate::curvature::explain_for`]), for quadratics with a
    /// positive definite Hessian: from the complete spectrum (dense) or, from a Lanczos
    /// spectrum (extremes only), from `κ` alone.
    pub prediction: Option<Prediction>,
    /// Why something is missing.
    pub notes: Vec<String>,
}

impl InstanceSpectra {
    /// The spectrum the summary quotes: at `x*` if known, else where the best run ended
    /// ([`Self::at_end`]), else at `x₀`.
    ///
    /// ```
    /// use curvlab::params::Params;
    /// let inst = curvlab::problems::build_problem("rosenbrock", &Params::new(), 0).unwrap();
    /// let s = curvlab::study::spectra::instance_spectra(&inst, None, 0);
    /// assert_eq!(s.reference().unwrap().point, "x*");
    /// // ∇²f(1, 1) = [[802, −400], [−400, 200]]: κ = (501 + r)/(501 − r), r = √(301² + 400²).
    /// let r = (301f64.powi(2) + 400f64.powi(2)).sqrt();
    /// assert!((s.condition_number().unwrap() - (501.0 + r) / (501.0 - r)).abs() < 1e-6);
    /// assert!(s.prediction.is_none()); // not a quadratic
    /// ```
    pub fn reference(&self) -> Option<&PointSpectrum> {
        self.at_optimum
            .as_ref()
            .or(self.at_end.as_ref())
            .or(self.at_start.as_ref())
    }
    /// κ of [`Self::reference`].
    pub fn condition_number(&self) -> Option<f64> {
        self.reference().and_then(|s| s.condition_number)
    }
}

/// The spectra (and, for a quadratic, the prediction for the stopping rule `rule`) of one
/// problem instance; Lanczos and SLQ use `seed`.
///
/// ```
/// use curvlab::curvature::StoppingRule;
/// use curvlab::params::Params;
/// let inst = curvlab::problems::build_problem("ravine", &Params::new(), 0).unwrap();
/// let rule = StoppingRule::RelativeGradient { eps: 1e-6 };
/// let s = curvlab::study::spectra::instance_spectra(&inst, Some(rule), 0);
/// assert!((s.condition_number().unwrap() - 100.0).abs() < 1e-9);
/// // Gradient descent at 2/(μ+L) contracts both gradient components by 99/101 per step:
/// // ⌈ln(1e-6) / ln(99/101)⌉ = 691 iterations.
/// assert_eq!(s.prediction.unwrap().method("gd").unwrap().iterations, Some(691));
/// ```
pub fn instance_spectra(
    inst: &ProblemInstance,
    rule: Option<StoppingRule>,
    seed: u64,
) -> InstanceSpectra {
    let quadratic = is_quadratic(&inst.kind);
    let mut s = InstanceSpectra {
        label: inst.label.clone(),
        n: inst.x0.len(),
        f_star: inst.f_star,
        quadratic,
        at_start: None,
        at_optimum: None,
        at_end: None,
        end_run: None,
        rule,
        prediction: None,
        notes: Vec::new(),
    };
    let obj = inst.objective.as_ref();
    let mut reference = None;
    match point_spectrum(obj, &inst.x0, "x0", seed) {
        Ok((p, spec, full)) => {
            s.at_start = Some(p);
            reference = Some((spec, full));
        }
        Err(e) => s.notes.push(format!("spectrum at x0: {e}")),
    }
    if let Some(xs) = &inst.x_star {
        if quadratic && let Some(p) = &s.at_start {
            // A constant Hessian: the spectrum at x* is the one at x0.
            s.at_optimum = Some(PointSpectrum {
                point: "x*".into(),
                ..p.clone()
            });
        } else {
            match point_spectrum(obj, xs, "x*", seed) {
                Ok((p, spec, full)) => {
                    s.at_optimum = Some(p);
                    reference = Some((spec, full));
                }
                Err(e) => s.notes.push(format!("spectrum at x*: {e}")),
            }
        }
    } else {
        s.notes.push("no known minimizer: no spectrum at x*".into());
    }
    if !quadratic {
        s.notes.push(
            "not a quadratic: the iteration predictions (which assume a constant Hessian) are not made"
                .into(),
        );
        return s;
    }
    match (reference, rule) {
        (Some((spec, complete)), Some(rule)) => {
            let setting = Setting {
                rule,
                cost: CostModel::dense(s.n),
                complete,
            };
            match curvature::explain_for(&spec, &setting) {
                Ok(p) => {
                    if !complete {
                        s.notes.push(
                            "Lanczos spectrum (extremes only): the iteration estimates use κ alone"
                                .into(),
                        );
                    }
                    s.prediction = Some(p);
                }
                Err(e) => s.notes.push(format!("no prediction: {e}")),
            }
        }
        _ => s
            .notes
            .push("no prediction: no spectrum or no stopping rule".into()),
    }
    s
}

/// The run whose end point explains a problem instance: among `runs` (one seed's runs of the
/// instance, with their method labels), those that succeeded ([`classify`] with the default
/// [`Tolerances`]: solved, or stationary where `f*` is unknown) and recorded a final point; the
/// lowest final `f` wins, then the fewest iterations, then the first in `runs`. `None` when no
/// run succeeded.
///
/// ```
/// use curvlab::study::outputs::RunRecord;
/// use curvlab::study::spectra::end_point;
/// let rec = |f: f64, iters: usize, converged: bool| {
///     let mut r = RunRecord::errored("00000000000000ff", "s", "logistic", "gd", 0, 2, String::new());
///     (r.converged, r.f, r.iterations, r.x) = (converged, Some(f), iters, Some(vec![f, 0.0]));
///     r.termination = if converged { "grad_tol" } else { "max_iters" }.into();
///     r
/// };
/// let (a, b, c) = (rec(0.5, 9, true), rec(0.4, 90, true), rec(0.1, 5000, false));
/// let runs = vec![("lbfgs".to_string(), &a), ("gd".to_string(), &b), ("adam".to_string(), &c)];
/// // adam reached the lowest f but did not converge: gd's end point is the best successful one.
/// assert_eq!(end_point(&runs), Some(1));
/// assert_eq!(end_point(&runs[2..]), None);
/// ```
pub fn end_point(runs: &[(String, &RunRecord)]) -> Option<usize> {
    let tol = Tolerances::default();
    runs.iter()
        .enumerate()
        .filter(|(_, (_, r))| classify(r, &tol).is_success() && r.x.is_some())
        .filter_map(|(i, (_, r))| Some((i, r.f?, r.iterations)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)))
        .map(|(i, _, _)| i)
}

/// Adds the spectrum of `∇²f` at the end point of the best successful run ([`end_point`]) to
/// `s` as [`InstanceSpectra::at_end`], or a note saying why there is none: no run succeeded,
/// or the run ended at `x₀` (`‖x_end − x₀‖ ≤ 1e-12·max(1, ‖x₀‖)`). A constant Hessian is
/// copied from `x₀`; otherwise it is computed like the others ([`point_spectrum`], `seed`).
///
/// ```
/// use curvlab::params::Params;
/// use curvlab::study::outputs::RunRecord;
/// use curvlab::study::spectra::{add_end_spectrum, instance_spectra};
/// let inst = curvlab::problems::build_problem("rosenbrock", &Params::new(), 0).unwrap();
/// let mut s = instance_spectra(&inst, None, 0);
/// let mut r = RunRecord::errored("00000000000000ff", "s", "rosenbrock", "newton", 0, 2, String::new());
/// (r.converged, r.f, r.f_star, r.x) = (true, Some(0.0), Some(0.0), Some(vec![1.0, 1.0]));
/// r.termination = "grad_tol".into();
/// add_end_spectrum(&mut s, &inst, &[("newton".to_string(), &r)], 0);
/// let end = s.at_end.as_ref().unwrap();
/// // ∇²f(1, 1) = [[802, −400], [−400, 200]], as at x*.
/// assert_eq!(end.point, "x_end");
/// assert!((end.condition_number.unwrap() - s.at_optimum.as_ref().unwrap().condition_number.unwrap()).abs() < 1e-9);
/// assert_eq!(s.end_run.as_deref(), Some("newton (00000000000000ff)"));
/// ```
pub fn add_end_spectrum(
    s: &mut InstanceSpectra,
    inst: &ProblemInstance,
    runs: &[(String, &RunRecord)],
    seed: u64,
) {
    let Some(i) = end_point(runs) else {
        s.notes
            .push("no successful run: no spectrum at an end point".into());
        return;
    };
    let (label, rec) = &runs[i];
    let Some(x) = rec.x.as_deref().filter(|x| x.len() == inst.x0.len()) else {
        s.notes
            .push(format!("{label}: no final point of length n recorded"));
        return;
    };
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|a| a * a).sum::<f64>().sqrt();
    let moved = norm(&mut x.iter().zip(&inst.x0).map(|(a, b)| a - b));
    if moved <= 1e-12 * norm(&mut inst.x0.iter().copied()).max(1.0) {
        s.notes.push(format!(
            "{label} ended at x0: its spectrum is the one at x0"
        ));
        return;
    }
    let end = if s.quadratic {
        s.at_start.as_ref().map(|p| PointSpectrum {
            point: "x_end".into(),
            ..p.clone()
        })
    } else {
        match point_spectrum(inst.objective.as_ref(), x, "x_end", seed) {
            Ok((p, _, _)) => Some(p),
            Err(e) => {
                s.notes.push(format!("spectrum at x_end: {e}"));
                None
            }
        }
    };
    if end.is_some() {
        s.end_run = Some(format!("{label} ({})", rec.run_id));
    }
    s.at_end = end;
}

/// The `spectra.json` entry of problem instance `pi` of a study: [`instance_spectra`] and the
/// spectrum where the best successful run of the first seed `seed` ended
/// ([`add_end_spectrum`]), from the run records on disk (so a merged sharded study and an
/// unsharded one write the same entry).
pub fn study_instance_spectra(
    inst: &ProblemInstance,
    rule: Option<StoppingRule>,
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    pi: usize,
    seed: u64,
) -> InstanceSpectra {
    let mut s = instance_spectra(inst, rule, seed);
    let runs: Vec<(String, &RunRecord)> = plan
        .runs
        .iter()
        .filter(|r| r.problem == pi && r.seed == seed)
        .filter_map(|r| Some((plan.methods.get(r.method)?.label(), records.get(&r.id)?)))
        .collect();
    add_end_spectrum(&mut s, inst, &runs, seed);
    s
}
