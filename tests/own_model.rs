//! Issue 18, "Their own model": objectives from closures (with and without HVP, exactness
//! against hand-derived Hessians), the argmin → Objective adapter, conversions, `Stop`'s
//! relative gradient tolerance, and Newton on a softmax regression with a singular Hessian.

use curvlab::argmin::{FiniteDifferences, FromArgmin, GradientOnly, HessianVec};
use curvlab::diff::{Scalar, log_sum_exp};
use curvlab::interop::{FnOperator, dmatrix_to_faer, faer_to_dmatrix, to_dvector};
use curvlab::linalg::{HessianOperator, LinearOperator};
use curvlab::methods::newton::Safeguard;
use curvlab::methods::{Lbfgs, Newton};
use curvlab::num_dual::Dual64;
use curvlab::num_dual::DualNum as _; // the dual-number methods (.exp(), …) on Dual64
use curvlab::{Error, Objective, Stop, minimize, objective};
use rand::{Rng, SeedableRng};

// ---- a closed-form test function --------------------------------------------------------------

/// f(x) = exp(x₀) x₁² + x₀ x₂³ + sin(x₁ x₂), with gradient and Hessian derived by hand.
fn f_val(x: &[f64]) -> f64 {
    x[0].exp() * x[1] * x[1] + x[0] * x[2].powi(3) + (x[1] * x[2]).sin()
}
fn f_grad(x: &[f64], g: &mut [f64]) {
    let c = (x[1] * x[2]).cos();
    g[0] = x[0].exp() * x[1] * x[1] + x[2].powi(3);
    g[1] = 2.0 * x[0].exp() * x[1] + x[2] * c;
    g[2] = 3.0 * x[0] * x[2] * x[2] + x[1] * c;
}
fn f_hess(x: &[f64]) -> [[f64; 3]; 3] {
    let (e, s, c) = (x[0].exp(), (x[1] * x[2]).sin(), (x[1] * x[2]).cos());
    let h01 = 2.0 * e * x[1];
    let h02 = 3.0 * x[2] * x[2];
    let h12 = c - x[1] * x[2] * s;
    [
        [e * x[1] * x[1], h01, h02],
        [h01, 2.0 * e - x[2] * x[2] * s, h12],
        [h02, h12, 6.0 * x[0] * x[2] - x[1] * x[1] * s],
    ]
}
/// The same function's value and gradient, written once for any scalar.
fn f_generic<T: Scalar>(x: &[T], g: &mut [T]) -> T {
    let (s, c) = ((x[1] * x[2]).sin(), (x[1] * x[2]).cos());
    g[0] = x[0].exp() * x[1] * x[1] + x[2].powi(3);
    g[1] = x[0].exp() * x[1] * 2.0 + x[2] * c;
    g[2] = x[0] * x[2] * x[2] * 3.0 + x[1] * c;
    x[0].exp() * x[1] * x[1] + x[0] * x[2].powi(3) + s
}

const POINTS: [[f64; 3]; 3] = [[0.3, -1.2, 0.7], [-1.0, 0.5, 2.0], [1.5, 2.0, -0.4]];
const DIRS: [[f64; 3]; 2] = [[1.0, -2.0, 0.5], [0.3, 0.0, -1.1]];

/// max over points and directions of ‖Hv − H_hand v‖ / (‖H_hand‖_max ‖v‖_∞).
fn hvp_error<O: Objective>(f: &O) -> f64 {
    let mut worst = 0.0f64;
    for x in POINTS {
        let h = f_hess(&x);
        let scale = h.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        for v in DIRS {
            let mut hv = [0.0; 3];
            f.hvp(&x, &v, &mut hv).unwrap();
            let vmax = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
            for i in 0..3 {
                let want: f64 = (0..3).map(|j| h[i][j] * v[j]).sum();
                worst = worst.max((hv[i] - want).abs() / (scale * vmax));
            }
        }
    }
    worst
}

