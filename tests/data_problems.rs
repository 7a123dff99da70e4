//! The data-fitting problems (logistic regression, nonlinear least squares, the MLP) against
//! independent references: central finite differences (relative error ≤ 1e-6), the assembled or
//! closed-form Hessian (≤ 1e-12), Gauss-Newton products against a dense `Jᵀ H_L J` built from
//! finite-difference Jacobians (≤ 1e-6), minibatch quantities against the same problem built on
//! the subset of the data, and the CSV loader's errors (file and line in every message).

use curvlab::diff::check_derivatives;
use curvlab::objective::assemble_hessian;
use curvlab::params::{Params, Value};
use curvlab::problems::build_problem;
use curvlab::problems::data::Dataset;
use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares, Residuals};
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::{Activation, Mlp};
use curvlab::{FiniteSum, GaussNewton, Objective};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_vec(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| scale * (rng.random::<f64>() * 2.0 - 1.0))
        .collect()
}

fn norm(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&d) / norm(a).max(norm(b)).max(1e-300)
}

fn matvec(h: &Mat<f64>, v: &[f64]) -> Vec<f64> {
    (0..h.nrows())
        .map(|i| (0..h.ncols()).map(|j| h[(i, j)] * v[j]).sum())
        .collect()
}

/// Gradient and HVP against central differences, HVP against the assembled Hessian, symmetry:
/// the standard exactness check at three seeded points.
fn assert_exact<O: Objective>(name: &str, f: &O, center: &[f64], scale: f64) {
    for seed in 0..3u64 {
        let d = random_vec(f.dim(), 50 + seed, scale);
        let x: Vec<f64> = center.iter().zip(&d).map(|(c, e)| c + e).collect();
        let c = check_derivatives(f, &x, seed).unwrap();
        assert!(c.gradient_rel_error <= 1e-6, "{name}: gradient {c:?}");
        assert!(c.hvp_rel_error <= 1e-6, "{name}: hvp {c:?}");
        assert!(
            c.hessian_hvp_rel_error <= 1e-12,
            "{name}: hessian vs hvp {c:?}"
        );
        assert!(c.hessian_asymmetry <= 1e-12, "{name}: asymmetry {c:?}");
    }
}

fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

// ---------------------------------------------------------------- logistic regression

#[test]
fn logistic_derivatives_are_exact() {
    // Synthetic: N = 150, d = 6, seed 3, λ = 1e-2; points 0 + U(−1, 1)^7.
    let f = LogisticRegression::synthetic(150, 6, 3)
        .unwrap()
        .with_lambda(1e-2)
        .unwrap();
    assert_exact("logistic", &f, &f.standard_start(), 1.0);
    // Also through the registry (default λ = 1e-3).
    let p = build_problem(
        "logistic",
        &Params::from_pairs(&["samples=80", "features=4"]).unwrap(),
        9,
    )
    .unwrap();
    assert_exact("logistic (registry)", &p.objective, &p.x0, 2.0);
}

#[test]
fn logistic_hessian_matches_independent_dense_formula_and_ggn() {
    let lambda = 0.05;
    let f = LogisticRegression::synthetic(120, 5, 4)
        .unwrap()
        .with_lambda(lambda)
        .unwrap();
    let x = random_vec(6, 8, 1.0);
    // Independent: H = Σᵢ s_i aᵢ aᵢᵀ / N + λ diag(1,…,1,0), aᵢ = (xᵢ, 1), s = σ(1−σ) by exp.
    let (xs, n) = (f.data().x(), 120);
    let mut h = Mat::<f64>::zeros(6, 6);
    for i in 0..n {
        let a: Vec<f64> = (0..5).map(|j| xs[(i, j)]).chain([1.0]).collect();
        let z: f64 = a.iter().zip(&x).map(|(p, q)| p * q).sum();
        let sig = 1.0 / (1.0 + (-z).exp());
        let s = sig * (1.0 - sig) / n as f64;
        for r in 0..6 {
            for c in 0..6 {
                h[(r, c)] += s * a[r] * a[c];
            }
        }
    }
    for j in 0..5 {
        h[(j, j)] += lambda;
    }
    let closed = f.hessian(&x).unwrap();
    let assembled = assemble_hessian(&f, &x).unwrap();
    let scale = (0..6).map(|i| h[(i, i)].abs()).fold(0.0, f64::max);
    for r in 0..6 {
        for c in 0..6 {
            assert!((closed[(r, c)] - h[(r, c)]).abs() <= 1e-12 * scale);
            assert!((assembled[(r, c)] - h[(r, c)]).abs() <= 1e-12 * scale);
        }
    }
    // GGN = Hessian for the canonical link.
    let v = random_vec(6, 9, 1.0);
    let (mut gv, mut hv) = (vec![0.0; 6], vec![0.0; 6]);
    f.ggn_vp(&x, &v, &mut gv).unwrap();
    f.hvp(&x, &v, &mut hv).unwrap();
    assert!(rel_err(&gv, &matvec(&h, &v)) <= 1e-12);
    assert!(rel_err(&hv, &matvec(&h, &v)) <= 1e-12);
}

