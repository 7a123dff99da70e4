//! Second-order methods: exact Newton (modified Cholesky + line search, Levenberg–Marquardt,
//! Moré–Sorensen trust region), line-search Newton-CG, Steihaug trust-region Newton-CG and
//! Hessian-free optimization. References: closed-form minimizers of seeded quadratics, the
//! published iteration counts of scipy 1.17.1 on 2-D Rosenbrock from (−1.2, 1) (measured with
//! `scipy.optimize.minimize(rosen, x0, jac=rosen_der, hessp=rosen_hess_prod / hess=rosen_hess)`:
//! trust-exact 25 iterations at gtol 1e-8; trust-ncg 29 at its default gtol 1e-5 and 30 at
//! gtol 1e-8; Newton-CG 83 per the issue, 86 measured with xtol 1e-12; curvlab takes 64), eigenvalues from faer
//! for the indefinite starts, the strong-convexity bound `‖x − x*‖ ≤ ‖∇f(x)‖/μ` for the
//! logistic regression, and the Levenberg–Marquardt rule of Martens (2010) recomputed from the
//! trace.

use curvlab::diff::{DualGradient, Scalar, check_derivatives};
use curvlab::methods::hessian_free::CurvatureKind;
use curvlab::methods::line_search::LineSearchKind;
use curvlab::methods::newton::Safeguard;
use curvlab::methods::trust_region::TrustRegion;
use curvlab::methods::{
    HessianFree, Iterate, Method, MethodContext, Newton, NewtonCg, TrustNcg, build_method,
    method_infos,
};
use curvlab::params::Params;
use curvlab::problems::{Quadratic, Rosenbrock, Rotation, SpectrumKind};
use curvlab::{Error, FiniteSum, GaussNewton, Objective, Report, Result, Stop, Termination};
use faer::Side;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::sync::atomic::{AtomicUsize, Ordering};

const X0: [f64; 2] = [-1.2, 1.0];

fn run(m: &mut dyn Method, obj: &dyn Objective, x0: &[f64], tol: f64, max: usize) -> Report {
    curvlab::minimize(obj, m, x0, &Stop::new(tol, max)).unwrap()
}

fn extra(row: &curvlab::TraceRow, key: &str) -> f64 {
    row.extras
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no extra {key}"))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

// ---------------------------------------------------------------------------------------------
// Exact Newton

/// Newton (default: modified Cholesky + Armijo) solves strictly convex quadratics in exactly one
/// iteration. Seeds 0-2; n = 10, 30, 50 with κ = 1e2, 1e4, 1e6; log-uniform, uniform and
/// two-cluster spectra; start x₀ = 0. Reference: the generator's exact minimizer x*. Tolerance:
/// 1e-12 relative, widened to 10·κ·ε where that is larger, because `b = Ax*` is itself rounded
/// and a backward-stable solve can only recover x* to O(κε) (for κ ≤ 1e3 the bound is 1e-12).
#[test]
fn newton_solves_convex_quadratics_in_one_step() {
    for seed in 0..3u64 {
        for (n, kappa) in [(10, 1e2), (30, 1e4), (50, 1e6)] {
            for kind in [
                SpectrumKind::LogUniform,
                SpectrumKind::Uniform,
                SpectrumKind::TwoCluster,
            ] {
                let q = Quadratic::new(n, kappa, kind, Rotation::Random, seed).unwrap();
                let r = run(
                    &mut Newton::new().with_safeguard(Safeguard::Modified),
                    &q,
                    &q.standard_start(),
                    0.0,
                    1,
                );
                assert_eq!(r.iterations, 1);
                let xs = q.minimizer();
                let err: Vec<f64> = r.x.iter().zip(xs).map(|(a, b)| a - b).collect();
                let rel = norm(&err) / norm(xs);
                let tol = 1e-12f64.max(10.0 * kappa * f64::EPSILON);
                assert!(rel <= tol, "seed {seed} n {n} κ {kappa} {kind:?}: {rel:e}");
                assert_eq!(extra(&r.trace[1], "shift"), 0.0);
                assert_eq!(extra(&r.trace[1], "alpha"), 1.0);
            }
        }
    }
}

/// Newton (modified Cholesky) with a line search on 2-D Rosenbrock from (−1.2, 1): ‖g‖ ≤ 1e-8 in at most 22
/// iterations (the target; scipy's trust-exact needs 25), for both Armijo and
/// strong-Wolfe searches; the minimizer is (1, 1).
#[test]
fn newton_line_search_rosenbrock() {
    let f = Rosenbrock::new(2).unwrap();
    for ls in [LineSearchKind::Armijo, LineSearchKind::Wolfe] {
        let r = run(
            &mut Newton::new()
                .with_safeguard(Safeguard::Modified)
                .with_line_search(ls),
            &f,
            &X0,
            1e-8,
            100,
        );
        assert!(r.converged(), "{ls:?}: {}", r.termination);
        assert!(r.iterations <= 22, "{ls:?}: {} iterations", r.iterations);
        assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] - 1.0).abs() < 1e-8);
        assert_eq!(r.counts.hessian as usize, r.iterations);
    }
}

