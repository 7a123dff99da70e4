//! Stochastic trace and diagonal estimation from operator applications only.
//!
//! - Hutchinson (1989): with Rademacher probes `z` (entries ±1), `E[zᵀAz] = tr A` and
//!   `E[z ⊙ Az] = diag A`; the estimate is the mean over probes and its standard error the sample
//!   standard deviation over `√probes` (Avron & Toledo 2011 for the variance, `2(‖A‖²_F − Σ aᵢᵢ²)`).
//! - Hutch++ (Meyer, Musco, Musco & Woodruff 2021, Algorithm 1): spend a third of the budget on a
//!   sketch `Q = orth(A S)`, take `tr(QᵀAQ)` exactly, and Hutchinson on the deflated
//!   `(I − QQᵀ) A (I − QQᵀ)` with the last third; for a decaying spectrum the deflated part has a
//!   much smaller Frobenius norm, so the error falls like `1/m` instead of `1/√m`. The standard
//!   error is that of the Hutchinson part (the sketch part is exact given `Q`).
//!
//! All three draw their probes as blocks: at most [`PROBE_BLOCK`] Rademacher columns at a time,
//! drawn in the order of one-at-a-time draws, applied with ONE
//! [`LinearOperator::apply_block`] per block (one pass over the data for the Hessian of a data
//! problem). The estimates therefore equal the one-at-a-time estimates from the same seed up to
//! the rounding of the block product (tests/slq_block.rs), and the same seed gives
//! [`crate::curvature::slq_density`] the same probes.

use crate::error::{Error, Result, check_finite};
use crate::linalg::LinearOperator;
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A stochastic trace estimate.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TraceEstimate {
    /// The estimate of `tr A`.
    pub estimate: f64,
    /// Its standard error (sample standard deviation of the probe values over `√probes`).
    pub std_error: f64,
    /// Number of random probes in the Hutchinson part.
    pub probes: usize,
    /// Operator applications.
    pub matvecs: usize,
}

/// A stochastic diagonal estimate.
#[derive(Debug, Clone)]
pub struct DiagonalEstimate {
    /// The estimate of `diag A`.
    pub diagonal: Vec<f64>,
    /// Standard error of each entry.
    pub std_error: Vec<f64>,
    /// Operator applications.
    pub matvecs: usize,
}

/// Fills `z` with Rademacher entries (±1 with probability ½ each).
pub(crate) fn rademacher(rng: &mut ChaCha8Rng, z: &mut [f64]) {
    for x in z.iter_mut() {
        *x = if rng.random::<bool>() { 1.0 } else { -1.0 };
    }
}

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let m = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / m;
    if xs.len() < 2 {
        return (mean, f64::INFINITY);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (mean, (var / m).sqrt())
}

fn check_probes(probes: usize) -> Result<()> {
    if probes < 2 {
        return Err(Error::invalid(
            "probes",
            probes,
            "must be >= 2 (a standard error needs two samples)",
        ));
    }
    Ok(())
}

/// Hutchinson's trace estimate with `probes ≥ 2` Rademacher probes from `seed`.
///
/// ```
/// let a = faer::mat![[1.0, 5.0], [5.0, 2.0]];
/// let t = curvlab::curvature::hutchinson_trace(&a, 200, 0).unwrap();
/// assert!((t.estimate - 3.0).abs() <= 4.0 * t.std_error);
/// assert_eq!(t.matvecs, 200);
/// ```
pub fn hutchinson_trace<A: LinearOperator + ?Sized>(
    op: &A,
    probes: usize,
    seed: u64,
) -> Result<TraceEstimate> {
    check_probes(probes)?;
    let n = op.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut samples = Vec::with_capacity(probes);
    for_probe_blocks(op, &mut rng, n, probes, |z, az| {
        for c in 0..z.ncols() {
            samples.push((0..n).map(|i| z[(i, c)] * az[(i, c)]).sum());
        }
    })?;
    let (estimate, std_error) = mean_se(&samples);
    Ok(TraceEstimate {
        estimate,
        std_error,
        probes,
        matvecs: probes,
    })
}

/// `k` Rademacher probes as the columns of an `n × k` block, drawn in the order of one-at-a-time
/// draws (allocated fallibly).
fn draw_block(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Result<Mat<f64>> {
    let mut zb = crate::memory::try_mat(n, k, "block of probes", |_, _| 0.0)?;
    let mut z = vec![0.0; n];
    for c in 0..k {
        rademacher(rng, &mut z);
        for (i, zi) in z.iter().enumerate() {
            zb[(i, c)] = *zi;
        }
    }
    Ok(zb)
}

/// The Hutchinson samples `zᵀ P A P z` of Hutch++'s last phase, `P = I − QQᵀ`, for `g` probes
/// in blocks of at most [`PROBE_BLOCK`] (one block application each).
fn deflated_samples<A: LinearOperator + ?Sized>(
    op: &A,
    q: &Mat<f64>,
    rng: &mut ChaCha8Rng,
    g: usize,
    before: usize,
) -> Result<Vec<f64>> {
    let n = q.nrows();
    let mut samples = Vec::with_capacity(g);
    while samples.len() < g {
        let b = (g - samples.len()).min(PROBE_BLOCK);
        let zb = draw_block(rng, n, b)?;
        let coef = q.transpose() * &zb;
        let pz = &zb - q * &coef;
        let apz = apply_checked(op, &pz, "Hutch++", before + samples.len())?;
        samples.extend((0..b).map(|c| (0..n).map(|i| pz[(i, c)] * apz[(i, c)]).sum::<f64>()));
    }
    Ok(samples)
}

/// An error for an operator of dimension 0 (no trace to estimate).
fn check_dim(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid(
            "operator",
            "n = 0",
            "dimension must be >= 1",
        ));
    }
    Ok(())
}