#[test]
fn logistic_is_stable_for_large_margins() {
    // Features scaled by 1e3: margins |z| up to ~1e4, where exp(z) overflows.
    let base = LogisticRegression::synthetic(60, 3, 5).unwrap();
    let data = base.data().scaled(1e3).unwrap();
    let f = LogisticRegression::new(data.clone())
        .unwrap()
        .with_lambda(0.0)
        .unwrap();
    let x = random_vec(4, 12, 1.0);
    let mut g = vec![0.0; 4];
    let v = f.gradient(&x, &mut g).unwrap();
    assert!(v.is_finite() && g.iter().all(|gi| gi.is_finite()));
    // Reference: log(1 + e^z) − y z = (1 − y) z + log1p(e^{−z}) for z > 0, log1p(e^z) − y z else;
    // σ(z) − y = −e^{−z}/(1 + e^{−z}) + (1 − y) for z > 0 (no cancellation for y = 1).
    let (xs, ys) = (data.x(), data.y());
    let mut fref = 0.0;
    let mut gref = [0.0; 4];
    let mut max_abs_z: f64 = 0.0;
    let mut naive_overflows = false;
    for i in 0..60 {
        let z = (0..3).map(|j| xs[(i, j)] * x[j]).sum::<f64>() + x[3];
        max_abs_z = max_abs_z.max(z.abs());
        naive_overflows |= !(1.0 + z.exp()).ln().is_finite();
        let y = ys[i];
        let (l, r) = if z > 0.0 {
            let e = (-z).exp();
            ((1.0 - y) * z + e.ln_1p(), (1.0 - y) - e / (1.0 + e))
        } else {
            let e = z.exp();
            (e.ln_1p() - y * z, e / (1.0 + e) - y)
        };
        fref += l / 60.0;
        for j in 0..3 {
            gref[j] += r * xs[(i, j)] / 60.0;
        }
        gref[3] += r / 60.0;
    }
    assert!(
        max_abs_z > 1e3 && naive_overflows,
        "the test must reach overflow"
    );
    assert!((v - fref).abs() <= 1e-12 * fref.abs(), "{v} vs {fref}");
    assert!(rel_err(&g, &gref) <= 1e-12, "{g:?} vs {gref:?}");
    let mut hv = vec![0.0; 4];
    f.hvp(&x, &[1.0, -1.0, 0.5, 0.2], &mut hv).unwrap();
    assert!(hv.iter().all(|h| h.is_finite()));
}

#[test]
fn logistic_minibatches_match_full_and_subset_problems() {
    let lambda = 1e-2;
    let f = LogisticRegression::synthetic(40, 3, 6)
        .unwrap()
        .with_lambda(lambda)
        .unwrap();
    let x = random_vec(4, 13, 1.0);
    let v = random_vec(4, 14, 1.0);
    assert_finite_sum_consistent(&f, &x, &v, 40);
    // A sub-batch equals the problem built on those rows.
    let batch = [3usize, 17, 17, 29, 0];
    let xs = f.data().x();
    let sub = Dataset::new(
        Mat::from_fn(5, 3, |i, j| xs[(batch[i], j)]),
        batch.iter().map(|&i| f.data().y()[i]).collect(),
        None,
    )
    .unwrap();
    let fs = LogisticRegression::new(sub)
        .unwrap()
        .with_lambda(lambda)
        .unwrap();
    assert_batch_equals_subset(&f, &fs, &x, &v, &batch);
}

