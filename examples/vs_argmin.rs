//! curvlab's second-order methods against argmin's own solvers, side by side through argmin's
//! `Executor`, on 2-D Rosenbrock and five Moré–Garbow–Hillstrom problems (standard starts).
//!
//! Pairs: curvlab `newton` / argmin `Newton`, `newton-cg` / `NewtonCG` (More–Thuente line
//! search), `trust-ncg` / `TrustRegion<Steihaug>`, `lbfgs` (history 7) / `LBFGS` (More–Thuente,
//! m = 7). curvlab runs with its defaults and, for `newton` and `trust-ncg`, also in the
//! configurations of [`TUNED`]: `newton` with the watchdog (Chamberlain et al. 1982) or the
//! nonmonotone (Grippo–Lampariello–Lucidi 1986, M = 10) line search, and `trust-ncg` with a
//! nearly exact Steihaug solve (relative residual 1e-10, at most n CG iterations per step, the
//! products of a rejected step replayed), the subproblem solution argmin's `Steihaug` computes
//! on the dense Hessian.
//!
//! Every run has a budget of 1000 iterations; a run counts as converged at the first iterate
//! with ‖∇f‖₂ ≤ 1e-8 (measured by an observer with the exact gradient, outside the counts), and
//! the evaluation counts are argmin's own counters at that iterate. `certify` is 1 when the
//! solver's state holds no gradient at that iterate (argmin's `Newton` evaluates ∇f at the start
//! of the next iteration): then only the observer's evaluation, not counted, shows convergence,
//! and a fair gradient count adds it.
//!
//! Run: `cargo run --release --example vs_argmin`.

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{Error, Executor, IterState, KV, Solver, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::{Newton, NewtonCG};
use argmin::solver::quasinewton::LBFGS;
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use curvlab::Objective;
use curvlab::argmin::{ArgminProblem, ArgminSolver};
use curvlab::methods::{MethodContext, build_method};
use curvlab::params::Params;
use curvlab::problems::Rosenbrock;
use curvlab::problems::mgh::{self, MghProblem};
use nalgebra::DVector;
use std::sync::{Arc, Mutex};

/// The convergence criterion of the comparison.
pub const TOL: f64 = 1e-8;
/// The iteration budget of every run.
pub const MAX_ITERS: u64 = 1000;

/// One run.
#[derive(Debug, Clone)]
pub struct Row {
    pub problem: String,
    pub n: usize,
    pub solver: String,
    pub iterations: u64,
    pub cost: u64,
    pub gradient: u64,
    pub hessian: u64,
    pub hessian_vec: u64,
    pub converged: bool,
    pub grad_norm: f64,
    /// 1 when the solver had not evaluated ∇f at the final iterate (the observer did).
    pub certify: u64,
}

type Obj = Arc<dyn Objective>;

/// (iterations, ‖∇f‖, argmin's counters, whether the state lacks ∇f) at an iterate.
type Snapshot = (u64, f64, Vec<(String, u64)>, bool);

/// Records the first iterate with ‖∇f‖ ≤ TOL and stops the run there.
struct FirstConverged {
    obj: Obj,
    out: Arc<Mutex<Option<Snapshot>>>,
    last: Arc<Mutex<Snapshot>>,
}

impl<S> Observe<S> for FirstConverged
where
    S: State<Param = DVector<f64>, Float = f64> + StartConfig,
{
    fn observe_iter(&mut self, state: &S, _kv: &KV) -> Result<(), Error> {
        let x = state.get_param().ok_or_else(|| Error::msg("no param"))?;
        let mut g = vec![0.0; x.len()];
        let gn = match self.obj.gradient(x.as_slice(), &mut g) {
            Ok(_) => curvlab::linalg::vector::norm(&g),
            Err(_) => f64::INFINITY,
        };
        let counts: Vec<(String, u64)> = state
            .get_func_counts()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let no_grad = !state.has_gradient();
        *self.last.lock().unwrap() = (state.get_iter() + 1, gn, counts.clone(), no_grad);
        if gn <= TOL {
            *self.out.lock().unwrap() = Some((state.get_iter() + 1, gn, counts, no_grad));
            return Err(Error::msg("converged"));
        }
        Ok(())
    }
}

fn count(c: &[(String, u64)], k: &str) -> u64 {
    c.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v)
}

