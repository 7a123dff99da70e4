//! One-pass block products of the data problems (issue 13 §1): `hvp_block` / `ggn_vp_block` of
//! logistic regression and of nonlinear least squares against one-at-a-time products and against
//! independent dense references (the closed-form Hessian of logistic regression, the dense
//! Jacobian and the Hessian assembled from single products for least squares).
//!
//! Errors are relative to the largest entry of the reference block, `max|B − R| / max|R|`.

use curvlab::diff::Scalar;
use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares, Residuals};
use curvlab::problems::logistic::LogisticRegression;
use curvlab::{GaussNewton, Objective};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_block(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Mat::from_fn(n, k, |_, _| rng.random_range(-1.0..1.0))
}

fn random_point(n: usize, scale: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| scale * rng.random_range(-1.0..1.0))
        .collect()
}

fn rel_err(b: &Mat<f64>, r: &Mat<f64>) -> f64 {
    (b - r).norm_max() / r.norm_max()
}

/// The block `[p(v₁) … p(v_k)]` from one-at-a-time products `p`.
fn columns(v: &Mat<f64>, mut p: impl FnMut(&[f64], &mut [f64])) -> Mat<f64> {
    let (n, k) = (v.nrows(), v.ncols());
    let mut out = Mat::<f64>::zeros(n, k);
    let mut o = vec![0.0; n];
    for j in 0..k {
        let col: Vec<f64> = (0..n).map(|i| v[(i, j)]).collect();
        p(&col, &mut o);
        for i in 0..n {
            out[(i, j)] = o[i];
        }
    }
    out
}

fn hvp_block<O: Objective>(f: &O, x: &[f64], v: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(v.nrows(), v.ncols());
    f.hvp_block(x, v.as_ref(), out.as_mut()).unwrap();
    out
}

fn ggn_block<G: GaussNewton>(f: &G, x: &[f64], v: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(v.nrows(), v.ncols());
    f.ggn_vp_block(x, v.as_ref(), out.as_mut()).unwrap();
    out
}

#[test]
fn logistic_block_equals_column_products_and_the_dense_hessian() {
    // (samples, features, λ, k, point scale): k = 1, k = 8, k > n = d + 1, λ = 0 and λ > 0,
    // the bench's problem at its standard start (scale 0) and random points.
    // Measured max over the cases: 1.1e-15 against the columns, 1.4e-15 against the dense
    // Hessian (the products only reorder sums); bound 1e-13, a margin of 70×.
    let cases = [
        (1000, 20, 1e-3, 8, 0.0),
        (1000, 20, 0.0, 8, 0.3),
        (50, 3, 0.0, 1, 1.0),
        (30, 4, 0.1, 12, 0.5),
        (200, 40, 1e-2, 41, 0.2),
        (7, 9, 0.0, 3, 2.0),
    ];
    for (s, d, lambda, k, scale) in cases {
        let f = LogisticRegression::synthetic(s, d, 3)
            .unwrap()
            .with_lambda(lambda)
            .unwrap();
        let x = random_point(d + 1, scale, 11);
        let v = random_block(d + 1, k, 12);
        let block = hvp_block(&f, &x, &v);
        let cols = columns(&v, |a, b| f.hvp(&x, a, b).unwrap());
        let dense = f.hessian(&x).unwrap() * &v;
        let (e_cols, e_dense) = (rel_err(&block, &cols), rel_err(&block, &dense));
        eprintln!(
            "logistic {s}x{d} λ={lambda} k={k}: vs columns {e_cols:.1e}, vs dense {e_dense:.1e}"
        );
        assert!(e_cols <= 1e-13, "{s}x{d} k={k}: {e_cols:e}");
        assert!(e_dense <= 1e-13, "{s}x{d} k={k}: {e_dense:e}");
        // The canonical link: the GGN block is the Hessian block, bit for bit.
        assert_eq!(ggn_block(&f, &x, &v), block);
    }
}

