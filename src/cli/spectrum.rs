//! `curvlab spectrum`: the extreme eigenvalues of a problem's Hessian (at the standard start or
//! the known minimizer) or of a Matrix Market matrix, dense or by Lanczos
//! ([`crate::curvature::extremes`], choice rule in [`crate::curvature::auto`]).
//!
//! `--json` prints one object with the keys `n`, `algo`, `converged`, `termination` (`exact` for
//! dense, `converged`, `budget_exhausted` or `not_converged` for Lanczos), `max_residual` (the
//! largest true residual `‖Av − θv‖` of the returned Lanczos pairs, 0 for dense), `largest`
//! (descending), `smallest` (ascending), `condition_number`, `negative_count` (null where
//! unknown), `trace` (exact when dense; a Hutch++ estimate from 30 products, Meyer et al. 2021,
//! by Lanczos) with `trace_std_error` (0 when exact), `matvecs` (Hessian-vector products used,
//! those of the trace estimate included; a Hessian formed directly counts none), `evaluations`
//! (every product counted: `value, gradient, hvp, hessian, ggn`) and `seconds`.
//!
//! A Lanczos run that does not converge within its budget of applications
//! ([`crate::curvature::lanczos::default_max_applications`], `max(1000, 10 n)`) reports
//! `converged: false` and the text output says so on its first line.

use crate::curvature::{Algo, Which, auto::choose, extremes, hutch_plus_plus};
use crate::error::{Error, Result};
use crate::linalg::HessianOperator;
use crate::objective::{Counted, Objective};
use crate::params::{Params, Value};
use std::time::Instant;

/// Arguments of `curvlab spectrum`.
#[derive(Debug, clap::Args)]
pub struct SpectrumArgs {
    /// Problem name.
    #[arg(long)]
    pub problem: Option<String>,
    /// Problem dimension.
    #[arg(long)]
    pub dim: Option<usize>,
    /// CSV data file for data problems.
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// Where to take the Hessian: `x0` (the standard start) or `opt` (the known minimizer, or
    /// the point a trust-region Newton run reaches).
    #[arg(long, default_value = "x0")]
    pub at: String,
    /// Matrix Market file instead of a problem.
    #[arg(long)]
    pub matrix: Option<std::path::PathBuf>,
    /// How many extreme eigenvalues at each end (at most n: larger values are reduced to n).
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// auto | dense | lanczos.
    #[arg(long, default_value = "auto")]
    pub algo: String,
    /// Relative accuracy of the Lanczos eigenvalues.
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Problem parameter KEY=VALUE (repeatable).
    #[arg(long = "problem-opt")]
    pub problem_opt: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The `spectrum` JSON object (contract in docs/DESIGN.md).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpectrumOutput {
    /// Dimension.
    pub n: usize,
    /// `dense` or `lanczos`.
    pub algo: &'static str,
    /// Whether the eigenvalues are converged (always for dense).
    pub converged: bool,
    /// `exact` (dense), `converged`, `budget_exhausted` or `not_converged` (Lanczos).
    pub termination: &'static str,
    /// The largest true residual `‖Av − θv‖` of the returned Lanczos pairs (0 for dense).
    pub max_residual: f64,
    /// Largest eigenvalues, descending.
    pub largest: Vec<f64>,
    /// Smallest eigenvalues, ascending.
    pub smallest: Vec<f64>,
    /// `max|λ|/min|λ|` where known.
    pub condition_number: Option<f64>,
    /// Negative eigenvalues where known.
    pub negative_count: Option<usize>,
    /// `tr A` (exact when dense, a Hutch++ estimate by Lanczos).
    pub trace: Option<f64>,
    /// The standard error of `trace` (0 when exact).
    pub trace_std_error: f64,
    /// Hessian-vector products used.
    pub matvecs: u64,
    /// Every evaluation of the objective, by kind (calls).
    pub evaluations: crate::objective::Counts,
    /// Wall time.
    pub seconds: f64,
}

/// Computes the output of `curvlab spectrum` without printing it, plus the reason of the
/// algorithm choice and the trace's standard error (0 when exact, also in the output).
///
/// ```
/// use clap::Parser;
/// let cli = curvlab::cli::Cli::try_parse_from(
///     ["curvlab", "spectrum", "--problem", "ravine"]).unwrap();
/// let curvlab::cli::Command::Spectrum(args) = cli.command else { panic!() };
/// let (out, _, _) = curvlab::cli::spectrum::compute(&args).unwrap();
/// assert_eq!(out.largest, vec![100.0, 1.0]);
/// assert_eq!(out.condition_number, Some(100.0));
/// ```
pub fn compute(args: &SpectrumArgs) -> Result<(SpectrumOutput, String, f64)> {
    let algo = Algo::parse(&args.algo)?;
    if args.k == 0 {
        return Err(Error::invalid("k", 0, "must be >= 1"));
    }
    if !(args.tol > 0.0 && args.tol < 1.0) {
        return Err(Error::invalid("tol", args.tol, "must be in (0, 1)"));
    }
    let (objective, x) = problem_and_point(args)?;
    let obj = Counted::new(objective);
    let n = obj.dim();
    let k = args.k.min(n);
    let t0 = Instant::now();
    let (used, reason) = choose(algo, n, Which::Both, false);
    if used == Algo::Dense {
        crate::memory::check_dense_spectrum(n)?;
    }
    let (ext, trace_se) = if used == Algo::Dense {
        let h = obj.hessian(&x)?;
        (
            extremes(&h, k, Which::Both, Algo::Dense, args.tol, args.seed)?,
            0.0,
        )
    } else {
        let op = HessianOperator::new(&obj, x)?;
        let e = extremes(&op, k, Which::Both, Algo::Lanczos, args.tol, args.seed)?;
        let t = hutch_plus_plus(&op, 30, args.seed)?;
        let mut e = e;
        e.trace = Some(t.estimate);
        (e, t.std_error)
    };
    let seconds = t0.elapsed().as_secs_f64();
    let termination = match (used, ext.converged, ext.budget_exhausted) {
        (Algo::Dense, _, _) => "exact",
        (_, true, _) => "converged",
        (_, false, true) => "budget_exhausted",
        (_, false, false) => "not_converged",
    };
    Ok((
        SpectrumOutput {
            n,
            algo: ext.algo.name(),
            converged: ext.converged,
            termination,
            max_residual: ext.max_residual,
            largest: ext.largest,
            smallest: ext.smallest,
            condition_number: ext.condition_number,
            negative_count: ext.negative_count,
            trace: ext.trace,
            trace_std_error: trace_se,
            matvecs: obj.counts().hvp,
            evaluations: obj.counts(),
            seconds,
        },
        reason,
        trace_se,
    ))
}

/// The objective (a problem, or the `matrix` problem of a Matrix Market file) and the point of
/// `--at`.
fn problem_and_point(args: &SpectrumArgs) -> Result<(Box<dyn crate::Objective>, Vec<f64>)> {
    let mut params = Params::from_pairs(&args.problem_opt)?;
    let inst = match (&args.problem, &args.matrix) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "matrix",
                "given with --problem",
                "use either --problem or --matrix",
            ));
        }
        (None, None) => {
            return Err(Error::invalid(
                "problem",
                "missing",
                "give --problem NAME or --matrix FILE.mtx",
            ));
        }
        (Some(p), None) => {
            if let Some(d) = args.dim {
                params.insert("dim", Value::Num(d as f64));
            }
            if let Some(f) = &args.data {
                params.insert("data", Value::Str(f.display().to_string()));
            }
            crate::problems::build_problem(p, &params, args.seed)?
        }
        (None, Some(f)) => {
            if args.dim.is_some() || args.data.is_some() {
                return Err(Error::invalid(
                    "matrix",
                    f.display(),
                    "--dim and --data do not apply to --matrix",
                ));
            }
            params.insert("path", Value::Str(f.display().to_string()));
            crate::problems::build_problem("matrix", &params, args.seed)?
        }
    };
    let x = match args.at.as_str() {
        "x0" => inst.x0.clone(),
        "opt" => inst.x_star.clone().ok_or_else(|| {
            Error::Unsupported(format!(
                "--at opt: {} has no known minimizer (x_star); use --at x0",
                inst.label
            ))
        })?,
        other => return Err(Error::invalid("at", other, "expected x0 or opt")),
    };
    Ok((inst.objective, x))
}