/// Full batch = full quantities (shuffled order); per-example gradients average to the gradient
/// minus a regularizer gradient of the form `λ·x` on some coordinates (one common `λ`).
fn assert_finite_sum_consistent<O: Objective>(f: &O, x: &[f64], v: &[f64], n_ex: usize) {
    let s = f.as_finite_sum().expect("finite sum");
    let n = f.dim();
    assert_eq!(s.num_examples(), n_ex);
    // Shuffled full batch.
    let mut all: Vec<usize> = (0..n_ex).collect();
    all.reverse();
    let (mut g, mut gb) = (vec![0.0; n], vec![0.0; n]);
    let fv = f.gradient(x, &mut g).unwrap();
    let fb = s.batch_gradient(x, &all, &mut gb).unwrap();
    assert!((fv - fb).abs() <= 1e-12 * fv.abs());
    assert!(rel_err(&g, &gb) <= 1e-12);
    let (mut hv, mut hb) = (vec![0.0; n], vec![0.0; n]);
    f.hvp(x, v, &mut hv).unwrap();
    s.batch_hvp(x, &all, v, &mut hb).unwrap();
    assert!(rel_err(&hv, &hb) <= 1e-12);
    let gn = f.as_gauss_newton().expect("gauss-newton");
    let (mut gv, mut gvb) = (vec![0.0; n], vec![0.0; n]);
    gn.ggn_vp(x, v, &mut gv).unwrap();
    s.batch_ggn_vp(x, &all, v, &mut gvb).unwrap();
    assert!(rel_err(&gv, &gvb) <= 1e-12);
    // Per-example gradients: mean = ∇f − ∇(regularizer).
    let mut pe = vec![0.0; n_ex * n];
    let idx: Vec<usize> = (0..n_ex).collect();
    s.per_example_gradients(x, &idx, &mut pe).unwrap();
    let mut mean = vec![0.0; n];
    for row in pe.chunks_exact(n) {
        for (m, r) in mean.iter_mut().zip(row) {
            *m += r / n_ex as f64;
        }
    }
    // ∇f − mean must be the regularizer's gradient λ·(weights): it vanishes on biases and is
    // proportional to x elsewhere with one common λ.
    let reg: Vec<f64> = g.iter().zip(&mean).map(|(a, b)| a - b).collect();
    let mut lam = None::<f64>;
    for (r, xi) in reg.iter().zip(x) {
        if r.abs() > 1e-14 {
            let l = r / xi;
            match lam {
                None => lam = Some(l),
                Some(l0) => assert!((l - l0).abs() <= 1e-9 * l0.abs(), "{l} vs {l0}"),
            }
        }
    }
}

fn assert_batch_equals_subset<O: Objective, P: Objective>(
    f: &O,
    sub: &P,
    x: &[f64],
    v: &[f64],
    batch: &[usize],
) {
    let s = f.as_finite_sum().unwrap();
    let n = f.dim();
    let (mut g1, mut g2) = (vec![0.0; n], vec![0.0; n]);
    let f1 = s.batch_gradient(x, batch, &mut g1).unwrap();
    let f2 = sub.gradient(x, &mut g2).unwrap();
    assert!((f1 - f2).abs() <= 1e-12 * f2.abs());
    assert!(rel_err(&g1, &g2) <= 1e-12);
    let (mut h1, mut h2) = (vec![0.0; n], vec![0.0; n]);
    s.batch_hvp(x, batch, v, &mut h1).unwrap();
    sub.hvp(x, v, &mut h2).unwrap();
    assert!(rel_err(&h1, &h2) <= 1e-12);
    s.batch_ggn_vp(x, batch, v, &mut h1).unwrap();
    sub.as_gauss_newton()
        .unwrap()
        .ggn_vp(x, v, &mut h2)
        .unwrap();
    assert!(rel_err(&h1, &h2) <= 1e-12);
    // Per-example gradients of the batch = the subset problem's per-example gradients.
    let mut p1 = vec![0.0; batch.len() * n];
    let mut p2 = vec![0.0; batch.len() * n];
    s.per_example_gradients(x, batch, &mut p1).unwrap();
    let idx: Vec<usize> = (0..batch.len()).collect();
    sub.as_finite_sum()
        .unwrap()
        .per_example_gradients(x, &idx, &mut p2)
        .unwrap();
    assert!(rel_err(&p1, &p2) <= 1e-12);
    // Out-of-range and empty batches are errors.
    assert!(s.batch_gradient(x, &[s.num_examples()], &mut g1).is_err());
    assert!(s.batch_gradient(x, &[], &mut g1).is_err());
}