#[test]
fn from_fns_without_hvp_uses_finite_differences_and_says_so() {
    let f = objective::from_fns(3, f_val, f_grad).unwrap();
    assert!(!f.hvp_is_exact());
    // Central differences: O(h²) truncation + O(ε/h) rounding, h = ∛ε(1+‖x‖)/‖v‖.
    // Measured 6.8e-11; bound 1e-7 (the documented ~1e-8 relative, with margin).
    let err = hvp_error(&f);
    assert!(err < 1e-7 && err > 0.0, "{err:e}");
    assert!(f.hvp_note().unwrap().starts_with("finite-difference HVP"));
    // Every report of a run on it carries the note, first- and second-order methods alike.
    let q = objective::from_fns(
        2,
        |x| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]),
        |x, g| {
            g[0] = x[0];
            g[1] = 10.0 * x[1];
        },
    )
    .unwrap();
    for r in [
        minimize(&q, &mut Newton::default(), &[1.0, 1.0], &Stop::default()).unwrap(),
        minimize(&q, &mut Lbfgs::default(), &[1.0, 1.0], &Stop::default()).unwrap(),
    ] {
        assert!(r.converged());
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("finite-difference HVP"));
    }
}

#[test]
fn from_fns_with_hvp_is_exact() {
    let f = objective::from_fns(3, f_val, f_grad)
        .unwrap()
        .with_hvp(|x, v, out| {
            let h = f_hess(x);
            for i in 0..3 {
                out[i] = (0..3).map(|j| h[i][j] * v[j]).sum();
            }
        });
    assert!(f.hvp_is_exact() && f.hvp_note().is_none());
    assert!(hvp_error(&f) < 1e-15);
    // Value and gradient pass through unchanged.
    let mut g = [0.0; 3];
    let v = f.gradient(&POINTS[0], &mut g).unwrap();
    let mut want = [0.0; 3];
    f_grad(&POINTS[0], &mut want);
    assert_eq!((v, g), (f_val(&POINTS[0]), want));
    // Wrong lengths are errors, not panics.
    assert!(matches!(f.value(&[1.0]), Err(Error::Dimension { .. })));
    assert!(f.hvp(&[1.0; 3], &[1.0; 2], &mut [0.0; 3]).is_err());
}

#[test]
fn from_generic_is_exact_to_rounding() {
    let f = objective::from_generic(3, f_generic).unwrap();
    // HVP by duals against the hand-derived Hessian: measured 3.6e-17, bound 1e-12.
    let err = hvp_error(&f);
    assert!(err < 1e-12, "{err:e}");
    for x in POINTS {
        let mut g = [0.0; 3];
        let mut want = [0.0; 3];
        let v = f.gradient(&x, &mut g).unwrap();
        f_grad(&x, &mut want);
        assert!((v - f_val(&x)).abs() <= 1e-14 * f_val(&x).abs().max(1.0));
        for i in 0..3 {
            assert!((g[i] - want[i]).abs() <= 1e-13 * want[i].abs().max(1.0));
        }
        // The dense Hessian assembled from n HVPs.
        let h = f.hessian(&x).unwrap();
        let hh = f_hess(&x);
        for i in 0..3 {
            for j in 0..3 {
                assert!((h[(i, j)] - hh[i][j]).abs() <= 1e-12 * hh[i][j].abs().max(1.0));
            }
        }
    }
    assert!(objective::from_generic(0, f_generic).is_err());
}

// ---- softmax regression with a singular Hessian ----------------------------------------------

/// Multinomial logistic regression without bias or regularisation: K classes, d features,
/// parameters W (K × d, row c = class c). Adding the same vector to every row leaves the
/// softmax unchanged, so the Hessian has a null space of dimension d. Labels from a planted
/// model `W*` with entries U(−10, 10) plus Gumbel noise (not separable: a minimizer exists).
struct SoftmaxData {
    x: Vec<f64>,
    y: Vec<usize>,
    n: usize,
    d: usize,
    k: usize,
}

fn softmax_data(n: usize, d: usize, k: usize, seed: u64) -> SoftmaxData {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<f64> = (0..n * d)
        .map(|_| rng.random::<f64>() * 2.0 - 1.0)
        .collect();
    let w: Vec<f64> = (0..k * d)
        .map(|_| 10.0 * (rng.random::<f64>() * 2.0 - 1.0))
        .collect();
    let y = (0..n)
        .map(|i| {
            let mut best = (f64::NEG_INFINITY, 0);
            for c in 0..k {
                let u = rng.random::<f64>().max(1e-300);
                let z = (0..d).map(|j| w[c * d + j] * x[i * d + j]).sum::<f64>() - (-u.ln()).ln();
                if z > best.0 {
                    best = (z, c);
                }
            }
            best.1
        })
        .collect();
    SoftmaxData { x, y, n, d, k }
}

