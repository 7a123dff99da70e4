//! Integration tests of `curvlab::curvature` against independent references: dense faer
//! eigendecompositions, closed-form spectra (2-D Laplacian, `Q diag(λ) Qᵀ` with prescribed
//! eigenvalues), exact traces, and iteration counts measured with explicit iterations written
//! here. Every random choice is seeded (ChaCha8).

use curvlab::Result;
use curvlab::curvature::*;
use curvlab::linalg::LinearOperator;
use curvlab::linalg::vector::{axpy, dot, norm};
use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Seeded symmetric Gaussian matrix (G + Gᵀ)/2.
fn random_symmetric(n: usize, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = Mat::<f64>::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
    Mat::from_fn(n, n, |i, j| 0.5 * (g[(i, j)] + g[(j, i)]))
}

/// Q diag(λ) Qᵀ with a seeded orthogonal Q (from the QR of a Gaussian matrix).
fn with_eigenvalues(lambda: &[f64], seed: u64) -> Mat<f64> {
    let n = lambda.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = Mat::<f64>::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
    let q = g.qr().compute_Q();
    let ql = Mat::from_fn(n, n, |i, j| q[(i, j)] * lambda[j]);
    let a = &ql * q.transpose();
    Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
}

/// The 5-point Laplacian on a k × k grid with Dirichlet boundary, matrix-free.
/// Eigenvalues 4 − 2cos(iπ/(k+1)) − 2cos(jπ/(k+1)), i, j = 1..k.
struct Laplacian2d {
    k: usize,
}

impl Laplacian2d {
    fn eigenvalues(&self) -> Vec<f64> {
        let h = std::f64::consts::PI / (self.k + 1) as f64;
        let mut v = Vec::new();
        for i in 1..=self.k {
            for j in 1..=self.k {
                v.push(4.0 - 2.0 * (i as f64 * h).cos() - 2.0 * (j as f64 * h).cos());
            }
        }
        v.sort_by(f64::total_cmp);
        v
    }
}

impl LinearOperator for Laplacian2d {
    fn dim(&self) -> usize {
        self.k * self.k
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let k = self.k;
        curvlab::error::check_len("v", k * k, v.len())?;
        curvlab::error::check_len("out", k * k, out.len())?;
        for i in 0..k {
            for j in 0..k {
                let p = i * k + j;
                let mut s = 4.0 * v[p];
                if i > 0 {
                    s -= v[p - k];
                }
                if i + 1 < k {
                    s -= v[p + k];
                }
                if j > 0 {
                    s -= v[p - 1];
                }
                if j + 1 < k {
                    s -= v[p + 1];
                }
                out[p] = s;
            }
        }
        Ok(())
    }
}

fn true_residual<A: LinearOperator>(a: &A, p: &RitzPair) -> f64 {
    let mut av = vec![0.0; a.dim()];
    a.apply(&p.vector, &mut av).unwrap();
    axpy(-p.value, &p.vector, &mut av);
    norm(&av)
}

fn check_against(r: &LanczosResult, exact_ascending: &[f64], k: usize, which: Which) {
    let n = exact_ascending.len();
    if which != Which::Smallest {
        assert_eq!(r.largest.len(), k);
        for (i, p) in r.largest.iter().enumerate() {
            let e = exact_ascending[n - 1 - i];
            assert!(
                (p.value - e).abs() <= 1e-8 * e.abs(),
                "largest[{i}] = {} vs {e}",
                p.value
            );
        }
    }
    if which != Which::Largest {
        assert_eq!(r.smallest.len(), k);
        for (i, p) in r.smallest.iter().enumerate() {
            let e = exact_ascending[i];
            assert!(
                (p.value - e).abs() <= 1e-8 * e.abs(),
                "smallest[{i}] = {} vs {e}",
                p.value
            );
        }
    }
}