fn run<'a, S, I>(obj: &'a Obj, label: &str, solver_name: &str, x0: &[f64], solver: S) -> Row
where
    S: Solver<ArgminProblem<&'a dyn Objective, DVector<f64>>, I>,
    I: State<Param = DVector<f64>, Float = f64> + StartConfig + 'static,
{
    let out = Arc::new(Mutex::new(None));
    let last = Arc::new(Mutex::new((0, f64::INFINITY, vec![], false)));
    let obs = FirstConverged {
        obj: obj.clone(),
        out: out.clone(),
        last: last.clone(),
    };
    let x0 = DVector::from_vec(x0.to_vec());
    // An error ends the run: "converged" from the observer, or a solver failure.
    let _ = Executor::new(ArgminProblem::nalgebra(&**obj), solver)
        .configure(|s| with_start(s, x0))
        .add_observer(obs, ObserverMode::Always)
        .run();
    let (converged, (iterations, grad_norm, counts, no_grad)) = match out.lock().unwrap().take() {
        Some(r) => (true, r),
        None => (false, last.lock().unwrap().clone()),
    };
    Row {
        problem: label.to_string(),
        n: obj.dim(),
        solver: solver_name.to_string(),
        iterations,
        cost: count(&counts, "cost_count"),
        gradient: count(&counts, "gradient_count"),
        hessian: count(&counts, "hessian_count"),
        hessian_vec: count(&counts, "hessian_vec_count"),
        converged,
        grad_norm,
        certify: u64::from(no_grad),
    }
}

/// Sets the start, the budget and counting on any argmin state.
fn with_start<I: StartConfig>(s: I, x0: DVector<f64>) -> I {
    s.start(x0)
}

/// `param`, `max_iters`, `counting` and the gradient's presence for the two state types in use (`IterState` with and
/// without a Hessian).
pub trait StartConfig {
    fn start(self, x0: DVector<f64>) -> Self;
    /// Whether the state holds a gradient (at its current parameter).
    fn has_gradient(&self) -> bool;
}
impl<H> StartConfig for IterState<DVector<f64>, DVector<f64>, (), H, (), f64>
where
    Self: State<Float = f64>,
{
    fn start(self, x0: DVector<f64>) -> Self {
        self.param(x0).max_iters(MAX_ITERS).counting(true)
    }
    fn has_gradient(&self) -> bool {
        self.get_gradient().is_some()
    }
}

fn curvlab_method<S: AsRef<str>>(
    kind: &str,
    opts: &[S],
) -> ArgminSolver<Box<dyn curvlab::methods::Method>> {
    let opts: Vec<&str> = opts.iter().map(|s| s.as_ref()).collect();
    let m = build_method(
        kind,
        &Params::from_pairs(&opts).unwrap(),
        &MethodContext::default(),
    )
    .unwrap();
    ArgminSolver::new(m).with_grad_tol(TOL).unwrap()
}

/// The problems: (label, objective, start).
pub fn problems() -> Vec<(String, Obj, Vec<f64>)> {
    let mut v: Vec<(String, Obj, Vec<f64>)> = vec![(
        "rosenbrock".into(),
        Arc::new(Rosenbrock::new(2).unwrap()),
        vec![-1.2, 1.0],
    )];
    for (id, dim) in PROBLEMS {
        let p = mgh::problem(*id, *dim).unwrap();
        let x0 = p.problem().x0();
        v.push((format!("mgh{id}-{}", p.problem().name()), Arc::new(p), x0));
    }
    v
}

/// The five MGH problems (id, n): helical valley, Bard, Powell singular, extended Rosenbrock
/// (n = 10), trigonometric (n = 10).
pub const PROBLEMS: &[(usize, Option<usize>)] = &[
    (7, None),
    (8, None),
    (13, None),
    (21, Some(10)),
    (26, Some(10)),
];

