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
//! The Lanczos route uses the restarted block Krylov solver ([`crate::curvature::block`]);
//! `--block single` selects the single-vector thick-restart Lanczos and `--block P` a fixed
//! block size. A Lanczos run that does not converge within its budget of applications
//! (`--max-matvecs`, default [`crate::curvature::lanczos::default_max_applications`],
//! `max(1000, 10 n)`) reports `converged: false` and the text output says so on its first line.
//!
//! `--at` takes `x0`, `opt`, or a file holding the point: one number per line, a JSON array,
//! or a study's run record (`runs/<run_id>.json`, whose `x` is the run's final point; its
//! problem must be `--problem`). On the Lanczos route the operator is wrapped
//! ([`GuardedOperator`]): it is scaled by a power of two (exact) so that products of a matrix
//! with entries near `f64::MAX` do not overflow inside Lanczos, it counts products on a
//! spinner on stderr (a terminal only), and it stops the computation with an error (exit 1)
//! once `--max-seconds` have passed.

use crate::curvature::auto::{choose, extremes_with_lanczos};
use crate::curvature::{Algo, BlockSize, Lanczos, Which, extremes, hutch_plus_plus};
use crate::error::{Error, Result};
use crate::linalg::HessianOperator;
use crate::objective::{Counted, Objective};
use crate::params::{Params, Value};
use std::time::Instant;

/// `writeln!` with the error ignored (a closed pipe must not stop or fail the command).
macro_rules! outln {
    ($w:expr, $($arg:tt)*) => {{
        let _ = writeln!($w, $($arg)*);
    }};
}

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
    /// Where to take the Hessian: `x0` (the standard start), `opt` (the known minimizer), or a
    /// file: one number per line, a JSON array, or a study's run record `runs/<id>.json` (its
    /// final point).
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
    /// Wall-time limit in seconds: the computation stops with an error (exit 1) once exceeded.
    #[arg(long)]
    pub max_seconds: Option<f64>,
    /// Krylov solver of the Lanczos route: `auto` (the restarted block solver, block size by
    /// its rule), `single` (single-vector thick-restart Lanczos with its multiplicity pass) or a
    /// block size `p ≥ 1`. Ignored by the dense route.
    #[arg(long, default_value = "auto")]
    pub block: String,
    /// Budget of Hessian-vector products of the Lanczos eigensolver (default `max(1000, 10 n)`).
    #[arg(long)]
    pub max_matvecs: Option<usize>,
    /// Also estimate the Hessian diagonal by Hutchinson with this many probes (the estimator of
    /// AdaHessian and Sophia-H), set against the exact diagonal when n ≤ 2000.
    #[arg(long)]
    pub diag: Option<usize>,
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
    /// With `--diag`: the estimated diagonal against the exact one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagonal: Option<super::spectrum_diag::DiagonalOutput>,
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
    let block = BlockSize::parse(&args.block)?;
    if args.max_matvecs == Some(0) {
        return Err(Error::invalid("max-matvecs", 0, "must be >= 1"));
    }
    let deadline = deadline(args.max_seconds)?;
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
        check_deadline(deadline, "the dense Hessian")?;
        (
            extremes(&h, k, Which::Both, Algo::Dense, args.tol, args.seed)?,
            0.0,
        )
    } else {
        let op = GuardedOperator::new(HessianOperator::new(&obj, x.clone())?, deadline, args.seed)?;
        let mut cfg = Lanczos::new(k, Which::Both)?
            .with_tol(args.tol)?
            .with_seed(args.seed)?
            .with_block_size(block)?;
        if let Some(max) = args.max_matvecs {
            cfg = cfg.with_max_applications(max)?;
        }
        let e = extremes_with_lanczos(&op, Algo::Lanczos, &cfg)?;
        let t = hutch_plus_plus(&op, 30, args.seed)?;
        op.finish();
        (op.unscale(e, t.estimate), t.std_error / op.scale())
    };
    let diagonal = match args.diag {
        Some(p) => Some(super::spectrum_diag::diagonal(&obj, &x, p, args.seed)?),
        None => None,
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
            // A trace beyond f64's range (n entries near f64::MAX) is unknown, not `inf`.
            trace: ext.trace.filter(|t| t.is_finite()),
            trace_std_error: trace_se,
            matvecs: obj.counts().hvp,
            evaluations: obj.counts(),
            seconds,
            diagonal,
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
        path => point_from_file(std::path::Path::new(path), args.problem.as_deref())?,
    };
    crate::error::check_len("the point of --at", inst.x0.len(), x.len())?;
    Ok((inst.objective, x))
}