/// Newton's trust-exact variant (Moré–Sorensen) on 2-D Rosenbrock from (−1.2, 1): no more
/// iterations than scipy's trust-exact (25, rejected steps counted as iterations in both), and
/// the Levenberg–Marquardt variant converges as well.
#[test]
fn newton_trust_exact_and_lm_rosenbrock() {
    let f = Rosenbrock::new(2).unwrap();
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::TrustExact),
        &f,
        &X0,
        1e-8,
        100,
    );
    assert!(
        r.converged() && r.iterations <= 25,
        "{} {}",
        r.iterations,
        r.termination
    );
    // A rejected trust-region step leaves x and f unchanged; an accepted one decreases f.
    for w in r.trace.windows(2) {
        assert!(w[1].f <= w[0].f);
    }
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::Lm),
        &f,
        &X0,
        1e-8,
        100,
    );
    assert!(r.converged(), "{}", r.termination);
    assert!((r.x[0] - 1.0).abs() < 1e-8);
}

/// A wrapper that only offers value, gradient and HVP (no dense Hessian), counting HVP calls.
struct HvpOnly {
    inner: Rosenbrock,
    hvps: AtomicUsize,
}

impl Objective for HvpOnly {
    fn dim(&self) -> usize {
        Objective::dim(&self.inner)
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        Objective::value(&self.inner, x)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        Objective::gradient(&self.inner, x, g)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.hvps.fetch_add(1, Ordering::Relaxed);
        self.inner.hvp(x, v, out)
    }
}

/// Newton on an objective with only HVPs assembles each dense Hessian from exactly n products
/// (through `Objective::hessian`'s default), and still converges.
#[test]
fn newton_assembles_hessian_from_hvps() {
    let f = HvpOnly {
        inner: Rosenbrock::new(2).unwrap(),
        hvps: AtomicUsize::new(0),
    };
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::Modified),
        &f,
        &X0,
        1e-8,
        100,
    );
    assert!(r.converged());
    // (plus the driver's end-of-run λ_min check, counted in `r.counts.hvp`)
    assert_eq!(
        f.hvps.load(Ordering::Relaxed),
        2 * r.counts.hessian as usize + r.counts.hvp as usize
    );
}

/// The double well `f = x⁴/4 − x²/2 + y²/2` (saddle at 0, minima (±1, 0)).
struct DoubleWell;
impl DualGradient for DoubleWell {
    fn dim(&self) -> usize {
        2
    }
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        g[0] = x[0].powi(3) - x[0];
        g[1] = x[1];
        x[0].powi(4) * 0.25 - x[0] * x[0] * 0.5 + x[1] * x[1] * 0.5
    }
}
curvlab::dual_objective!(DoubleWell);