impl SoftmaxData {
    /// The class scores z = W xᵢ and the softmax p of example i (f64).
    fn probs(&self, w: &[f64], i: usize) -> Vec<f64> {
        let xi = &self.x[i * self.d..(i + 1) * self.d];
        let z: Vec<f64> = (0..self.k)
            .map(|c| (0..self.d).map(|j| w[c * self.d + j] * xi[j]).sum())
            .collect();
        let lse = log_sum_exp(&z);
        z.iter().map(|v| (v - lse).exp()).collect()
    }

    /// The Hessian by hand: (1/N) Σᵢ (diag(p) − ppᵀ) ⊗ xᵢxᵢᵀ.
    fn hessian(&self, w: &[f64]) -> faer::Mat<f64> {
        let (d, k) = (self.d, self.k);
        let mut h = faer::Mat::<f64>::zeros(k * d, k * d);
        for i in 0..self.n {
            let p = self.probs(w, i);
            let xi = &self.x[i * d..(i + 1) * d];
            for c in 0..k {
                for c2 in 0..k {
                    let a = if c == c2 { p[c] } else { 0.0 } - p[c] * p[c2];
                    for j in 0..d {
                        for j2 in 0..d {
                            h[(c * d + j, c2 * d + j2)] += a * xi[j] * xi[j2] / self.n as f64;
                        }
                    }
                }
            }
        }
        h
    }
}

/// The model in the user's own words: value and gradient once, generic, via `from_generic`.
fn softmax_objective(data: &SoftmaxData) -> impl Objective + '_ {
    objective::from_generic(data.d * data.k, move |w: &[Dual64], g: &mut [Dual64]| {
        let (d, k) = (data.d, data.k);
        g.iter_mut().for_each(|v| *v = Dual64::from(0.0));
        let mut f = Dual64::from(0.0);
        let mut z = vec![Dual64::from(0.0); k];
        for i in 0..data.n {
            let xi = &data.x[i * d..(i + 1) * d];
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = (0..d).fold(Dual64::from(0.0), |s, j| s + w[c * d + j] * xi[j]);
            }
            let lse = log_sum_exp(&z);
            f += lse - z[data.y[i]];
            for c in 0..k {
                let p = (z[c] - lse).exp();
                let r = if c == data.y[i] { p - 1.0 } else { p };
                for j in 0..d {
                    g[c * d + j] += r * xi[j];
                }
            }
        }
        let inv = 1.0 / data.n as f64;
        g.iter_mut().for_each(|v| *v *= inv);
        f * inv
    })
    .unwrap()
}

#[test]
fn softmax_hessian_is_singular_and_the_generic_hvp_matches_the_hand_hessian() {
    let data = softmax_data(200, 5, 3, 7);
    let f = softmax_objective(&data);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let w: Vec<f64> = (0..15).map(|_| rng.random::<f64>() - 0.5).collect();
    let h_hand = data.hessian(&w);
    let h = f.hessian(&w).unwrap();
    let scale = (0..15)
        .flat_map(|j| (0..15).map(move |i| (i, j)))
        .fold(0.0f64, |m, (i, j)| m.max(h_hand[(i, j)].abs()));
    for j in 0..15 {
        for i in 0..15 {
            // measured 1.1e-15 relative; bound 1e-12.
            assert!((h[(i, j)] - h_hand[(i, j)]).abs() <= 1e-12 * scale);
        }
    }
    // Null space of dimension d = 5: five eigenvalues at rounding level, the rest clearly > 0.
    let s = curvlab::curvature::spectrum(&h_hand).unwrap();
    let top = s.eigenvalues[14];
    let zeros = s
        .eigenvalues
        .iter()
        .filter(|l| l.abs() < 1e-12 * top)
        .count();
    assert_eq!(zeros, 5, "{:?}", s.eigenvalues);
    // measured |λ| ≤ 4.7e-17 for the five, then λ₆ = 0.078 = 0.54 λ_max; bound 0.3 λ_max.
    assert!(s.eigenvalues[5] > 0.3 * top, "{:?}", s.eigenvalues);
}