#[test]
fn lanczos_matches_dense_spectrum_on_random_symmetric_matrices() {
    // n = 150, seeds 1..=3, k = 5, tol = 1e-10; reference: faer's dense eigenvalues.
    for seed in 1..=3u64 {
        let a = random_symmetric(150, seed);
        let exact = spectrum(&a).unwrap().eigenvalues;
        for which in [Which::Largest, Which::Smallest, Which::Both] {
            let r = lanczos(&a, 5, which, 1e-10, seed).unwrap();
            assert!(r.converged, "{which:?} seed {seed}");
            check_against(&r, &exact, 5, which);
            // Measured 168–183 (one end) and 253–265 (both ends); bound 200 / 290.
            let bound = if which == Which::Both { 290 } else { 200 };
            assert!(
                r.applications <= bound,
                "{which:?} {seed}: {}",
                r.applications
            );
        }
    }
}

#[test]
fn lanczos_matches_closed_form_laplacian_spectrum_with_multiplicities() {
    // 20 x 20 grid (n = 400): the second and third largest eigenvalues form a double pair
    // (i, j) = (20, 19), (19, 20); the multiplicity check must find both copies.
    let lap = Laplacian2d { k: 20 };
    let exact = lap.eigenvalues();
    assert!((exact[399] - exact[398]).abs() > 1e-6 && (exact[398] - exact[397]).abs() < 1e-12);
    for which in [Which::Largest, Which::Smallest, Which::Both] {
        let r = lanczos(&lap, 6, which, 1e-10, 7).unwrap();
        assert!(r.converged, "{which:?}");
        check_against(&r, &exact, 6, which);
        for p in r.largest.iter().chain(&r.smallest) {
            assert!(p.residual <= 1e-10 * p.value.abs() + 1e-12);
        }
    }
}

#[test]
fn reported_residuals_are_true_residuals() {
    let a = random_symmetric(120, 11);
    let lap = Laplacian2d { k: 12 };
    let r1 = lanczos(&a, 4, Which::Both, 1e-9, 3).unwrap();
    let r2 = lanczos(&lap, 4, Which::Both, 1e-9, 3).unwrap();
    for (r, scale) in [(&r1, 10.0), (&r2, 8.0)] {
        for p in r.largest.iter().chain(&r.smallest) {
            let recomputed = if std::ptr::eq(r, &r1) {
                true_residual(&a, p)
            } else {
                true_residual(&lap, p)
            };
            assert!((norm(&p.vector) - 1.0).abs() < 1e-12);
            assert!(
                (recomputed - p.residual).abs() <= 1e-3 * recomputed + 1e-13 * scale,
                "reported {} recomputed {recomputed}",
                p.residual
            );
        }
    }
    // An unconverged run (budget of 25 products) reports its real, large residuals.
    let r = Lanczos::new(3, Which::Smallest)
        .unwrap()
        .with_max_applications(25)
        .unwrap()
        .run(&lap)
        .unwrap();
    assert!(!r.converged);
    for p in &r.smallest {
        assert!((true_residual(&lap, p) - p.residual).abs() <= 1e-10);
    }
}

#[test]
fn power_iteration_baseline_matches_dense() {
    // Eigenvalues 10, −7, 5 and the rest in [0, 1]: well separated in magnitude.
    let mut lambda: Vec<f64> = (0..40).map(|i| i as f64 / 40.0).collect();
    lambda[0] = 10.0;
    lambda[1] = -7.0;
    lambda[2] = 5.0;
    let a = with_eigenvalues(&lambda, 5);
    let r = power_iteration(&a, 3, 1e-10, 2).unwrap();
    assert!(r.converged);
    for (v, e) in r.values.iter().zip([10.0, -7.0, 5.0]) {
        assert!((v - e).abs() < 1e-8, "{v} vs {e}");
    }
    for (p, res) in r.values.iter().zip(&r.residuals) {
        assert!(*res <= 1e-8 * p.abs());
    }
}

