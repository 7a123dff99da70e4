//! The curvature operators of `curvature::operators` against dense float64 references built
//! independently of the network's passes: per-example Jacobians `Jᵢ` written out in closed form
//! for a one-hidden-layer tanh network and a linear softmax model (and logistic regression),
//! softmax probabilities computed here, and every matrix assembled densely as
//! `Σᵢ Jᵢᵀ (·) Jᵢ / N`. The Hessian reference adds the closed-form second derivatives of the
//! outputs, `Σᵢ Σ_c (∂ℓᵢ/∂z_c) ∇²z_{ic}`.

use curvlab::curvature::operators::{
    BatchedGgn, BatchedHessian, CgInverse, EmpiricalFisher, Jacobian, MonteCarloFisher,
    NeumannInverse, OutputModel, RectangularOperator, TransposedJacobian,
    empirical_fisher_diagonal, exact_diagonal, ggn_diagonal, hutchinson_squared_fro,
};
use curvlab::curvature::{hutch_plus_plus, hutchinson_diagonal, spectrum};
use curvlab::linalg::cg::{CgOptions, pcg};
use curvlab::linalg::operator::to_dense;
use curvlab::problems::data::Dataset;
use curvlab::problems::datasets::{Labeled, Split};
use curvlab::problems::logistic::{LogisticRegression, sigmoid};
use curvlab::problems::network::{Loss, Network};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 10;
const D: usize = 3;
const K: usize = 3;

/// Seeded inputs in U(−1.5, 1.5) and labels.
fn data(seed: u64) -> (Mat<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Mat::from_fn(N, D, |_, _| 3.0 * rng.random::<f64>() - 1.5);
    let y = (0..N).map(|i| (i * 7 + 1) % K).collect();
    (x, y)
}

fn network(hidden: &[usize], loss: Loss, l2: f64) -> (Network, Mat<f64>, Vec<usize>) {
    let (x, y) = data(3);
    let part = Labeled::new(x.clone(), y.clone()).unwrap();
    let split = Split {
        train: part.clone(),
        test: part,
        classes: K,
    };
    let net = Network::new(&split, hidden)
        .unwrap()
        .with_loss(loss)
        .with_l2(l2)
        .unwrap();
    (net, x, y)
}

/// A point away from the optimum with outputs of order one.
fn point(net: &Network) -> Vec<f64> {
    net.initial_point(11).iter().map(|v| 2.0 * v).collect()
}

/// Closed-form `(zᵢ, Jᵢ (k × n), [∇²z_{ic}] (n × n each))` of one example for `hidden = []` or
/// one tanh layer of width `h`; layout `W_l` (out × in, column-major) then `b_l`.
fn example(p: &[f64], x: &[f64], h: Option<usize>) -> (Vec<f64>, Mat<f64>, Vec<Mat<f64>>) {
    let n = p.len();
    let mut jac = Mat::<f64>::zeros(K, n);
    let mut hess = vec![Mat::<f64>::zeros(n, n); K];
    let Some(h) = h else {
        let z: Vec<f64> = (0..K)
            .map(|c| (0..D).map(|j| p[j * K + c] * x[j]).sum::<f64>() + p[D * K + c])
            .collect();
        for c in 0..K {
            for j in 0..D {
                jac[(c, j * K + c)] = x[j];
            }
            jac[(c, D * K + c)] = 1.0;
        }
        return (z, jac, hess);
    };
    let (w1, b1, w2, b2) = (0, h * D, h * D + h, h * D + h + K * h);
    let a: Vec<f64> = (0..h)
        .map(|r| (0..D).map(|j| p[w1 + j * h + r] * x[j]).sum::<f64>() + p[b1 + r])
        .collect();
    let t: Vec<f64> = a.iter().map(|v| v.tanh()).collect();
    let z: Vec<f64> = (0..K)
        .map(|c| (0..h).map(|r| p[w2 + r * K + c] * t[r]).sum::<f64>() + p[b2 + c])
        .collect();
    // Input of layer 1 with a trailing 1 for the bias: index D is b1.
    let xin = |j: usize| if j < D { x[j] } else { 1.0 };
    let w1_idx = |r: usize, j: usize| if j < D { w1 + j * h + r } else { b1 + r };
    for c in 0..K {
        jac[(c, b2 + c)] = 1.0;
        for r in 0..h {
            let d1 = 1.0 - t[r] * t[r];
            let d2 = -2.0 * t[r] * d1;
            let v = p[w2 + r * K + c];
            jac[(c, w2 + r * K + c)] = t[r];
            for j in 0..=D {
                jac[(c, w1_idx(r, j))] = v * d1 * xin(j);
                // ∂²z_c / ∂W2[c,r] ∂W1[r,j]
                let (pi, qi) = (w2 + r * K + c, w1_idx(r, j));
                hess[c][(pi, qi)] = d1 * xin(j);
                hess[c][(qi, pi)] = d1 * xin(j);
                for m in 0..=D {
                    hess[c][(w1_idx(r, j), w1_idx(r, m))] = v * d2 * xin(j) * xin(m);
                }
            }
        }
    }
    (z, jac, hess)
}

fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// `Jᵀ A J` for `J` (k × n) and `A` (k × k).
fn sandwich(j: &Mat<f64>, a: &Mat<f64>) -> Mat<f64> {
    j.transpose() * a * j
}

fn outer(r: &[f64]) -> Mat<f64> {
    Mat::from_fn(r.len(), r.len(), |a, b| r[a] * r[b])
}

/// Dense references: (J (N·k × n), EF, GGN, Hessian), data term, plus `l2` on the weights for
/// the GGN and Hessian.
struct Dense {
    jac: Mat<f64>,
    ef: Mat<f64>,
    ggn: Mat<f64>,
    hess: Mat<f64>,
    probs: Vec<Vec<f64>>,
    jacs: Vec<Mat<f64>>,
}

fn dense(net: &Network, p: &[f64], x: &Mat<f64>, y: &[usize], h: Option<usize>) -> Dense {
    let n = p.len();
    let mse = net.loss() == Loss::Mse;
    let mut d = Dense {
        jac: Mat::zeros(N * K, n),
        ef: Mat::zeros(n, n),
        ggn: Mat::zeros(n, n),
        hess: Mat::zeros(n, n),
        probs: Vec::new(),
        jacs: Vec::new(),
    };
    let zs = net.outputs(p, false).unwrap();
    for i in 0..N {
        let xi: Vec<f64> = (0..D).map(|j| x[(i, j)]).collect();
        let (z, ji, hz) = example(p, &xi, h);
        for c in 0..K {
            assert!((z[c] - zs[(i, c)]).abs() < 1e-13, "forward pass layout");
            for col in 0..n {
                d.jac[(i * K + c, col)] = ji[(c, col)];
            }
        }
        let pr = softmax(&z);
        let (dz, hl) = if mse {
            let mut r = z.clone();
            r[y[i]] -= 1.0;
            (r, Mat::<f64>::identity(K, K))
        } else {
            let mut r = pr.clone();
            r[y[i]] -= 1.0;
            let hl = Mat::from_fn(K, K, |a, b| {
                (if a == b { pr[a] } else { 0.0 }) - pr[a] * pr[b]
            });
            (r, hl)
        };
        let g = sandwich(&ji, &hl);
        d.ef += sandwich(&ji, &outer(&dz)) / N as f64;
        d.ggn += &g / N as f64;
        d.hess += &g / N as f64;
        for c in 0..K {
            d.hess += &hz[c] * (dz[c] / N as f64);
        }
        d.probs.push(pr);
        d.jacs.push(ji);
    }
    let weights: Vec<usize> = match h {
        None => (0..D * K).collect(),
        Some(h) => (0..h * D).chain(h * D + h..h * D + h + K * h).collect(),
    };
    for &w in &weights {
        d.ggn[(w, w)] += net.l2();
        d.hess[(w, w)] += net.l2();
    }
    d
}