#[test]
fn newton_solves_the_singular_softmax_regression_in_at_most_15_iterations() {
    let data = softmax_data(200, 5, 3, 7);
    let f = softmax_objective(&data);
    let x0 = vec![0.0; 15];
    let stop = Stop::new(1e-8, 200);
    // Measured (iterations to ‖∇f‖ ≤ 1e-8 from 0): default (trust-exact) 10; modified
    // Cholesky + Armijo 14 with the shift β‖H‖_F (80 with the constant β = 1e-3 before issue
    // 18: a linear rate τ/(λ + τ) on the small eigenvalues); lm 10.
    let runs = [
        ("default", Newton::default(), 15),
        (
            "modified",
            Newton::default().with_safeguard(Safeguard::Modified),
            15,
        ),
        ("lm", Newton::default().with_safeguard(Safeguard::Lm), 15),
    ];
    for (name, mut m, bound) in runs {
        let r = minimize(&f, &mut m, &x0, &stop).unwrap();
        assert!(r.converged(), "{name}: {}", r.termination);
        assert!(r.grad_norm <= 1e-8);
        assert!(r.iterations <= bound, "{name}: {} iterations", r.iterations);
        assert!(r.notes.is_empty());
    }
}

// ---- Stop::grad_rtol ----------------------------------------------------------------------------

#[test]
fn relative_gradient_tolerance_stops_at_the_first_iterate_below_it() {
    let q = curvlab::problems::Ravine::seed();
    let x0 = [1.0, 8.0];
    let mut g0 = [0.0; 2];
    q.gradient(&x0, &mut g0).unwrap();
    let g0n = (g0[0] * g0[0] + g0[1] * g0[1]).sqrt();
    let stop = Stop::relative(1e-6, 10_000);
    let mut m = Lbfgs::default();
    let r = minimize(&q, &mut m, &x0, &stop).unwrap();
    assert!(r.converged());
    // The run ends at the first iterate with ‖∇f‖ ≤ 1e-6 ‖∇f(x₀)‖, not before, not after.
    let first = r
        .trace
        .iter()
        .position(|t| t.grad_norm <= 1e-6 * g0n)
        .unwrap();
    assert_eq!(first, r.iterations);
    // The same run as the absolute tolerance 1e-6 ‖∇f(x₀)‖.
    let abs = minimize(
        &q,
        &mut Lbfgs::default(),
        &x0,
        &Stop::new(1e-6 * g0n, 10_000),
    )
    .unwrap();
    assert_eq!(abs.iterations, r.iterations);
    assert!(Stop::relative(0.0, 10).validate().is_err());
    assert!(Stop::relative(f64::NAN, 10).validate().is_err());
}

// ---- argmin problems get every diagnostic --------------------------------------------------------

/// The closed-form function above as an argmin problem (values and gradients only).
struct ArgminF;
impl argmin::core::CostFunction for ArgminF {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        if x[0] > 50.0 {
            return Err(argmin::core::Error::msg("x0 out of the model's range"));
        }
        Ok(f_val(x))
    }
}
impl argmin::core::Gradient for ArgminF {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        let mut g = vec![0.0; 3];
        f_grad(x, &mut g);
        Ok(g)
    }
}

