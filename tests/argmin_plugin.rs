//! The argmin plugin (`curvlab::argmin`), both directions: curvlab methods as argmin solvers on
//! argmin problems (`Vec<f64>` and `DVector<f64>`), argmin's solvers on curvlab problems,
//! evaluation counting, observers, termination, bad input and (feature `serde1`) checkpointing.
//!
//! Test-local methods (a dense Newton with Armijo backtracking, a line-search Newton-CG, a
//! heavy-ball method) exercise the plugin independently of curvlab's own method
//! implementations; `registry_*` tests run every registered method.

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{
    CostFunction, Error, Executor, Gradient, Hessian, IterState, KV, State, TerminationReason,
};
use curvlab::Objective;
use curvlab::argmin::{ArgminProblem, ArgminSolver, DenseHessian, GradientOnly, HessianVec};
use curvlab::linalg::vector::{dot, norm};
use curvlab::methods::line_search::Armijo;
use curvlab::methods::{Iterate, Method, MethodContext, Needs, StepInfo, build_method};
use curvlab::params::Params;
use curvlab::problems::{Quadratic, Rosenbrock, Rotation, SpectrumKind};
use nalgebra::DVector;
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------- argmin-side problems

/// 2-D Rosenbrock written as an argmin user would, with its Hessian-vector product.
struct RosenHv;
impl CostFunction for RosenHv {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2))
    }
}
impl Gradient for RosenHv {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(vec![
            -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
            200.0 * (x[1] - x[0] * x[0]),
        ])
    }
}
fn rosen_hessian(x: &[f64]) -> [[f64; 2]; 2] {
    let (h00, h01) = (2.0 - 400.0 * (x[1] - 3.0 * x[0] * x[0]), -400.0 * x[0]);
    [[h00, h01], [h01, 200.0]]
}
impl HessianVec for RosenHv {
    type Param = Vec<f64>;
    fn hessian_vec(&self, x: &Vec<f64>, v: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let h = rosen_hessian(x);
        Ok(vec![
            h[0][0] * v[0] + h[0][1] * v[1],
            h[1][0] * v[0] + h[1][1] * v[1],
        ])
    }
}

/// The same function with argmin's dense `Hessian` only.
struct RosenH;
impl CostFunction for RosenH {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        RosenHv.cost(x)
    }
}
impl Gradient for RosenH {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        RosenHv.gradient(x)
    }
}
impl Hessian for RosenH {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        Ok(rosen_hessian(x).iter().map(|r| r.to_vec()).collect())
    }
}

// ---------------------------------------------------------------- test-local methods

/// Dense Newton: Cholesky of `H + τI` (τ raised until positive definite, N&W Algorithm 3.3)
/// and Armijo backtracking from α = 1.
#[derive(Clone, Default)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
struct DenseNewton;
impl Method for DenseNewton {
    fn name(&self) -> &str {
        "dense-newton"
    }
    fn needs(&self) -> Needs {
        Needs::Hessian
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
        let n = it.x.len();
        let h = obj.hessian(&it.x)?;
        let mut tau = 0.0;
        let d = loop {
            let shifted =
                faer::Mat::from_fn(n, n, |i, j| h[(i, j)] + if i == j { tau } else { 0.0 });
            if let Ok(llt) = shifted.llt(faer::Side::Lower) {
                let mut rhs = faer::Mat::from_fn(n, 1, |i, _| -it.g[i]);
                faer::linalg::solvers::SolveCore::solve_in_place_with_conj(
                    &llt,
                    faer::Conj::No,
                    rhs.as_mut(),
                );
                break (0..n).map(|i| rhs[(i, 0)]).collect::<Vec<_>>();
            }
            tau = if tau == 0.0 { 1e-3 } else { 10.0 * tau };
        };
        let mut x_new = vec![0.0; n];
        let r = Armijo::default().search(obj, &it.x, it.f, &it.g, &d, 1.0, &mut x_new)?;
        let step = r.alpha * norm(&d);
        it.x = x_new;
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(step)
            .with("lambda", tau)
            .with("alpha", r.alpha))
    }
}

