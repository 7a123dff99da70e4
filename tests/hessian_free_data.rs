//! Hessian-free optimization (Martens 2010) on the data problems, with its published defaults
//! (`HessianFree::new()`: Gauss–Newton curvature where the objective gives it, λ₀ = 1 with the
//! Levenberg–Marquardt rule, CG warm start × 0.95, Martens's CG stop, CG backtracking, the
//! diagonal preconditioner `(Σᵢ ∇ℓᵢ⊙∇ℓᵢ/N + λ)^0.75` from per-example gradients, Armijo line
//! search c = 10⁻², shrink 0.8), against independent references:
//!
//! - logistic regression (registry `logistic`, synthetic): HF reaches `‖∇f‖ ≤ 1e-8`, and its
//!   point and value agree with exact Newton's (dense Hessian, Cholesky) within the bounds that
//!   local strong convexity gives (`‖x − x*‖ ≲ ‖∇f(x)‖/λ_min`, `f(x) − f* ≲ ‖∇f(x)‖²/λ_min`,
//!   λ_min the smallest Hessian eigenvalue at Newton's solution, computed densely);
//! - the MLP (registry `mlp`): at the same cost in gradient-equivalent evaluations
//!   (`Counts::gradient_equivalents`: value 1, gradient 1, HVP or GGN product 2; HF's
//!   per-example gradient passes for the preconditioner are counted as gradients, one per chunk
//!   of 256 examples), HF reaches a lower full-batch loss than full-batch Adam with the best
//!   learning rate of a stated grid;
//! - the preconditioner: on logistic regression whose features have scales from 1 to 10³, it
//!   lowers the CG iterations per outer step and the total curvature products.

use curvlab::methods::{HessianFree, MethodContext, Newton, build_method};
use curvlab::params::Params;
use curvlab::problems::build_problem;
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::{Objective, Report, Stop, Termination, minimize};
use faer::Side;

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Total CG iterations over the run and the number of outer steps (trace extra `cg_iters`).
fn cg_iterations(r: &Report) -> (f64, usize) {
    let mut total = 0.0;
    let mut steps = 0;
    for row in &r.trace[1..] {
        for (k, v) in &row.extras {
            if k == "cg_iters" {
                total += v;
                steps += 1;
            }
        }
    }
    (total, steps)
}

#[test]
fn hessian_free_solves_registry_logistic_regression() {
    // Synthetic logistic data (Dataset::synthetic_logistic): N = 500 examples, d = 10 features,
    // L2 λ = 1e-3 on the weights, data seed 7; start (w, b) = 0.
    let params = Params::from_pairs(&["samples=500", "features=10", "lambda=1e-3"]).unwrap();
    let p = build_problem("logistic", &params, 7).unwrap();
    let hf = minimize(
        &p.objective,
        &mut HessianFree::new(),
        &p.x0,
        &Stop::new(1e-8, 200),
    )
    .unwrap();
    assert!(hf.converged() && hf.grad_norm <= 1e-8, "{}", hf.termination);
    // Logistic regression's GGN is its Hessian; HF takes it through `ggn_vp` (HVPs only in the
    // driver's end-of-run λ_min check).
    let check_hvp = hf.curvature_check.as_ref().map_or(0, |c| c.hvp);
    assert!(hf.counts.ggn > 0 && hf.counts.hvp == check_hvp && hf.counts.hessian == 0);

    // Reference: exact Newton (modified Cholesky + Armijo) on the dense Hessian.
    let newton = minimize(
        &p.objective,
        &mut Newton::new(),
        &p.x0,
        &Stop::new(1e-10, 100),
    )
    .unwrap();
    assert!(newton.converged(), "{}", newton.termination);
    let h = p.objective.hessian(&newton.x).unwrap();
    let eig = h.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let lambda_min = eig[0];
    assert!(lambda_min > 0.0);
    let d = dist(&hf.x, &newton.x);
    let bound = 2.0 * (hf.grad_norm + newton.grad_norm) / lambda_min;
    println!(
        "logistic N=500 d=10 λ=1e-3: HF {} iterations, ‖∇f‖ = {:.2e}, f = {:.15e}, counts {:?}; \
         Newton f = {:.15e}; ‖x_HF − x_N‖ = {d:.2e} ≤ {bound:.2e} (λ_min = {lambda_min:.3e})",
        hf.iterations, hf.grad_norm, hf.f, hf.counts, newton.f
    );
    assert!(d <= bound, "{d:e} > {bound:e}");
    let gap = hf.grad_norm.powi(2) / lambda_min + newton.grad_norm.powi(2) / lambda_min;
    assert!(
        (hf.f - newton.f).abs() <= gap + 4.0 * f64::EPSILON * newton.f,
        "{} vs {}",
        hf.f,
        newton.f
    );
}

