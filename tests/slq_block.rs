//! Probes as blocks (issue 13 §3): batched stochastic Lanczos quadrature against the
//! one-at-a-time process (`linalg::lanczos::tridiagonalize` on the same Rademacher draws, an
//! independent reference), batched Lanczos processes that stop early, and Hutchinson / Hutch++
//! by blocks against one-at-a-time products.

use curvlab::curvature::{Slq, hutch_plus_plus, hutchinson_diagonal, hutchinson_trace};
use curvlab::linalg::lanczos::{gauss_quadrature, tridiagonalize};
use curvlab::linalg::lanczos_batch::LanczosBatch;
use curvlab::linalg::{HessianOperator, LinearOperator};
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::Mlp;
use curvlab::{Counted, Objective};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A Rademacher probe drawn as the library draws it (one `bool` per entry, in order).
fn rademacher(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect()
}

/// A symmetric matrix with entries uniform in [−1, 1] plus `shift·I`.
fn random_symmetric(n: usize, shift: f64, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let r = Mat::<f64>::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    Mat::from_fn(n, n, |i, j| {
        0.5 * (r[(i, j)] + r[(j, i)]) + if i == j { shift } else { 0.0 }
    })
}

/// One-at-a-time SLQ: one `tridiagonalize` per probe (the pre-batch algorithm), returning
/// `(nodes, weights, applications)` in probe order.
fn one_at_a_time<A: LinearOperator>(
    op: &A,
    probes: usize,
    steps: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>, usize) {
    let n = op.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut nodes, mut weights, mut apps) = (vec![], vec![], 0);
    for _ in 0..probes {
        let z = rademacher(&mut rng, n);
        let t = tridiagonalize(op, &z, steps).unwrap();
        let (x, w) = gauss_quadrature(&t.alpha, &t.beta).unwrap();
        nodes.extend(x);
        weights.extend(w.iter().map(|w| w / probes as f64));
        apps += t.applications;
    }
    (nodes, weights, apps)
}

/// `(max |Δnode| / max |node|, max |Δweight|)` between a run and the reference.
fn compare(d: &curvlab::curvature::Density, r: &(Vec<f64>, Vec<f64>, usize)) -> (f64, f64) {
    assert_eq!(d.nodes.len(), r.0.len());
    let scale = r.0.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let dn = d
        .nodes
        .iter()
        .zip(&r.0)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    let dw = d
        .weights
        .iter()
        .zip(&r.1)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    (dn / scale, dw)
}

#[test]
fn batched_slq_equals_one_at_a_time_on_a_dense_matrix() {
    // n = 150, 13 probes, 30 steps; batches of 13 (the default: all probes at once), of 5
    // (5 + 5 + 3) and of 1. The block product reorders sums only: measured max relative node
    // difference 2.2e-15 and max weight difference 2.1e-16 for all three (bound 1e-10).
    let a = random_symmetric(150, 2.0, 11);
    let reference = one_at_a_time(&a, 13, 30, 4);
    for batch in [None, Some(5), Some(1)] {
        let mut s = Slq::new()
            .with_probes(13)
            .unwrap()
            .with_steps(30)
            .unwrap()
            .with_seed(4)
            .unwrap();
        if let Some(b) = batch {
            s = s.with_batch(b).unwrap();
        }
        assert_eq!(s.batch_size(150, 30), batch.unwrap_or(13));
        let d = s.run(&a).unwrap();
        let (dn, dw) = compare(&d, &reference);
        assert!(dn <= 1e-10 && dw <= 1e-10, "batch {batch:?}: {dn:e} {dw:e}");
        assert_eq!(d.matvecs, reference.2);
        assert_eq!(d.matvecs, 13 * 30);
    }
}

#[test]
fn batched_slq_equals_one_at_a_time_on_mlp_and_logistic_hessians() {
    // Hessian operators whose apply_block is one pass over the data. Measured: MLP (n = 71) node
    // 2.5e-15, weight 2.1e-16; logistic node 3.2e-15, weight 5.2e-16 (bound 1e-10).
    let data = Dataset::spirals(90, 3, 0.1, 0).unwrap();
    let mlp = Mlp::new(data, &[6, 5]).unwrap().with_lambda(1e-3).unwrap();
    let w = mlp.initial_point(4);
    let h = HessianOperator::new(&mlp, w).unwrap();
    let reference = one_at_a_time(&h, 7, 25, 9);
    let d = curvlab::curvature::slq_density(&h, 7, 25, None, 50, 9).unwrap();
    let (dn, dw) = compare(&d, &reference);
    assert!(dn <= 1e-10 && dw <= 1e-10, "mlp: {dn:e} {dw:e}");
    assert_eq!(d.matvecs, reference.2);

    let lr = LogisticRegression::synthetic(200, 40, 3)
        .unwrap()
        .with_lambda(1e-2)
        .unwrap();
    let x: Vec<f64> = (0..lr.dim()).map(|i| 0.05 * (i as f64).cos()).collect();
    let h = HessianOperator::new(&lr, x).unwrap();
    let reference = one_at_a_time(&h, 6, 20, 2);
    let d = curvlab::curvature::slq_density(&h, 6, 20, None, 50, 2).unwrap();
    let (dn, dw) = compare(&d, &reference);
    assert!(dn <= 1e-10 && dw <= 1e-10, "logistic: {dn:e} {dw:e}");
    assert_eq!(d.matvecs, reference.2);
}