#[test]
fn inertia_is_exact_and_negative_curvature_is_certified() {
    // 7 negative, 3 zero, 50 positive eigenvalues, rotated by a seeded Q.
    let mut lambda = Vec::new();
    lambda.extend((0..7).map(|i| -1.0 - i as f64));
    lambda.extend([0.0; 3]);
    lambda.extend((0..50).map(|i| 0.5 + i as f64 * 0.1));
    let a = with_eigenvalues(&lambda, 9);
    let i = inertia(&a, 1e-10).unwrap();
    assert_eq!((i.negative, i.zero, i.positive), (7, 3, 50));
    let c = negative_curvature(&a, 1).unwrap().expect("indefinite");
    let mut ad = vec![0.0; 60];
    a.apply(&c.direction, &mut ad).unwrap();
    let q = dot(&c.direction, &ad) / dot(&c.direction, &c.direction);
    assert!(q < 0.0 && (q - c.rayleigh).abs() < 1e-12);
    assert!((q + 7.0).abs() < 1e-6); // the most negative eigenvalue
    let spd = with_eigenvalues(&lambda[10..], 9);
    assert!(negative_curvature(&spd, 1).unwrap().is_none());
}

#[test]
fn hutchinson_within_four_standard_errors() {
    let a = random_symmetric(100, 21);
    let tr: f64 = (0..100).map(|i| a[(i, i)]).sum();
    for seed in 0..20u64 {
        let t = hutchinson_trace(&a, 50, seed).unwrap();
        assert!(
            (t.estimate - tr).abs() <= 4.0 * t.std_error,
            "seed {seed}: {} vs {tr} (se {})",
            t.estimate,
            t.std_error
        );
    }
    let d = hutchinson_diagonal(&a, 400, 1).unwrap();
    for i in 0..100 {
        assert!((d.diagonal[i] - a[(i, i)]).abs() <= 5.0 * d.std_error[i] + 1e-12);
    }
}

#[test]
fn hutch_plus_plus_beats_hutchinson_on_decaying_spectrum() {
    // λᵢ = 1/i², n = 300, 60 products each, mean absolute error over 20 seeds.
    let lambda: Vec<f64> = (1..=300).map(|i| 1.0 / (i as f64).powi(2)).collect();
    let a = with_eigenvalues(&lambda, 3);
    let tr: f64 = lambda.iter().sum();
    let (mut e_h, mut e_pp) = (0.0, 0.0);
    for seed in 0..20u64 {
        let h = hutchinson_trace(&a, 60, seed).unwrap();
        let p = hutch_plus_plus(&a, 60, seed).unwrap();
        assert_eq!(p.matvecs, 60);
        e_h += (h.estimate - tr).abs();
        e_pp += (p.estimate - tr).abs();
    }
    // Measured ratio 0.0175; bound 0.025.
    assert!(e_pp < 0.025 * e_h, "Hutch++ {e_pp} vs Hutchinson {e_h}");
}

#[test]
fn slq_density_integrates_to_one_and_has_mean_trace_over_n() {
    let lambda: Vec<f64> = (0..200)
        .map(|i| (i as f64 / 20.0).sin() * 3.0 + i as f64 / 50.0)
        .collect();
    let a = with_eigenvalues(&lambda, 4);
    let n = 200.0;
    let d = Slq::new()
        .with_probes(20)
        .unwrap()
        .with_steps(40)
        .unwrap()
        .with_seed(8)
        .unwrap()
        .run(&a)
        .unwrap();
    // Trapezoid rule on the grid; the grid spans ±6σ beyond the nodes: tolerance 1e-6.
    let h = d.grid[1] - d.grid[0];
    let g = d.density.len();
    let mass = h * (d.density.iter().sum::<f64>() - 0.5 * (d.density[0] + d.density[g - 1]));
    assert!((mass - 1.0).abs() < 1e-6, "mass {mass}");
    let mean_grid = h * d
        .grid
        .iter()
        .zip(&d.density)
        .map(|(t, p)| t * p)
        .sum::<f64>();
    assert!((mean_grid - d.mean()).abs() < 1e-6 * d.mean().abs().max(1.0));
    // The mean is exactly the Hutchinson estimate over the same probes, divided by n ...
    let hutch = hutchinson_trace(&a, 20, 8).unwrap();
    assert!((d.mean() * n - hutch.estimate).abs() < 1e-9 * hutch.estimate.abs().max(1.0));
    // ... and so within 4 standard errors of tr A / n.
    let tr: f64 = lambda.iter().sum();
    assert!((d.mean() - tr / n).abs() <= 4.0 * hutch.std_error / n);
    assert_eq!(d.matvecs, 20 * 40);
}

