//! `curvature::explain` against measurement: on quadratics with a log-uniform spectrum in
//! `[1, κ]` (n = 100, seeded Haar rotation, x₀ = 0), every prediction for the study's stopping
//! rule `‖∇f‖ ≤ 1e-6·‖∇f(x₀)‖` lies within 2× of what curvlab's own methods take (issue 11,
//! defect 7): gradient descent at 2/(μ+L), heavy ball and Nesterov at their optimal parameters
//! (built by name through the registry, as a study builds them), and one CG solve of the Newton
//! system (`linalg::cg`, whose residual is the gradient at the iterate).

use curvlab::curvature::{
    CostModel, Prediction, Setting, Spectrum, StoppingRule, explain, explain_for,
};
use curvlab::linalg::HessianOperator;
use curvlab::linalg::cg::{CgOptions, CgStatus, cg};
use curvlab::methods::{MethodContext, build_method};
use curvlab::params::Params;
use curvlab::problems::{ProblemInstance, build_problem};
use curvlab::{Stop, Termination, minimize};

const EPS: f64 = 1e-6;

fn quadratic(kappa: f64) -> ProblemInstance {
    let p = Params::from_pairs(&[
        "dim=100",
        &format!("condition={kappa}"),
        "spectrum=log-uniform",
    ])
    .unwrap();
    build_problem("quadratic", &p, 0).unwrap()
}

fn grad0(inst: &ProblemInstance) -> Vec<f64> {
    let mut g = vec![0.0; inst.x0.len()];
    inst.objective.gradient(&inst.x0, &mut g).unwrap();
    g
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Iterations of registry method `kind` with `params` to `‖∇f‖ ≤ EPS·‖∇f(x₀)‖`.
fn measure(inst: &ProblemInstance, kind: &str, params: &[&str]) -> usize {
    let ctx = MethodContext {
        eigenvalues: inst.eigenvalues.clone(),
        seed: 0,
        num_examples: None,
    };
    let mut m = build_method(kind, &Params::from_pairs(params).unwrap(), &ctx).unwrap();
    let stop = Stop::new(EPS * norm(&grad0(inst)), 100_000);
    let r = minimize(inst.objective.as_ref(), &mut m, &inst.x0, &stop).unwrap();
    assert_eq!(r.termination, Termination::Converged, "{kind}");
    r.iterations
}

/// CG steps on `∇²f · d = −∇f(x₀)` to a relative residual `EPS` (the residual at `d` is
/// `−∇f(x₀ + d)`, so this is the same rule).
fn measure_cg(inst: &ProblemInstance) -> usize {
    let b: Vec<f64> = grad0(inst).iter().map(|x| -x).collect();
    let h = HessianOperator::new(inst.objective.as_ref(), inst.x0.clone()).unwrap();
    let opts = CgOptions::default()
        .with_rtol(EPS)
        .unwrap()
        .with_max_iters(10_000)
        .unwrap();
    let r = cg(&h, &b, None, &opts).unwrap();
    assert_eq!(r.status, CgStatus::Converged);
    r.iterations
}

fn predict(inst: &ProblemInstance, rule: StoppingRule, complete: bool) -> Prediction {
    let s = Spectrum::from_eigenvalues(inst.eigenvalues.clone().unwrap()).unwrap();
    let setting = Setting {
        rule,
        cost: CostModel::dense(s.n()),
        complete,
    };
    explain_for(&s, &setting).unwrap()
}

#[test]
fn predictions_within_two_of_curvlab_runs_on_four_quadratics() {
    let methods: [(&str, &str, &[&str]); 4] = [
        ("gd", "gd", &["lr=optimal"]),
        ("heavy_ball", "momentum", &["lr=optimal", "momentum=optimal"]),
        ("nesterov", "nesterov", &["lr=optimal", "momentum=optimal"]),
        ("cg", "", &[]),
    ];
    for kappa in [10.0, 1e2, 1e3, 1e4] {
        let inst = quadratic(kappa);
        let p = predict(&inst, StoppingRule::RelativeGradient { eps: EPS }, true);
        for (family, kind, params) in methods {
            let measured = if kind.is_empty() {
                measure_cg(&inst)
            } else {
                measure(&inst, kind, params)
            };
            let mp = p.method(family).unwrap();
            let predicted = mp.iterations.unwrap();
            let ratio = predicted as f64 / measured as f64;
            eprintln!(
                "κ = {kappa:>6}: {family:<10} predicted {predicted:>5} ({}) measured {measured:>5} \
                 ratio {ratio:.3}; κ-only bound {:?}",
                mp.basis, mp.bound
            );
            assert_eq!(mp.basis, "spectrum");
            assert!(
                (0.5..=2.0).contains(&ratio),
                "κ = {kappa}: {family} predicted {predicted}, measured {measured}"
            );
        }
    }
}
