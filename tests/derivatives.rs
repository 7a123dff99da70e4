//! Exact derivatives of the core problems against independent references: central finite
//! differences (relative error ≤ 1e-6), the assembled Hessian (≤ 1e-12), symmetry, and the
//! quadratic's prescribed spectrum against faer's dense eigenvalues.

use curvlab::diff::check_derivatives;
use curvlab::params::Params;
use curvlab::problems::{Quadratic, Rotation, SpectrumKind, build_problem};
use curvlab::{Counted, Objective};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_point(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| scale * (rng.random::<f64>() * 2.0 - 1.0))
        .collect()
}

fn check_problem(kind: &str, pairs: &[&str]) {
    let p = build_problem(kind, &Params::from_pairs(pairs).unwrap(), 3).unwrap();
    let n = p.objective.dim();
    for seed in 0..3 {
        let x = random_point(n, 100 + seed, 1.5);
        let c = check_derivatives(&p.objective, &x, seed).unwrap();
        assert!(c.gradient_rel_error <= 1e-6, "{kind}: gradient {c:?}");
        assert!(c.hvp_rel_error <= 1e-6, "{kind}: hvp {c:?}");
        assert!(
            c.hessian_hvp_rel_error <= 1e-12,
            "{kind}: hessian vs hvp {c:?}"
        );
        assert!(c.hessian_asymmetry <= 1e-12, "{kind}: asymmetry {c:?}");
    }
}

#[test]
fn core_problems_have_exact_derivatives() {
    check_problem("rosenbrock", &["dim=2"]);
    check_problem("rosenbrock", &["dim=7"]);
    check_problem("ravine", &[]);
    check_problem("ravine", &["angle=30", "steep=1000"]);
    check_problem("quadratic", &["dim=20", "condition=1000"]);
    check_problem(
        "quadratic",
        &["dim=9", "rotation=diagonal", "spectrum=two-cluster"],
    );
}

#[test]
fn rosenbrock_hessian_matches_closed_form() {
    // ∇²f for 2-D Rosenbrock: [[1200x² − 400y + 2, −400x], [−400x, 200]].
    let f = curvlab::problems::Rosenbrock::new(2).unwrap();
    let (x, y) = (-1.2, 1.0);
    let h = f.hessian(&[x, y]).unwrap();
    assert!((h[(0, 0)] - (1200.0 * x * x - 400.0 * y + 2.0)).abs() < 1e-12);
    assert!((h[(0, 1)] - (-400.0 * x)).abs() < 1e-12);
    assert!((h[(1, 0)] - (-400.0 * x)).abs() < 1e-12);
    assert!((h[(1, 1)] - 200.0).abs() < 1e-12);
}

#[test]
fn quadratic_spectrum_is_exactly_the_prescribed_one() {
    for (kind, n, kappa) in [
        (SpectrumKind::LogUniform, 40, 1e4),
        (SpectrumKind::Uniform, 25, 100.0),
        (SpectrumKind::TwoCluster, 30, 1e3),
    ] {
        let q = Quadratic::new(n, kappa, kind, Rotation::Random, 11).unwrap();
        let h = q.hessian(&vec![0.0; n]).unwrap();
        let eig = h.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        let want = kind.eigenvalues(n, kappa);
        for (a, b) in eig.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-10 * kappa, "{kind:?}: {a} vs {b}");
        }
        assert_eq!(want[0], 1.0);
        assert!((want[n - 1] - kappa).abs() <= 1e-9 * kappa);
    }
}

#[test]
fn wrong_lengths_are_errors_not_panics() {
    let f = Counted::new(curvlab::problems::Rosenbrock::new(3).unwrap());
    let mut g = vec![0.0; 2];
    assert!(f.value(&[1.0, 2.0]).is_err());
    assert!(f.gradient(&[1.0, 2.0, 3.0], &mut g).is_err());
    let mut out = vec![0.0; 3];
    assert!(f.hvp(&[1.0, 2.0, 3.0], &[1.0], &mut out).is_err());
    let q = Quadratic::new(4, 10.0, SpectrumKind::Uniform, Rotation::Diagonal, 0).unwrap();
    assert!(q.gradient(&[0.0; 3], &mut [0.0; 3]).is_err());
    assert!(Quadratic::new(0, 10.0, SpectrumKind::Uniform, Rotation::Diagonal, 0).is_err());
    assert!(Quadratic::new(4, 0.5, SpectrumKind::Uniform, Rotation::Diagonal, 0).is_err());
}

#[test]
fn finite_difference_fallback_is_close_but_labelled_inexact() {
    use curvlab::diff::FiniteDifferenceHvp;
    let f = curvlab::problems::Rosenbrock::new(4).unwrap();
    let fd = FiniteDifferenceHvp::new(f);
    let x = random_point(4, 5, 1.0);
    let v = random_point(4, 6, 1.0);
    let (mut a, mut b) = (vec![0.0; 4], vec![0.0; 4]);
    f.hvp(&x, &v, &mut a).unwrap();
    fd.hvp(&x, &v, &mut b).unwrap();
    let err: f64 = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).powi(2))
        .sum::<f64>()
        .sqrt();
    let nrm: f64 = a.iter().map(|p| p * p).sum::<f64>().sqrt();
    assert!(err / nrm < 1e-6, "fd hvp relative error {}", err / nrm);
}

#[test]
fn norm_is_scaled_against_overflow_and_underflow() {
    use curvlab::linalg::vector::norm;
    // Scaling by a power of two is exact, so ‖2^k a‖ must equal 2^k ‖a‖ to rounding of the
    // scaled sum (a few ulps; measured ≤ 1 ulp, bound 4 ulps = 8.9e-16 relative).
    for (seed, n) in [(0u64, 7usize), (1, 1000), (2, 1)] {
        let a = random_point(n, seed, 1.0);
        let reference = norm(&a);
        for k in [664i32, -664, 1000, -1000] {
            let s = 2f64.powi(k);
            let b: Vec<f64> = a.iter().map(|x| x * s).collect();
            let got = norm(&b) / s;
            assert!(
                (got - reference).abs() <= 4.0 * f64::EPSILON * reference,
                "n = {n}, 2^{k}: {got:e} vs {reference:e}"
            );
        }
    }
    // |x| ~ 1e200: Σ xᵢ² overflows, the norm does not.
    assert_eq!(norm(&[1e200, 1e200]), 1e200 * 2f64.sqrt());
    assert_eq!(norm(&[0.0; 5]), 0.0);
    assert_eq!(norm(&[1.0, f64::INFINITY]), f64::INFINITY);
    assert!(norm(&[f64::INFINITY, f64::NAN]).is_nan());
}