/// From points where the Hessian is indefinite — Rosenbrock at (0, 1) (1200x² − 400y + 2 =
/// −398) and the double well at (0.1, 1) — Newton (modified Cholesky + Armijo) decreases f at
/// every iteration, reports a positive shift at the first one, and converges. Indefiniteness is
/// checked independently with faer's symmetric eigenvalues.
#[test]
fn newton_from_indefinite_hessian_decreases_f() {
    let rosen = Rosenbrock::new(2).unwrap();
    let cases: [(&dyn Objective, [f64; 2]); 2] = [(&rosen, [0.0, 1.0]), (&DoubleWell, [0.1, 1.0])];
    for (f, x0) in cases {
        let ev = f
            .hessian(&x0)
            .unwrap()
            .self_adjoint_eigenvalues(Side::Lower)
            .unwrap();
        assert!(ev[0] < 0.0 && ev[1] > 0.0);
        let r = run(
            &mut Newton::new().with_safeguard(Safeguard::Modified),
            f,
            &x0,
            1e-8,
            200,
        );
        assert!(r.converged(), "{}", r.termination);
        assert!(extra(&r.trace[1], "shift") > 0.0);
        for w in r.trace.windows(2) {
            assert!(w[1].f < w[0].f, "f rose at iteration {}", w[1].k);
        }
        // Trust-region variants never increase f either.
        let t = run(
            &mut Newton::new().with_safeguard(Safeguard::TrustExact),
            f,
            &x0,
            1e-8,
            200,
        );
        assert!(t.converged());
        let n = run(&mut TrustNcg::default(), f, &x0, 1e-8, 200);
        assert!(n.converged());
        for w in t.trace.windows(2).chain(n.trace.windows(2)) {
            assert!(w[1].f <= w[0].f);
        }
    }
    // The double well converges to a minimizer (±1, 0), not to the saddle.
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::Modified),
        &DoubleWell,
        &[0.1, 1.0],
        1e-10,
        200,
    );
    assert!((r.x[0].abs() - 1.0).abs() < 1e-8 && r.x[1].abs() < 1e-8);
}

// ---------------------------------------------------------------------------------------------
// Truncated Newton

/// Newton-CG and trust-ncg on 2-D Rosenbrock from (−1.2, 1) to ‖g‖ ≤ 1e-8, matrix-free (no
/// dense Hessian, HVPs counted): Newton-CG within scipy's Newton-CG count (83); trust-ncg
/// within scipy's trust-ncg at the same tolerance (30 at gtol 1e-8) and within 29 at scipy's
/// default gtol 1e-5.
#[test]
fn truncated_newton_rosenbrock() {
    let f = Rosenbrock::new(2).unwrap();
    let r = run(&mut NewtonCg::default(), &f, &X0, 1e-8, 500);
    // Measured 64 (Armijo) and 72 (strong Wolfe); bounds 70 and 79 (10 % margin).
    assert!(
        r.converged() && r.iterations <= 70,
        "newton-cg {}",
        r.iterations
    );
    assert_eq!(r.counts.hessian, 0);
    assert!(r.counts.hvp as usize >= r.iterations);
    let wolfe = run(
        &mut NewtonCg::new().with_line_search(LineSearchKind::Wolfe),
        &f,
        &X0,
        1e-8,
        500,
    );
    assert!(
        wolfe.converged() && wolfe.iterations <= 79,
        "newton-cg wolfe {}",
        wolfe.iterations
    );
    let t = run(&mut TrustNcg::default(), &f, &X0, 1e-8, 500);
    assert!(
        t.converged() && t.iterations <= 30,
        "trust-ncg {}",
        t.iterations
    );
    assert_eq!(t.counts.hessian, 0);
    let t5 = run(&mut TrustNcg::default(), &f, &X0, 1e-5, 500);
    assert!(
        t5.converged() && t5.iterations <= 29,
        "trust-ncg {}",
        t5.iterations
    );
    // The forcing term in the trace is min(0.5, sqrt(‖g‖)) of the previous iterate.
    for w in r.trace.windows(2) {
        let want = 0.5f64.min(w[0].grad_norm.sqrt());
        assert!((extra(&w[1], "forcing") - want).abs() <= 1e-15);
    }
}

// ---------------------------------------------------------------------------------------------
// Hessian-free on a convex finite sum with Gauss-Newton products

/// L2-regularized logistic regression `f(w) = (1/N) Σ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + (μ/2)‖w‖²`,
/// `zᵢ = xᵢᵀw`. The model is linear in `w` and the loss convex in `z`, so the Gauss-Newton
/// matrix equals the Hessian `(1/N) Xᵀ diag(σ(1−σ)) X + μI`.
struct Logistic {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    mu: f64,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

impl Logistic {
    /// N = 200 examples, 5 Gaussian features plus a bias (seed 42), labels drawn from the
    /// logistic model with weights from seed 43 (noisy: not separable), μ = 1e-2.
    fn seeded() -> Self {
        let (n_ex, d) = (200, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let x: Vec<Vec<f64>> = (0..n_ex)
            .map(|_| {
                let mut r: Vec<f64> = (0..d - 1)
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect();
                r.push(1.0);
                r
            })
            .collect();
        let mut rw = ChaCha8Rng::seed_from_u64(43);
        let w: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rw)).collect();
        let y = x
            .iter()
            .map(|xi| {
                let p = sigmoid(xi.iter().zip(&w).map(|(a, b)| a * b).sum());
                if rw.random::<f64>() < p { 1.0 } else { 0.0 }
            })
            .collect();
        Logistic { x, y, mu: 1e-2 }
    }
    fn z(&self, i: usize, w: &[f64]) -> f64 {
        self.x[i].iter().zip(w).map(|(a, b)| a * b).sum()
    }
    fn batch_all(&self) -> Vec<usize> {
        (0..self.y.len()).collect()
    }
}

