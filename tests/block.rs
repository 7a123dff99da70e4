//! Block products (`apply_block`, `hvp_block`, `ggn_vp_block`) against one-at-a-time products,
//! and the restarted block Krylov eigensolver against closed-form spectra with multiplicities.

use curvlab::curvature::{BlockSize, Lanczos, LanczosResult, Which};
use curvlab::linalg::sparse::CsrMatrix;
use curvlab::linalg::{GgnOperator, HessianOperator, LinearOperator};
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::Mlp;
use curvlab::{Counted, Objective};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_block(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Mat::from_fn(n, k, |_, _| rng.random_range(-1.0..1.0))
}

/// Max |block − columns| / max |columns| over the columns of `X`.
fn block_vs_columns<A: LinearOperator>(op: &A, x: &Mat<f64>) -> f64 {
    let (n, k) = (x.nrows(), x.ncols());
    let mut y = Mat::<f64>::zeros(n, k);
    op.apply_block(x.as_ref(), y.as_mut()).unwrap();
    let (mut err, mut scale) = (0.0f64, 0.0f64);
    for j in 0..k {
        let v: Vec<f64> = (0..n).map(|i| x[(i, j)]).collect();
        let mut out = vec![0.0; n];
        op.apply(&v, &mut out).unwrap();
        for i in 0..n {
            err = err.max((y[(i, j)] - out[i]).abs());
            scale = scale.max(out[i].abs());
        }
    }
    err / scale
}

#[test]
fn block_products_equal_column_products() {
    // The block kernels reorder floating-point sums only: agreement to ~1e-15 relative
    // (measured ≤ 4e-16 for every operator below; bound 1e-13).
    let x = random_block(37, 5, 1);
    let lap = CsrMatrix::laplacian_2d(6).unwrap();
    assert!(block_vs_columns(&lap, &random_block(36, 4, 2)) < 1e-13);
    let dense = lap.to_dense();
    assert!(block_vs_columns(&dense, &random_block(36, 4, 3)) < 1e-13);

    let data = Dataset::spirals(80, 3, 0.1, 0).unwrap();
    let mlp = Mlp::new(data, &[6, 5]).unwrap().with_lambda(1e-3).unwrap();
    let w = mlp.initial_point(4);
    let xb = random_block(mlp.dim(), 8, 5);
    let h = HessianOperator::new(&mlp, w.clone()).unwrap();
    let e = block_vs_columns(&h, &xb);
    assert!(e < 1e-13, "mlp hvp block {e:e}");
    let g = GgnOperator::new(&mlp, w).unwrap();
    let e = block_vs_columns(&g, &xb);
    assert!(e < 1e-13, "mlp ggn block {e:e}");

    let lr = LogisticRegression::synthetic(120, 36, 6)
        .unwrap()
        .with_lambda(1e-2)
        .unwrap();
    let w: Vec<f64> = (0..37).map(|i| 0.1 * (i as f64).sin()).collect();
    let e = block_vs_columns(&HessianOperator::new(&lr, w.clone()).unwrap(), &x);
    assert!(e < 1e-13, "logistic block {e:e}");
    let e = block_vs_columns(&GgnOperator::new(&lr, w).unwrap(), &x);
    assert!(e < 1e-13, "logistic ggn block {e:e}");
}

#[test]
fn mlp_block_hvp_matches_finite_differences_of_the_gradient() {
    // Independent reference: central differences of the gradient, step 1e-5 (error O(h²)·‖∇³f‖,
    // measured 3e-9 relative; bound 1e-6).
    let data = Dataset::spirals(50, 3, 0.1, 1).unwrap();
    let mlp = Mlp::new(data, &[4]).unwrap();
    let n = mlp.dim();
    let w = mlp.initial_point(2);
    let v = random_block(n, 3, 9);
    let mut hv = Mat::<f64>::zeros(n, 3);
    mlp.hvp_block(&w, v.as_ref(), hv.as_mut()).unwrap();
    let h = 1e-5;
    for j in 0..3 {
        let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
        let xp: Vec<f64> = (0..n).map(|i| w[i] + h * v[(i, j)]).collect();
        let xm: Vec<f64> = (0..n).map(|i| w[i] - h * v[(i, j)]).collect();
        mlp.gradient(&xp, &mut gp).unwrap();
        mlp.gradient(&xm, &mut gm).unwrap();
        let scale = (0..n).fold(0.0f64, |a, i| a.max(hv[(i, j)].abs()));
        for i in 0..n {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            assert!((fd - hv[(i, j)]).abs() < 1e-6 * scale, "{i},{j}");
        }
    }
}