/// The non-default curvlab configurations compared: (method, options; `{n}` is replaced by the
/// problem's dimension).
pub const TUNED: &[(&str, &[&str])] = &[
    ("newton", &["safeguard=modified", "line_search=watchdog"]),
    (
        "newton",
        &[
            "safeguard=modified",
            "line_search=nonmonotone",
            "nonmonotone_memory=10",
        ],
    ),
    (
        "trust-ncg",
        &["cg_tol=1e-10", "cg_max_iters={n}", "reuse_products=true"],
    ),
];

/// The label of a curvlab configuration: `curvlab <method>` or `curvlab <method> (<options>)`.
pub fn label(kind: &str, opts: &[&str]) -> String {
    if opts.is_empty() {
        format!("curvlab {kind}")
    } else {
        format!("curvlab {kind} ({})", opts.join(", "))
    }
}

/// argmin's counterpart of a curvlab method.
pub fn counterpart(kind: &str) -> &'static str {
    match kind {
        "newton" => "argmin Newton",
        "newton-cg" => "argmin NewtonCG",
        "trust-ncg" => "argmin TrustRegion<Steihaug>",
        _ => "argmin LBFGS",
    }
}

fn tuned_rows(obj: &Obj, l: &str, x0: &[f64], kind: &str) -> Vec<Row> {
    TUNED
        .iter()
        .filter(|(k, _)| *k == kind)
        .map(|(k, opts)| {
            let opts: Vec<String> = opts
                .iter()
                .map(|o| o.replace("{n}", &obj.dim().to_string()))
                .collect();
            let shown: Vec<&str> = opts.iter().map(|s| s.as_str()).collect();
            run(obj, l, &label(k, &shown), x0, curvlab_method(k, &opts))
        })
        .collect()
}

/// Every pair on every problem: per problem and method, curvlab's default, its [`TUNED`]
/// configurations, then argmin's counterpart.
pub fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let none: &[&str] = &[];
    for (label, obj, x0) in problems() {
        let l = label.as_str();
        rows.push(run(
            &obj,
            l,
            "curvlab newton",
            &x0,
            curvlab_method("newton", none),
        ));
        rows.extend(tuned_rows(&obj, l, &x0, "newton"));
        rows.push(run(&obj, l, "argmin Newton", &x0, Newton::<f64>::new()));
        rows.push(run(
            &obj,
            l,
            "curvlab newton-cg",
            &x0,
            curvlab_method("newton-cg", none),
        ));
        rows.push(run(
            &obj,
            l,
            "argmin NewtonCG",
            &x0,
            NewtonCG::new(MoreThuenteLineSearch::new()),
        ));
        rows.push(run(
            &obj,
            l,
            "curvlab trust-ncg",
            &x0,
            curvlab_method("trust-ncg", none),
        ));
        rows.extend(tuned_rows(&obj, l, &x0, "trust-ncg"));
        rows.push(run(
            &obj,
            l,
            "argmin TrustRegion<Steihaug>",
            &x0,
            TrustRegion::new(Steihaug::new()),
        ));
        rows.push(run(
            &obj,
            l,
            "curvlab lbfgs",
            &x0,
            curvlab_method("lbfgs", &["history=7"]),
        ));
        let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(0.0)
            .unwrap()
            .with_tolerance_cost(0.0)
            .unwrap();
        rows.push(run(&obj, l, "argmin LBFGS", &x0, lbfgs));
    }
    rows
}

#[allow(dead_code)]
fn main() {
    println!(
        "| problem | n | solver | iters | cost | grad | hess | hess-vec | ‖g‖ ≤ 1e-8 |\n|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows() {
        println!(
            "| {} | {} | {} | {} | {} | {}{} | {} | {} | {} |",
            r.problem,
            r.n,
            r.solver,
            r.iterations,
            r.cost,
            r.gradient,
            if r.certify > 0 { " (+1)" } else { "" },
            r.hessian,
            r.hessian_vec,
            if r.converged {
                "yes".to_string()
            } else {
                format!("no ({:.1e})", r.grad_norm)
            }
        );
    }
}