#[test]
fn batched_slq_counts_block_products_as_k_hessian_vector_products() {
    // Counted sees every column of a block as one HVP; the count equals the one-at-a-time
    // process's (4 probes × 12 steps = 48, no process breaks down on this Hessian).
    let data = Dataset::spirals(40, 2, 0.1, 1).unwrap();
    let f = Counted::new(Mlp::new(data, &[4]).unwrap());
    let w = f.inner().initial_point(3);
    let h = HessianOperator::new(&f, w).unwrap();
    let d = curvlab::curvature::slq_density(&h, 4, 12, None, 50, 0).unwrap();
    assert_eq!((d.matvecs, f.counts().hvp), (48, 48));
    let reference = one_at_a_time(&h, 4, 12, 0);
    assert_eq!((reference.2, f.counts().hvp), (48, 96));
}

#[test]
fn slq_trace_estimate_is_within_its_standard_error() {
    // tr A known exactly (dense). SLQ's first moment n·Σ τθ is Hutchinson's estimate on the same
    // probes (same seed, same draws): equal to rounding (measured ≤ 1.3e-15 relative, bound
    // 1e-10). Over 20 seeds the error stays within 4 standard errors (measured max 1.84 SE) and
    // is within 1 SE for 14 of 20 seeds (a normal error would be for 68 %; bound ≥ 10).
    let n = 120;
    let a = random_symmetric(n, 3.0, 5);
    let tr: f64 = (0..n).map(|i| a[(i, i)]).sum();
    let (mut within_one, mut worst) = (0, 0.0f64);
    for seed in 0..20 {
        let d = Slq::new()
            .with_probes(16)
            .unwrap()
            .with_steps(20)
            .unwrap()
            .with_seed(seed)
            .unwrap()
            .run(&a)
            .unwrap();
        let est = n as f64 * d.mean();
        let h = hutchinson_trace(&a, 16, seed).unwrap();
        assert!((est - h.estimate).abs() <= 1e-10 * tr.abs(), "seed {seed}");
        let z = (est - tr).abs() / h.std_error;
        worst = worst.max(z);
        within_one += usize::from(z <= 1.0);
    }
    assert!(worst <= 4.0, "worst {worst}");
    assert!(within_one >= 10, "{within_one} of 20 within 1 SE");
}

#[test]
fn slq_is_exact_on_a_matrix_with_four_distinct_eigenvalues() {
    // diag with eigenvalues 1, 2, 3, 4 (10 copies each): every Rademacher probe has weight
    // exactly 10/40 on each eigenvalue, and each process stops after 4 steps (invariant
    // subspace) while asked for 30: 4 applications per probe.
    let a = Mat::<f64>::from_fn(40, 40, |i, j| if i == j { (i % 4 + 1) as f64 } else { 0.0 });
    let d = Slq::new()
        .with_probes(6)
        .unwrap()
        .with_steps(30)
        .unwrap()
        .run(&a)
        .unwrap();
    assert_eq!(d.matvecs, 24);
    assert_eq!(d.nodes.len(), 24);
    for (k, (x, w)) in d.nodes.iter().zip(&d.weights).enumerate() {
        assert!((x - (k % 4 + 1) as f64).abs() < 1e-12, "{k}: {x}");
        assert!((w - 0.25 / 6.0).abs() < 1e-12, "{k}: {w}");
    }
}