impl FiniteSum for Logistic {
    fn num_examples(&self) -> usize {
        self.y.len()
    }
    fn batch_gradient(&self, w: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        let m = batch.len() as f64;
        let mut f = 0.0;
        for (gj, wj) in g.iter_mut().zip(w) {
            *gj = self.mu * wj;
        }
        for &i in batch {
            let z = self.z(i, w);
            f += (softplus(z) - self.y[i] * z) / m;
            let r = (sigmoid(z) - self.y[i]) / m;
            for (gj, xj) in g.iter_mut().zip(&self.x[i]) {
                *gj += r * xj;
            }
        }
        Ok(f + 0.5 * self.mu * w.iter().map(|v| v * v).sum::<f64>())
    }
    fn batch_hvp(&self, w: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        let m = batch.len() as f64;
        for (o, vj) in out.iter_mut().zip(v) {
            *o = self.mu * vj;
        }
        for &i in batch {
            let s = sigmoid(self.z(i, w));
            let c = s * (1.0 - s) * self.z(i, v) / m;
            for (o, xj) in out.iter_mut().zip(&self.x[i]) {
                *o += c * xj;
            }
        }
        Ok(())
    }
    fn batch_ggn_vp(&self, w: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.batch_hvp(w, batch, v, out)
    }
    fn per_example_gradients(&self, w: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        let d = w.len();
        for (k, &i) in batch.iter().enumerate() {
            let r = sigmoid(self.z(i, w)) - self.y[i];
            for j in 0..d {
                out[k * d + j] = r * self.x[i][j];
            }
        }
        Ok(())
    }
}

impl GaussNewton for Logistic {
    fn ggn_vp(&self, w: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.batch_ggn_vp(w, &self.batch_all(), v, out)
    }
}