/// Line-search Newton-CG (N&W Algorithm 7.1) on Hessian-vector products, Armijo from α = 1.
#[derive(Clone, Default)]
struct LocalNewtonCg;
impl Method for LocalNewtonCg {
    fn name(&self) -> &str {
        "local-newton-cg"
    }
    fn needs(&self) -> Needs {
        Needs::Hvp
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
        let n = it.x.len();
        let gn = it.grad_norm();
        let eps = gn.sqrt().min(0.5) * gn;
        let (mut z, mut r) = (vec![0.0; n], it.g.clone());
        let mut d: Vec<f64> = r.iter().map(|v| -v).collect();
        let mut bd = vec![0.0; n];
        let mut iters = 0;
        loop {
            iters += 1;
            obj.hvp(&it.x, &d, &mut bd)?;
            let curv = dot(&d, &bd);
            if curv <= 0.0 {
                if iters == 1 {
                    z = d.clone();
                }
                break;
            }
            let alpha = dot(&r, &r) / curv;
            let rr = dot(&r, &r);
            for i in 0..n {
                z[i] += alpha * d[i];
                r[i] += alpha * bd[i];
            }
            if norm(&r) < eps || iters >= 2 * n {
                break;
            }
            let beta = dot(&r, &r) / rr;
            for i in 0..n {
                d[i] = -r[i] + beta * d[i];
            }
        }
        let mut x_new = vec![0.0; n];
        let res = Armijo::default().search(obj, &it.x, it.f, &it.g, &z, 1.0, &mut x_new)?;
        it.x = x_new;
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(res.alpha * norm(&z)).with("cg_iters", iters as f64))
    }
}

/// Heavy ball (Polyak 1964): v ← βv − η∇f, x ← x + v. Stateful, to test checkpoints.
#[derive(Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
struct HeavyBall {
    lr: f64,
    beta: f64,
    v: Vec<f64>,
}
impl Method for HeavyBall {
    fn name(&self) -> &str {
        "heavy-ball"
    }
    fn init(&mut self, _obj: &dyn Objective, it: &Iterate) -> curvlab::Result<()> {
        self.v = vec![0.0; it.x.len()];
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
        for ((x, v), g) in it.x.iter_mut().zip(self.v.iter_mut()).zip(&it.g) {
            *v = self.beta * *v - self.lr * g;
            *x += *v;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(norm(&self.v)).with("lr", self.lr))
    }
}

fn counts<S: State>(s: &S, key: &str) -> u64 {
    s.get_func_counts().get(key).copied().unwrap_or(0)
}

// ---------------------------------------------------------------- argmin problems, curvlab methods

#[test]
fn dense_newton_on_hessian_vec_problem_assembles_from_n_products() {
    // Start (-1.2, 1); stop at ‖g‖ ≤ 1e-8 (the default); x* = (1, 1).
    let res = Executor::new(RosenHv, ArgminSolver::new(DenseNewton))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()
        .unwrap();
    let st = res.state();
    let x = st.get_best_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
        "{x:?}"
    );
    assert_eq!(
        st.get_termination_reason(),
        Some(&TerminationReason::SolverConverged)
    );
    // Independent check of the final gradient.
    assert!(norm(&RosenHv.gradient(&x.clone()).unwrap()) <= 1e-8);
    // One dense Hessian per iteration, assembled from n = 2 products; no `hessian_count`.
    assert_eq!(counts(st, "hessian_vec_count"), 2 * st.get_iter());
    assert_eq!(counts(st, "hessian_count"), 0);
    assert!(counts(st, "gradient_count") > st.get_iter());
}