/// Runs the command.
pub fn run(args: &SpectrumArgs) -> Result<()> {
    let (out, reason, trace_se) = compute(args)?;
    if args.json {
        let s = serde_json::to_string(&out)
            .map_err(|e| Error::Numerical(format!("JSON serialization failed: {e}")))?;
        println!("{s}");
        return Ok(());
    }
    if out.converged {
        println!("status: {}", out.termination);
    } else {
        println!(
            "status: NOT CONVERGED ({}): largest residual ‖Av − θv‖ = {:.3e} after {} products; \
             the values below are unconverged Ritz values",
            out.termination, out.max_residual, out.matvecs
        );
    }
    println!("n = {}, algorithm: {} ({reason})", out.n, out.algo);
    println!("largest:  {:?}", out.largest);
    println!("smallest: {:?}", out.smallest);
    match out.condition_number {
        Some(c) => println!("condition number: {c:.6e}"),
        None => println!("condition number: unknown (indefinite or not computed)"),
    }
    match out.negative_count {
        Some(c) => println!("negative eigenvalues: {c}"),
        None => println!("negative eigenvalues: unknown"),
    }
    if let Some(t) = out.trace {
        if trace_se > 0.0 {
            println!("trace ≈ {t:.6e} ± {trace_se:.1e} (Hutch++)");
        } else {
            println!("trace: {t:.6e}");
        }
    }
    if out.algo == "lanczos" {
        println!("largest residual ‖Av − θv‖: {:.3e}", out.max_residual);
    }
    let c = &out.evaluations;
    println!(
        "evaluations: hvp {}, hessian {}, ggn {}, gradient {}, value {}; {:.3} s",
        c.hvp, c.hessian, c.ggn, c.gradient, c.value, out.seconds
    );
    Ok(())
}