#[test]
fn logistic_block_at_saturated_margins_stays_finite_and_exact() {
    // |z| up to ~400: σ'(z) underflows to 0 for the confident examples; the block must agree
    // with the columns (measured 8.8e-16; bound 1e-13) and contain no NaN.
    let f = LogisticRegression::synthetic(300, 5, 1).unwrap();
    let x = random_point(6, 100.0, 2);
    let v = random_block(6, 4, 3);
    let block = hvp_block(&f, &x, &v);
    assert!(block.col_iter().all(|c| c.iter().all(|e| e.is_finite())));
    let cols = columns(&v, |a, b| f.hvp(&x, a, b).unwrap());
    let e = rel_err(&block, &cols);
    eprintln!("logistic saturated: {e:.1e}");
    assert!(e <= 1e-13, "{e:e}");
}

#[test]
fn least_squares_curve_fits_block_equals_columns_and_dense_references() {
    // Both curve models with noise (nonzero residuals, so S = Σ rᵢ∇²rᵢ ≠ 0), k = 1 (column
    // loop), k = 2 (n = 3: the smallest k with the formed S), k = 8 (> n).
    // Measured max: Hessian block vs columns 4.5e-16, vs the assembled dense Hessian 4.5e-16,
    // GGN block vs columns 3.0e-16, vs JᵀJV from the dense Jacobian 0 (the same two products);
    // bound 1e-13.
    for (model, k) in [
        (CurveModel::Exponential, 1),
        (CurveModel::Exponential, 2),
        (CurveModel::Exponential, 8),
        (CurveModel::GaussianPeak, 3),
        (CurveModel::GaussianPeak, 8),
    ] {
        let fit = CurveFit::new(model, 40, 0.3, 5).unwrap();
        let x = fit.standard_start();
        let n = x.len();
        let f = LeastSquares::new(fit);
        let v = random_block(n, k, 7);
        let hb = hvp_block(&f, &x, &v);
        let e1 = rel_err(&hb, &columns(&v, |a, b| f.hvp(&x, a, b).unwrap()));
        let e2 = rel_err(&hb, &(f.hessian(&x).unwrap() * &v));
        let gb = ggn_block(&f, &x, &v);
        let e3 = rel_err(&gb, &columns(&v, |a, b| f.ggn_vp(&x, a, b).unwrap()));
        let j = f.jacobian(&x).unwrap();
        let e4 = rel_err(&gb, &(j.transpose() * (&j * &v)));
        eprintln!("least squares {model:?} k={k}: {e1:.1e} {e2:.1e} {e3:.1e} {e4:.1e}");
        for e in [e1, e2, e3, e4] {
            assert!(e <= 1e-13, "{model:?} k={k}: {e:e}");
        }
        // The second-order term matters at this start: the Hessian block is not the GGN block
        // (measured relative difference 0.31–0.60; bound 1e-2).
        let d = rel_err(&gb, &hb);
        eprintln!("least squares {model:?} k={k}: |GV − HV| / |HV| = {d:.2}");
        assert!(d > 1e-2, "{model:?}: S V is missing");
    }
}

/// `rᵢ(x) = sin(aᵢᵀx) + 0.1 (aᵢᵀx)² − yᵢ` with seeded `aᵢ`, `yᵢ`: a generic residual with an
/// indefinite second-order term.
struct Wave {
    a: Vec<f64>,
    y: Vec<f64>,
    n: usize,
}

impl Wave {
    fn new(m: usize, n: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = (0..m * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let y = (0..m).map(|_| rng.random_range(-1.0..1.0)).collect();
        Wave { a, y, n }
    }
}

impl Residuals for Wave {
    fn num_residuals(&self) -> usize {
        self.y.len()
    }
    fn dim(&self) -> usize {
        self.n
    }
    fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) {
        for (i, ri) in r.iter_mut().enumerate() {
            let row = &self.a[i * self.n..(i + 1) * self.n];
            let mut z = x[0] * row[0];
            for j in 1..self.n {
                z += x[j] * row[j];
            }
            *ri = z.sin() + z * z * 0.1 - self.y[i];
        }
    }
}

