//! `curvlab spectrum` end to end: the binary's JSON output (keys of the contract in docs/DESIGN.md)
//! against the problem's known spectrum, and exit statuses on bad input.

use curvlab::params::Params;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_curvlab"))
        .args(args)
        .output()
        .expect("the curvlab binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn known_eigenvalues(dim: usize, seed: u64) -> Vec<f64> {
    let p = Params::from_pairs(&[format!("dim={dim}")]).unwrap();
    curvlab::problems::build_problem("quadratic", &p, seed)
        .unwrap()
        .eigenvalues
        .unwrap()
}

#[test]
fn spectrum_json_has_contract_keys_and_exact_condition_number() {
    // quadratic: default condition 100, log-uniform spectrum, seed 0.
    let (code, stdout, stderr) = run(&[
        "spectrum",
        "--problem",
        "quadratic",
        "--dim",
        "50",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "algo",
            "condition_number",
            "converged",
            "evaluations",
            "largest",
            "matvecs",
            "max_residual",
            "n",
            "negative_count",
            "seconds",
            "smallest",
            "termination",
            "trace",
            "trace_std_error"
        ]
    );
    // Dense: exact, no residual, no trace error; the Hessian formed directly (one call).
    assert_eq!(v["converged"], true);
    assert_eq!(v["termination"], "exact");
    assert_eq!(v["max_residual"], 0.0);
    assert_eq!(v["trace_std_error"], 0.0);
    assert_eq!(v["evaluations"]["hessian"], 1);
    assert_eq!(v["n"], 50);
    assert_eq!(v["algo"], "dense");
    let kappa = v["condition_number"].as_f64().unwrap();
    assert!((kappa - 100.0).abs() <= 1e-8 * 100.0, "{kappa}");
    let ev = known_eigenvalues(50, 0);
    let largest: Vec<f64> = serde_json::from_value(v["largest"].clone()).unwrap();
    let smallest: Vec<f64> = serde_json::from_value(v["smallest"].clone()).unwrap();
    assert_eq!(largest.len(), 5);
    for (i, l) in largest.iter().enumerate() {
        assert!((l - ev[49 - i]).abs() < 1e-10 * 100.0);
    }
    for (i, s) in smallest.iter().enumerate() {
        assert!((s - ev[i]).abs() < 1e-10 * 100.0);
    }
    assert_eq!(v["negative_count"], 0);
    let tr: f64 = ev.iter().sum();
    assert!((v["trace"].as_f64().unwrap() - tr).abs() < 1e-9 * tr);
}

#[test]
fn spectrum_by_lanczos_at_the_minimizer_agrees() {
    let (code, stdout, stderr) = run(&[
        "spectrum",
        "--problem",
        "quadratic",
        "--dim",
        "80",
        "--algo",
        "lanczos",
        "--at",
        "opt",
        "--k",
        "3",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["algo"], "lanczos");
    assert_eq!(v["converged"], true);
    assert_eq!(v["termination"], "converged");
    assert!(v["matvecs"].as_u64().unwrap() > 0);
    assert_eq!(v["matvecs"], v["evaluations"]["hvp"]);
    // Converged at tol = 1e-10: every true residual ≤ max(1e-10·|θ|, 100 ε ‖A‖) ≤ 1e-8.
    assert!(v["max_residual"].as_f64().unwrap() <= 1e-8);
    // The Hutch++ trace carries its standard error; the exact trace is within 4 of them.
    let se = v["trace_std_error"].as_f64().unwrap();
    let tr: f64 = known_eigenvalues(80, 0).iter().sum();
    assert!(se > 0.0 && (v["trace"].as_f64().unwrap() - tr).abs() <= 4.0 * se);
    let kappa = v["condition_number"].as_f64().unwrap();
    assert!((kappa - 100.0).abs() <= 1e-8 * 100.0, "{kappa}");
    assert_eq!(v["negative_count"], 0);
    let ev = known_eigenvalues(80, 0);
    let largest: Vec<f64> = serde_json::from_value(v["largest"].clone()).unwrap();
    assert!((largest[2] - ev[77]).abs() < 1e-8 * 100.0);
}

#[test]
fn human_readable_output_names_the_choice() {
    let (code, stdout, _) = run(&["spectrum", "--problem", "ravine"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("dense") && stdout.contains("condition number: 1.000000e2"),
        "{stdout}"
    );
}

#[test]
fn bad_input_exits_with_status_two_and_one_line() {
    for args in [
        vec!["spectrum", "--problem", "nope"],
        vec!["spectrum"],
        vec!["spectrum", "--problem", "quadratic", "--matrix", "a.mtx"],
        vec!["spectrum", "--problem", "quadratic", "--k", "0"],
        vec!["spectrum", "--problem", "quadratic", "--algo", "arpack"],
        vec!["spectrum", "--problem", "quadratic", "--at", "middle"],
        vec![
            "spectrum",
            "--problem",
            "quadratic",
            "--problem-opt",
            "colour=red",
        ],
        vec!["spectrum", "--matrix", "/nonexistent/a.mtx"],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn lanczos_out_of_budget_says_so() {
    // κ = 10⁴ SPD, n = 300, default tol 1e-10. The block solver, whose basis grows to n,
    // converges with the default budget (measured 518 products); a budget of 200 stops it
    // first. Measured: 200 + 30 (Hutch++) products, largest residual 11.7.
    let args = [
        "spectrum",
        "--problem",
        "quadratic",
        "--dim",
        "300",
        "--problem-opt",
        "condition=1e4",
        "--algo",
        "lanczos",
        "--max-matvecs",
        "200",
    ];
    let mut json = args.to_vec();
    json.push("--json");
    let (code, stdout, stderr) = run(&json);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["converged"], false);
    assert_eq!(v["termination"], "budget_exhausted");
    let matvecs = v["matvecs"].as_u64().unwrap();
    assert!(matvecs <= 200 + 30 + 1, "{matvecs}"); // budget + Hutch++ + scale probe
    // The residual shows it: far above tol·|θ| = 1e-10 for θ ≈ 1.
    assert!(v["max_residual"].as_f64().unwrap() > 1e-3);
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 0);
    assert!(
        stdout.lines().next().unwrap().contains("NOT CONVERGED"),
        "{stdout}"
    );
}