/// The point of `--at FILE`: a JSON array, a study's run record (its final point `x`), or one
/// number per line (blank lines and `#` comments skipped).
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// let p = d.path().join("x.txt");
/// std::fs::write(&p, "1.5\n# a comment\n-2\n").unwrap();
/// assert_eq!(curvlab::cli::spectrum::point_from_file(&p, None).unwrap(), vec![1.5, -2.0]);
/// std::fs::write(&p, "[1, 2e3]").unwrap();
/// assert_eq!(curvlab::cli::spectrum::point_from_file(&p, None).unwrap(), vec![1.0, 2000.0]);
/// std::fs::write(&p, "1\nnope\n").unwrap();
/// assert!(curvlab::cli::spectrum::point_from_file(&p, None).unwrap_err().to_string().contains(":2:"));
/// ```
pub fn point_from_file(path: &std::path::Path, problem: Option<&str>) -> Result<Vec<f64>> {
    if !path.exists() {
        return Err(Error::invalid(
            "at",
            path.display(),
            "expected x0, opt, or an existing file holding the point",
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_err = |line: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let x: Vec<f64> = match text.trim_start().chars().next() {
        Some('[') => serde_json::from_str(&text)
            .map_err(|e| parse_err(e.line(), format!("not a JSON array of numbers: {e}")))?,
        Some('{') => point_of_record(&text, problem).map_err(|m| parse_err(0, m))?,
        _ => {
            let mut x = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                x.push(t.parse::<f64>().map_err(|_| {
                    parse_err(
                        i + 1,
                        format!("`{t}` is not a number (one number per line)"),
                    )
                })?);
            }
            x
        }
    };
    if x.is_empty() {
        return Err(parse_err(0, "the file holds no point".into()));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(parse_err(0, format!("entry {i} = {} is not finite", x[i])));
    }
    Ok(x)
}

/// The final point of a study's run record, checked against `--problem`.
fn point_of_record(text: &str, problem: Option<&str>) -> std::result::Result<Vec<f64>, String> {
    let r: crate::study::outputs::RunRecord = serde_json::from_str(text)
        .map_err(|e| format!("a JSON object but not a study run record: {e}"))?;
    if let Some(p) = problem
        && p != r.problem
    {
        return Err(format!(
            "the run record is of problem `{}`, not `{p}`",
            r.problem
        ));
    }
    r.x.ok_or_else(|| {
        format!(
            "run {} has no final point (it did not run, or it was written by an older curvlab)",
            r.run_id
        )
    })
}

/// The deadline of `--max-seconds` (`None` without it).
fn deadline(max_seconds: Option<f64>) -> Result<Option<Instant>> {
    let Some(s) = max_seconds else {
        return Ok(None);
    };
    let d = std::time::Duration::try_from_secs_f64(s)
        .ok()
        .filter(|_| s > 0.0)
        .ok_or_else(|| Error::invalid("max-seconds", s, "must be a positive number of seconds"))?;
    Ok(Instant::now().checked_add(d))
}

/// An error once `deadline` has passed.
fn check_deadline(deadline: Option<Instant>, what: &str) -> Result<()> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(Error::Numerical(format!(
            "time limit (--max-seconds) reached during {what}"
        ))),
        _ => Ok(()),
    }
}

/// The Hessian operator as Lanczos sees it in `curvlab spectrum`: `σ·A` with `σ` a power of two
/// chosen from one probe product (exact scaling, so entries near `f64::MAX` do not overflow in
/// Lanczos's norms), the products counted on a spinner (stderr, a terminal only), and an error
/// once the deadline passes.
///
/// ```
/// use curvlab::cli::spectrum::GuardedOperator;
/// use curvlab::linalg::LinearOperator;
/// let a = faer::mat![[1e308, 0.0], [0.0, 1.0]];
/// let g = GuardedOperator::new(a, None, 0).unwrap();
/// let mut out = [0.0; 2];
/// g.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out[0] / g.scale(), 1e308);
/// ```
pub struct GuardedOperator<A> {
    inner: A,
    scale: f64,
    deadline: Option<Instant>,
    count: std::sync::atomic::AtomicUsize,
    bar: indicatif::ProgressBar,
}

