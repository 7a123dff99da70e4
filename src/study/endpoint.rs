//! End-point measures of a study's runs: the study table `[endpoint]` asks for curvature and
//! generalization measures at each finished run's final point `x`, computed once when the run
//! ends (a resumed study keeps the finished runs' measures), counted in their own evaluation
//! counts, stored in the run record (`endpoint`) and tabulated in `endpoint.csv`
//! ([`super::endpoint_summary`]). This file holds the table, the record and the measurement; it
//! imports no other study module but [`super::instance`] (the study's import graph stays acyclic).
//!
//! The measures are those of the flat-vs-sharp-minima debate and of the Hessian-outlier
//! literature:
//!
//! - `lambda_max`: the sharpness `λ_max(∇²f(x))` by Lanczos (Cohen et al. 2021; Keskar et al.
//!   2017, §2.2);
//! - `trace`: `tr ∇²f(x)` by Hutch++ (Meyer, Musco, Musco & Woodruff 2021) with `probes`
//!   products;
//! - `eps_sharpness`: Keskar et al. (ICLR 2017)'s Metric 2.1 with `eps`
//!   ([`crate::curvature::eps_sharpness`](mod@crate::curvature::eps_sharpness));
//! - `accuracy`: train and test accuracy and test loss of a `classifier` (Keskar et al.'s
//!   generalization gap);
//! - `outliers`: the outliers of the Hessian's and of the Gauss–Newton matrix's spectrum beyond
//!   a gap in the SLQ density, confirmed by Lanczos (Sagun et al. 2017; Papyan 2019, 2020;
//!   [`crate::curvature::outliers`](mod@crate::curvature::outliers)).
//!
//! ```toml
//! [endpoint]
//! measures = ["lambda_max", "trace", "eps_sharpness", "accuracy", "outliers"]
//! eps = 1e-3          # ε of the box (Keskar et al.)
//! probes = 60         # Hutch++ products for the trace
//! seed = 0            # seed of every probe, added to the run's seed
//! ascent_iters = 20   # gradient evaluations per start of the box ascent
//! ascent_starts = 2   # starts of the box ascent
//! top = 20            # Ritz values for the outlier count
//! slq_probes = 5      # SLQ probes for the density
//! slq_steps = 60      # SLQ Lanczos steps per probe
//! ```
//!
//! The `[endpoint]` table does not enter run ids: changing it and resuming keeps the finished
//! runs' measures (run without `--resume` into a new folder to recompute them).

use super::instance::Instance;
use crate::curvature::eps_sharpness::{BoxAscent, eps_sharpness};
use crate::curvature::outliers::{OutlierSettings, Outliers, outliers};
use crate::curvature::{Lanczos, Which, hutch_plus_plus};
use crate::error::{Error, Result};
use crate::linalg::{GgnOperator, HessianOperator};
use crate::objective::{Counted, Objective};
use crate::problems::ProblemInstance;
use std::collections::BTreeSet;

/// One end-point measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Measure {
    /// `λ_max(∇²f)` by Lanczos.
    LambdaMax,
    /// `tr ∇²f` by Hutch++.
    Trace,
    /// Keskar et al.'s ε-sharpness.
    EpsSharpness,
    /// Train / test accuracy and test loss (`classifier` only).
    Accuracy,
    /// Outliers of the Hessian and GGN spectra.
    Outliers,
}

impl Measure {
    /// The measure of a name in `measures`.
    ///
    /// ```
    /// use curvlab::study::endpoint::Measure;
    /// assert_eq!(Measure::parse("trace").unwrap(), Measure::Trace);
    /// assert!(Measure::parse("flatness").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "lambda_max" => Measure::LambdaMax,
            "trace" => Measure::Trace,
            "eps_sharpness" => Measure::EpsSharpness,
            "accuracy" => Measure::Accuracy,
            "outliers" => Measure::Outliers,
            other => {
                return Err(Error::invalid(
                    "measures",
                    other,
                    "expected lambda_max, trace, eps_sharpness, accuracy or outliers",
                ));
            }
        })
    }
}

/// The `[endpoint]` table of a study file (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    /// What to measure (sorted, no repeats).
    pub measures: BTreeSet<Measure>,
    /// The ε-sharpness box ascent (`eps`, `ascent_iters`, `ascent_starts`; its seed is set per
    /// run).
    pub ascent: BoxAscent,
    /// Hutch++ products for the trace (≥ 6).
    pub probes: usize,
    /// Added to each run's seed for every probe of the measures.
    pub seed: u64,
    /// The outlier count's settings (`top`, `slq_probes`, `slq_steps`; seed set per run).
    pub outliers: OutlierSettings,
    /// 1-based line of `[endpoint]`.
    pub line: usize,
}

