//! The squared Frobenius norm `‖A‖²_F = tr(AᵀA) = E‖A z‖²` for probes `z` with `E[zzᵀ] = I`
//! (Hutchinson 1989 applied to `AᵀA`; curvlinops' `hutchinson_squared_fro`). With Rademacher
//! probes the variance of one sample is `2(‖AᵀA‖²_F − Σᵢ (AᵀA)ᵢᵢ²)` (Avron & Toledo 2011), zero
//! when `AᵀA` is diagonal.

use crate::curvature::hutchinson::{TraceEstimate, rademacher};
use crate::error::{Error, Result, check_finite};
use crate::linalg::LinearOperator;
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Probes per block application.
const BLOCK: usize = 32;

/// Estimates `‖A‖²_F` from `probes ≥ 2` Rademacher probes drawn from `seed`, with the standard
/// error of the mean.
///
/// ```
/// use curvlab::curvature::operators::hutchinson_squared_fro;
/// // A diagonal matrix: ‖Dz‖² = Σ dᵢ² for every ±1 probe, the estimate is exact.
/// let a = faer::mat![[3.0, 0.0], [0.0, -4.0]];
/// let t = hutchinson_squared_fro(&a, 4, 0).unwrap();
/// assert_eq!(t.estimate, 25.0);
/// assert!(hutchinson_squared_fro(&a, 1, 0).is_err());
/// ```
pub fn hutchinson_squared_fro<A: LinearOperator + ?Sized>(
    op: &A,
    probes: usize,
    seed: u64,
) -> Result<TraceEstimate> {
    if probes < 2 {
        return Err(Error::invalid(
            "probes",
            probes,
            "must be >= 2 (a standard error needs two samples)",
        ));
    }
    let n = op.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut z = vec![0.0; n];
    let mut samples = Vec::with_capacity(probes);
    while samples.len() < probes {
        let b = (probes - samples.len()).min(BLOCK);
        let mut zb = Mat::<f64>::zeros(n, b);
        for c in 0..b {
            rademacher(&mut rng, &mut z);
            for (i, zi) in z.iter().enumerate() {
                zb[(i, c)] = *zi;
            }
        }
        let mut y = Mat::<f64>::zeros(n, b);
        op.apply_block(zb.as_ref(), y.as_mut())?;
        for c in 0..b {
            samples.push((0..n).map(|i| y[(i, c)] * y[(i, c)]).sum::<f64>());
        }
    }
    check_finite("squared norms in hutchinson_squared_fro", &samples, 0)?;
    let m = probes as f64;
    let mean = samples.iter().sum::<f64>() / m;
    let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (m - 1.0);
    Ok(TraceEstimate {
        estimate: mean,
        std_error: (var / m).sqrt(),
        probes,
        matvecs: probes,
    })
}
