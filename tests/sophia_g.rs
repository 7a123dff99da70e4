//! Sophia-G (Liu et al., ICLR 2024, Algorithm 2): two steps against a hand computation, the
//! Gauss-Newton-Bartlett estimate's expectation against the exact GGN diagonal, convergence on
//! logistic regression, its counted cost, and its refusal where there are no labels to sample.

use curvlab::curvature::operators::ggn_diagonal;
use curvlab::methods::sophia::gnb_estimate;
use curvlab::methods::{Iterate, Method, MethodContext, Sophia, build_method};
use curvlab::params::Params;
use curvlab::problems::data::Dataset;
use curvlab::problems::datasets::{Labeled, Split};
use curvlab::problems::logistic::{LogisticRegression, sigmoid};
use curvlab::problems::network::{Loss, Network};
use curvlab::{Error, Objective, Stop, minimize};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * b.abs().max(1.0)
}

#[test]
fn first_two_steps_by_hand() {
    // Two examples a = (2, −2), y = (1, 0) (one class alone is refused: no minimiser), from
    // (w, b) = 0 with label batches of B = 1: σ(0) = ½, so the sampled residual σ − ŷ is ±½
    // whichever example and label are drawn, and ĥ = B ĝ⊙ĝ = ((½·2)², (½)²) = (1, ¼)
    // deterministically.
    let d = Dataset::new(faer::mat![[2.0], [-2.0]], vec![1.0, 0.0], None).unwrap();
    let f = LogisticRegression::new(d)
        .unwrap()
        .with_lambda(0.0)
        .unwrap();
    let (lr, rho, wd) = (0.1, 10.0, 0.1);
    let mut m = Sophia::gauss_newton_bartlett(lr)
        .unwrap()
        .with_batch(1)
        .unwrap()
        .with_rho(rho)
        .unwrap()
        .with_weight_decay(wd)
        .unwrap()
        .with_every(2)
        .unwrap();
    let mut it = Iterate::new(&f, vec![0.0, 0.0]).unwrap();
    m.init(&f, &it).unwrap();
    m.step(&f, &mut it).unwrap();
    // The full mean-loss gradient ½ Σᵢ (σ(aᵢw + b) − yᵢ)(aᵢ, 1).
    let grad = |x: [f64; 2]| {
        let r = [
            sigmoid(2.0 * x[0] + x[1]) - 1.0,
            sigmoid(-2.0 * x[0] + x[1]),
        ];
        [0.5 * (2.0 * r[0] - 2.0 * r[1]), 0.5 * (r[0] + r[1])]
    };
    // t = 1: g₀ = (−1, 0); h = 0.01 (1, ¼); m = 0.035 g₀; m/(ρh) = (−0.35, 0), unclipped;
    // x₁ = 0 − ηλ·0 − η·m/(ρh) = (0.035, 0).
    let g0 = grad([0.0, 0.0]);
    assert!(close(g0[0], -1.0) && close(g0[1], 0.0), "{g0:?}");
    let x1 = [0.035, 0.0];
    assert!(close(it.x[0], x1[0]) && close(it.x[1], x1[1]), "{:?}", it.x);
    m.step(&f, &mut it).unwrap();
    // t = 2: no refresh (k = 2); m₂ = 0.965 m₁ + 0.035 g₁.
    let g1 = grad(x1);
    let h = [0.01, 0.0025];
    for i in 0..2 {
        let m2 = 0.965 * 0.035 * g0[i] + 0.035 * g1[i];
        let ratio = (m2 / (rho * h[i])).clamp(-1.0, 1.0);
        let x2 = x1[i] - lr * wd * x1[i] - lr * ratio;
        assert!(close(it.x[i], x2), "coordinate {i}: {} vs {x2}", it.x[i]);
    }
}

fn classifier() -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x = Mat::from_fn(12, 3, |_, _| 3.0 * rng.random::<f64>() - 1.5);
    let y: Vec<usize> = (0..12).map(|i| i % 3).collect();
    let part = Labeled::new(x, y).unwrap();
    Network::new(
        &Split {
            train: part.clone(),
            test: part,
            classes: 3,
        },
        &[4],
    )
    .unwrap()
}