/// The raw `[endpoint]` table, as deserialized.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    measures: Vec<String>,
    eps: Option<f64>,
    probes: Option<usize>,
    seed: Option<u64>,
    ascent_iters: Option<usize>,
    ascent_starts: Option<usize>,
    top: Option<usize>,
    slq_probes: Option<usize>,
    slq_steps: Option<usize>,
}

impl EndpointSpec {
    /// Validates a raw table (errors without a line: the caller adds it).
    pub(crate) fn from_raw(r: RawEndpoint, line: usize) -> Result<Self> {
        if r.measures.is_empty() {
            return Err(Error::invalid(
                "measures",
                "[]",
                "name at least one measure",
            ));
        }
        let measures = r
            .measures
            .iter()
            .map(|m| Measure::parse(m))
            .collect::<Result<BTreeSet<_>>>()?;
        let d = BoxAscent::default();
        let ascent = BoxAscent {
            eps: r.eps.unwrap_or(d.eps),
            iters: r.ascent_iters.unwrap_or(d.iters),
            starts: r.ascent_starts.unwrap_or(d.starts),
            seed: 0,
        };
        ascent.validate()?;
        let probes = r.probes.unwrap_or(60);
        if probes < 6 {
            return Err(Error::invalid("probes", probes, "Hutch++ needs at least 6"));
        }
        let o = OutlierSettings::default();
        let outliers = OutlierSettings {
            top: r.top.unwrap_or(o.top),
            probes: r.slq_probes.unwrap_or(o.probes),
            steps: r.slq_steps.unwrap_or(o.steps),
            ..o
        };
        if outliers.top < 3 || outliers.probes == 0 || outliers.steps == 0 {
            return Err(Error::invalid(
                "top / slq_probes / slq_steps",
                format!(
                    "{} / {} / {}",
                    outliers.top, outliers.probes, outliers.steps
                ),
                "need top >= 3 and at least one probe and one step",
            ));
        }
        Ok(EndpointSpec {
            measures,
            ascent,
            probes,
            seed: r.seed.unwrap_or(0),
            outliers,
            line,
        })
    }

    /// An error for a measure a problem cannot give (accuracy needs a `classifier`), given the
    /// kinds of the study's problems.
    ///
    /// ```
    /// use curvlab::study::StudySpec;
    /// let src = "name='s'\n[endpoint]\nmeasures=['accuracy']\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
    /// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
    /// assert!(spec.endpoint.as_ref().unwrap().check(&["ravine"]).is_err());
    /// assert!(spec.endpoint.as_ref().unwrap().check(&["classifier"]).is_ok());
    /// ```
    pub fn check(&self, kinds: &[&str]) -> Result<()> {
        if self.measures.contains(&Measure::Accuracy)
            && let Some(k) = kinds.iter().find(|k| **k != "classifier")
        {
            return Err(Error::invalid(
                "measures",
                "accuracy",
                &format!("needs the `classifier` problem, not `{k}`"),
            ));
        }
        Ok(())
    }
}

/// The end-point measures of one run, stored in its record.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndpointRecord {
    /// `f(x)` at the end point (recomputed).
    pub f: Option<f64>,
    /// `λ_max(∇²f(x))`.
    pub lambda_max: Option<f64>,
    /// Hutch++ estimate of `tr ∇²f(x)`.
    pub trace: Option<f64>,
    /// Its standard error (of the residual Hutchinson part).
    pub trace_std_error: Option<f64>,
    /// Keskar et al.'s ε-sharpness (percent).
    pub eps_sharpness: Option<f64>,
    /// Train accuracy in [0, 1].
    pub train_accuracy: Option<f64>,
    /// Test accuracy in [0, 1].
    pub test_accuracy: Option<f64>,
    /// Loss on the test set.
    pub test_loss: Option<f64>,
    /// Outliers of the Hessian.
    pub outliers_hessian: Option<Outliers>,
    /// Outliers of the Gauss–Newton matrix (objectives with GGN products).
    pub outliers_ggn: Option<Outliers>,
    /// Value evaluations of the measures.
    pub value_evals: u64,
    /// Gradient evaluations of the measures.
    pub gradient_evals: u64,
    /// Hessian-vector products of the measures.
    pub hvp_evals: u64,
    /// Gauss–Newton products of the measures.
    pub ggn_evals: u64,
    /// Wall time of the measures.
    pub seconds: f64,
    /// Why a measure failed (the others are kept).
    pub error: Option<String>,
}