/// Measured iterations until ‖x − x*‖₂ ≤ tol ‖x₀ − x*‖₂ (GD, heavy ball) or
/// ‖x − x*‖_A ≤ tol ‖x₀ − x*‖_A (CG), on f = ½xᵀAx − bᵀx from x₀ = 0.
fn measure(q: &Quadratic, tol: f64) -> (usize, usize, usize) {
    use curvlab::Objective;
    let n = q.eigenvalues().len();
    let mu = q.eigenvalues()[0];
    let l = q.eigenvalues()[n - 1];
    let xs = q.minimizer().to_vec();
    let err = |x: &[f64]| {
        let d: Vec<f64> = x.iter().zip(&xs).map(|(a, b)| a - b).collect();
        norm(&d)
    };
    let e0 = norm(&xs);
    let mut g = vec![0.0; n];
    // Gradient descent: x ← x − α∇f(x), α = 2/(μ+L).
    let alpha = 2.0 / (mu + l);
    let mut x = vec![0.0; n];
    let mut k_gd = 0;
    while err(&x) > tol * e0 && k_gd < 1_000_000 {
        q.gradient(&x, &mut g).unwrap();
        axpy(-alpha, &g, &mut x);
        k_gd += 1;
    }
    // Heavy ball: x ← x − α∇f(x) + β(x − x_prev), α = 4/(√L+√μ)², β = ((√κ−1)/(√κ+1))².
    let sk = (l / mu).sqrt();
    let a_hb = 4.0 / (l.sqrt() + mu.sqrt()).powi(2);
    let b_hb = ((sk - 1.0) / (sk + 1.0)).powi(2);
    let mut x = vec![0.0; n];
    let mut xp = x.clone();
    let mut k_hb = 0;
    while err(&x) > tol * e0 && k_hb < 1_000_000 {
        q.gradient(&x, &mut g).unwrap();
        let xn: Vec<f64> = (0..n)
            .map(|i| x[i] - a_hb * g[i] + b_hb * (x[i] - xp[i]))
            .collect();
        xp = std::mem::replace(&mut x, xn);
        k_hb += 1;
    }
    // CG (Hestenes–Stiefel; Nocedal & Wright Alg. 5.2) on A x = b, error in the A-norm.
    let a_norm = |x: &[f64]| {
        let d: Vec<f64> = x.iter().zip(&xs).map(|(a, b)| a - b).collect();
        let mut ad = vec![0.0; n];
        q.hvp(&xs, &d, &mut ad).unwrap();
        dot(&d, &ad).sqrt()
    };
    let e0a = a_norm(&vec![0.0; n]);
    let mut x = vec![0.0; n];
    let mut r: Vec<f64> = q.b().to_vec(); // r = b − A x
    let mut p = r.clone();
    let mut ap = vec![0.0; n];
    let mut rr = dot(&r, &r);
    let mut k_cg = 0;
    while a_norm(&x) > tol * e0a && k_cg < 10 * n {
        q.hvp(&xs, &p, &mut ap).unwrap();
        let step = rr / dot(&p, &ap);
        axpy(step, &p, &mut x);
        axpy(-step, &ap, &mut r);
        let rr_new = dot(&r, &r);
        let beta = rr_new / rr;
        rr = rr_new;
        for i in 0..n {
            p[i] = r[i] + beta * p[i];
        }
        k_cg += 1;
    }
    (k_gd, k_hb, k_cg)
}