/// `max_i |mean ĥᵢ − Gᵢᵢ| / max_i Gᵢᵢ` over `draws` Gauss-Newton-Bartlett estimates on the whole
/// set.
fn gnb_mean_error(f: &dyn Objective, x: &[f64], exact: &[f64], draws: u64) -> f64 {
    let n = x.len();
    let all: Vec<usize> = (0..f.as_finite_sum().unwrap().num_examples()).collect();
    let src = f.sampled_labels().unwrap();
    let mut mean = vec![0.0; n];
    let mut h = vec![0.0; n];
    for s in 0..draws {
        gnb_estimate(src, x, &all, s, &mut h).unwrap();
        for (m, v) in mean.iter_mut().zip(&h) {
            *m += v / draws as f64;
        }
    }
    let scale = exact.iter().cloned().fold(0.0, f64::max);
    let err = mean
        .iter()
        .zip(exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    err / scale
}

#[test]
fn gnb_estimate_averages_to_the_exact_ggn_diagonal() {
    // Classifier (softmax labels), at a point away from the optimum.
    let net = classifier();
    let x: Vec<f64> = net.initial_point(2).iter().map(|v| 2.0 * v).collect();
    let exact = ggn_diagonal(&net, &x, 5).unwrap();
    let e_net = gnb_mean_error(&net, &x, &exact, 80_000);
    // Logistic regression (Bernoulli labels): the GGN is the closed-form Hessian (λ = 0).
    let f = LogisticRegression::synthetic(15, 3, 1)
        .unwrap()
        .with_lambda(0.0)
        .unwrap();
    let xl = [0.4, -0.8, 0.3, 0.1];
    let hess = f.hessian(&xl).unwrap();
    let exact_l: Vec<f64> = (0..4).map(|i| hess[(i, i)]).collect();
    let e_log = gnb_mean_error(&f, &xl, &exact_l, 80_000);
    eprintln!("measured GNB mean error: classifier {e_net:e}, logistic {e_log:e}");
    // Measured (80,000 draws): classifier 0.0047, logistic 0.0079 (20,000 draws: 0.016, 0.018,
    // the 1/√draws rate); bound 0.02.
    assert!(e_net <= 0.02 && e_log <= 0.02, "{e_net} {e_log}");
}

#[test]
fn converges_on_logistic_and_counts_its_sampled_gradients() {
    let f = LogisticRegression::synthetic(200, 5, 0).unwrap();
    let mut m = Sophia::gauss_newton_bartlett(0.01)
        .unwrap()
        .with_weight_decay(0.0)
        .unwrap()
        .with_batch(50)
        .unwrap()
        .with_seed(3);
    let r = minimize(&f, &mut m, &[0.0; 6], &Stop::new(1e-6, 5000)).unwrap();
    eprintln!(
        "measured: {} iterations, grad norm {:e}",
        r.iterations, r.grad_norm
    );
    assert!(r.termination.converged(), "{:?}", r.termination);
    // Measured: 734 iterations to ‖∇f‖ ≤ 1e-6 from 0 (N = 200, d = 5, λ = 1e-3); budget 5000.
    // Refreshes at t = 1, 11, 21, …: ⌈iterations / 10⌉ label minibatches of 50 examples, every
    // other gradient a full one over N = 200, all counted through `Counted`.
    let refreshes = r.iterations.div_ceil(10) as u64;
    let c = r.counts;
    assert_eq!(
        c.gradient_examples,
        (c.gradient - refreshes) * 200 + refreshes * 50
    );
    assert_eq!(c.hvp, 0);
}

#[test]
fn registry_builds_sophia_g_and_refuses_it_without_sampled_labels() {
    let ctx = MethodContext::default();
    let m = build_method("sophia-g", &Params::default(), &ctx).unwrap();
    assert_eq!(m.name(), "sophia-g");
    let net = classifier();
    let x0 = net.initial_point(0);
    let mut m = build_method(
        "sophia-g",
        &Params::from_pairs(&["lr=0.01", "weight_decay=0", "batch=6"]).unwrap(),
        &ctx,
    )
    .unwrap();
    let f0 = net.value(&x0).unwrap();
    let r = minimize(&net, m.as_mut(), &x0, &Stop::new(1e-12, 100)).unwrap();
    eprintln!("measured classifier loss {f0} -> {}", r.f);
    // Measured 1.208 → 0.686 in 100 iterations; bound: below 0.9 × the start.
    assert!(r.f < 0.9 * f0, "{f0} -> {}", r.f);
    // The squared-error classifier and Rosenbrock have no labels to sample.
    let mse = classifier().with_loss(Loss::Mse);
    for e in [
        minimize(&mse, m.as_mut(), &x0, &Stop::new(1e-6, 5)).unwrap_err(),
        minimize(
            &curvlab::problems::Rosenbrock::new(2).unwrap(),
            m.as_mut(),
            &[0.0, 0.0],
            &Stop::new(1e-6, 5),
        )
        .unwrap_err(),
    ] {
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        assert!(
            e.to_string().contains("sophia-g needs labels sampled"),
            "{e}"
        );
    }
    assert!(build_method("sophia-g", &Params::from_pairs(&["batch=0"]).unwrap(), &ctx).is_err());
}