#[test]
fn hessian_free_beats_tuned_adam_on_the_mlp_at_equal_cost() {
    // Three interleaved spirals (Dataset::spirals, noise 0.05), N = 300, two tanh hidden layers
    // of 16 (2-16-16-3, 371 parameters), softmax cross-entropy without regularisation; data and
    // Glorot initialisation from seed 0.
    let params = Params::from_pairs(&["samples=300", "hidden=16,16", "classes=3"]).unwrap();
    let p = build_problem("mlp", &params, 0).unwrap();
    // HF with its defaults, 70 outer iterations.
    let hf = minimize(
        &p.objective,
        &mut HessianFree::new(),
        &p.x0,
        &Stop {
            grad_tol: 0.0,
            max_iters: 70,
            ..Stop::default()
        },
    )
    .unwrap();
    assert_eq!(hf.termination, Termination::MaxIterations);
    // GGN products (the MLP gives them), and the preconditioner's per-example passes
    // (counted as gradients beyond one per iteration).
    assert!(hf.counts.ggn > 0 && hf.counts.hvp == 0);
    assert!(hf.counts.gradient as usize >= 2 * hf.iterations);
    let budget = hf.counts.gradient_equivalents();

    // Full-batch Adam (PyTorch defaults β = (0.9, 0.999), ε = 1e-8), exactly `budget`
    // gradient evaluations per learning rate of the grid; the grid's best must be interior.
    let grid = ["1e-3", "3e-3", "1e-2", "3e-2", "1e-1"];
    let adam: Vec<Report> = std::thread::scope(|s| {
        let handles: Vec<_> = grid
            .iter()
            .map(|lr| {
                let p = &p;
                s.spawn(move || {
                    let lr = format!("lr={lr}");
                    let params = Params::from_pairs(&[lr.as_str()]).unwrap();
                    let mut m = build_method("adam", &params, &MethodContext::default()).unwrap();
                    let stop = Stop {
                        grad_tol: 0.0,
                        max_iters: usize::MAX,
                        max_evals: Some(budget),
                        ..Stop::default()
                    };
                    minimize(&p.objective, m.as_mut(), &p.x0, &stop).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    println!(
        "MLP 2-16-16-3, spirals N=300, seed 0: HF {} iterations, {:?}, {budget} gradient-equivalents, loss {:.3e}",
        hf.iterations, hf.counts, hf.f
    );
    for (lr, r) in grid.iter().zip(&adam) {
        assert_eq!(r.termination, Termination::MaxEvaluations);
        assert_eq!(r.counts.gradient_equivalents(), budget);
        assert_eq!(r.counts.gradient as f64, budget);
        println!(
            "  Adam lr = {lr}: {} iterations, loss {:.3e}",
            r.iterations, r.f
        );
    }
    let (best, best_r) = adam
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.f.total_cmp(&b.1.f))
        .unwrap();
    assert!(
        best > 0 && best < grid.len() - 1,
        "Adam's best rate {} is at the edge of the grid",
        grid[best]
    );
    assert!(
        hf.f < best_r.f,
        "HF {:e} vs Adam (lr = {}) {:e}",
        hf.f,
        grid[best],
        best_r.f
    );
}

#[test]
fn martens_preconditioner_cuts_cg_iterations_on_badly_scaled_features() {
    // Logistic regression on Dataset::synthetic_logistic(500, 10, seed 7) with feature j scaled
    // by 10^(j/3) (scales 1 … 10³), λ = 1e-3.
    let (data, _) = Dataset::synthetic_logistic(500, 10, 7).unwrap();
    let x = data.x();
    let scaled = faer::Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
        x[(i, j)] * 10f64.powf(j as f64 / 3.0)
    });
    let f = LogisticRegression::new(Dataset::new(scaled, data.y().to_vec(), None).unwrap())
        .unwrap()
        .with_lambda(1e-3)
        .unwrap();
    let x0 = f.standard_start();

    // The per-example gradients the preconditioner uses exist and average to the gradient of
    // the data term (the full gradient minus λw).
    let probe: Vec<f64> = (0..11).map(|i| 0.01 * (i as f64 - 5.0)).collect();
    let n = probe.len();
    let all: Vec<usize> = (0..500).collect();
    let mut per = vec![0.0; 500 * n];
    f.as_finite_sum()
        .unwrap()
        .per_example_gradients(&probe, &all, &mut per)
        .unwrap();
    let mut g = vec![0.0; n];
    f.gradient(&probe, &mut g).unwrap();
    for j in 0..n {
        let mean = per.iter().skip(j).step_by(n).sum::<f64>() / 500.0;
        let reg = if j < 10 { 1e-3 * probe[j] } else { 0.0 };
        assert!(
            (mean + reg - g[j]).abs() <= 1e-12 * (1.0 + g[j].abs()),
            "{j}"
        );
    }

    let stop = Stop::new(1e-8, 500);
    let with = minimize(&f, &mut HessianFree::new(), &x0, &stop).unwrap();
    let without = minimize(
        &f,
        &mut HessianFree::new().with_preconditioner(false),
        &x0,
        &stop,
    )
    .unwrap();
    assert!(with.converged() && without.converged());
    assert!((with.f - without.f).abs() <= 1e-12);
    // The preconditioned run made per-example passes (at least one per outer step beyond the
    // gradients); the plain one only its one gradient per accepted step.
    assert!(with.counts.gradient as usize >= 2 * with.iterations);
    assert!(without.counts.gradient as usize <= without.iterations + 1);
    let (cg_with, steps_with) = cg_iterations(&with);
    let (cg_without, steps_without) = cg_iterations(&without);
    let per_with = cg_with / steps_with as f64;
    let per_without = cg_without / steps_without as f64;
    println!(
        "badly scaled logistic: preconditioned {} outer, {cg_with} CG ({per_with:.1}/step), {:?}, {} grad-equiv; \
         plain {} outer, {cg_without} CG ({per_without:.1}/step), {:?}, {} grad-equiv",
        with.iterations,
        with.counts,
        with.counts.gradient_equivalents(),
        without.iterations,
        without.counts,
        without.counts.gradient_equivalents()
    );
    assert!(per_with < per_without, "{per_with} vs {per_without}");
    assert!(with.counts.ggn < without.counts.ggn);
}