#[test]
fn newton_cg_on_dense_hessian_problem_uses_one_hessian_per_point() {
    let res = Executor::new(DenseHessian(RosenH), ArgminSolver::new(LocalNewtonCg))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()
        .unwrap();
    let st = res.state();
    let x = st.get_best_param().unwrap();
    assert!(
        (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
        "{x:?}"
    );
    // Products come from the cached dense Hessian: one `hessian` per iterate, no products
    // counted as `hessian_vec_count`.
    assert_eq!(counts(st, "hessian_count"), st.get_iter());
    assert_eq!(counts(st, "hessian_vec_count"), 0);
}

#[test]
fn newton_cg_counts_hessian_vec_products() {
    let res = Executor::new(RosenHv, ArgminSolver::new(LocalNewtonCg))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()
        .unwrap();
    let st = res.state();
    let x = st.get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    // Each Newton-CG iteration uses between 1 and 2n products.
    let hv = counts(st, "hessian_vec_count");
    assert!(hv >= st.get_iter() && hv <= 4 * st.get_iter(), "{hv}");
}

#[test]
fn nalgebra_dvector_problems_run() {
    // curvlab's Rosenbrock through the DVector wrapper, dense Newton on it.
    let p = ArgminProblem::nalgebra(Rosenbrock::new(4).unwrap());
    let x0 = DVector::from_vec(vec![-1.2, 1.0, -1.2, 1.0]);
    let res = Executor::new(p, ArgminSolver::new(DenseNewton))
        .configure(|s| s.param(x0).max_iters(200))
        .run()
        .unwrap();
    let x = res.state().get_best_param().unwrap();
    assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-6), "{x}");
}

#[test]
fn first_order_method_on_gradient_only_problem() {
    // f = ½ xᵀ diag(1, 10) x shifted by b (Quadratic::with_eigenvalues, diagonal, seed 3).
    let q = Quadratic::with_eigenvalues(vec![1.0, 10.0], Rotation::Diagonal, 3).unwrap();
    let x_star = q.minimizer().to_vec();
    let m = HeavyBall {
        lr: 0.1,
        beta: 0.5,
        v: vec![],
    };
    let res = Executor::new(GradientOnly(ArgminProblem::new(q)), ArgminSolver::new(m))
        .configure(|s| s.param(vec![3.0, -2.0]).max_iters(2000))
        .run()
        .unwrap();
    let x = res.state().get_param().unwrap();
    assert_eq!(
        res.state().get_termination_reason(),
        Some(&TerminationReason::SolverConverged)
    );
    // ‖x − x*‖ ≤ ‖g‖/λ_min = 1e-8.
    assert!(x.iter().zip(&x_star).all(|(a, b)| (a - b).abs() <= 1e-8));
}

#[test]
fn grad_tol_and_argmin_rules_combine() {
    // A loose tolerance stops earlier than the default one; max_iters still applies.
    let run = |tol: f64, iters: u64| {
        let s = ArgminSolver::new(DenseNewton).with_grad_tol(tol).unwrap();
        Executor::new(RosenHv, s)
            .configure(|st| st.param(vec![-1.2, 1.0]).max_iters(iters))
            .run()
            .unwrap()
    };
    let loose = run(1e-2, 200);
    let tight = run(1e-10, 200);
    assert!(loose.state().get_iter() < tight.state().get_iter());
    let g = RosenHv
        .gradient(loose.state().get_param().unwrap())
        .unwrap();
    assert!(norm(&g) <= 1e-2);
    let capped = run(1e-10, 3);
    assert_eq!(capped.state().get_iter(), 3);
    assert_eq!(
        capped.state().get_termination_reason(),
        Some(&TerminationReason::MaxItersReached)
    );
    // target_cost: argmin's rule ends the run as soon as f ≤ 1e-3.
    let target = Executor::new(RosenHv, ArgminSolver::new(DenseNewton))
        .configure(|st| st.param(vec![-1.2, 1.0]).max_iters(200).target_cost(1e-3))
        .run()
        .unwrap();
    assert_eq!(
        target.state().get_termination_reason(),
        Some(&TerminationReason::TargetCostReached)
    );
    assert!(target.state().get_best_cost() <= 1e-3);
}