/// Probes per block application (bounds the `n × b` memory of a block).
pub const PROBE_BLOCK: usize = 32;

/// Draws `probes` Rademacher probes (in the order of one-at-a-time draws) in blocks of at most
/// [`PROBE_BLOCK`] columns, applies `op` to each block with one
/// [`LinearOperator::apply_block`], and hands `(Z, A Z)` to `f`.
fn for_probe_blocks<A: LinearOperator + ?Sized>(
    op: &A,
    rng: &mut ChaCha8Rng,
    n: usize,
    probes: usize,
    mut f: impl FnMut(&Mat<f64>, &Mat<f64>),
) -> Result<()> {
    check_dim(n)?;
    let mut done = 0;
    while done < probes {
        let b = (probes - done).min(PROBE_BLOCK);
        let zb = draw_block(rng, n, b)?;
        let azb = apply_checked(op, &zb, "Hutchinson", done)?;
        f(&zb, &azb);
        done += b;
    }
    Ok(())
}

/// `A X` by one block application, with a NaN/Inf check naming the estimator.
fn apply_checked<A: LinearOperator + ?Sized>(
    op: &A,
    x: &Mat<f64>,
    what: &str,
    before: usize,
) -> Result<Mat<f64>> {
    let mut y = Mat::<f64>::zeros(x.nrows(), x.ncols());
    op.apply_block(x.as_ref(), y.as_mut())?;
    for c in 0..y.ncols() {
        let col: Vec<f64> = (0..y.nrows()).map(|i| y[(i, c)]).collect();
        check_finite(
            &format!("operator application in {what}"),
            &col,
            before + c + 1,
        )?;
    }
    Ok(y)
}

/// Hutchinson's diagonal estimate `mean(z ⊙ Az)` (Bekas, Kokiopoulou & Saad 2007) with
/// `probes ≥ 2` Rademacher probes.
///
/// ```
/// let a = faer::mat![[1.0, 0.0], [0.0, 2.0]];
/// let d = curvlab::curvature::hutchinson_diagonal(&a, 4, 0).unwrap();
/// assert_eq!(d.diagonal, vec![1.0, 2.0]); // exact for a diagonal matrix
/// ```
pub fn hutchinson_diagonal<A: LinearOperator + ?Sized>(
    op: &A,
    probes: usize,
    seed: u64,
) -> Result<DiagonalEstimate> {
    check_probes(probes)?;
    let n = op.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sum = vec![0.0; n];
    let mut sumsq = vec![0.0; n];
    for_probe_blocks(op, &mut rng, n, probes, |z, az| {
        for c in 0..z.ncols() {
            for i in 0..n {
                let s = z[(i, c)] * az[(i, c)];
                sum[i] += s;
                sumsq[i] += s * s;
            }
        }
    })?;
    let m = probes as f64;
    let diagonal: Vec<f64> = sum.iter().map(|s| s / m).collect();
    let std_error = (0..n)
        .map(|i| {
            let var = ((sumsq[i] - m * diagonal[i].powi(2)) / (m - 1.0)).max(0.0);
            (var / m).sqrt()
        })
        .collect();
    Ok(DiagonalEstimate {
        diagonal,
        std_error,
        matvecs: probes,
    })
}

/// Hutch++ with a budget of `matvecs` applications (a multiple of 3 is used: `⌊matvecs/3⌋` for the
/// sketch, as many for `A Q`, as many probes; at least 6).
///
/// ```
/// // A matrix of rank 2: the sketch captures it, the estimate is exact to rounding.
/// let a = faer::Mat::<f64>::from_fn(20, 20, |i, j| ((i + 1) * (j + 1)) as f64 / 100.0
///     + if i == j && i < 1 { 1.0 } else { 0.0 });
/// let t = curvlab::curvature::hutch_plus_plus(&a, 30, 0).unwrap();
/// let tr: f64 = (0..20).map(|i| a[(i, i)]).sum();
/// assert!((t.estimate - tr).abs() < 1e-10 * tr);
/// ```
pub fn hutch_plus_plus<A: LinearOperator + ?Sized>(
    op: &A,
    matvecs: usize,
    seed: u64,
) -> Result<TraceEstimate> {
    if matvecs < 6 {
        return Err(Error::invalid(
            "matvecs",
            matvecs,
            "Hutch++ needs at least 6",
        ));
    }
    let n = op.dim();
    check_dim(n)?;
    let s = (matvecs / 3).min(n);
    let g = matvecs / 3;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Sketch A S (one block) and orthonormalize.
    let sk = draw_block(&mut rng, n, s)?;
    let y = apply_checked(op, &sk, "Hutch++", 0)?;
    let q = y.qr().compute_thin_Q();
    // tr(Qᵀ A Q), one block.
    let aq = apply_checked(op, &q, "Hutch++", s)?;
    let t_sketch: f64 = (0..q.ncols())
        .map(|c| (0..n).map(|i| q[(i, c)] * aq[(i, c)]).sum::<f64>())
        .sum();
    let samples = deflated_samples(op, &q, &mut rng, g, s + q.ncols())?;
    let used = s + q.ncols() + g;
    let (mean, se) = mean_se(&samples);
    Ok(TraceEstimate {
        estimate: t_sketch + mean,
        std_error: se,
        probes: g,
        matvecs: used,
    })
}
