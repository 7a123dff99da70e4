//! L-BFGS against references: Rosenbrock from the standard start to ‖g‖ ≤ 1e-8 at the known
//! minimizer (1, 1); on a quadratic with history m ≥ n the two-loop direction equals the dense
//! BFGS inverse-Hessian update (Nocedal & Wright eq. 6.17) applied from H⁰ = γI; history 0 is
//! an error.

use curvlab::methods::lbfgs::Lbfgs;
use curvlab::methods::{Iterate, Method, MethodContext, build_method};
use curvlab::params::Params;
use curvlab::problems::{Quadratic, Rosenbrock, Rotation, SpectrumKind};
use curvlab::{Error, Objective, Stop, minimize};

#[test]
fn solves_rosenbrock_from_the_standard_start() {
    // Start (−1.2, 1), defaults m = 10, c1 = 1e-4, c2 = 0.9, ‖g‖ ≤ 1e-8.
    let f = Rosenbrock::new(2).unwrap();
    let r = minimize(&f, &mut Lbfgs::new(), &[-1.2, 1.0], &Stop::new(1e-8, 500)).unwrap();
    assert!(r.converged() && r.grad_norm <= 1e-8, "{}", r.termination);
    assert!(
        (r.x[0] - 1.0).abs() < 1e-7 && (r.x[1] - 1.0).abs() < 1e-7,
        "{:?}",
        r.x
    );
    // Monotone decrease (every step satisfies sufficient decrease).
    assert!(r.trace.windows(2).all(|w| w[1].f <= w[0].f));
    // A quasi-Newton method: far fewer iterations than the thousands gradient descent needs.
    assert!(r.iterations < 60, "{} iterations", r.iterations);
}

#[test]
fn registry_lbfgs_matches_direct_construction() {
    let f = Rosenbrock::new(4).unwrap();
    let x0 = f.standard_start();
    let mut a = build_method(
        "lbfgs",
        &Params::from_pairs(&["history=5", "c1=1e-4", "c2=0.9"]).unwrap(),
        &MethodContext::default(),
    )
    .unwrap();
    let mut b = Lbfgs::new().with_history(5).unwrap();
    let stop = Stop::new(1e-8, 500);
    let ra = minimize(&f, &mut a, &x0, &stop).unwrap();
    let rb = minimize(&f, &mut b, &x0, &stop).unwrap();
    assert!(ra.converged());
    assert_eq!(ra.x, rb.x);
    assert_eq!(ra.iterations, rb.iterations);
}

/// Dense BFGS inverse update H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ.
fn bfgs_update(h: &mut [Vec<f64>], s: &[f64], y: &[f64]) {
    let n = s.len();
    let rho = 1.0 / s.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let mut a = vec![vec![0.0; n]; n]; // I − ρ s yᵀ
    for i in 0..n {
        for j in 0..n {
            a[i][j] = f64::from(u8::from(i == j)) - rho * s[i] * y[j];
        }
    }
    let mut ah = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            ah[i][j] = (0..n).map(|k| a[i][k] * h[k][j]).sum();
        }
    }
    for i in 0..n {
        for j in 0..n {
            h[i][j] = (0..n).map(|k| ah[i][k] * a[j][k]).sum::<f64>() + rho * s[i] * s[j];
        }
    }
}

#[test]
fn two_loop_direction_equals_dense_bfgs_update() {
    // Quadratic n = 6, κ = 10, seed 5, x0 = 0. Run 3 L-BFGS steps (m = 10 ≥ 3 pairs), then the
    // step taken at iteration 4 must be −α H₃ g₃ with H₃ from the dense BFGS recursion starting
    // at γI, γ = sᵀy/yᵀy of the newest pair (N&W Algorithm 7.4 is exactly this product).
    let q = Quadratic::new(6, 10.0, SpectrumKind::Uniform, Rotation::Random, 5).unwrap();
    let mut m = Lbfgs::new();
    let mut it = Iterate::new(&q, vec![0.0; 6]).unwrap();
    m.init(&q, &it).unwrap();
    let mut xs = vec![it.x.clone()];
    let mut gs = vec![it.g.clone()];
    for _ in 0..4 {
        m.step(&q, &mut it).unwrap();
        xs.push(it.x.clone());
        gs.push(it.g.clone());
    }
    assert_eq!(m.skipped(), 0);
    let diff = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<_>>();
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..3)
        .map(|k| (diff(&xs[k + 1], &xs[k]), diff(&gs[k + 1], &gs[k])))
        .collect();
    let (s2, y2) = &pairs[2];
    let gamma =
        s2.iter().zip(y2).map(|(a, b)| a * b).sum::<f64>() / y2.iter().map(|v| v * v).sum::<f64>();
    let mut h = vec![vec![0.0; 6]; 6];
    for (i, row) in h.iter_mut().enumerate() {
        row[i] = gamma;
    }
    for (s, y) in &pairs {
        bfgs_update(&mut h, s, y);
    }
    let d: Vec<f64> = (0..6)
        .map(|i| -(0..6).map(|j| h[i][j] * gs[3][j]).sum::<f64>())
        .collect();
    let step = diff(&xs[4], &xs[3]);
    // step = α d for some α > 0: compare directions.
    let alpha =
        step.iter().zip(&d).map(|(a, b)| a * b).sum::<f64>() / d.iter().map(|v| v * v).sum::<f64>();
    assert!(alpha > 0.0);
    for (a, b) in step.iter().zip(&d) {
        assert!((a - alpha * b).abs() <= 1e-9 * d.iter().map(|v| v.abs()).fold(0.0, f64::max));
    }
}

#[test]
fn bad_input_is_an_error() {
    assert!(matches!(
        Lbfgs::new().with_history(0),
        Err(Error::InvalidParameter { .. })
    ));
    let e = build_method(
        "lbfgs",
        &Params::from_pairs(&["history=0"]).unwrap(),
        &MethodContext::default(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("history"));
    assert!(Lbfgs::new().with_wolfe(0.9, 0.5).is_err());
    let f = Rosenbrock::new(2).unwrap();
    let r = minimize(&f, &mut Lbfgs::new(), &[1.0, 2.0, 3.0], &Stop::default());
    assert!(matches!(r, Err(Error::Dimension { .. })));
    // Stepping without init is an error, not a panic.
    let mut it = Iterate::new(&f, vec![0.0, 0.0]).unwrap();
    assert!(Lbfgs::new().step(&f, &mut it).is_err());
    assert_eq!(f.dim(), 2);
}