#[test]
fn explain_predicts_gd_heavy_ball_and_cg_within_factor_two() {
    // Quadratics with log-uniform spectra in [1, κ], n = 200, diagonal (the rates are rotation
    // invariant), seed 1, x₀ = 0, tol = 1e-6.
    let tol = 1e-6;
    for kappa in [10.0, 1e2, 1e3, 1e4] {
        let q =
            Quadratic::new(200, kappa, SpectrumKind::LogUniform, Rotation::Diagonal, 1).unwrap();
        let s = Spectrum::from_eigenvalues(q.eigenvalues().to_vec()).unwrap();
        let p = explain(&s, tol).unwrap();
        assert!((p.kappa - kappa).abs() < 1e-9 * kappa);
        let (gd, hb, cg) = measure(&q, tol);
        eprintln!(
            "k={kappa} gd {gd}/{} hb {hb}/{} cg {cg}/{}",
            p.method("gd").unwrap().iterations,
            p.method("heavy_ball").unwrap().iterations,
            p.method("cg").unwrap().iterations
        );
        for (name, measured) in [("gd", gd), ("heavy_ball", hb), ("cg", cg)] {
            let pred = p.method(name).unwrap().iterations.get().unwrap() as f64;
            let ratio = pred / measured as f64;
            assert!(
                (0.5..=2.0).contains(&ratio),
                "κ = {kappa}: {name} predicted {pred}, measured {measured}"
            );
        }
    }
}

#[test]
fn explain_reports_cluster_termination_and_costs() {
    // Two distinct eigenvalues: CG terminates in 2 steps whatever κ; Newton wins by iterations.
    let mut ev = vec![1.0; 50];
    ev.extend(vec![1e4; 50]);
    let p = explain(&Spectrum::from_eigenvalues(ev).unwrap(), 1e-8).unwrap();
    assert_eq!(p.distinct_eigenvalues, 2);
    assert_eq!(p.clusters, 2);
    assert_eq!(p.method("cg").unwrap().iterations, Some(2));
    assert_eq!(p.winner_by_iterations, "newton");
    // Dense n = 100: CG costs 2 × (2n² + 10n) flops, Newton n³/3 + 2n² — CG wins by time.
    assert_eq!(p.winner_by_time, "cg");
    let cg = p.method("cg").unwrap();
    assert_eq!(cg.flops_per_iteration, 2.0 * 100.0 * 100.0 + 10.0 * 100.0);
}

#[test]
fn auto_choice_condition_number_and_sharpness() {
    // κ of a rotated quadratic, dense (n = 60) and Lanczos (forced).
    let q = Quadratic::new(60, 1e3, SpectrumKind::LogUniform, Rotation::Random, 2).unwrap();
    let a = q.matrix();
    assert!((condition_number(&a).unwrap() - 1e3).abs() < 1e-8 * 1e3);
    let e = extremes(&a, 2, Which::Both, Algo::Lanczos, 1e-12, 0).unwrap();
    assert_eq!(e.algo, Algo::Lanczos);
    assert!((e.condition_number.unwrap() - 1e3).abs() < 1e-7 * 1e3);
    let d = extremes(&a, 2, Which::Both, Algo::Auto, 1e-12, 0).unwrap();
    assert_eq!(d.algo, Algo::Dense);
    assert!(d.reason.contains("1000"));
    // Sharpness of a diagonal quadratic with n = 1100 > 1000 goes through Lanczos on HVPs.
    let big = Quadratic::new(1100, 100.0, SpectrumKind::LogUniform, Rotation::Diagonal, 3).unwrap();
    let s = sharpness(&big, &vec![0.0; 1100], 0).unwrap();
    assert_eq!(s.algo, Algo::Lanczos);
    assert!(s.matvecs > 0);
    assert!((s.lambda_max - 100.0).abs() < 1e-6);
    assert!((s.condition_number.unwrap() - 100.0).abs() < 1e-4);
    // Trajectory on the Rosenbrock function agrees with the dense Hessian at each point.
    let f = curvlab::problems::Rosenbrock::new(4).unwrap();
    let pts = vec![
        vec![-1.2, 1.0, -1.2, 1.0],
        vec![1.0; 4],
        vec![0.5, 0.3, 0.2, 0.1],
    ];
    let t = trajectory(&f, &pts, 0).unwrap();
    use curvlab::Objective;
    for (x, s) in pts.iter().zip(&t) {
        let ev = spectrum(&f.hessian(x).unwrap()).unwrap();
        assert!((s.lambda_max - ev.max()).abs() < 1e-9 * ev.max());
        assert!((s.lambda_min - ev.min()).abs() < 1e-9 * ev.max());
    }
}