/// Collects every KV an observer sees.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<KV>>>);
impl<I> Observe<I> for Collect {
    fn observe_iter(&mut self, _state: &I, kv: &KV) -> Result<(), Error> {
        self.0.lock().unwrap().push(kv.clone());
        Ok(())
    }
}

#[test]
fn observers_receive_method_values() {
    let seen = Collect::default();
    let res = Executor::new(RosenHv, ArgminSolver::new(LocalNewtonCg))
        .add_observer(seen.clone(), ObserverMode::Always)
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()
        .unwrap();
    let kvs = seen.0.lock().unwrap();
    assert_eq!(kvs.len() as u64, res.state().get_iter());
    let total: f64 = kvs
        .iter()
        .map(|kv| kv.get("cg_iters").and_then(|v| v.get_float()).unwrap())
        .sum();
    // The CG iterations reported per step add up to the counted products (one per CG step).
    assert_eq!(total as u64, counts(res.state(), "hessian_vec_count"));
    // f and ‖g‖ of the last iteration are the state's.
    let last = kvs.last().unwrap();
    assert_eq!(
        last.get("f").and_then(|v| v.get_float()),
        Some(res.state().get_cost())
    );
    assert!(last.get("grad_norm").and_then(|v| v.get_float()).unwrap() <= 1e-8);
}

// ---------------------------------------------------------------- the contract program

/// The contract program of the plugin, verbatim (`main` is called by the test below).
#[rustfmt::skip]
#[allow(clippy::ptr_arg)]
mod contract {
use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use curvlab::argmin::{ArgminSolver, HessianVec};
use curvlab::methods::{HessianFree, Newton};

struct Rosenbrock;
impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2))
    }
}
impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(vec![-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
                200.0 * (x[1] - x[0] * x[0])])
    }
}
impl HessianVec for Rosenbrock {
    type Param = Vec<f64>;
    fn hessian_vec(&self, x: &Vec<f64>, v: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let (h00, h01, h11) = (2.0 - 400.0 * (x[1] - 3.0 * x[0] * x[0]), -400.0 * x[0], 200.0);
        Ok(vec![h00 * v[0] + h01 * v[1], h01 * v[0] + h11 * v[1]])
    }
}
fn main() -> Result<(), Error> {
    let res = Executor::new(Rosenbrock, ArgminSolver::new(Newton::default()))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()?;
    let x = res.state().get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    println!("newton {:?}", res.state().get_func_counts());

    let res = Executor::new(Rosenbrock, ArgminSolver::new(HessianFree::default()))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()?;
    let x = res.state().get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    println!("hessian-free {:?}", res.state().get_func_counts());
    Ok(())
}

#[test]
fn contract_program_converges() {
    main().unwrap();
}
}

// ---------------------------------------------------------------- the registry's methods

fn registry_method(kind: &str, opts: &[&str], eigenvalues: Option<Vec<f64>>) -> Box<dyn Method> {
    let ctx = MethodContext {
        eigenvalues,
        ..MethodContext::default()
    };
    build_method(kind, &Params::from_pairs(opts).unwrap(), &ctx).unwrap()
}

/// Runs `kind` through argmin on a curvlab objective; returns the final state.
fn run_registry<O: Objective>(
    obj: O,
    kind: &str,
    opts: &[&str],
    eig: Option<Vec<f64>>,
    x0: Vec<f64>,
    tol: f64,
    iters: u64,
) -> IterState<Vec<f64>, Vec<f64>, (), (), (), f64> {
    let solver = ArgminSolver::new(registry_method(kind, opts, eig))
        .with_grad_tol(tol)
        .unwrap();
    let res = Executor::new(ArgminProblem::new(obj), solver)
        .configure(|s| s.param(x0).max_iters(iters).counting(true))
        .run()
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    res.state().clone()
}