#[test]
fn counted_block_counts_k_products_and_bad_shapes_are_errors() {
    let data = Dataset::spirals(30, 2, 0.0, 0).unwrap();
    let f = Counted::new(Mlp::new(data, &[3]).unwrap());
    let n = f.dim();
    let w = vec![0.1; n];
    let v = random_block(n, 8, 0);
    let mut out = Mat::<f64>::zeros(n, 8);
    f.hvp_block(&w, v.as_ref(), out.as_mut()).unwrap();
    assert_eq!(f.counts().hvp, 8);
    let mut bad = Mat::<f64>::zeros(n, 7);
    assert!(f.hvp_block(&w, v.as_ref(), bad.as_mut()).is_err());
    let lap = CsrMatrix::laplacian_2d(3).unwrap();
    let mut y = Mat::<f64>::zeros(9, 2);
    assert!(
        lap.apply_block(random_block(8, 2, 0).as_ref(), y.as_mut())
            .is_err()
    );
    let rect = CsrMatrix::from_triplets(2, 3, &[(0, 0, 1.0)]).unwrap();
    let mut y = Mat::<f64>::zeros(2, 1);
    assert!(
        rect.apply_block(random_block(3, 1, 0).as_ref(), y.as_mut())
            .is_err()
    );
}

/// The 3-D Laplacian (7-point stencil) on a k×k×k grid and its eigenvalues in closed form.
fn laplacian_3d(k: usize) -> (CsrMatrix, Vec<f64>) {
    let n = k * k * k;
    let idx = |i: usize, j: usize, l: usize| i + k * (j + k * l);
    let mut t = Vec::new();
    for l in 0..k {
        for j in 0..k {
            for i in 0..k {
                let p = idx(i, j, l);
                t.push((p, p, 6.0));
                let mut nb = |q: usize| t.push((p, q, -1.0));
                if i > 0 {
                    nb(idx(i - 1, j, l));
                }
                if i + 1 < k {
                    nb(idx(i + 1, j, l));
                }
                if j > 0 {
                    nb(idx(i, j - 1, l));
                }
                if j + 1 < k {
                    nb(idx(i, j + 1, l));
                }
                if l > 0 {
                    nb(idx(i, j, l - 1));
                }
                if l + 1 < k {
                    nb(idx(i, j, l + 1));
                }
            }
        }
    }
    let h = std::f64::consts::PI / (k + 1) as f64;
    let mut ev = Vec::with_capacity(n);
    for a in 1..=k {
        for b in 1..=k {
            for c in 1..=k {
                ev.push(
                    6.0 - 2.0 * (a as f64 * h).cos()
                        - 2.0 * (b as f64 * h).cos()
                        - 2.0 * (c as f64 * h).cos(),
                );
            }
        }
    }
    ev.sort_by(f64::total_cmp);
    (CsrMatrix::from_triplets(n, n, &t).unwrap(), ev)
}

/// `H diag(d) H` with the Householder reflection `H = I − 2uuᵀ` (dense, orthogonal).
fn reflected_diagonal(d: &[f64], seed: u64) -> Mat<f64> {
    let n = d.len();
    let mut u = random_block(n, 1, seed);
    let s = u.norm_l2();
    u /= faer::Scale(s);
    let h = Mat::<f64>::from_fn(n, n, |i, j| {
        (if i == j { 1.0 } else { 0.0 }) - 2.0 * u[(i, 0)] * u[(j, 0)]
    });
    let dm = Mat::<f64>::from_fn(n, n, |i, j| if i == j { d[i] } else { 0.0 });
    &h * &dm * &h
}