#[test]
fn logistic_rejects_labels_other_than_0_1_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "labels.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,2\n");
    let e = LogisticRegression::new(Dataset::from_csv(&p).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{}:4:", p.display())), "{e}");
    assert!(e.contains("labels 0 or 1"), "{e}");
    // Through the registry too (data = path).
    let mut params = Params::new();
    params.insert("data", Value::Str(p.display().to_string()));
    let e = build_problem("logistic", &params, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":4:"), "{e}");
    // And synthetic-only parameters are refused with a data file.
    let ok = write_file(&dir, "ok.csv", "a,y\n1,0\n-1,1\n");
    let mut params = Params::new();
    params.insert("data", Value::Str(ok.display().to_string()));
    let inst = build_problem("logistic", &params, 0).unwrap();
    assert_eq!(inst.x0.len(), 2);
    params.insert("samples", Value::Num(10.0));
    assert!(build_problem("logistic", &params, 0).is_err());
}

// ---------------------------------------------------------------- CSV loader

#[test]
fn csv_errors_name_file_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("missing.csv", "a,b,label\n1,2,0\n7\n", 3, "missing label"),
        ("nonnum.csv", "a,b,label\n1,2,0\n3,4,1\n5,abc,0\n", 4, "`b`"),
        ("ragged.csv", "a,b,label\n1,2,0\n1,2,3,4\n", 3, "ragged row"),
        ("empty.csv", "", 1, "empty file"),
        ("header_only.csv", "a,b,label\n", 1, "no data rows"),
        ("one_col.csv", "label\n1\n", 1, "one column"),
        ("nan.csv", "a,label\n1,0\nNaN,1\n", 3, "not finite"),
    ];
    for (name, text, line, what) in cases {
        let p = write_file(&dir, name, text);
        let e = Dataset::from_csv(&p).unwrap_err();
        assert!(matches!(e, curvlab::Error::Parse { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}:{line}:", p.display())),
            "{name}: {msg}"
        );
        assert!(msg.contains(what), "{name}: {msg}");
    }
    // Non-numeric: the column is named by number and header.
    let p = dir.path().join("nonnum.csv");
    let msg = Dataset::from_csv(&p).unwrap_err().to_string();
    assert!(msg.contains("column 2") && msg.contains("abc"), "{msg}");
    // A missing file is an I/O error naming the path.
    let gone = dir.path().join("nope.csv");
    assert!(
        Dataset::from_csv(&gone)
            .unwrap_err()
            .to_string()
            .contains("nope.csv")
    );
}

#[test]
fn csv_loads_values_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "good.csv",
        "height, weight ,class\n1.5, 2e1, 1\n\n-3,4.25,0\n",
    );
    let d = Dataset::from_csv(&p).unwrap();
    assert_eq!(d.feature_names(), ["height", "weight"]);
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d.x()[(0, 1)], d.x()[(1, 0)], d.x()[(1, 1)]),
        (20.0, -3.0, 4.25)
    );
    assert_eq!(d.y(), [1.0, 0.0]);
    // The example on line 4 (after a blank line) is reported with that line.
    let e = d.example_error(1, "x".into()).to_string();
    assert!(e.contains(":4:"), "{e}");
}

// ---------------------------------------------------------------- least squares

/// `JᵀJ v` from a central-difference Jacobian of the residuals (independent of forward mode).
fn fd_gauss_newton<R: Residuals>(r: &R, x: &[f64], v: &[f64]) -> (Vec<f64>, Mat<f64>) {
    let (m, n) = (r.num_residuals(), r.dim());
    let mut j = Mat::<f64>::zeros(m, n);
    let h = 1e-6;
    for k in 0..n {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[k] += h;
        xm[k] -= h;
        let (mut rp, mut rm) = (vec![0.0; m], vec![0.0; m]);
        r.residuals(&xp, &mut rp);
        r.residuals(&xm, &mut rm);
        for i in 0..m {
            j[(i, k)] = (rp[i] - rm[i]) / (2.0 * h);
        }
    }
    let jv: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|k| j[(i, k)] * v[k]).sum())
        .collect();
    let out = (0..n)
        .map(|k| (0..m).map(|i| j[(i, k)] * jv[i]).sum())
        .collect();
    (out, j)
}