#[test]
fn processes_that_stop_early_leave_the_block_and_the_rest_match_one_at_a_time() {
    // diag(1..=10), 8 steps: from e₁ (1 step, invariant), e₁ + e₂ (2 steps) and the ones vector
    // (8 steps); each tridiagonal equals tridiagonalize from the same start (measured ≤ 1.8e-15,
    // bound 1e-12); applications 1 + 2 + 8 = 11 in 8 block calls.
    let a = Mat::<f64>::from_fn(10, 10, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
    let starts = Mat::<f64>::from_fn(10, 3, |i, p| match p {
        0 => f64::from(i == 0),
        1 => f64::from(i < 2),
        _ => 1.0,
    });
    let mut b = LanczosBatch::new(10, 8, 3).unwrap();
    b.reset(starts.as_ref()).unwrap();
    b.run(&a).unwrap();
    assert_eq!((b.len(0), b.len(1), b.len(2)), (1, 2, 8));
    assert!(b.broke_down(0) && b.broke_down(1) && !b.broke_down(2));
    assert_eq!((b.applications(), b.block_applications()), (11, 8));
    for p in 0..3 {
        let z: Vec<f64> = (0..10).map(|i| starts[(i, p)]).collect();
        let t = tridiagonalize(&a, &z, 8).unwrap();
        assert_eq!(t.alpha.len(), b.alpha(p).len());
        assert_eq!(t.beta.len(), b.beta(p).len());
        for (x, y) in t
            .alpha
            .iter()
            .chain(&t.beta)
            .zip(b.alpha(p).iter().chain(b.beta(p)))
        {
            assert!((x - y).abs() < 1e-12, "process {p}: {x} vs {y}");
        }
        // The basis is orthonormal.
        let v = b.basis(p);
        let g = v.transpose() * v;
        for i in 0..v.ncols() {
            for j in 0..v.ncols() {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((g[(i, j)] - e).abs() < 1e-13);
            }
        }
    }
    // A second reset reuses the allocation and starts the counts again.
    b.reset(starts.as_ref().subcols(2, 1)).unwrap();
    b.run(&a).unwrap();
    assert_eq!((b.processes(), b.applications()), (1, 8));
}

/// An operator with `apply` only (`apply_block` is the column loop).
struct Nonsymmetric;
impl LinearOperator for Nonsymmetric {
    fn dim(&self) -> usize {
        3
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> curvlab::Result<()> {
        out[0] = v[0] + 2.0 * v[1];
        out[1] = v[1];
        out[2] = 3.0 * v[2] + v[0];
        Ok(())
    }
}

/// `diag(1, 2, 3, 4)` on the (normalized Rademacher) probes, NaN on any later vector.
struct NanAfterOne;
impl LinearOperator for NanAfterOne {
    fn dim(&self) -> usize {
        4
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> curvlab::Result<()> {
        for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
            *o = (i + 1) as f64 * x;
        }
        if v.iter().any(|x| (x.abs() - 0.5).abs() > 1e-12) {
            out[2] = f64::NAN;
        }
        Ok(())
    }
}

#[test]
fn bad_operators_and_settings_are_errors() {
    let e = Slq::new().run(&Nonsymmetric).unwrap_err().to_string();
    assert!(e.contains("not symmetric"), "{e}");
    let e = Slq::new().run(&NanAfterOne).unwrap_err().to_string();
    assert!(e.contains("non-finite"), "{e}");
    assert!(Slq::new().with_batch(0).is_err());
    let mut b = LanczosBatch::new(3, 2, 2).unwrap();
    assert!(b.step(&Nonsymmetric).is_err()); // no reset yet
    b.reset(faer::mat![[1.0], [0.0], [f64::NAN]].as_ref())
        .unwrap_err();
    b.reset(faer::mat![[1.0], [1.0]].as_ref()).unwrap_err(); // wrong rows
    b.reset(faer::mat![[1.0], [1.0], [1.0]].as_ref()).unwrap();
    assert!(b.step(&faer::Mat::<f64>::identity(4, 4)).is_err()); // wrong operator size
}

/// Reference Hutchinson: one `apply` per probe, in draw order.
fn hutchinson_one_at_a_time(a: &Mat<f64>, probes: usize, seed: u64) -> (f64, f64, Vec<f64>) {
    let n = a.nrows();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut samples, mut diag) = (vec![], vec![0.0; n]);
    for _ in 0..probes {
        let z = rademacher(&mut rng, n);
        let mut az = vec![0.0; n];
        a.apply(&z, &mut az).unwrap();
        samples.push(z.iter().zip(&az).map(|(x, y)| x * y).sum::<f64>());
        for i in 0..n {
            diag[i] += z[i] * az[i] / probes as f64;
        }
    }
    let m = probes as f64;
    let mean = samples.iter().sum::<f64>() / m;
    let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (mean, (var / m).sqrt(), diag)
}

#[test]
fn hutchinson_by_blocks_equals_one_at_a_time() {
    // 45 probes = a block of 32 and one of 13. Measured: trace and standard error identical
    // (difference 0), diagonal ≤ 3.1e-16 relative (bound 1e-12).
    let a = random_symmetric(60, 1.0, 8);
    let (mean, se, diag) = hutchinson_one_at_a_time(&a, 45, 3);
    let t = hutchinson_trace(&a, 45, 3).unwrap();
    assert!(
        (t.estimate - mean).abs() <= 1e-12 * mean.abs(),
        "{} {mean}",
        t.estimate
    );
    assert!((t.std_error - se).abs() <= 1e-12 * se);
    assert_eq!(t.matvecs, 45);
    let d = hutchinson_diagonal(&a, 45, 3).unwrap();
    let scale = diag.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (x, y) in d.diagonal.iter().zip(&diag) {
        assert!((x - y).abs() <= 1e-12 * scale);
    }
}

#[test]
fn hutch_plus_plus_by_blocks_equals_one_at_a_time() {
    // Budget 120 on n = 80: sketch of 40, A Q (40), 40 deflated probes (a block of 32 and one
    // of 8). Reference: every product one column at a time, the same draws, Q by faer's QR of the
    // sketch. Measured difference 0 (bound 1e-10 relative to Σ|aᵢᵢ|).
    let n = 80;
    let a = random_symmetric(n, 0.0, 21);
    let (s, g) = (40, 40);
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let apply = |x: &Mat<f64>| -> Mat<f64> {
        let mut y = Mat::<f64>::zeros(n, x.ncols());
        for c in 0..x.ncols() {
            let v: Vec<f64> = (0..n).map(|i| x[(i, c)]).collect();
            let mut out = vec![0.0; n];
            a.apply(&v, &mut out).unwrap();
            for i in 0..n {
                y[(i, c)] = out[i];
            }
        }
        y
    };
    let mut draw = |k: usize| -> Mat<f64> {
        let cols: Vec<Vec<f64>> = (0..k).map(|_| rademacher(&mut rng, n)).collect();
        Mat::from_fn(n, k, |i, c| cols[c][i])
    };
    let sk = draw(s);
    let q = apply(&sk).qr().compute_thin_Q();
    let aq = apply(&q);
    let exact: f64 = (0..q.ncols())
        .map(|c| (0..n).map(|i| q[(i, c)] * aq[(i, c)]).sum::<f64>())
        .sum();
    let z = draw(g);
    let pz = &z - &q * (q.transpose() * &z);
    let apz = apply(&pz);
    let mean: f64 = (0..g)
        .map(|c| (0..n).map(|i| pz[(i, c)] * apz[(i, c)]).sum::<f64>())
        .sum::<f64>()
        / g as f64;
    let reference = exact + mean;
    let t = hutch_plus_plus(&a, 3 * s, 6).unwrap();
    let tr: f64 = (0..n).map(|i| a[(i, i)].abs()).sum();
    assert!(
        (t.estimate - reference).abs() <= 1e-10 * tr,
        "{} vs {reference}",
        t.estimate
    );
    assert_eq!((t.matvecs, t.probes), (120, 40));
}

#[test]
fn sharpness_goes_through_the_default_krylov_solver() {
    // n = 1113 > 1000: `sharpness` takes the Krylov route, which must be `Lanczos::new(..)` with
    // its default solver (so that a change of default applies): same values and the same count
    // of Hessian-vector products as that solver run directly. Both ends against the dense
    // spectrum of the assembled Hessian (measured relative differences 5.0e-15 and 2.3e-15; bound
    // 1e-7 for the tolerance 1e-8).
    let data = Dataset::spirals(120, 3, 0.1, 2).unwrap();
    let mlp = Mlp::new(data, &[30, 30])
        .unwrap()
        .with_lambda(1e-3)
        .unwrap();
    let n = mlp.dim();
    assert!(n > 1000, "{n}");
    let w = mlp.initial_point(1);
    let f = Counted::new(&mlp);
    let s = curvlab::curvature::sharpness(&f, &w, 7).unwrap();
    assert_eq!(s.algo, curvlab::curvature::Algo::Lanczos);
    assert_eq!(s.matvecs as u64, f.counts().hvp);
    let h = HessianOperator::new(&mlp, w.clone()).unwrap();
    let r = curvlab::curvature::Lanczos::new(1, curvlab::curvature::Which::Both)
        .unwrap()
        .with_tol(1e-8)
        .unwrap()
        .with_seed(7)
        .unwrap()
        .with_multiplicity_check(false)
        .unwrap()
        .run(&h)
        .unwrap();
    assert_eq!(s.matvecs, r.applications);
    assert_eq!(s.lambda_max, r.largest[0].value);
    assert_eq!(s.lambda_min, r.smallest[0].value);
    let dense = curvlab::linalg::operator::to_dense(&h).unwrap();
    let sym = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (dense[(i, j)] + dense[(j, i)]));
    let spec = curvlab::curvature::spectrum(&sym).unwrap();
    let scale = spec.max().abs().max(spec.min().abs());
    assert!((s.lambda_max - spec.max()).abs() <= 1e-7 * scale);
    assert!((s.lambda_min - spec.min()).abs() <= 1e-7 * scale);
}