struct NanOp;
impl LinearOperator for NanOp {
    fn dim(&self) -> usize {
        10
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        out.copy_from_slice(v);
        out[3] = f64::NAN;
        Ok(())
    }
}

/// A non-symmetric operator without a dense view: x ↦ (S + K) x, K skew.
struct Skewed(Mat<f64>);
impl LinearOperator for Skewed {
    fn dim(&self) -> usize {
        self.0.nrows()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let r = &self.0 * faer::ColRef::from_slice(v);
        for (o, x) in out.iter_mut().zip(r.iter()) {
            *o = *x;
        }
        Ok(())
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    let a = random_symmetric(20, 1);
    let e = lanczos(&a, 0, Which::Largest, 1e-8, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`k`"), "{e}");
    let e = lanczos(&a, 21, Which::Both, 1e-8, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("n = 20"), "{e}");
    assert!(lanczos(&a, 2, Which::Largest, 0.0, 0).is_err());
    assert!(extremes(&a, 0, Which::Both, Algo::Dense, 1e-8, 0).is_err());
    // Non-square.
    let rect = Mat::<f64>::zeros(3, 4);
    let e = spectrum(&rect).unwrap_err().to_string();
    assert!(e.contains("not square"), "{e}");
    assert!(lanczos(&rect, 1, Which::Largest, 1e-8, 0).is_err());
    // Non-symmetric: the errors report the asymmetry.
    let mut ns = random_symmetric(20, 2);
    ns[(0, 5)] += 1.0;
    let e = spectrum(&ns).unwrap_err().to_string();
    assert!(e.contains("asymmetry") && e.contains("e-1"), "{e}");
    let skew = Mat::<f64>::from_fn(30, 30, |i, j| {
        if i == j {
            (i + 1) as f64
        } else if i < j {
            0.5
        } else {
            -0.5
        }
    });
    let e = lanczos(&Skewed(skew), 2, Which::Largest, 1e-8, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("asymmetry"), "{e}");
    // NaN from the operator.
    for e in [
        lanczos(&NanOp, 1, Which::Largest, 1e-8, 0).unwrap_err(),
        spectrum(&NanOp).unwrap_err(),
        hutchinson_trace(&NanOp, 5, 0).unwrap_err(),
        hutch_plus_plus(&NanOp, 9, 0).unwrap_err(),
        slq_density(&NanOp, 2, 5, None, 100, 0).unwrap_err(),
        power_iteration(&NanOp, 1, 1e-8, 0).unwrap_err(),
    ] {
        assert!(e.to_string().contains("non-finite"), "{e}");
    }
    assert!(hutchinson_trace(&a, 1, 0).is_err());
    assert!(hutch_plus_plus(&a, 5, 0).is_err());
    assert!(explain(&Spectrum::from_eigenvalues(vec![0.0, 1.0]).unwrap(), 1e-6).is_err());
    assert!(explain(&Spectrum::from_eigenvalues(vec![1.0, 2.0]).unwrap(), 2.0).is_err());
    assert!(Algo::parse("arpack").is_err());
}
