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
use curvlab::{Stop, minimize};

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
    assert!(r.converged(), "{kind}: {:?}", r.termination);
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
        (
            "heavy_ball",
            "momentum",
            &["lr=optimal", "momentum=optimal"],
        ),
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
            let predicted = mp.iterations.get().unwrap();
            let ratio = predicted as f64 / measured as f64;
            eprintln!(
                "κ = {kappa:>6}: {family:<10} predicted {predicted:>5} ({}) measured {measured:>5} \
                 ratio {ratio:.3}; κ-only bound {}",
                mp.basis, mp.bound
            );
            assert_eq!(mp.basis, "spectrum");
            // The goal is 2×; measured ratios 0.963 (CG, κ = 10⁴) … 1.073 (GD, κ = 100), so
            // the band asserted is ±10%.
            assert!(
                (0.9..=1.1).contains(&ratio),
                "κ = {kappa}: {family} predicted {predicted}, measured {measured}"
            );
            // The κ-only worst-case bounds hold for GD, Nesterov and CG (measured 69 078 ≥
            // 60 912, 3 735 ≥ 742, 956 ≥ 187 at κ = 10⁴); heavy ball's is the asymptotic rate
            // only (691 < 989 measured: the double root's factor k), so it is not checked.
            if family != "heavy_ball" {
                assert!(
                    mp.bound.get().unwrap() >= measured,
                    "{family}: {}",
                    mp.bound
                );
            }
        }
    }
}

#[test]
fn absolute_rule_is_the_relative_rule_at_tol_over_initial_gradient() {
    // grad_tol = 1e-4 from ‖∇f(x₀)‖: the same prediction as the relative rule with
    // ε = 1e-4/‖∇f(x₀)‖, and the run with that absolute tolerance takes what it predicts.
    let inst = quadratic(100.0);
    let g0 = norm(&grad0(&inst));
    let abs = predict(
        &inst,
        StoppingRule::AbsoluteGradient {
            tol: 1e-4,
            initial: g0,
        },
        true,
    );
    let rel = predict(
        &inst,
        StoppingRule::RelativeGradient { eps: 1e-4 / g0 },
        true,
    );
    for m in ["gd", "heavy_ball", "nesterov", "cg"] {
        assert_eq!(
            abs.method(m).unwrap().iterations,
            rel.method(m).unwrap().iterations
        );
    }
    let ctx = MethodContext {
        eigenvalues: inst.eigenvalues.clone(),
        seed: 0,
        num_examples: None,
    };
    let mut m = build_method(
        "nesterov",
        &Params::from_pairs(&["lr=optimal", "momentum=optimal"]).unwrap(),
        &ctx,
    )
    .unwrap();
    let r = minimize(
        inst.objective.as_ref(),
        &mut m,
        &inst.x0,
        &Stop::new(1e-4, 10_000),
    )
    .unwrap();
    let k = abs.method("nesterov").unwrap().iterations.get().unwrap() as f64;
    // Measured 114 against 111 predicted (‖∇f(x₀)‖ = 300.6, ε = 3.3e-7).
    let ratio = k / r.iterations as f64;
    assert!((0.9..=1.1).contains(&ratio), "{k} vs {}", r.iterations);
}

#[test]
fn error_reduction_rule_matches_the_closed_form_on_the_ravine() {
    // The ravine ½(10u² + v²), axis-aligned: GD at 2/(μ+L) = 2/11 multiplies both error
    // components by ±9/11, so ‖e_k‖ = (9/11)^k ‖e₀‖ exactly, and the spectral estimate, the
    // κ bound and the closed form agree.
    let s = Spectrum::from_eigenvalues(vec![1.0, 10.0]).unwrap();
    let p = explain(&s, 1e-8).unwrap();
    let k_closed = (1e-8f64.ln() / (9.0f64 / 11.0).ln()).ceil() as usize;
    let gd = p.method("gd").unwrap();
    assert_eq!(gd.iterations, Some(k_closed));
    assert_eq!(gd.bound, Some(k_closed));
    // CG on two distinct eigenvalues: two steps; Newton one.
    assert_eq!(p.method("cg").unwrap().iterations, Some(2));
    assert_eq!(p.winner_by_iterations, "newton");
}