/// `‖A − B‖_F / ‖B‖_F`.
fn rel(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

fn rel_vec(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

/// Dense matrix of a rectangular operator from unit vectors.
fn rect_dense<R: RectangularOperator>(op: &R) -> Mat<f64> {
    let (rows, cols) = op.shape();
    let mut m = Mat::zeros(rows, cols);
    let mut e = vec![0.0; cols];
    let mut out = vec![0.0; rows];
    for j in 0..cols {
        e[j] = 1.0;
        op.apply(&e, &mut out).unwrap();
        e[j] = 0.0;
        for i in 0..rows {
            m[(i, j)] = out[i];
        }
    }
    m
}

const CASES: [(Option<usize>, Loss); 3] = [
    (Some(4), Loss::CrossEntropy),
    (None, Loss::CrossEntropy),
    (Some(4), Loss::Mse),
];

fn hidden(h: Option<usize>) -> Vec<usize> {
    h.into_iter().collect()
}

#[test]
fn jacobian_and_transpose_match_the_closed_form() {
    for (h, loss) in CASES {
        let (net, x, y) = network(&hidden(h), loss, 0.0);
        let p = point(&net);
        let r = dense(&net, &p, &x, &y, h);
        // Batch size 3 does not divide N = 10: the loop covers a ragged last batch.
        let j = Jacobian::new(&net, p.clone())
            .unwrap()
            .with_batch_size(3)
            .unwrap();
        let jt = TransposedJacobian::new(&net, p.clone())
            .unwrap()
            .with_batch_size(3)
            .unwrap();
        let (ej, ejt) = (
            rel(&rect_dense(&j), &r.jac),
            rel(&rect_dense(&jt), &r.jac.transpose().to_owned()),
        );
        eprintln!("measured {h:?} {loss:?}: J {ej:e}, Jᵀ {ejt:e}");
        // Measured ≤ 6e-17 (hidden 4, ce and mse) and 0 (linear); bound 1e-10.
        assert!(ej <= 1e-10 && ejt <= 1e-10, "{h:?}: J {ej:e}, Jᵀ {ejt:e}");
        assert_eq!(j.counter().applications(), p.len() as u64);
        assert_eq!(jt.counter().examples(), (N * K * N) as u64);
    }
}

#[test]
fn fisher_ggn_and_hessian_match_dense_references() {
    for (h, loss) in CASES {
        let (net, x, y) = network(&hidden(h), loss, 0.01);
        let p = point(&net);
        let r = dense(&net, &p, &x, &y, h);
        let ef = to_dense(
            &EmpiricalFisher::new(&net, p.clone())
                .unwrap()
                .with_batch_size(4)
                .unwrap(),
        )
        .unwrap();
        let ggn = to_dense(
            &BatchedGgn::new(&net, p.clone())
                .unwrap()
                .with_batch_size(4)
                .unwrap(),
        )
        .unwrap();
        let hess = to_dense(
            &BatchedHessian::new(&net, p.clone())
                .unwrap()
                .with_batch_size(4)
                .unwrap(),
        )
        .unwrap();
        let (e1, e2, e3) = (rel(&ef, &r.ef), rel(&ggn, &r.ggn), rel(&hess, &r.hess));
        eprintln!("measured {h:?} {loss:?}: EF {e1:e}, GGN {e2:e}, H {e3:e}");
        // Measured ≤ 2.1e-16 for all three in all three cases; bound 1e-10.
        assert!(
            e1 <= 1e-10 && e2 <= 1e-10 && e3 <= 1e-10,
            "{h:?} {loss:?}: EF {e1:e}, GGN {e2:e}, H {e3:e}"
        );
    }
}

#[test]
fn exact_diagonals_match_dense_references() {
    for (h, loss) in CASES {
        let (net, x, y) = network(&hidden(h), loss, 0.0);
        let p = point(&net);
        let r = dense(&net, &p, &x, &y, h);
        let n = p.len();
        let diag = |m: &Mat<f64>| (0..n).map(|i| m[(i, i)]).collect::<Vec<_>>();
        let g = ggn_diagonal(&net, &p, 3).unwrap();
        let e = empirical_fisher_diagonal(&net, &p, 3).unwrap();
        let hd = exact_diagonal(&BatchedHessian::new(&net, p.clone()).unwrap(), 100).unwrap();
        let (e1, e2, e3) = (
            rel_vec(&g, &diag(&r.ggn)),
            rel_vec(&e, &diag(&r.ef)),
            rel_vec(&hd, &diag(&r.hess)),
        );
        eprintln!("measured {h:?} {loss:?}: diag GGN {e1:e}, EF {e2:e}, H {e3:e}");
        // Measured ≤ 1.9e-16; bound 1e-10.
        assert!(
            e1 <= 1e-10 && e2 <= 1e-10 && e3 <= 1e-10,
            "{h:?}: {e1:e} {e2:e} {e3:e}"
        );
        assert!(exact_diagonal(&BatchedHessian::new(&net, p.clone()).unwrap(), n - 1).is_err());
    }
}

#[test]
fn monte_carlo_fisher_matches_its_samples_assembled_densely() {
    let (net, x, y) = network(&[4], Loss::CrossEntropy, 0.0);
    let p = point(&net);
    let r = dense(&net, &p, &x, &y, Some(4));
    let m = 5;
    let op = MonteCarloFisher::with_batch_size(&net, p.clone(), m, 9, 4).unwrap();
    let s = op.sampled_output_gradients();
    let mut reference = Mat::<f64>::zeros(p.len(), p.len());
    for i in 0..N {
        for j in 0..m {
            let g = &s[(i * m + j) * K..(i * m + j + 1) * K];
            // Each sample is p − e_ŷ for a class ŷ.
            let hits = (0..K)
                .filter(|&c| {
                    (0..K).all(|a| {
                        (g[a] + if a == c { 1.0 } else { 0.0 } - r.probs[i][a]).abs() < 1e-15
                    })
                })
                .count();
            assert_eq!(hits, 1);
            reference += sandwich(&r.jacs[i], &outer(g)) / (N * m) as f64;
        }
    }
    let e = rel(&to_dense(&op).unwrap(), &reference);
    eprintln!("measured MC Fisher {e:e}");
    // Measured 2.8e-16; bound 1e-10.
    assert!(e <= 1e-10, "{e:e}");
    // The samples do not depend on the batch size.
    let other = MonteCarloFisher::with_batch_size(&net, p.clone(), m, 9, 7).unwrap();
    assert_eq!(other.sampled_output_gradients(), s);
}

#[test]
fn monte_carlo_fisher_averages_to_the_ggn_and_the_empirical_fisher_does_not() {
    let (net, x, y) = network(&[4], Loss::CrossEntropy, 0.0);
    let p = point(&net);
    let r = dense(&net, &p, &x, &y, Some(4));
    let mut errs = Vec::new();
    for m in [100, 10_000] {
        let mc = to_dense(&MonteCarloFisher::new(&net, p.clone(), m, 5).unwrap()).unwrap();
        errs.push(rel(&mc, &r.ggn));
    }
    eprintln!(
        "measured MC vs GGN {errs:?}, EF vs GGN {}",
        rel(&r.ef, &r.ggn)
    );
    // Measured: 0.0316 at M = 100 and 0.00345 at M = 10⁴ (the 1/√M rate); bound 0.02.
    assert!(errs[1] <= 0.02, "{errs:?}");
    assert!(errs[1] < errs[0] / 5.0, "{errs:?}");
    // Off the optimum the empirical Fisher is a different matrix (Kunstner et al. 2019):
    // measured ‖F_E − G‖/‖G‖ = 0.766; bound 0.3.
    let ef_gap = rel(&r.ef, &r.ggn);
    assert!(ef_gap >= 0.3, "{ef_gap}");
}

#[test]
fn logistic_operators_match_closed_forms() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (nn, d) = (25, 3);
    let a = Mat::from_fn(nn, d, |_, _| rng.random::<f64>() * 2.0 - 1.0);
    let yv: Vec<f64> = (0..nn).map(|i| (i % 2) as f64).collect();
    let f = LogisticRegression::new(Dataset::new(a.clone(), yv.clone(), None).unwrap())
        .unwrap()
        .with_lambda(0.0)
        .unwrap();
    let w = [0.7, -0.4, 1.1, 0.2];
    let row = |i: usize| {
        (0..=d)
            .map(|j| if j < d { a[(i, j)] } else { 1.0 })
            .collect::<Vec<_>>()
    };
    let mut jac = Mat::<f64>::zeros(nn, d + 1);
    let mut ef = Mat::<f64>::zeros(d + 1, d + 1);
    let mut ggn = Mat::<f64>::zeros(d + 1, d + 1);
    for i in 0..nn {
        let ri = row(i);
        let z: f64 = ri.iter().zip(&w).map(|(u, v)| u * v).sum();
        let s = sigmoid(z);
        for j in 0..=d {
            jac[(i, j)] = ri[j];
        }
        ef += outer(&ri) * ((s - yv[i]).powi(2) / nn as f64);
        ggn += outer(&ri) * (s * (1.0 - s) / nn as f64);
    }
    let j = rect_dense(
        &Jacobian::new(&f, w.to_vec())
            .unwrap()
            .with_batch_size(6)
            .unwrap(),
    );
    let e_ef = rel(
        &to_dense(&EmpiricalFisher::new(&f, w.to_vec()).unwrap()).unwrap(),
        &ef,
    );
    let e_g = rel(
        &to_dense(&BatchedGgn::new(&f, w.to_vec()).unwrap()).unwrap(),
        &ggn,
    );
    let gd = ggn_diagonal(&f, &w, 4).unwrap();
    let e_d = rel_vec(&gd, &(0..=d).map(|i| ggn[(i, i)]).collect::<Vec<_>>());
    eprintln!(
        "measured logistic J {:e} EF {e_ef:e} GGN {e_g:e} diag {e_d:e}",
        rel(&j, &jac)
    );
    // Measured: J exact (0), EF 1.8e-16, GGN 1.2e-16, diagonal 1.2e-16; bound 1e-10.
    assert!(rel(&j, &jac) <= 1e-10 && e_ef <= 1e-10 && e_g <= 1e-10 && e_d <= 1e-10);
    assert_eq!(f.num_outputs(), 1);
}

/// `max |A B − I|`.
fn identity_gap(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let prod = a * b;
    let n = prod.nrows();
    let mut m: f64 = 0.0;
    for i in 0..n {
        for j in 0..n {
            m = m.max((prod[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs());
        }
    }
    m
}

#[test]
fn cg_and_neumann_inverses_invert_the_damped_ggn() {
    let (net, x, y) = network(&[4], Loss::CrossEntropy, 0.0);
    let p = point(&net);
    let r = dense(&net, &p, &x, &y, Some(4));
    let n = p.len();
    let ggn = BatchedGgn::new(&net, p.clone()).unwrap();
    let ev = spectrum(&r.ggn).unwrap().eigenvalues;
    let lmax = ev[n - 1];
    // Damping δ = λ_max / 9: κ(G + δI) ≤ 10.
    let delta = lmax / 9.0;
    let damped = &r.ggn + Mat::<f64>::identity(n, n) * delta;
    let cg_inv = CgInverse::new(&ggn, delta).unwrap();
    let gap_cg = identity_gap(&to_dense(&cg_inv).unwrap(), &damped);
    eprintln!("measured CG gap {gap_cg:e}");
    // CG to rtol 1e-12: measured 1.2e-12; bound 1e-10.
    assert!(gap_cg <= 1e-10, "{gap_cg:e}");
    assert!(cg_inv.inner_applications() > 0);
    // Neumann with α = 1/(λ_max + δ): error factor (1 − (λ_min + δ)/(λ_max + δ))^{J+1} ≤ 0.9^{J+1}.
    let alpha = 1.0 / (lmax + delta);
    let terms = 350;
    let neu = NeumannInverse::new(&ggn, delta, alpha, terms).unwrap();
    let gap_n = identity_gap(&to_dense(&neu).unwrap(), &damped);
    let bound = 0.9f64.powi(terms as i32 + 1) * 10.0 * (n as f64);
    eprintln!("measured Neumann gap {gap_n:e} bound {bound:e}");
    // Measured 4.9e-15 against the bound 0.9^351·10·n = 2.7e-14.
    assert!(gap_n <= bound, "{gap_n:e} vs {bound:e}");
    assert_eq!(neu.inner_applications(), (n * terms) as u64);
    // As a preconditioner: PCG on G + δI with M = G + δI converges in one iteration (measured 1).
    let b = vec![1.0; n];
    let op = curvlab::linalg::Damped::new(&ggn, delta).unwrap();
    let res = pcg(
        &op,
        &cg_inv,
        &b,
        None,
        &CgOptions::default().with_rtol(1e-9).unwrap(),
    )
    .unwrap();
    eprintln!("measured PCG iterations {}", res.iterations);
    assert!(res.iterations <= 2, "{}", res.iterations);
}

#[test]
fn estimators_work_on_the_new_operators() {
    let (net, x, y) = network(&[4], Loss::CrossEntropy, 0.0);
    let p = point(&net);
    let r = dense(&net, &p, &x, &y, Some(4));
    let n = p.len();
    let ef = EmpiricalFisher::new(&net, p.clone()).unwrap();
    // Hutch++ with 3n applications sketches the whole space: exact to rounding (measured 1.8e-16).
    let tr: f64 = (0..n).map(|i| r.ef[(i, i)]).sum();
    let t = hutch_plus_plus(&ef, 3 * n, 0).unwrap();
    eprintln!("measured Hutch++ rel {:e}", (t.estimate - tr).abs() / tr);
    assert!(
        (t.estimate - tr).abs() <= 1e-10 * tr,
        "{} vs {tr}",
        t.estimate
    );
    // Hutchinson's diagonal: within 4 standard errors entrywise (measured max 2.48 SE).
    let dg = hutchinson_diagonal(&ef, 2000, 1).unwrap();
    eprintln!(
        "measured max SE ratio {}",
        (0..n)
            .map(|i| (dg.diagonal[i] - r.ef[(i, i)]).abs() / dg.std_error[i].max(1e-300))
            .fold(0.0, f64::max)
    );
    for i in 0..n {
        assert!(
            (dg.diagonal[i] - r.ef[(i, i)]).abs() <= 4.0 * dg.std_error[i] + 1e-14,
            "{i}"
        );
    }
    // ‖F_E‖²_F: within 4 standard errors and 5% (measured 0.29 SE, 0.66%).
    let fro2 = r.ef.norm_l2().powi(2);
    let s = hutchinson_squared_fro(&ef, 2000, 2).unwrap();
    eprintln!(
        "measured fro rel {} se {}",
        (s.estimate - fro2).abs() / fro2,
        (s.estimate - fro2).abs() / s.std_error
    );
    assert!(
        (s.estimate - fro2).abs() <= 4.0 * s.std_error,
        "{} vs {fro2}",
        s.estimate
    );
    assert!((s.estimate - fro2).abs() <= 0.05 * fro2);
}