#[test]
fn registry_first_order_methods_converge_on_a_quadratic() {
    // n = 10, κ = 100, log-uniform spectrum, random rotation, seed 0, x0 = standard start;
    // ‖g‖ ≤ 1e-6 within 20 000 iterations (first-order methods on Rosenbrock to 1e-8 would take
    // hundreds of thousands of iterations: the quadratic is their test). Settings as in
    // tests/first_order.rs: spectrum-optimal constants for gd / momentum / nesterov, tuned
    // constants or cosine schedules for the adaptive methods.
    let settings: &[(&str, &[&str])] = &[
        ("gd", &["lr=optimal"]),
        ("momentum", &["lr=optimal"]),
        ("nesterov", &["lr=optimal"]),
        ("adagrad", &["lr=3"]),
        ("rmsprop", &["lr=0.01", "schedule=cosine", "total=3000"]),
        ("adam", &["lr=0.1"]),
        ("adamw", &["lr=0.1", "weight_decay=0"]),
        ("amsgrad", &["lr=0.1"]),
        ("nadam", &["lr=0.05", "schedule=cosine", "total=3000"]),
        ("lbfgs", &[]),
    ];
    let q = Quadratic::new(10, 100.0, SpectrumKind::LogUniform, Rotation::Random, 0).unwrap();
    for (kind, opts) in settings {
        let st = run_registry(
            q.clone(),
            kind,
            opts,
            Some(q.eigenvalues().to_vec()),
            q.standard_start(),
            1e-6,
            20_000,
        );
        assert_eq!(
            st.get_termination_reason(),
            Some(&TerminationReason::SolverConverged),
            "{kind}"
        );
        // Independent check: ‖x − x*‖ ≤ ‖g‖/μ with μ = 1.
        let x = st.get_param().unwrap();
        let err = x
            .iter()
            .zip(q.minimizer())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err <= 1.0001e-6, "{kind}: ‖x − x*‖ = {err:e}");
        assert_eq!(counts(&st, "hessian_vec_count"), 0, "{kind}");
        assert_eq!(counts(&st, "hessian_count"), 0, "{kind}");
    }
}

#[test]
fn registry_lbfgs_converges_on_rosenbrock() {
    // 2-D Rosenbrock from (-1.2, 1), ‖g‖ ≤ 1e-8 within 200 iterations.
    let st = run_registry(
        Rosenbrock::new(2).unwrap(),
        "lbfgs",
        &[],
        None,
        vec![-1.2, 1.0],
        1e-8,
        200,
    );
    assert_eq!(
        st.get_termination_reason(),
        Some(&TerminationReason::SolverConverged)
    );
    let x = st.get_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
}

#[test]
fn registry_second_order_methods_converge_and_count_products() {
    // 2-D Rosenbrock from (-1.2, 1) and the n = 10, κ = 100 quadratic (seed 0) from its
    // standard start; ‖g‖ ≤ 1e-8 within 500 iterations, default parameters.
    let q = Quadratic::new(10, 100.0, SpectrumKind::LogUniform, Rotation::Random, 0).unwrap();
    for kind in ["newton", "newton-cg", "trust-ncg", "hessian-free"] {
        // The argmin-native problem with products only: every curvature access is a counted
        // `hessian_vec` (Newton assembles its Hessian from n = 2 of them).
        let res = Executor::new(RosenHv, ArgminSolver::new(registry_method(kind, &[], None)))
            .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(500).counting(true))
            .run()
            .unwrap();
        let st = res.state();
        assert_eq!(
            st.get_termination_reason(),
            Some(&TerminationReason::SolverConverged),
            "{kind}"
        );
        let x = st.get_param().unwrap();
        assert!(norm(&RosenHv.gradient(x).unwrap()) <= 1e-8, "{kind}");
        assert!(
            (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
            "{kind}"
        );
        let hv = counts(st, "hessian_vec_count");
        assert!(
            hv >= st.get_iter(),
            "{kind}: {hv} products in {} iterations",
            st.get_iter()
        );
        assert_eq!(counts(st, "hessian_count"), 0, "{kind}");
        if kind == "newton" {
            assert_eq!(hv % 2, 0, "newton assembles from pairs of products");
        }

        let st = run_registry(q.clone(), kind, &[], None, q.standard_start(), 1e-8, 500);
        assert_eq!(
            st.get_termination_reason(),
            Some(&TerminationReason::SolverConverged),
            "{kind} on the quadratic"
        );
        let err = st
            .get_param()
            .unwrap()
            .iter()
            .zip(q.minimizer())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err <= 1.0001e-8, "{kind}: ‖x − x*‖ = {err:e}");
    }
}

