//! `curvlab spectrum --diag P` (issue 14, item 5): Hutchinson's diagonal estimate against the
//! exact diagonal, end to end through the binary's JSON output.

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

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

#[test]
fn hutchinson_diagonal_agrees_with_the_exact_diagonal_of_a_rotated_quadratic() {
    // A 30-D quadratic Q diag(λ) Qᵀ (seeded rotation, κ = 100): the exact diagonal must sum to
    // Σλ (the trace, from the problem's known eigenvalues: an independent reference), and the
    // estimate with 400 probes must lie within a few standard errors of it.
    let (code, stdout, stderr) = run(&[
        "spectrum",
        "--problem",
        "quadratic",
        "--dim",
        "30",
        "--diag",
        "400",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    let d = &v["diagonal"];
    let (est, se, exact) = (
        numbers(&d["estimate"]),
        numbers(&d["std_error"]),
        numbers(&d["exact"]),
    );
    assert_eq!((est.len(), se.len(), exact.len()), (30, 30, 30));
    let p = Params::from_pairs(&["dim=30"]).unwrap();
    let lambdas = curvlab::problems::build_problem("quadratic", &p, 0)
        .unwrap()
        .eigenvalues
        .unwrap();
    let trace: f64 = lambdas.iter().sum();
    let sum: f64 = exact.iter().sum();
    assert!((sum - trace).abs() <= 1e-10 * trace, "{sum} vs {trace}");
    // Measured: largest error 2.58 standard errors (bound 5); relative error 0.113 (bound 0.3).
    let worst = d["max_std_errors"].as_f64().unwrap();
    assert!(worst < 5.0, "{worst}");
    let rel = d["max_rel_error"].as_f64().unwrap();
    assert!(rel < 0.3, "{rel}");
    // the figure is recomputed from the arrays
    let scale = exact.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let again = est
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f64, f64::max)
        / scale;
    assert!((again - rel).abs() <= 1e-12 * rel.max(1e-300));
    assert_eq!(d["probes"].as_u64(), Some(400));
}

#[test]
fn text_output_and_bad_probe_counts() {
    let (code, stdout, _) = run(&["spectrum", "--problem", "ravine", "--diag", "8"]);
    assert_eq!(code, 0);
    // diag(100, 1): Rademacher probes recover a diagonal matrix exactly.
    assert!(
        stdout.contains("diagonal (Hutchinson, 8 probes): max |d̂ − d| / max |d| = 0.000e0"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&["spectrum", "--problem", "ravine", "--diag", "1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs at least 2 probes"), "{stderr}");
}