#[test]
fn least_squares_derivatives_and_gauss_newton_are_exact() {
    for (model, seed) in [
        (CurveModel::Exponential, 1u64),
        (CurveModel::GaussianPeak, 2),
    ] {
        // m = 40 points, noise 0.05; points: truth + U(−0.3, 0.3)^n.
        let fit = CurveFit::new(model, 40, 0.05, seed).unwrap();
        let truth = fit.true_parameters();
        let f = LeastSquares::new(fit.clone());
        assert_exact(&format!("{model:?}"), &f, &truth, 0.3);
        let x: Vec<f64> = truth
            .iter()
            .zip(random_vec(truth.len(), 7, 0.3))
            .map(|(a, b)| a + b)
            .collect();
        let v = random_vec(truth.len(), 8, 1.0);
        let mut gv = vec![0.0; truth.len()];
        f.ggn_vp(&x, &v, &mut gv).unwrap();
        let (reference, jfd) = fd_gauss_newton(&fit, &x, &v);
        assert!(
            rel_err(&gv, &reference) <= 1e-6,
            "{model:?}: {gv:?} vs {reference:?}"
        );
        // The forward-mode Jacobian against central differences.
        let j = f.jacobian(&x).unwrap();
        let mut worst: f64 = 0.0;
        for i in 0..j.nrows() {
            for k in 0..j.ncols() {
                worst = worst.max((j[(i, k)] - jfd[(i, k)]).abs());
            }
        }
        assert!(worst <= 1e-6, "{model:?}: jacobian error {worst}");
        // Gradient = Jᵀr exactly (forward-mode J, r in f64).
        let r = f.residual_vector(&x).unwrap();
        let jtr: Vec<f64> = (0..j.ncols())
            .map(|k| (0..j.nrows()).map(|i| j[(i, k)] * r[i]).sum())
            .collect();
        let mut g = vec![0.0; truth.len()];
        f.gradient(&x, &mut g).unwrap();
        assert!(rel_err(&g, &jtr) <= 1e-14);
    }
}