#[test]
fn rates_that_round_to_one_give_no_count_not_a_saturated_one() {
    // κ = 1e17: (κ−1)/(κ+1) rounds to 1 in double precision, so gradient descent's count is
    // None (never usize::MAX), its flops too, and it cannot win; heavy ball still has one.
    let s = Spectrum::from_eigenvalues(vec![1.0, 1e17]).unwrap();
    let setting = Setting {
        rule: StoppingRule::RelativeGradient { eps: 1e-6 },
        cost: CostModel::dense(2),
        complete: false,
    };
    let p = explain_for(&s, &setting).unwrap();
    let gd = p.method("gd").unwrap();
    assert_eq!(
        (gd.iterations.get(), gd.bound.get(), gd.total_flops),
        (None, None, None)
    );
    assert_eq!(gd.basis, "κ");
    // Heavy ball: ln(1e6)/ln(1/q), q = (√κ−1)/(√κ+1): about √κ/2·ln(1e6) = 2.18e9.
    let hb = p.method("heavy_ball").unwrap().iterations.get().unwrap() as f64;
    let sk = 1e17f64.sqrt();
    let expect = 1e6f64.ln() / -((sk - 1.0) / (sk + 1.0)).ln();
    assert!((hb / expect - 1.0).abs() < 1e-6, "{hb} vs {expect}");
    assert_ne!(p.winner_by_time, "gd");
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains(&usize::MAX.to_string()));
}

#[test]
fn bad_rules_are_errors() {
    let s = Spectrum::from_eigenvalues(vec![1.0, 10.0]).unwrap();
    let bad = |rule| {
        explain_for(
            &s,
            &Setting {
                rule,
                cost: CostModel::dense(2),
                complete: true,
            },
        )
        .is_err()
    };
    assert!(bad(StoppingRule::RelativeGradient { eps: 1.0 }));
    assert!(bad(StoppingRule::RelativeGradient { eps: f64::NAN }));
    assert!(bad(StoppingRule::ErrorReduction { eps: 0.0 }));
    assert!(bad(StoppingRule::AbsoluteGradient {
        tol: 1e-6,
        initial: 0.0
    }));
    // The start already meets an absolute tolerance: ε = 2 ≥ 1.
    assert!(bad(StoppingRule::AbsoluteGradient {
        tol: 2.0,
        initial: 1.0
    }));
    assert!(!bad(StoppingRule::AbsoluteGradient {
        tol: 1e-6,
        initial: 1.0
    }));
}

#[test]
fn summary_compares_predictions_for_the_studys_own_rule() {
    // A study with an absolute tolerance (grad_tol = 1e-6, ‖∇f(x₀)‖ ≈ 300, so ε ≈ 3e-9 — not the
    // 1e-6 an error-reduction reading would take): summary.md states the rule it predicts for,
    // and every theory row's measured / predicted lies within ±10% (measured 0.95–1.02).
    let src = "name = \"like\"\n[stop]\ngrad_tol = 1e-6\nmax_iters = 100000\n\
               [[problems]]\nkind = \"quadratic\"\ndim = 100\ncondition = [100, 1000]\n\
               [[methods]]\nkind = \"gd\"\nlr = \"optimal\"\n\
               [[methods]]\nkind = \"momentum\"\nlr = \"optimal\"\nmomentum = \"optimal\"\n\
               [[methods]]\nkind = \"nesterov\"\nlr = \"optimal\"\nmomentum = \"optimal\"\n";
    let spec = curvlab::study::StudySpec::parse(std::path::Path::new("like.toml"), src).unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut opts = curvlab::study::RunOptions::new(d.path().join("o"));
    opts.progress = curvlab::study::Progress::Quiet;
    curvlab::study::run_study(&spec, &opts).unwrap();
    let summary = std::fs::read_to_string(d.path().join("o/summary.md")).unwrap();
    assert!(
        summary.contains("‖∇f‖ ≤ 1e-6 from ‖∇f(x₀)‖ = "),
        "{summary}"
    );
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.contains("(rate ") && l.contains("(spectrum)"))
        .collect();
    assert_eq!(rows.len(), 6, "{summary}");
    for l in rows {
        let last = l.trim_end_matches('|').rsplit('|').next().unwrap().trim();
        let ratio: f64 = last.parse().unwrap();
        assert!((0.9..=1.1).contains(&ratio), "{l}");
    }
}