impl Objective for Logistic {
    fn dim(&self) -> usize {
        self.x[0].len()
    }
    fn value(&self, w: &[f64]) -> Result<f64> {
        let mut g = vec![0.0; w.len()];
        self.gradient(w, &mut g)
    }
    fn gradient(&self, w: &[f64], g: &mut [f64]) -> Result<f64> {
        self.batch_gradient(w, &self.batch_all(), g)
    }
    fn hvp(&self, w: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.batch_hvp(w, &self.batch_all(), v, out)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
}

/// Hessian-free drives the seeded logistic regression (see `Logistic::seeded`) from w = 0 to
/// ‖g‖ ≤ 1e-8, using Gauss-Newton products only (auto curvature), with the diagonal
/// preconditioner from per-example gradients. Its answer agrees with exact Newton's within the
/// strong-convexity bound (‖g_HF‖ + ‖g_Newton‖)/μ. The test objective's derivatives are first
/// checked against central differences.
#[test]
fn hessian_free_solves_convex_logistic_regression() {
    let f = Logistic::seeded();
    let w0 = vec![0.0; f.dim()];
    let c = check_derivatives(&f, &[0.3, -0.2, 0.1, 0.5, -0.4, 0.2], 1).unwrap();
    assert!(c.gradient_rel_error < 1e-6 && c.hvp_rel_error < 1e-6);
    let r = run(&mut HessianFree::default(), &f, &w0, 1e-8, 200);
    assert!(r.converged(), "{}", r.termination);
    let check_hvp = r.curvature_check.as_ref().map_or(0, |c| c.hvp);
    assert!(r.counts.ggn > 0 && r.counts.hvp == check_hvp);
    let n = run(&mut Newton::default(), &f, &w0, 1e-10, 100);
    assert!(n.converged());
    let diff: Vec<f64> = r.x.iter().zip(&n.x).map(|(a, b)| a - b).collect();
    assert!(norm(&diff) <= (r.grad_norm + n.grad_norm) / f.mu);
    for row in &r.trace[1..] {
        assert!(extra(row, "cg_iters") <= 250.0);
        assert!(extra(row, "lambda") >= 0.0);
    }
    // Without the preconditioner and without CG backtracking it converges too.
    let plain = run(
        &mut HessianFree::new()
            .with_preconditioner(false)
            .with_backtracking(false),
        &f,
        &w0,
        1e-8,
        200,
    );
    assert!(plain.converged(), "{}", plain.termination);
}

/// Martens's Levenberg–Marquardt rule, recomputed from the trace of the logistic run: after an
/// accepted step with CG not stopped by negative curvature, λ is multiplied by 3/2 when ρ < ¼,
/// by 2/3 when ρ > ¾, and unchanged otherwise. Also checks λ₀ = 1 and that the trace reports
/// λ, CG iterations and ρ.
#[test]
fn hessian_free_damping_follows_martens_rule() {
    let f = Logistic::seeded();
    let w0 = vec![0.0; f.dim()];
    // A large initial damping exercises both directions of the rule.
    let r = run(
        &mut HessianFree::new().with_lambda(50.0).unwrap(),
        &f,
        &w0,
        1e-8,
        200,
    );
    assert!(r.converged());
    assert_eq!(extra(&r.trace[1], "lambda"), 50.0);
    let mut checked = 0;
    for w in r.trace[1..].windows(2) {
        let (lam, rho, alpha) = (
            extra(&w[0], "lambda"),
            extra(&w[0], "rho"),
            extra(&w[0], "alpha"),
        );
        if alpha == 0.0 || extra(&w[0], "cg_status") == 3.0 {
            continue;
        }
        let want = if rho < 0.25 {
            lam * 1.5
        } else if rho > 0.75 {
            lam * 2.0 / 3.0
        } else {
            lam
        };
        assert!((extra(&w[1], "lambda") - want).abs() <= 1e-12 * want);
        checked += 1;
    }
    assert!(checked >= 3);
    let r1 = run(&mut HessianFree::default(), &f, &w0, 1e-8, 200);
    assert_eq!(extra(&r1.trace[1], "lambda"), 1.0);
}

/// Curvature on seeded minibatches (25 % of the examples, seed 7; gradient and line search on
/// the full batch) still reaches ‖g‖ ≤ 1e-8, and the same seed reproduces the run bit for bit.
#[test]
fn hessian_free_minibatch_curvature_is_seeded() {
    let f = Logistic::seeded();
    let w0 = vec![0.0; f.dim()];
    let make = || {
        HessianFree::new()
            .with_curvature_batch(0.25)
            .unwrap()
            .with_seed(7)
    };
    let a = run(&mut make(), &f, &w0, 1e-8, 300);
    let b = run(&mut make(), &f, &w0, 1e-8, 300);
    assert!(a.converged(), "{}", a.termination);
    assert_eq!(a.x, b.x);
    assert_eq!(a.iterations, b.iterations);
    // The explicit Hessian curvature works on this problem too (GGN = Hessian here).
    let h = run(
        &mut HessianFree::new().with_curvature(CurvatureKind::Hessian),
        &f,
        &w0,
        1e-8,
        200,
    );
    assert!(h.converged() && h.counts.ggn == 0 && h.counts.hvp > 0);
}

/// The public contract used by the argmin plugin: `HessianFree::default()` and
/// `Newton::default()` converge on 2-D Rosenbrock from (−1.2, 1) using gradients and HVPs only
/// (Rosenbrock has no Gauss-Newton structure, so HF uses the Hessian).
#[test]
fn defaults_converge_on_rosenbrock() {
    let f = Rosenbrock::new(2).unwrap();
    let hf = run(&mut HessianFree::default(), &f, &X0, 1e-8, 500);
    assert!(hf.converged(), "{}", hf.termination);
    assert!((hf.x[0] - 1.0).abs() < 1e-7 && (hf.x[1] - 1.0).abs() < 1e-7);
    assert_eq!(hf.counts.ggn, 0);
    let nt = run(&mut Newton::default(), &f, &X0, 1e-8, 500);
    assert!(nt.converged());
    let hf2 = HessianFree::default();
    assert!(
        hf2.with_curvature(CurvatureKind::Ggn)
            .init(&f, &Iterate::new(&f, X0.to_vec()).unwrap())
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input

/// `f = ½‖x‖²` whose HVP returns NaN: a Hessian with NaN.
struct NanHessian;
impl Objective for NanHessian {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        Ok(0.5 * (x[0] * x[0] + x[1] * x[1]))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        g.copy_from_slice(x);
        self.value(x)
    }
    fn hvp(&self, _x: &[f64], _v: &[f64], out: &mut [f64]) -> Result<()> {
        out.fill(f64::NAN);
        Ok(())
    }
}

/// A Hessian with NaN ends every second-order method's run with `NonFinite` (no panic) at the
/// start point.
#[test]
fn nan_hessian_is_non_finite() {
    let methods: Vec<Box<dyn Method>> = vec![
        Box::new(Newton::default()),
        Box::new(Newton::new().with_safeguard(Safeguard::Lm)),
        Box::new(Newton::new().with_safeguard(Safeguard::TrustExact)),
        Box::new(NewtonCg::default()),
        Box::new(TrustNcg::default()),
        Box::new(HessianFree::default()),
    ];
    for mut m in methods {
        let r = run(&mut *m, &NanHessian, &[1.0, 2.0], 1e-8, 10);
        assert!(
            matches!(r.termination, Termination::NonFinite(_)),
            "{}: {}",
            m.name(),
            r.termination
        );
        assert_eq!(r.x, vec![1.0, 2.0]);
    }
}

/// `f = (x₀ + x₁)²`: the Hessian [[2, 2], [2, 2]] is singular everywhere.
struct Singular;
impl DualGradient for Singular {
    fn dim(&self) -> usize {
        2
    }
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        let s = x[0] + x[1];
        g[0] = s * 2.0;
        g[1] = s * 2.0;
        s * s
    }
}
curvlab::dual_objective!(Singular);

/// A singular Hessian without damping (`safeguard = none`) is a clear `NotPositiveDefinite`
/// error from `step` and a `Failed` run naming the remedy; the default `modified` safeguard is
/// the documented fall-back (a shift β = 1e-3 is added) and converges.
#[test]
fn singular_hessian_without_damping_errors() {
    let x0 = [1.0, 2.0];
    let mut m = Newton::new().with_safeguard(Safeguard::None);
    let mut it = Iterate::new(&Singular, x0.to_vec()).unwrap();
    m.init(&Singular, &it).unwrap();
    match m.step(&Singular, &mut it) {
        Err(Error::NotPositiveDefinite(msg)) => assert!(msg.contains("safeguard")),
        other => panic!("expected NotPositiveDefinite, got {other:?}"),
    }
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::None),
        &Singular,
        &x0,
        1e-8,
        10,
    );
    assert!(
        matches!(&r.termination, Termination::Failed(s) if s.contains("not positive definite"))
    );
    let r = run(
        &mut Newton::new().with_safeguard(Safeguard::Modified),
        &Singular,
        &x0,
        1e-8,
        50,
    );
    assert!(r.converged());
    assert!(extra(&r.trace[1], "shift") >= 1e-3);
}