impl<A: crate::linalg::LinearOperator> GuardedOperator<A> {
    /// Wraps `inner`: one probe product with a seeded random vector fixes the scale.
    pub fn new(inner: A, deadline: Option<Instant>, seed: u64) -> Result<Self> {
        use rand::{Rng, SeedableRng};
        let n = inner.dim();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5ca1e);
        let v: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
        let mut out = vec![0.0; n];
        inner.apply(&v, &mut out)?;
        crate::error::check_finite("Hessian-vector product", &out, 0)?;
        let big = out.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        // Bring the product to O(1) when it is far from it; powers of two scale exactly.
        let scale = if big > 1e100 || (big > 0.0 && big < 1e-100) {
            2f64.powi(-(big.log2().round() as i32))
        } else {
            1.0
        };
        let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(200));
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        Ok(GuardedOperator {
            inner,
            scale,
            deadline,
            count: std::sync::atomic::AtomicUsize::new(0),
            bar,
        })
    }

    /// The factor `σ` the products are multiplied with.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Clears the spinner.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Extremes of `σ·A` (and its trace estimate) back to those of `A`.
    fn unscale(&self, mut e: crate::curvature::Extremes, trace: f64) -> crate::curvature::Extremes {
        let s = self.scale;
        e.largest.iter_mut().for_each(|v| *v /= s);
        e.smallest.iter_mut().for_each(|v| *v /= s);
        e.max_residual /= s;
        e.trace = Some(trace / s);
        e
    }
}

impl<A: crate::linalg::LinearOperator> crate::linalg::LinearOperator for GuardedOperator<A> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let k = self
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        check_deadline(self.deadline, &format!("Lanczos (after {k} products)"))?;
        self.inner.apply(v, out)?;
        if self.scale != 1.0 {
            out.iter_mut().for_each(|x| *x *= self.scale);
        }
        if k.is_multiple_of(16) {
            self.bar.set_message(format!("{k} Hessian-vector products"));
        }
        Ok(())
    }
}

/// Runs the command.
///
/// ```
/// use clap::Parser;
/// let cli = curvlab::cli::Cli::try_parse_from(["curvlab", "spectrum", "--problem", "ravine"]).unwrap();
/// let curvlab::cli::Command::Spectrum(args) = cli.command else { panic!() };
/// assert!(curvlab::cli::spectrum::run(&args).is_ok());
/// ```
pub fn run(args: &SpectrumArgs) -> Result<()> {
    run_to(args, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Runs the command, writing the result to `w` (write errors, such as a closed pipe, are
/// ignored); `_err` receives nothing yet (the spinner draws on a terminal's stderr).
///
/// ```
/// use clap::Parser;
/// let cli = curvlab::cli::Cli::try_parse_from(["curvlab", "spectrum", "--problem", "ravine"]).unwrap();
/// let curvlab::cli::Command::Spectrum(args) = cli.command else { panic!() };
/// let mut out = Vec::new();
/// curvlab::cli::spectrum::run_to(&args, &mut out, &mut std::io::sink()).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("largest:  [100.0, 1.0]"));
/// ```
pub fn run_to(
    args: &SpectrumArgs,
    w: &mut dyn std::io::Write,
    _err: &mut dyn std::io::Write,
) -> Result<()> {
    let (out, reason, trace_se) = compute(args)?;
    if args.json {
        let s = serde_json::to_string(&out)
            .map_err(|e| Error::Numerical(format!("JSON serialization failed: {e}")))?;
        outln!(w, "{s}");
        return Ok(());
    }
    if out.converged {
        outln!(w, "status: {}", out.termination);
    } else {
        outln!(
            w,
            "status: NOT CONVERGED ({}): largest residual ‖Av − θv‖ = {:.3e} after {} products; \
             the values below are unconverged Ritz values",
            out.termination,
            out.max_residual,
            out.matvecs
        );
    }
    outln!(w, "n = {}, algorithm: {} ({reason})", out.n, out.algo);
    outln!(w, "largest:  {:?}", out.largest);
    outln!(w, "smallest: {:?}", out.smallest);
    match out.condition_number {
        Some(c) => outln!(w, "condition number: {c:.6e} (|λ|max/|λ|min)"),
        None => outln!(w, "condition number: unknown (not computed)"),
    }
    match out.negative_count {
        Some(c) => outln!(w, "negative eigenvalues: {c}"),
        None => outln!(w, "negative eigenvalues: unknown"),
    }
    if let Some(t) = out.trace {
        if trace_se > 0.0 {
            outln!(w, "trace ≈ {t:.6e} ± {trace_se:.1e} (Hutch++)");
        } else {
            outln!(w, "trace: {t:.6e}");
        }
    }
    if out.algo == "lanczos" {
        outln!(w, "largest residual ‖Av − θv‖: {:.3e}", out.max_residual);
    }
    if let Some(d) = &out.diagonal {
        for line in super::spectrum_diag::lines(d) {
            outln!(w, "{line}");
        }
    }
    let c = &out.evaluations;
    outln!(
        w,
        "evaluations: hvp {}, hessian {}, ggn {}, gradient {}, value {}; {:.3} s",
        c.hvp,
        c.hessian,
        c.ggn,
        c.gradient,
        c.value,
        out.seconds
    );
    Ok(())
}
