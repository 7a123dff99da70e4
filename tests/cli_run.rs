//! `curvlab run` (contract in docs/DESIGN.md): exit status 0 for a valid run, 2 for bad input, and the
//! JSON object with exactly the documented keys, checked both through the library
//! (`cli::run::execute` + `to_json`) and through the built binary.

use clap::Parser;
use curvlab::cli::{Cli, Command, main_with};

fn args(v: &[&str]) -> curvlab::cli::run::RunArgs {
    let mut full = vec!["curvlab", "run"];
    full.extend_from_slice(v);
    match Cli::try_parse_from(full).unwrap().command {
        Command::Run(a) => a,
        _ => unreachable!(),
    }
}

#[test]
fn valid_runs_exit_0_and_bad_input_exits_2() {
    let ok = |v: &[&str]| {
        let mut full = vec!["curvlab", "run"];
        full.extend_from_slice(v);
        main_with(full)
    };
    assert_eq!(
        ok(&[
            "--problem",
            "ravine",
            "--method",
            "adam",
            "--method-opt",
            "lr=0.1"
        ]),
        0
    );
    assert_eq!(
        ok(&[
            "--problem",
            "quadratic",
            "--dim",
            "10",
            "--method",
            "lbfgs",
            "--json"
        ]),
        0
    );
    assert_eq!(ok(&["--problem", "ravine", "--method", "no-such"]), 2);
    assert_eq!(
        ok(&[
            "--problem",
            "ravine",
            "--method",
            "adam",
            "--method-opt",
            "betaa=0.9"
        ]),
        2
    );
    assert_eq!(
        ok(&[
            "--problem",
            "ravine",
            "--method",
            "adam",
            "--method-opt",
            "lr=-1"
        ]),
        2
    );
    assert_eq!(
        ok(&[
            "--problem",
            "ravine",
            "--method",
            "adam",
            "--method-opt",
            "beta1=x"
        ]),
        2
    );
    assert_eq!(
        ok(&[
            "--problem",
            "ravine",
            "--method",
            "lbfgs",
            "--method-opt",
            "history=0"
        ]),
        2
    );
    assert_eq!(
        ok(&[
            "--problem",
            "rosenbrock",
            "--method",
            "gd",
            "--method-opt",
            "lr=optimal"
        ]),
        2
    );
    assert_eq!(
        ok(&[
            "--problem",
            "quadratic",
            "--dim",
            "5",
            "--problem-opt",
            "dim=6",
            "--method",
            "lbfgs"
        ]),
        2
    );
    assert_eq!(
        ok(&["--problem", "ravine", "--method", "adam", "--grad-tol=-1"]),
        2
    );
}

const KEYS: [&str; 12] = [
    "problem",
    "method",
    "n",
    "converged",
    "iterations",
    "f",
    "grad_norm",
    "evaluations",
    "cost",
    "seconds",
    "termination",
    "curvature_check",
];

fn check_keys(v: &serde_json::Value) {
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    let mut want = KEYS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want);
    let ev = obj["evaluations"].as_object().unwrap();
    let mut ek: Vec<&str> = ev.keys().map(|k| k.as_str()).collect();
    ek.sort_unstable();
    assert_eq!(ek, vec!["ggn", "gradient", "hessian", "hvp", "value"]);
    let ck = obj["cost"].as_object().unwrap();
    let mut ck: Vec<&str> = ck.keys().map(|k| k.as_str()).collect();
    ck.sort_unstable();
    assert_eq!(
        ck,
        vec![
            "ggn_examples",
            "gradient_equivalents",
            "gradient_examples",
            "hvp_examples",
            "num_examples",
            "value_examples"
        ]
    );
}

#[test]
fn json_has_the_documented_keys_and_values() {
    // Quadratic n = 20 (κ = 100, seed 3), gd with lr = optimal: converges; the report's values
    // appear unchanged in the JSON.
    let a = args(&[
        "--problem",
        "quadratic",
        "--dim",
        "20",
        "--seed",
        "3",
        "--method",
        "gd",
        "--method-opt",
        "lr=optimal",
        "--max-iters",
        "5000",
        "--grad-tol",
        "1e-8",
        "--json",
    ]);
    let (problem, report) = curvlab::cli::run::execute(&a).unwrap();
    let text = curvlab::cli::run::render(&problem, &report, true);
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    check_keys(&v);
    assert_eq!(v["problem"], "quadratic");
    assert_eq!(v["method"], "gd");
    assert_eq!(v["n"], 20);
    assert_eq!(v["converged"], true);
    assert_eq!(v["termination"], "grad_tol");
    assert!(v["grad_norm"].as_f64().unwrap() <= 1e-8);
    assert_eq!(v["iterations"], report.iterations);
    assert_eq!(v["evaluations"]["gradient"], report.counts.gradient);
    // gd evaluates one gradient per iteration plus the start.
    assert_eq!(report.counts.gradient as usize, report.iterations + 1);
    assert!(text.ends_with('\n') && text.trim().lines().count() == 1);
}