/// Invalid hyperparameters are `InvalidParameter` errors from the builders and the registry:
/// trust radius ≤ 0, CG max iterations 0, negative damping, bad enumerations, unknown keys.
#[test]
fn invalid_hyperparameters_are_errors() {
    let tr = TrustRegion::default();
    for bad in [
        TrustRegion { radius: 0.0, ..tr },
        TrustRegion { radius: -1.0, ..tr },
        TrustRegion { eta: 0.3, ..tr },
        TrustRegion {
            max_radius: 0.5,
            ..tr
        },
        TrustRegion {
            max_radius: f64::INFINITY,
            ..tr
        },
    ] {
        assert!(Newton::new().with_trust_region(bad).is_err(), "{bad:?}");
        assert!(TrustNcg::new().with_trust_region(bad).is_err(), "{bad:?}");
    }
    assert!(tr.with_radius(f64::NAN).is_err() && tr.with_eta(-0.1).is_err());
    assert!(Newton::new().with_lambda(-1e-3).is_err());
    assert!(TrustNcg::new().with_cg_max_iters(0).is_err());
    assert!(NewtonCg::new().with_cg_max_iters(0).is_err());
    assert!(NewtonCg::new().with_forcing(1.5).is_err());
    assert!(HessianFree::new().with_lambda(-1.0).is_err());
    assert!(HessianFree::new().with_cg_max_iters(0).is_err());
    assert!(HessianFree::new().with_decay(1.5).is_err());
    let ctx = MethodContext::default();
    for (kind, kv) in [
        ("newton", "radius=0"),
        ("newton", "lambda=-1"),
        ("newton", "safeguard=magic"),
        ("newton", "radius=2e9"), // > max_radius 1e8
        ("trust-ncg", "radius=-1"),
        ("trust-ncg", "cg_max_iters=0"),
        ("newton-cg", "cg_max_iters=0"),
        ("hessian-free", "cg_max_iters=0"),
        ("hessian-free", "lambda=-0.5"),
        ("hessian-free", "curvature=fisher"),
        ("hessian-free", "no_such_key=1"),
    ] {
        let p = Params::from_pairs(&[kv]).unwrap();
        let e = build_method(kind, &p, &ctx).err();
        assert!(
            matches!(
                e,
                Some(Error::InvalidParameter { .. }) | Some(Error::Unknown(_))
            ),
            "{kind} {kv}: {e:?}"
        );
    }
}