#[test]
fn least_squares_block_in_jacobian_slabs_equals_columns() {
    // m·n = 270 000 · 16 = 4.32e6 > 2²² entries: the Jacobian is formed in slabs of 15 and 1
    // columns, twice. Measured: GGN 2.7e-14, Hessian (k = 9 ≥ (n + 1)/2) 2.4e-14; bound 1e-13
    // (margin 3.7×: both sides sum 270 000 products of random sign in different orders, a
    // rounding error of order ε·√m relative to the cancelled result).
    let (m, n) = (270_000, 16);
    let f = LeastSquares::new(Wave::new(m, n, 4));
    let x = random_point(n, 0.3, 5);
    let v = random_block(n, 9, 6);
    let gb = ggn_block(&f, &x, &v);
    let e = rel_err(&gb, &columns(&v, |a, b| f.ggn_vp(&x, a, b).unwrap()));
    eprintln!("wave ggn slabs: {e:.1e}");
    assert!(e <= 1e-13, "{e:e}");
    let hb = hvp_block(&f, &x, &v);
    let e = rel_err(&hb, &columns(&v, |a, b| f.hvp(&x, a, b).unwrap()));
    eprintln!("wave hvp slabs: {e:.1e}");
    assert!(e <= 1e-13, "{e:e}");
}

#[test]
fn least_squares_generic_residuals_block_matches_dense_hessian() {
    // Small generic residuals (m = 25, n = 6, whole Jacobian), k = 4 ≥ (n + 1)/2 and k = 2
    // (column loop), against the Hessian assembled from n single products. Measured 4.5e-16;
    // bound 1e-13.
    let f = LeastSquares::new(Wave::new(25, 6, 8));
    let x = random_point(6, 0.8, 9);
    let h = f.hessian(&x).unwrap();
    for k in [2, 4, 7] {
        let v = random_block(6, k, 10 + k as u64);
        let e = rel_err(&hvp_block(&f, &x, &v), &(&h * &v));
        eprintln!("wave 25x6 k={k}: {e:.1e}");
        assert!(e <= 1e-13, "k={k}: {e:e}");
    }
}

#[test]
fn bad_shapes_and_non_finite_inputs_are_errors() {
    let lr = LogisticRegression::synthetic(20, 3, 0).unwrap();
    let ls = LeastSquares::new(CurveFit::new(CurveModel::Exponential, 10, 0.1, 0).unwrap());
    let objectives: [(&dyn Objective, usize); 2] = [(&lr, 4), (&ls, 3)];
    for (f, n) in objectives {
        let gn = f.as_gauss_newton().unwrap();
        let x = vec![0.5; n];
        let v = random_block(n, 3, 1);
        let mut ok = Mat::<f64>::zeros(n, 3);
        let run = |x: &[f64], v: &Mat<f64>, out: &mut Mat<f64>| {
            let a = f.hvp_block(x, v.as_ref(), out.as_mut());
            let b = gn.ggn_vp_block(x, v.as_ref(), out.as_mut());
            (a, b)
        };
        // Wrong lengths and shapes: Error::Dimension naming what is wrong.
        for (xx, vv, oo) in [
            (vec![0.5; n + 1], v.clone(), Mat::<f64>::zeros(n, 3)),
            (
                x.clone(),
                random_block(n + 1, 3, 2),
                Mat::<f64>::zeros(n, 3),
            ),
            (x.clone(), v.clone(), Mat::<f64>::zeros(n - 1, 3)),
            (x.clone(), v.clone(), Mat::<f64>::zeros(n, 2)),
        ] {
            let (a, b) = run(&xx, &vv, &mut oo.clone());
            for e in [a, b] {
                assert!(matches!(e, Err(curvlab::Error::Dimension { .. })), "{e:?}");
            }
        }
        // NaN in x, ∞ in V: Error::NonFinite naming the entry.
        let mut xn = x.clone();
        xn[1] = f64::NAN;
        let mut vi = v.clone();
        vi[(n - 1, 2)] = f64::INFINITY;
        for (xx, vv, name) in [(&xn, &v, "x[1]"), (&x, &vi, "V[(")] {
            let (a, b) = run(xx, vv, &mut ok);
            for e in [a, b] {
                let msg = e.unwrap_err().to_string();
                assert!(msg.contains("non-finite") && msg.contains(name), "{msg}");
            }
        }
        // An empty block is fine and touches nothing.
        let mut empty = Mat::<f64>::zeros(n, 0);
        f.hvp_block(&x, random_block(n, 0, 0).as_ref(), empty.as_mut())
            .unwrap();
    }
}