#[test]
fn least_squares_hessian_equals_gauss_newton_at_a_zero_residual_solution() {
    // noise = 0: at the true parameters r = 0, so ∇²f = JᵀJ exactly; elsewhere they differ.
    for model in [CurveModel::Exponential, CurveModel::GaussianPeak] {
        let fit = CurveFit::new(model, 30, 0.0, 0).unwrap();
        let truth = fit.true_parameters();
        let f = LeastSquares::new(fit);
        let h = f.hessian(&truth).unwrap();
        let j = f.jacobian(&truth).unwrap();
        let jtj = j.transpose() * &j;
        let n = truth.len();
        let scale = (0..n).map(|i| jtj[(i, i)]).fold(0.0, f64::max);
        for a in 0..n {
            for b in 0..n {
                assert!(
                    (h[(a, b)] - jtj[(a, b)]).abs() <= 1e-12 * scale,
                    "{model:?}"
                );
            }
        }
        let mut g = vec![0.0; n];
        assert_eq!(f.gradient(&truth, &mut g).unwrap(), 0.0);
        // Away from the solution the residual term Σ rᵢ∇²rᵢ is nonzero.
        let x: Vec<f64> = truth.iter().map(|t| t + 0.5).collect();
        let hx = f.hessian(&x).unwrap();
        let jx = f.jacobian(&x).unwrap();
        let gx = jx.transpose() * &jx;
        let diff = (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .map(|(a, b)| (hx[(a, b)] - gx[(a, b)]).abs())
            .fold(0.0, f64::max);
        assert!(diff > 1e-3, "{model:?}: {diff}");
    }
    // Registry: exact solution known only without noise; bad parameters are errors.
    let p = build_problem(
        "least-squares",
        &Params::from_pairs(&["model=gaussian", "samples=25"]).unwrap(),
        0,
    )
    .unwrap();
    assert_eq!((p.x0.len(), p.f_star), (4, None));
    assert!(
        build_problem(
            "least-squares",
            &Params::from_pairs(&["noise=-1"]).unwrap(),
            0
        )
        .is_err()
    );
    assert!(
        build_problem(
            "least-squares",
            &Params::from_pairs(&["model=cubic"]).unwrap(),
            0
        )
        .is_err()
    );
}

// ---------------------------------------------------------------- MLP

fn small_mlp(hidden: &[usize], act: Activation, lambda: f64, seed: u64) -> Mlp {
    let data = Dataset::gaussian_blobs(24, 3, 3, seed).unwrap();
    Mlp::new(data, hidden)
        .unwrap()
        .with_classes(3)
        .unwrap()
        .with_activation(act)
        .with_lambda(lambda)
        .unwrap()
}

#[test]
fn mlp_derivatives_are_exact() {
    // Blobs: N = 24, d = 3, k = 3, seed 1–3; points: Glorot init (seed) + U(−0.5, 0.5)^n.
    for (hidden, act, lambda, seed) in [
        (vec![5], Activation::Tanh, 0.0, 1u64),
        (vec![4, 3], Activation::Tanh, 1e-2, 2),
        (vec![4, 3], Activation::Softplus, 1e-2, 3),
        (vec![], Activation::Tanh, 0.1, 4),
    ] {
        let m = small_mlp(&hidden, act, lambda, seed);
        let x0 = m.initial_point(seed);
        assert_exact(&format!("mlp {hidden:?} {act:?}"), &m, &x0, 0.5);
    }
    // The registry default (spirals, 16 tanh units).
    let p = build_problem("mlp", &Params::from_pairs(&["samples=30"]).unwrap(), 5).unwrap();
    let c = check_derivatives(&p.objective, &p.x0, 1).unwrap();
    assert!(
        c.gradient_rel_error <= 1e-6 && c.hvp_rel_error <= 1e-6,
        "{c:?}"
    );
}

#[test]
fn mlp_ggn_matches_dense_jt_hl_j_from_finite_difference_jacobian() {
    for (hidden, act, lambda) in [
        (vec![4, 3], Activation::Tanh, 0.0),
        (vec![5], Activation::Softplus, 0.05),
    ] {
        let m = small_mlp(&hidden, act, lambda, 7);
        let n = m.dim();
        let x: Vec<f64> = m
            .initial_point(7)
            .iter()
            .zip(random_vec(n, 70, 0.3))
            .map(|(a, b)| a + b)
            .collect();
        let (nex, k) = (m.data().len(), m.classes());
        // Central-difference Jacobian of the logits, column by column.
        let h = 1e-6;
        let mut jac = vec![Mat::<f64>::zeros(nex, k); n];
        for (p, jp) in jac.iter_mut().enumerate() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[p] += h;
            xm[p] -= h;
            let (zp, zm) = (m.logits(&xp).unwrap(), m.logits(&xm).unwrap());
            *jp = Mat::from_fn(nex, k, |i, c| (zp[(i, c)] - zm[(i, c)]) / (2.0 * h));
        }
        // G = (1/N) Σᵢ Jᵢᵀ (diag pᵢ − pᵢpᵢᵀ) Jᵢ + λ·(1 on weights).
        let z = m.logits(&x).unwrap();
        let mut g = Mat::<f64>::zeros(n, n);
        for i in 0..nex {
            let mx = (0..k).map(|c| z[(i, c)]).fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = (0..k).map(|c| (z[(i, c)] - mx).exp()).collect();
            let s: f64 = e.iter().sum();
            let pr: Vec<f64> = e.iter().map(|v| v / s).collect();
            for a in 0..n {
                for b in 0..n {
                    let mut acc = 0.0;
                    for c in 0..k {
                        for d in 0..k {
                            let hl = if c == d { pr[c] } else { 0.0 } - pr[c] * pr[d];
                            acc += jac[a][(i, c)] * hl * jac[b][(i, d)];
                        }
                    }
                    g[(a, b)] += acc / nex as f64;
                }
            }
        }
        // Weight coordinates: the layout is W_l then b_l per layer.
        let sizes = m.layer_sizes().to_vec();
        let mut off = 0;
        for w in sizes.windows(2) {
            for q in off..off + w[0] * w[1] {
                g[(q, q)] += lambda;
            }
            off += w[0] * w[1] + w[1];
        }
        for trial in 0..3 {
            let v = random_vec(n, 80 + trial, 1.0);
            let mut gv = vec![0.0; n];
            m.ggn_vp(&x, &v, &mut gv).unwrap();
            let reference = matvec(&g, &v);
            assert!(
                rel_err(&gv, &reference) <= 1e-6,
                "{hidden:?}: {}",
                rel_err(&gv, &reference)
            );
        }
        // The GGN is symmetric positive semidefinite (Schraudolph 2002).
        let gm = assemble_ggn(&m, &x);
        let eig = gm.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        let top = eig.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        assert!(eig.iter().all(|l| *l >= -1e-12 * top), "{eig:?}");
        for a in 0..n {
            for b in 0..n {
                assert!((gm[(a, b)] - gm[(b, a)]).abs() <= 1e-12 * top);
            }
        }
    }
}