/// Measures `spec`'s quantities of `inst` (built from `problem`) at `x`, with probe seed
/// `spec.seed + run_seed`. A measure that fails leaves its fields empty and its message in
/// `error`; the others are still computed.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, endpoint::measure};
/// let src = "name='s'\n[endpoint]\nmeasures=['lambda_max','trace']\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let plan = Plan::new(&spec);
/// let inst = curvlab::problems::build_problem("ravine", &Default::default(), 0).unwrap();
/// let e = measure(spec.endpoint.as_ref().unwrap(), &inst, &plan.problems[0], &inst.x0, 0);
/// // The seed's ravine ½(100x² + y²): ∇²f = diag(100, 1).
/// assert!((e.lambda_max.unwrap() - 100.0).abs() < 1e-9);
/// assert!((e.trace.unwrap() - 101.0).abs() < 1e-9); // Hutch++'s sketch spans R²
/// assert!(e.hvp_evals > 0 && e.error.is_none());
/// ```
pub fn measure(
    spec: &EndpointSpec,
    inst: &ProblemInstance,
    problem: &Instance,
    x: &[f64],
    run_seed: u64,
) -> EndpointRecord {
    let start = std::time::Instant::now();
    let obj = Counted::new(inst.objective.as_ref());
    let seed = spec.seed.wrapping_add(run_seed);
    let mut rec = EndpointRecord::default();
    let mut errors = Vec::new();
    let mut note = |what: &str, r: Result<()>| {
        if let Err(e) = r {
            errors.push(format!("{what}: {e}"));
        }
    };
    note("f", obj.value(x).map(|f| rec.f = Some(f)));
    for m in &spec.measures {
        let r = match m {
            Measure::LambdaMax => lambda_max(&obj, x, seed).map(|l| rec.lambda_max = Some(l)),
            Measure::Trace => HessianOperator::new(&obj, x.to_vec())
                .and_then(|h| hutch_plus_plus(&h, spec.probes, seed))
                .map(|t| (rec.trace, rec.trace_std_error) = (Some(t.estimate), Some(t.std_error))),
            Measure::EpsSharpness => {
                let s = BoxAscent {
                    seed,
                    ..spec.ascent
                };
                eps_sharpness(&obj, x, &s).map(|e| rec.eps_sharpness = Some(e.value))
            }
            Measure::Accuracy => accuracy(problem, x, &mut rec),
            Measure::Outliers => both_outliers(spec, &obj, x, seed, &mut rec),
        };
        note(&format!("{m:?}"), r);
    }
    let c = obj.counts();
    (
        rec.value_evals,
        rec.gradient_evals,
        rec.hvp_evals,
        rec.ggn_evals,
    ) = (c.value, c.gradient, c.hvp, c.ggn);
    rec.seconds = start.elapsed().as_secs_f64();
    rec.error = (!errors.is_empty()).then(|| errors.join("; "));
    rec
}

/// `λ_max` on exact HVPs by the default Krylov eigensolver of [`Lanczos::new`] (relative
/// tolerance 1e-8; multiplicity check off: one value, no multiplicity to find).
fn lambda_max<O: Objective + ?Sized>(obj: &O, x: &[f64], seed: u64) -> Result<f64> {
    let op = HessianOperator::new(obj, x.to_vec())?;
    let r = Lanczos::new(1, Which::Largest)?
        .with_tol(1e-8)?
        .with_seed(seed)?
        .with_multiplicity_check(false)?
        .run(&op)?;
    r.largest
        .first()
        .map(|p| p.value)
        .ok_or_else(|| Error::Numerical("Lanczos returned no Ritz value".into()))
}

fn accuracy(problem: &Instance, x: &[f64], rec: &mut EndpointRecord) -> Result<()> {
    let net = crate::problems::network::network(&problem.to_params())?;
    rec.train_accuracy = Some(net.train_accuracy(x)?);
    rec.test_accuracy = Some(net.test_accuracy(x)?);
    rec.test_loss = Some(net.test_loss(x)?);
    Ok(())
}

fn both_outliers<O: Objective + ?Sized>(
    spec: &EndpointSpec,
    obj: &O,
    x: &[f64],
    seed: u64,
    rec: &mut EndpointRecord,
) -> Result<()> {
    let s = OutlierSettings {
        seed,
        ..spec.outliers
    };
    rec.outliers_hessian = Some(outliers(&HessianOperator::new(obj, x.to_vec())?, &s)?);
    if obj.as_gauss_newton().is_some() {
        rec.outliers_ggn = Some(outliers(&GgnOperator::new(obj, x.to_vec())?, &s)?);
    }
    Ok(())
}