#[test]
fn observers_receive_trust_region_values() {
    // trust-ncg reports its radius Δ and ratio ρ; the observer sees them every iteration, and
    // the radius obeys the trust-region update bounds (Δ ≤ max_radius = 1000).
    let seen = Collect::default();
    let res = Executor::new(
        RosenHv,
        ArgminSolver::new(registry_method("trust-ncg", &[], None)),
    )
    .add_observer(seen.clone(), ObserverMode::Always)
    .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200))
    .run()
    .unwrap();
    let kvs = seen.0.lock().unwrap();
    assert_eq!(kvs.len() as u64, res.state().get_iter());
    for kv in kvs.iter() {
        let r = kv.get("radius").and_then(|v| v.get_float()).unwrap();
        assert!(r > 0.0 && r <= 1000.0);
        assert!(kv.get("rho").is_some() && kv.get("cg_iters").is_some());
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn method_needing_curvature_on_gradient_only_problem_is_refused() {
    for m in [
        Box::new(LocalNewtonCg) as Box<dyn Method>,
        Box::new(DenseNewton) as Box<dyn Method>,
    ] {
        let err = Executor::new(GradientOnly(RosenH), ArgminSolver::new(m))
            .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(10))
            .run()
            .err()
            .expect("must be refused");
        let msg = err.to_string();
        assert!(msg.contains("needs") && msg.contains("HessianVec"), "{msg}");
        assert!(msg.contains("Hessian-vector products") || msg.contains("the Hessian"));
    }
}

#[test]
fn wrong_length_parameter_is_an_error() {
    let p = ArgminProblem::new(Rosenbrock::new(2).unwrap());
    let err = Executor::new(p, ArgminSolver::new(DenseNewton))
        .configure(|s| s.param(vec![-1.2, 1.0, 0.5]).max_iters(10))
        .run()
        .err()
        .expect("wrong length");
    assert!(err.to_string().contains("length 3, expected 2"), "{err}");

    // A user problem whose gradient has the wrong length.
    struct Short;
    impl CostFunction for Short {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
            Ok(x.iter().map(|v| v * v).sum())
        }
    }
    impl Gradient for Short {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;
        fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
            Ok(vec![2.0 * x[0]])
        }
    }
    let err = Executor::new(
        GradientOnly(Short),
        ArgminSolver::new(HeavyBall {
            lr: 0.1,
            beta: 0.0,
            v: vec![],
        }),
    )
    .configure(|s| s.param(vec![1.0, 2.0]).max_iters(10))
    .run()
    .err()
    .expect("short gradient");
    assert!(
        err.to_string()
            .contains("gradient returned by the argmin problem"),
        "{err}"
    );

    // No initial parameter, an empty one, a NaN one.
    let err = Executor::new(RosenHv, ArgminSolver::new(DenseNewton))
        .configure(|s: IterState<Vec<f64>, Vec<f64>, (), (), (), f64>| s.max_iters(10))
        .run()
        .err()
        .expect("no param");
    assert!(err.to_string().contains("initial parameter"), "{err}");
    for bad in [vec![], vec![f64::NAN, 1.0]] {
        assert!(
            Executor::new(RosenHv, ArgminSolver::new(DenseNewton))
                .configure(|s| s.param(bad).max_iters(10))
                .run()
                .is_err()
        );
    }
}