/// Every registry entry is documented, builds from its documented parameters and solves 2-D
/// Rosenbrock from (−1.2, 1) to ‖g‖ ≤ 1e-6.
#[test]
fn registry_entries_build_and_run() {
    let infos = method_infos();
    let f = Rosenbrock::new(2).unwrap();
    for (kind, kv) in [
        ("newton", vec!["safeguard=modified", "line_search=wolfe"]),
        ("newton", vec!["safeguard=lm", "lambda=0.01"]),
        (
            "newton",
            vec![
                "safeguard=trust-exact",
                "radius=0.5",
                "max_radius=100",
                "eta=0.1",
            ],
        ),
        ("newton-cg", vec!["cg_max_iters=10", "forcing=0.5"]),
        ("trust-ncg", vec!["radius=2", "cg_max_iters=50"]),
        (
            "hessian-free",
            vec![
                "curvature=hessian",
                "lambda=0.1",
                "decay=0.9",
                "cg_max_iters=100",
            ],
        ),
    ] {
        let info = infos.iter().find(|i| i.name == kind).unwrap();
        for pair in &kv {
            let key = pair.split('=').next().unwrap();
            assert!(
                info.params.iter().any(|p| p.name == key),
                "{kind}: {key} undocumented"
            );
        }
        let p = Params::from_pairs(&kv).unwrap();
        let mut m = build_method(kind, &p, &MethodContext::default()).unwrap();
        let r = run(&mut m, &f, &X0, 1e-6, 500);
        assert!(r.converged(), "{kind} {kv:?}: {}", r.termination);
    }
}

/// The nonmonotone window holds exactly `memory = M` values, the current one included (issue 11,
/// defect 5: documented against GLL's `M + 1`-value window). Values 9, 1, 2, 3 with M = 3: the
/// reference at the iterate with value 3 is max(1, 2, 3) = 3, not 9 (a window of M + 1 would
/// still hold the 9); observed through the accepted step on Ravine ½(100x₀² + x₁²) from (1, 1)
/// along d = (−2.1, −1), whose unit step has f = 60.5 against f(x) = 50.5.
#[test]
fn nonmonotone_window_spans_memory_values() {
    use curvlab::methods::line_search::{Armijo, NonmonotoneArmijo};
    let f = curvlab::problems::Ravine::seed();
    let (x, g, d) = ([1.0, 1.0], [100.0, 1.0], [-2.1, -1.0]);
    let mut out = [0.0; 2];
    for (memory, history, unit_step) in [
        (3usize, [90.0, 1.0, 2.0], false), // window {1, 2, 50.5}: monotone, α < 1
        (4, [90.0, 1.0, 2.0], true),       // window {90, 1, 2, 50.5}: the unit step passes
    ] {
        let mut ls = NonmonotoneArmijo::new(memory).unwrap();
        for v in history {
            ls.record(v);
        }
        let r = ls.search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
        assert_eq!(
            r.alpha == 1.0,
            unit_step,
            "memory {memory}: α = {}",
            r.alpha
        );
        let want = if unit_step { 90.0 } else { 50.5 };
        assert_eq!(ls.reference(f64::NEG_INFINITY), want, "memory {memory}");
    }
    // memory = 1 is monotone Armijo: the same α as Armijo itself.
    let mut m1 = NonmonotoneArmijo::new(1).unwrap();
    m1.record(1e3);
    let r1 = m1.search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    let ra = Armijo::default()
        .search(&f, &x, 50.5, &g, &d, 1.0, &mut out)
        .unwrap();
    assert_eq!(r1.alpha, ra.alpha);
}
