//! `curvlab run`: one method on one problem (contract in docs/DESIGN.md). The problem is built by
//! [`crate::problems::build_problem`] (`--dim` → `dim`, `--data` → `data`, `--matrix` → `path`,
//! plus `--problem-opt`), the method by [`crate::methods::build_method`] with a
//! [`MethodContext`] from the problem (its spectrum, the seed, its number of examples), and
//! [`crate::minimize`](fn@crate::minimize) runs it; the result is printed as a human summary or, with `--json`, one
//! JSON object with the keys `problem, method, n, converged, iterations, f, grad_norm,
//! evaluations {value, gradient, hvp, hessian, ggn}` (calls), `cost {gradient_equivalents,
//! num_examples, value_examples, gradient_examples, hvp_examples, ggn_examples}` (work, see
//! [`crate::Counts`]), `seconds, termination` and `curvature_check` (the driver's end-of-run
//! `λ_min` check of second-order methods: `{lambda_min, hessian_norm, hvp, converged, algo}` or
//! null).

use crate::error::{Error, Result};
use crate::methods::{MethodContext, build_method};
use crate::minimize::{Report, Stop, Termination, minimize};
use crate::params::{Params, Value};
use crate::problems::build_problem;

/// Arguments of `curvlab run`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS)]
pub struct RunArgs {
    /// Problem name (see `curvlab list`).
    #[arg(long)]
    pub problem: String,
    /// Problem dimension (the problem's `dim` parameter).
    #[arg(long)]
    pub dim: Option<usize>,
    /// CSV data file for data problems (header row, last column the label).
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// Matrix Market file for the `matrix` problem.
    #[arg(long)]
    pub matrix: Option<std::path::PathBuf>,
    /// Method name (see `curvlab list`).
    #[arg(long)]
    pub method: String,
    /// Iteration budget.
    #[arg(long, default_value_t = 1000)]
    pub max_iters: usize,
    /// Gradient-norm tolerance.
    #[arg(long, default_value_t = 1e-6)]
    pub grad_tol: f64,
    /// Relative change of f over an accepted step below which the run stops (0: off).
    #[arg(long, default_value_t = 0.0)]
    pub f_rel_tol: f64,
    /// Budget in gradient-equivalents of work (`Counts::gradient_equivalents`).
    #[arg(long)]
    pub max_evals: Option<f64>,
    /// Wall-time budget in seconds.
    #[arg(long)]
    pub max_seconds: Option<f64>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Problem parameter KEY=VALUE (repeatable).
    #[arg(long = "problem-opt")]
    pub problem_opt: Vec<String>,
    /// Method parameter KEY=VALUE (repeatable).
    #[arg(long = "method-opt")]
    pub method_opt: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The exit status of `curvlab run`, as `curvlab run --help` prints it.
pub const EXIT_STATUS: &str = "Exit status: 0 when the run converged or stopped at a budget \
(max_iters, max_evals, max_seconds), at f_rel_tol or at a saddle; 1 when it diverged or failed \
(non-finite values, a runaway iterate, a failed step) or on an I/O failure; 2 for bad input.";

/// The exit status of a finished run: 1 for a run that diverged or failed
/// ([`Termination::NonFinite`], [`Termination::Failed`], [`Termination::Runaway`]), 0 otherwise
/// (converged, a budget spent, `f_rel_tol`, a saddle).
///
/// ```
/// use curvlab::Termination;
/// assert_eq!(curvlab::cli::run::exit_status(&Termination::MaxIterations), 0);
/// assert_eq!(curvlab::cli::run::exit_status(&Termination::Failed("breakdown".into())), 1);
/// ```
pub fn exit_status(t: &Termination) -> i32 {
    match t {
        Termination::NonFinite(_) | Termination::Failed(_) | Termination::Runaway { .. } => 1,
        _ => 0,
    }
}

/// Runs the command and prints the result; fails for a run that diverged or failed (see
/// [`exit_status`]).
///
/// ```
/// let code = curvlab::cli::main_with(["curvlab", "run", "--problem", "ravine", "--method", "lbfgs"]);
/// assert_eq!(code, 0);
/// ```
pub fn run(args: &RunArgs) -> Result<()> {
    match run_to(args, &mut std::io::stdout())? {
        0 => Ok(()),
        _ => Err(Error::Numerical("the run diverged or failed".into())),
    }
}

/// Runs the command, writes the result to `out` (write errors ignored) and returns the exit
/// status ([`exit_status`]).
///
/// ```
/// use clap::Parser;
/// use curvlab::cli::{Cli, Command};
/// let cli = Cli::try_parse_from(["curvlab", "run", "--problem", "ravine", "--method", "gd",
///     "--method-opt", "lr=1.5"]).unwrap(); // beyond 2/L = 0.02: diverges
/// let Command::Run(args) = cli.command else { unreachable!() };
/// let mut out = Vec::new();
/// assert_eq!(curvlab::cli::run::run_to(&args, &mut out).unwrap(), 1);
/// ```
pub fn run_to(args: &RunArgs, out: &mut dyn std::io::Write) -> Result<i32> {
    let (problem, report) = execute(args)?;
    let _ = out.write_all(render(&problem, &report, args.json).as_bytes());
    Ok(exit_status(&report.termination))
}

/// Builds the problem and the method and runs them; returns the problem's name and the report.
///
/// ```
/// use clap::Parser;
/// use curvlab::cli::{Cli, Command};
/// let cli = Cli::try_parse_from(["curvlab", "run", "--problem", "ravine", "--method", "gd",
///     "--method-opt", "lr=optimal"]).unwrap();
/// let Command::Run(args) = cli.command else { unreachable!() };
/// let (_, report) = curvlab::cli::run::execute(&args).unwrap();
/// assert!(report.converged());
/// ```
pub fn execute(args: &RunArgs) -> Result<(String, Report)> {
    let mut pp = Params::from_pairs(&args.problem_opt)?;
    let mut set = |key: &str, flag: &str, v: Value| -> Result<()> {
        if pp.iter().any(|(k, _)| k == key) {
            return Err(Error::invalid(
                key,
                v,
                &format!("given both as {flag} and as --problem-opt {key}=..."),
            ));
        }
        pp.insert(key, v);
        Ok(())
    };
    if let Some(d) = args.dim {
        set("dim", "--dim", Value::Num(d as f64))?;
    }
    if let Some(f) = &args.data {
        set("data", "--data", Value::Str(f.display().to_string()))?;
    }
    if let Some(f) = &args.matrix {
        set("path", "--matrix", Value::Str(f.display().to_string()))?;
    }
    let mp = Params::from_pairs(&args.method_opt)?;
    let stop = Stop {
        f_rel_tol: args.f_rel_tol,
        max_evals: args.max_evals,
        max_seconds: args.max_seconds,
        ..Stop::new(args.grad_tol, args.max_iters)
    };
    stop.validate()?;
    crate::study::memory::check_run(&args.problem, &pp, &args.method, &mp)?;
    let inst = build_problem(&args.problem, &pp, args.seed)?;
    let ctx = MethodContext {
        eigenvalues: inst.eigenvalues.clone(),
        seed: args.seed,
        num_examples: inst.objective.as_finite_sum().map(|s| s.num_examples()),
    };
    let mut method = build_method(&args.method, &mp, &ctx)?;
    let report = minimize(&*inst.objective, &mut method, &inst.x0, &stop)?;
    Ok((args.problem.clone(), report))
}

/// The JSON object of `curvlab run --json` (contract in docs/DESIGN.md).
///
/// ```
/// use curvlab::{minimize, Stop};
/// use curvlab::methods::lbfgs::Lbfgs;
/// use curvlab::problems::Rosenbrock;
/// let r = minimize(&Rosenbrock::new(2).unwrap(), &mut Lbfgs::new(), &[-1.2, 1.0], &Stop::default()).unwrap();
/// let j = curvlab::cli::run::to_json("rosenbrock", &r);
/// assert_eq!(j["method"], "lbfgs");
/// assert_eq!(j["converged"], true);
/// ```
pub fn to_json(problem: &str, r: &Report) -> serde_json::Value {
    serde_json::json!({
        "problem": problem,
        "method": r.method,
        "n": r.x.len(),
        "converged": r.converged(),
        "iterations": r.iterations,
        "f": r.f,
        "grad_norm": r.grad_norm,
        "evaluations": {
            "value": r.counts.value,
            "gradient": r.counts.gradient,
            "hvp": r.counts.hvp,
            "hessian": r.counts.hessian,
            "ggn": r.counts.ggn,
        },
        "cost": {
            "gradient_equivalents": r.counts.gradient_equivalents(),
            "num_examples": r.counts.num_examples,
            "value_examples": r.counts.value_examples,
            "gradient_examples": r.counts.gradient_examples,
            "hvp_examples": r.counts.hvp_examples,
            "ggn_examples": r.counts.ggn_examples,
        },
        "seconds": r.seconds,
        "termination": r.termination.to_string(),
        "curvature_check": r.curvature_check,
    })
}

/// The output of `curvlab run`: one JSON line, or a human summary.
///
/// ```
/// use curvlab::{minimize, Stop};
/// use curvlab::methods::lbfgs::Lbfgs;
/// use curvlab::problems::Rosenbrock;
/// let r = minimize(&Rosenbrock::new(2).unwrap(), &mut Lbfgs::new(), &[-1.2, 1.0], &Stop::default()).unwrap();
/// assert!(curvlab::cli::run::render("rosenbrock", &r, false).contains("converged"));
/// ```
pub fn render(problem: &str, r: &Report, json: bool) -> String {
    if json {
        let v = to_json(problem, r);
        return format!("{}\n", serde_json::to_string(&v).unwrap_or_default());
    }
    format!(
        "problem     {problem} (n = {n})\n\
         method      {method}\n\
         result      {status} ({term}) after {it} iterations\n\
         f           {f:.12e}\n\
         ‖∇f‖        {g:.3e}\n\
         evaluations value {v}, gradient {gr}, hvp {h}, hessian {hs}, ggn {gn}\n\
         cost        {ge:.6} gradient-equivalents{ex}\n\
         {check}\
         time        {s:.3} s\n",
        n = r.x.len(),
        method = r.method,
        status = if r.converged() {
            "converged"
        } else {
            "not converged"
        },
        term = r.termination,
        it = r.iterations,
        f = r.f,
        g = r.grad_norm,
        v = r.counts.value,
        gr = r.counts.gradient,
        h = r.counts.hvp,
        hs = r.counts.hessian,
        gn = r.counts.ggn,
        ge = r.counts.gradient_equivalents(),
        ex = examples_text(r),
        check = check_text(r),
        s = r.seconds,
    )
}

/// `" (example-gradients …)"` for a finite sum, empty otherwise.
fn examples_text(r: &Report) -> String {
    let c = &r.counts;
    if c.num_examples == 0 {
        return String::new();
    }
    format!(
        " (N = {}: example-values {}, example-gradients {}, example-HVPs {}, example-GGN {})",
        c.num_examples, c.value_examples, c.gradient_examples, c.hvp_examples, c.ggn_examples
    )
}

/// The curvature-check line, or nothing.
fn check_text(r: &Report) -> String {
    match &r.curvature_check {
        None => String::new(),
        Some(c) => format!(
            "λ_min       {:.6e} (‖H‖ ≈ {:.3e}, {} with {} HVPs{})\n",
            c.lambda_min,
            c.hessian_norm,
            c.algo,
            c.hvp,
            if c.converged { "" } else { ", not converged" }
        ),
    }
}