#[test]
fn an_argmin_problem_gets_spectrum_lanczos_and_errors_that_point_to_the_fallback() {
    // Gradient only: HVPs are refused with a pointer to the finite-difference wrapper.
    let only = FromArgmin::new(GradientOnly(ArgminF), 3).unwrap();
    let e = only.hvp(&POINTS[0], &DIRS[0], &mut [0.0; 3]).unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)));
    assert!(
        e.to_string().contains("curvlab::argmin::FiniteDifferences"),
        "{e}"
    );
    let msg = GradientOnly(ArgminF)
        .hessian_vec(&POINTS[0].to_vec(), &DIRS[0].to_vec())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("FiniteDifferences"), "{msg}");
    // With finite differences: products to ~1e-8 (measured 6.8e-11, bound 1e-7), noted.
    let fd = FromArgmin::new(FiniteDifferences(ArgminF), 3).unwrap();
    assert!(hvp_error(&fd) < 1e-7);
    assert!(fd.hvp_note().unwrap().starts_with("finite-difference HVP"));
    // The dense spectrum at a point against the hand Hessian's eigenvalues.
    let x = POINTS[0];
    let op = HessianOperator::new(&fd, x.to_vec()).unwrap();
    let s = curvlab::curvature::spectrum(&op).unwrap();
    let hh = f_hess(&x);
    let hand = faer::Mat::<f64>::from_fn(3, 3, |i, j| hh[i][j]);
    let want = curvlab::curvature::spectrum(&hand).unwrap();
    for (a, b) in s.eigenvalues.iter().zip(&want.eigenvalues) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    // A user's error comes back as a curvlab error with its message.
    let e = fd.value(&[60.0, 0.0, 0.0]).unwrap_err();
    assert_eq!(e.to_string(), "argmin: x0 out of the model's range");
    // Newton runs on it (f is unbounded below through x₀x₂³: measured, a runaway after 24
    // iterations) and the report says it used finite differences.
    let r = minimize(
        &fd,
        &mut Newton::default(),
        &[0.3, -1.2, 0.7],
        &Stop::new(1e-8, 200),
    )
    .unwrap();
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("finite-difference"));
}

// ---- conversions and operators -------------------------------------------------------------------

#[test]
fn nalgebra_and_closure_operators_give_the_dense_spectrum() {
    // A = tridiag(−1, 2, −1), n = 30: λⱼ = 2 − 2 cos(jπ/31) (closed form).
    let n = 30;
    let a = nalgebra::DMatrix::<f64>::from_fn(n, n, |i, j| match i.abs_diff(j) {
        0 => 2.0,
        1 => -1.0,
        _ => 0.0,
    });
    let exact: Vec<f64> = (1..=n)
        .map(|j| 2.0 - 2.0 * (j as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos())
        .collect();
    let s = curvlab::curvature::spectrum(&a).unwrap();
    for (l, e) in s.eigenvalues.iter().zip(&exact) {
        assert!((l - e).abs() < 1e-12);
    }
    let op = FnOperator::new(n, |v: &[f64], out: &mut [f64]| {
        for i in 0..v.len() {
            let left = if i > 0 { v[i - 1] } else { 0.0 };
            let right = if i + 1 < v.len() { v[i + 1] } else { 0.0 };
            out[i] = 2.0 * v[i] - left - right;
        }
        Ok(())
    })
    .unwrap();
    let dense = curvlab::linalg::operator::to_dense(&op).unwrap();
    assert_eq!(dense, dmatrix_to_faer(&a));
    assert_eq!(faer_to_dmatrix(&dense), a);
    let mut out = vec![0.0; n];
    op.apply(to_dvector(&vec![1.0; n]).as_slice(), &mut out)
        .unwrap();
    assert_eq!((out[0], out[1], out[n - 1]), (1.0, 0.0, 1.0));
    let bad = FnOperator::new(2, |_: &[f64], out: &mut [f64]| {
        out.fill(f64::NAN);
        Ok(())
    })
    .unwrap();
    assert!(matches!(
        bad.apply(&[1.0, 1.0], &mut [0.0; 2]),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn log_sum_exp_is_stable_and_its_gradient_is_the_softmax() {
    let z = [700.0, 710.0, 705.0];
    // Reference: 710 + ln(e^-10 + 1 + e^-5).
    let want = 710.0 + ((-10f64).exp() + 1.0 + (-5f64).exp()).ln();
    assert!((log_sum_exp(&z) - want).abs() < 1e-12);
    let sum: f64 = [-10.0f64, 0.0, -5.0].iter().map(|v| v.exp()).sum();
    for k in 0..3 {
        let zd: Vec<Dual64> = z
            .iter()
            .enumerate()
            .map(|(i, &v)| Dual64::new(v, if i == k { 1.0 } else { 0.0 }))
            .collect();
        let p = (z[k] - 710.0).exp() / sum;
        assert!((log_sum_exp(&zd).eps - p).abs() < 1e-15);
    }
}