fn assemble_ggn(m: &Mlp, x: &[f64]) -> Mat<f64> {
    let n = m.dim();
    let mut g = Mat::<f64>::zeros(n, n);
    let mut e = vec![0.0; n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        e[j] = 1.0;
        m.ggn_vp(x, &e, &mut col).unwrap();
        e[j] = 0.0;
        for i in 0..n {
            g[(i, j)] = col[i];
        }
    }
    g
}

#[test]
fn mlp_minibatches_match_full_and_subset_problems() {
    let lambda = 1e-2;
    let m = small_mlp(&[4, 3], Activation::Tanh, lambda, 9);
    let x = m.initial_point(9);
    let v = random_vec(m.dim(), 91, 1.0);
    assert_finite_sum_consistent(&m, &x, &v, 24);
    let batch = [5usize, 0, 23, 5, 11, 2];
    let xs = m.data().x();
    let sub = Dataset::new(
        Mat::from_fn(batch.len(), 3, |i, j| xs[(batch[i], j)]),
        batch.iter().map(|&i| m.data().y()[i]).collect(),
        None,
    )
    .unwrap();
    let ms = Mlp::new(sub, &[4, 3])
        .unwrap()
        .with_classes(3)
        .unwrap()
        .with_lambda(lambda)
        .unwrap();
    assert_batch_equals_subset(&m, &ms, &x, &v, &batch);
    // Per-example gradients (the data term only) average exactly to ∇f − λ·W.
    let n = m.dim();
    let idx: Vec<usize> = (0..24).collect();
    let mut pe = vec![0.0; 24 * n];
    m.per_example_gradients(&x, &idx, &mut pe).unwrap();
    let mut g = vec![0.0; n];
    m.gradient(&x, &mut g).unwrap();
    let sizes = m.layer_sizes().to_vec();
    let mut off = 0;
    for w in sizes.windows(2) {
        for q in off..off + w[0] * w[1] {
            g[q] -= lambda * x[q];
        }
        off += w[0] * w[1] + w[1];
    }
    let mut mean = vec![0.0; n];
    for row in pe.chunks_exact(n) {
        for (a, b) in mean.iter_mut().zip(row) {
            *a += b / 24.0;
        }
    }
    assert!(rel_err(&mean, &g) <= 1e-12);
}

#[test]
fn mlp_csv_labels_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(&dir, "cls.csv", "u,v,c\n0,1,0\n1,0,2\n1,1,1\n");
    let mut p = Params::new();
    p.insert("data", Value::Str(good.display().to_string()));
    p.insert("hidden", Value::Str("3,2".into()));
    let inst = build_problem("mlp", &p, 0).unwrap();
    // 2 -> 3 -> 2 -> 3 classes (inferred).
    assert_eq!(inst.x0.len(), (6 + 3) + (6 + 2) + (6 + 3));
    let bad = write_file(&dir, "frac.csv", "u,c\n0,0\n1,1.5\n");
    let e = Mlp::new(Dataset::from_csv(&bad).unwrap(), &[2])
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{}:3:", bad.display())), "{e}");
    let e = Mlp::new(Dataset::from_csv(&good).unwrap(), &[2])
        .unwrap()
        .with_classes(2)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":3:"), "{e}");
    for bad in [
        &["hidden=0"][..],
        &["hidden=4,x"],
        &["hidden=4,4", "layers=3"],
        &["activation=relu"],
        &["synthetic=moons"],
        &["features=3"],
        &["lambda=-1"],
        &["classes=1"],
    ] {
        assert!(
            build_problem("mlp", &Params::from_pairs(bad).unwrap(), 0).is_err(),
            "{bad:?}"
        );
    }
    let two = build_problem(
        "mlp",
        &Params::from_pairs(&[
            "synthetic=blobs",
            "features=5",
            "hidden=6",
            "layers=2",
            "activation=softplus",
        ])
        .unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(two.x0.len(), (30 + 6) + (36 + 6) + (18 + 3));
}