#[test]
fn binary_prints_one_json_object_and_one_line_errors() {
    let exe = env!("CARGO_BIN_EXE_curvlab");
    let out = std::process::Command::new(exe)
        .args([
            "run",
            "--problem",
            "rosenbrock",
            "--method",
            "lbfgs",
            "--grad-tol",
            "1e-8",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check_keys(&v);
    assert_eq!(v["converged"], true);
    assert!((v["f"].as_f64().unwrap()).abs() < 1e-12);

    let out = std::process::Command::new(exe)
        .args([
            "run",
            "--problem",
            "ravine",
            "--method",
            "adam",
            "--method-opt",
            "nope=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1);
    assert!(err.contains("nope"));
    assert!(out.stdout.is_empty());
}

#[test]
fn hessian_free_json_reports_its_gauss_newton_products_and_example_work() {
    // Logistic regression (synthetic, N = 1000, d = 20, seed 0): HF uses GGN products (on main
    // the JSON said `hvp: 0` and had no `ggn`). The only HVPs are the driver's λ_min check.
    let a = args(&[
        "--problem",
        "logistic",
        "--method",
        "hessian-free",
        "--json",
    ]);
    let (problem, report) = curvlab::cli::run::execute(&a).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(curvlab::cli::run::render(&problem, &report, true).trim()).unwrap();
    check_keys(&v);
    let c = &report.counts;
    assert!(c.ggn > 0);
    assert_eq!(v["evaluations"]["ggn"], c.ggn);
    let check = &v["curvature_check"];
    assert_eq!(v["evaluations"]["hvp"], check["hvp"]);
    assert_eq!(check["algo"], "lanczos");
    // Logistic regression is convex with λ = 1e-3: λ_min ≥ 1e-3 · (something) > 0.
    assert!(check["lambda_min"].as_f64().unwrap() > 0.0);
    // Work: every full GGN product is N = 1000 example products; cost = examples / N.
    assert_eq!(v["cost"]["num_examples"], 1000);
    assert_eq!(c.ggn_examples, 1000 * c.ggn);
    let ge = (c.value_examples + c.gradient_examples) as f64 / 1000.0
        + 2.0 * (c.hvp_examples + c.ggn_examples) as f64 / 1000.0;
    assert_eq!(v["cost"]["gradient_equivalents"].as_f64().unwrap(), ge);
    let text = curvlab::cli::run::render(&problem, &report, false);
    assert!(text.contains(&format!("ggn {}", c.ggn)), "{text}");
    assert!(text.contains("λ_min"), "{text}");
}

#[test]
fn stopping_flags_reach_the_driver() {
    // --f-rel-tol: trust-ncg on Rosenbrock goes to the gradient tolerance (rejected steps do not
    // end it); --max-evals stops gd at its budget.
    let a = args(&[
        "--problem",
        "rosenbrock",
        "--method",
        "trust-ncg",
        "--f-rel-tol",
        "1e-14",
    ]);
    let (_, r) = curvlab::cli::run::execute(&a).unwrap();
    assert_eq!(r.termination, curvlab::Termination::GradientTolerance);
    let a = args(&[
        "--problem",
        "rosenbrock",
        "--method",
        "gd",
        "--method-opt",
        "lr=1e-4",
        "--max-evals",
        "10",
    ]);
    let (_, r) = curvlab::cli::run::execute(&a).unwrap();
    assert_eq!(r.termination, curvlab::Termination::MaxEvaluations);
    assert_eq!(r.counts.gradient_equivalents(), 10.0);
    assert_eq!(
        args(&[
            "--problem",
            "ravine",
            "--method",
            "gd",
            "--max-seconds",
            "0"
        ])
        .max_seconds,
        Some(0.0)
    );
    assert!(
        curvlab::cli::run::execute(&args(&[
            "--problem",
            "ravine",
            "--method",
            "gd",
            "--max-seconds",
            "0"
        ]))
        .is_err()
    );
}