#[test]
fn user_errors_are_passed_through_verbatim() {
    struct Fails;
    impl CostFunction for Fails {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
            if x[0] > 0.5 {
                Err(Error::msg("outside the model's domain"))
            } else {
                Ok((x[0] - 1.0).powi(2))
            }
        }
    }
    impl Gradient for Fails {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;
        fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
            Ok(vec![2.0 * (x[0] - 1.0)])
        }
    }
    let err = Executor::new(
        GradientOnly(Fails),
        ArgminSolver::new(HeavyBall {
            lr: 0.4,
            beta: 0.0,
            v: vec![],
        }),
    )
    .configure(|s| s.param(vec![0.0]).max_iters(10))
    .run()
    .err()
    .expect("domain error");
    assert_eq!(err.to_string(), "outside the model's domain");
}

#[test]
fn numerical_failure_ends_the_run_at_the_last_iterate() {
    // Newton-CG from the exact minimizer of a problem with a tolerance of 0: the line search
    // can find no decrease, the run ends with SolverExit at x*, not with an error or a panic.
    let s = ArgminSolver::new(LocalNewtonCg).with_grad_tol(0.0).unwrap();
    let res = Executor::new(RosenHv, s)
        .configure(|st| st.param(vec![1.0 + 1e-9, 1.0]).max_iters(50))
        .run()
        .unwrap();
    let x = res.state().get_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-8 && (x[1] - 1.0).abs() < 1e-8);
    match res.state().get_termination_reason() {
        Some(TerminationReason::SolverExit(msg)) => assert!(msg.contains("local-newton-cg")),
        Some(TerminationReason::SolverConverged) => {} // reached g = 0 exactly
        other => panic!("unexpected termination {other:?}"),
    }
}

// ---------------------------------------------------------------- argmin's solvers on curvlab problems

#[test]
fn argmin_solvers_run_on_curvlab_problems() {
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use argmin::solver::newton::{Newton, NewtonCG};
    use argmin::solver::quasinewton::LBFGS;
    use argmin::solver::trustregion::{Steihaug, TrustRegion};
    let f = || ArgminProblem::nalgebra(Rosenbrock::new(2).unwrap());
    let x0 = DVector::from_vec(vec![-1.2, 1.0]);
    let close = |x: &DVector<f64>| (x[0] - 1.0).abs() < 1e-5 && (x[1] - 1.0).abs() < 1e-5;
    // Pure Newton (no globalization) from (-1.2, 1) converges on Rosenbrock.
    let r = Executor::new(f(), Newton::<f64>::new())
        .configure(|s| s.param(x0.clone()).max_iters(100))
        .run()
        .unwrap();
    assert!(close(r.state().get_best_param().unwrap()));
    // argmin's Newton-CG makes slow progress on Rosenbrock (its inner CG stops early); it
    // runs, and decreases f from 24.2 to below 1e-3 in 1000 iterations.
    let r = Executor::new(f(), NewtonCG::new(MoreThuenteLineSearch::new()))
        .configure(|s| s.param(x0.clone()).max_iters(1000))
        .run()
        .unwrap();
    assert!(
        r.state().get_best_cost() < 1e-3,
        "{}",
        r.state().get_best_cost()
    );
    let r = Executor::new(f(), TrustRegion::new(Steihaug::new()))
        .configure(|s| s.param(x0.clone()).max_iters(100))
        .run()
        .unwrap();
    assert!(close(r.state().get_best_param().unwrap()));
    let r = Executor::new(f(), LBFGS::new(MoreThuenteLineSearch::new(), 7))
        .configure(|s| s.param(x0.clone()).max_iters(200))
        .run()
        .unwrap();
    assert!(close(r.state().get_best_param().unwrap()));
    // Vec<f64> backend: L-BFGS with the Vec wrapper.
    let r = Executor::new(
        ArgminProblem::new(Rosenbrock::new(2).unwrap()),
        LBFGS::new(MoreThuenteLineSearch::new(), 7),
    )
    .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200))
    .run()
    .unwrap();
    let x = r.state().get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-5 && (x[1] - 1.0).abs() < 1e-5);
    // A wrong-length start is an error from argmin, not a panic.
    assert!(
        Executor::new(f(), NewtonCG::new(MoreThuenteLineSearch::new()))
            .configure(|s| s.param(DVector::from_vec(vec![1.0])).max_iters(10))
            .run()
            .is_err()
    );
}