/// Asserts the 5 extreme values (with multiplicity) at `which` against the sorted `ev`, each to
/// 1e-8·|λ| (a symmetric matrix has an eigenvalue within the residual of θ), and the true
/// residuals ≤ 1e-8·|θ|.
fn check(r: &LanczosResult, ev: &[f64], which: Which, name: &str) {
    let (got, want): (Vec<f64>, Vec<f64>) = match which {
        Which::Largest => (
            r.largest.iter().map(|p| p.value).collect(),
            ev.iter().rev().take(5).copied().collect(),
        ),
        _ => (
            r.smallest.iter().map(|p| p.value).collect(),
            ev.iter().take(5).copied().collect(),
        ),
    };
    assert_eq!(got.len(), 5, "{name}");
    for (g, w) in got.iter().zip(&want) {
        assert!(
            (g - w).abs() <= 1e-8 * w.abs(),
            "{name} {which:?}: got {got:?} want {want:?}"
        );
    }
    for p in r.largest.iter().chain(&r.smallest) {
        assert!(
            p.residual <= 1e-8 * p.value.abs(),
            "{name}: residual {:e}",
            p.residual
        );
    }
    assert!(r.converged, "{name}");
}

fn solve<A: LinearOperator>(op: &A, which: Which, block: BlockSize) -> LanczosResult {
    Lanczos::new(5, which)
        .unwrap()
        .with_tol(1e-9)
        .unwrap()
        .with_seed(3)
        .unwrap()
        .with_block_size(block)
        .unwrap()
        .run(op)
        .unwrap()
}

#[test]
fn block_solver_finds_multiplicities_of_2d_and_3d_laplacians() {
    let lap = CsrMatrix::laplacian_2d(30).unwrap();
    let ev = CsrMatrix::laplacian_2d_eigenvalues(30);
    // Top 5 of the 2-D Laplacian: λ₁ simple, λ₂ = λ₃ double, λ₄ simple, λ₅ = λ₆ double.
    assert!((ev[ev.len() - 2] - ev[ev.len() - 3]).abs() < 1e-12);
    for which in [Which::Largest, Which::Smallest] {
        let r = solve(&lap, which, BlockSize::Auto);
        check(&r, &ev, which, "laplacian2d k=30");
    }
    // 3-D Laplacian k = 8: λ₂ = λ₃ = λ₄ (multiplicity 3) at both ends.
    let (l3, ev3) = laplacian_3d(8);
    assert!((ev3[1] - ev3[3]).abs() < 1e-12 && (ev3[4] - ev3[1]).abs() > 1e-3);
    for which in [Which::Largest, Which::Smallest] {
        let r = solve(&l3, which, BlockSize::Auto);
        check(&r, &ev3, which, "laplacian3d k=8");
    }
}

#[test]
fn block_solver_on_clusters_and_an_indefinite_matrix() {
    // Clustered diagonal: 9 (three copies), 9 − 1e-6, 8.5 (two copies), the rest in [1, 8].
    let n = 300;
    let mut d: Vec<f64> = (0..n).map(|i| 1.0 + 7.0 * i as f64 / n as f64).collect();
    d[0] = 9.0;
    d[1] = 9.0;
    d[2] = 9.0;
    d[3] = 9.0 - 1e-6;
    d[4] = 8.5;
    d[5] = 8.5;
    d[6] = 0.5; // smallest end: 0.5 and a triple 0.7
    d[7] = 0.7;
    d[8] = 0.7;
    d[9] = 0.7;
    let a = reflected_diagonal(&d, 11);
    let mut ev = d.clone();
    ev.sort_by(f64::total_cmp);
    for which in [Which::Largest, Which::Smallest] {
        check(&solve(&a, which, BlockSize::Auto), &ev, which, "clustered");
    }
    // Indefinite: −40 twice, −39.5, … and 60 three times at the top.
    let mut d: Vec<f64> = (0..n).map(|i| -39.0 + 98.0 * i as f64 / n as f64).collect();
    d[0] = -40.0;
    d[1] = -40.0;
    d[n - 1] = 60.0;
    d[n - 2] = 60.0;
    d[n - 3] = 60.0;
    let a = reflected_diagonal(&d, 12);
    let mut ev = d.clone();
    ev.sort_by(f64::total_cmp);
    for which in [Which::Largest, Which::Smallest] {
        check(&solve(&a, which, BlockSize::Auto), &ev, which, "indefinite");
    }
}