// ---------------------------------------------------------------- checkpointing

#[cfg(feature = "serde1")]
mod checkpointing {
    use super::*;
    use argmin_checkpointing_file::{CheckpointingFrequency, FileCheckpoint};

    /// Fails at iteration `at`, simulating a crash.
    struct CrashAt(u64);
    impl<I: State> Observe<I> for CrashAt {
        fn observe_iter(&mut self, state: &I, _kv: &KV) -> Result<(), Error> {
            if state.get_iter() == self.0 {
                Err(Error::msg("simulated crash"))
            } else {
                Ok(())
            }
        }
    }

    /// An uninterrupted run of `n_iter` iterations and a run that crashes at iteration `crash`
    /// and is resumed from its checkpoint end at the same point, bit for bit.
    fn resume_matches<M>(method: impl Fn() -> M, x0: Vec<f64>, n_iter: u64, crash: u64)
    where
        M: Method + serde::Serialize + serde::de::DeserializeOwned + 'static,
    {
        let solver = || ArgminSolver::new(method()).with_grad_tol(0.0).unwrap();
        let full = Executor::new(RosenHv, solver())
            .configure(|s| s.param(x0.clone()).max_iters(n_iter))
            .run()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dir_s = dir.path().to_str().unwrap().to_string();
        let ck = || FileCheckpoint::new(dir_s.as_str(), "run", CheckpointingFrequency::Always);
        let crashed = Executor::new(RosenHv, solver())
            .configure(|s| s.param(x0.clone()).max_iters(n_iter))
            .checkpointing(ck())
            .add_observer(CrashAt(crash), ObserverMode::Always)
            .run();
        assert_eq!(crashed.err().unwrap().to_string(), "simulated crash");
        // Resume: the configured start is replaced by the checkpoint (iteration `crash`).
        let resumed = Executor::new(RosenHv, solver())
            .configure(|s| s.param(vec![9.0, 9.0]).max_iters(n_iter))
            .checkpointing(ck())
            .run()
            .unwrap();
        assert_eq!(resumed.state().get_iter(), full.state().get_iter());
        assert_eq!(resumed.state().get_param(), full.state().get_param());
        assert_eq!(resumed.state().get_cost(), full.state().get_cost());
        // The run moved after the crash point (the comparison is not trivially at a fixed point).
        assert_ne!(resumed.state().get_param(), Some(&x0));
    }

    #[test]
    fn checkpointed_run_resumes_to_the_same_point() {
        let x0 = vec![-1.2, 1.0];
        // Heavy ball keeps its velocity in the method: the checkpoint must carry it.
        let hb = || HeavyBall {
            lr: 1e-3,
            beta: 0.9,
            v: vec![],
        };
        resume_matches(hb, x0.clone(), 60, 25);
        resume_matches(|| DenseNewton, x0.clone(), 15, 7);
        // L-BFGS keeps its (s, y) history in the method.
        resume_matches(curvlab::methods::lbfgs::Lbfgs::new, x0.clone(), 30, 12);
        // curvlab's second-order methods (damping / radius state, HF's random generator).
        resume_matches(curvlab::methods::Newton::default, x0.clone(), 12, 5);
        resume_matches(curvlab::methods::NewtonCg::default, x0.clone(), 20, 9);
        resume_matches(curvlab::methods::TrustNcg::default, x0.clone(), 20, 9);
        resume_matches(curvlab::methods::HessianFree::default, x0, 20, 9);
    }
}
