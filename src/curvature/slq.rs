//! Spectral density by stochastic Lanczos quadrature (Golub & Meurant 2010; Ubaru, Chen & Saad
//! 2017; Ghorbani, Krishnan & Xiao 2019 for neural-network Hessians).
//!
//! For each normalized Rademacher probe `v = z/√n`, `m` Lanczos steps from `v` give a
//! tridiagonal `T`; its Golub–Welsch nodes `θⱼ` and weights `τⱼ` (squared first eigenvector
//! components, summing to 1) form an `m`-point Gauss rule for the spectral measure
//! `Σᵢ (vᵀuᵢ)² δ(t − λᵢ)`, whose expectation is the spectral density `(1/n) Σᵢ δ(t − λᵢ)`.
//! Averaging over probes and smoothing each node with a Gaussian of bandwidth `σ` gives
//! `φ(t) = (1/P) Σ_p Σⱼ τⱼ⁽ᵖ⁾ g_σ(t − θⱼ⁽ᵖ⁾)`, which integrates to 1. Its mean is
//! `(1/P) Σ_p vᵀAv = (Hutchinson estimate of tr A)/n` exactly (the first moment of the Gauss rule
//! is `α₁ = vᵀAv`).
//!
//! The probes run in batches ([`crate::linalg::lanczos_batch::LanczosBatch`]): `b` independent
//! Lanczos processes, one per probe, each with its own fully reorthogonalised basis, advanced in
//! lockstep so that each step is ONE block application [`LinearOperator::apply_block`] of the
//! `b` current vectors (counted as `b` applications; a process that reaches an invariant subspace
//! leaves the block). The probes are drawn in the order of one-at-a-time draws, so a batched run
//! and a one-at-a-time run ([`Slq::with_batch`]`(1)`) from the same seed give the same nodes and
//! weights up to the rounding of the block product, and the same probes as
//! [`crate::curvature::hutchinson_trace`] with that seed.

use crate::curvature::hutchinson::{PROBE_BLOCK, rademacher};
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use crate::linalg::lanczos::gauss_quadrature;
use crate::linalg::lanczos_batch::LanczosBatch;
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Memory budget of one batch's Lanczos bases (`b·m·n` values): 256 MiB. The batch size
/// ([`Slq::batch_size`]) is reduced until the bases fit, down to one probe at a time (whose
/// `m·n` basis the one-at-a-time process needs anyway).
pub const SLQ_BATCH_BYTES: usize = 256 << 20;

/// A smoothed spectral density on a grid.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Density {
    /// Grid points, ascending and evenly spaced.
    pub grid: Vec<f64>,
    /// `φ(t)` on the grid.
    pub density: Vec<f64>,
    /// Quadrature nodes of all probes.
    pub nodes: Vec<f64>,
    /// Their weights (each probe's weights sum to `1/probes`).
    pub weights: Vec<f64>,
    /// The Gaussian bandwidth `σ`.
    pub bandwidth: f64,
    /// Operator applications.
    pub matvecs: usize,
}

impl Density {
    /// The mean `∫ t φ(t) dt = Σ τⱼ θⱼ` of the (unsmoothed) quadrature measure; `n ×` it estimates
    /// `tr A`.
    pub fn mean(&self) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(t, w)| t * w)
            .sum()
    }
}

/// SLQ settings, with builders.
///
/// ```
/// use curvlab::curvature::Slq;
/// let a = faer::Mat::<f64>::from_fn(40, 40, |i, j| if i == j { (i % 4) as f64 } else { 0.0 });
/// let d = Slq::new().with_probes(4).unwrap().run(&a).unwrap();
/// let h = d.grid[1] - d.grid[0];
/// let mass: f64 = d.density.iter().sum::<f64>() * h;
/// assert!((mass - 1.0).abs() < 1e-3);
/// assert!((d.mean() - 1.5).abs() < 1.0); // tr A / n = 1.5, within Hutchinson noise
/// ```
#[derive(Debug, Clone)]
pub struct Slq {
    probes: usize,
    steps: usize,
    grid_points: usize,
    bandwidth: Option<f64>,
    seed: u64,
    batch: Option<usize>,
}

impl Default for Slq {
    fn default() -> Self {
        Self::new()
    }
}

impl Slq {
    /// Defaults: 10 probes, 80 Lanczos steps (capped at `n`), 500 grid points, bandwidth
    /// `(θ_max − θ_min)/100` (at least `1e−12`), seed 0, batch size by [`Slq::batch_size`].
    pub fn new() -> Self {
        Slq {
            probes: 10,
            steps: 80,
            grid_points: 500,
            bandwidth: None,
            seed: 0,
            batch: None,
        }
    }
    /// Number of probes (≥ 1).
    pub fn with_probes(mut self, p: usize) -> Result<Self> {
        if p == 0 {
            return Err(Error::invalid("probes", p, "must be >= 1"));
        }
        self.probes = p;
        Ok(self)
    }
    /// Lanczos steps per probe (≥ 1).
    pub fn with_steps(mut self, m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::invalid("steps", m, "must be >= 1"));
        }
        self.steps = m;
        Ok(self)
    }
    /// Grid points (≥ 2).
    pub fn with_grid_points(mut self, g: usize) -> Result<Self> {
        if g < 2 {
            return Err(Error::invalid("grid_points", g, "must be >= 2"));
        }
        self.grid_points = g;
        Ok(self)
    }
    /// Gaussian bandwidth `σ > 0`.
    pub fn with_bandwidth(mut self, s: f64) -> Result<Self> {
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::invalid("bandwidth", s, "must be finite and > 0"));
        }
        self.bandwidth = Some(s);
        Ok(self)
    }
    /// Seed of the probes.
    pub fn with_seed(mut self, seed: u64) -> Result<Self> {
        self.seed = seed;
        Ok(self)
    }

    /// Probes per batch: `b` processes advanced in lockstep ([`Slq::with_batch`]); `1` runs
    /// the probes one at a time.
    ///
    /// ```
    /// use curvlab::curvature::Slq;
    /// let s = Slq::new().with_batch(4).unwrap();
    /// assert_eq!(s.batch_size(100, 10), 4);
    /// assert!(Slq::new().with_batch(0).is_err());
    /// ```
    pub fn with_batch(mut self, b: usize) -> Result<Self> {
        if b == 0 {
            return Err(Error::invalid("batch", b, "must be >= 1"));
        }
        self.batch = Some(b);
        Ok(self)
    }

    /// The batch size for an operator of size `n` and `steps` Lanczos steps: the one set by
    /// [`Slq::with_batch`], else `min(probes, PROBE_BLOCK)` reduced so that the `b·steps·n`
    /// basis values fit in [`SLQ_BATCH_BYTES`] (at least 1); never more than the probes.
    ///
    /// ```
    /// use curvlab::curvature::Slq;
    /// use curvlab::curvature::slq::SLQ_BATCH_BYTES;
    /// assert_eq!(Slq::new().batch_size(1000, 80), 10); // all 10 default probes at once
    /// assert_eq!(Slq::new().with_probes(100).unwrap().batch_size(1000, 80), 32);
    /// // n = 10⁶, 80 steps: one basis is 640 MB > SLQ_BATCH_BYTES, so one probe at a time.
    /// assert_eq!(Slq::new().batch_size(1_000_000, 80), 1);
    /// assert_eq!(Slq::new().with_batch(3).unwrap().batch_size(1000, 80), 3);
    /// ```
    pub fn batch_size(&self, n: usize, steps: usize) -> usize {
        let by_memory = SLQ_BATCH_BYTES / (8 * steps.max(1) * n.max(1)).max(1);
        let b = self
            .batch
            .unwrap_or_else(|| PROBE_BLOCK.min(by_memory).max(1));
        b.min(self.probes).max(1)
    }

    /// The Gauss rules of all probes: `(nodes, weights, applications)`. The probes are drawn in
    /// the order of one-at-a-time draws and run in batches of [`Slq::batch_size`] Lanczos
    /// processes ([`LanczosBatch`], one block application per step); one batch is allocated for
    /// the run and reset per batch of probes.
    fn quadrature<A: LinearOperator + ?Sized>(
        &self,
        op: &A,
    ) -> Result<(Vec<f64>, Vec<f64>, usize)> {
        let n = op.dim();
        let steps = self.steps.min(n);
        let b = self.batch_size(n, steps);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut nodes = Vec::with_capacity(self.probes * steps);
        let mut weights = Vec::with_capacity(self.probes * steps);
        let mut matvecs = 0;
        let w = 1.0 / self.probes as f64;
        let mut batch = LanczosBatch::new(n, steps, b)?;
        let mut z = vec![0.0; n];
        let mut starts = Mat::<f64>::zeros(n, b);
        let mut done = 0;
        while done < self.probes {
            let k = (self.probes - done).min(b);
            for c in 0..k {
                rademacher(&mut rng, &mut z);
                for (i, zi) in z.iter().enumerate() {
                    starts[(i, c)] = *zi;
                }
            }
            batch.reset(starts.as_ref().subcols(0, k))?;
            batch.run(op)?;
            matvecs += batch.applications();
            for p in 0..k {
                let (x, tau) = gauss_quadrature(batch.alpha(p), batch.beta(p))?;
                nodes.extend(x);
                weights.extend(tau.iter().map(|t| t * w));
            }
            done += k;
        }
        Ok((nodes, weights, matvecs))
    }

    /// Computes the density of the symmetric operator `op`. The grid spans the nodes ± 6σ, so
    /// the Gaussian tails outside it hold less than `1e−8` of the mass.
    pub fn run<A: LinearOperator + ?Sized>(&self, op: &A) -> Result<Density> {
        let n = op.dim();
        if n == 0 {
            return Err(Error::invalid(
                "operator",
                "n = 0",
                "dimension must be >= 1",
            ));
        }
        let (nodes, weights, matvecs) = self.quadrature(op)?;
        let lo = nodes.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = nodes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sigma = self
            .bandwidth
            .unwrap_or(((hi - lo) / 100.0).max(1e-12 * hi.abs().max(lo.abs()).max(1.0)));
        let (a, b) = (lo - 6.0 * sigma, hi + 6.0 * sigma);
        let g = self.grid_points;
        let grid: Vec<f64> = (0..g)
            .map(|i| a + (b - a) * i as f64 / (g - 1) as f64)
            .collect();
        let c = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        let density = grid
            .iter()
            .map(|t| {
                nodes
                    .iter()
                    .zip(&weights)
                    .map(|(x, w)| w * c * (-0.5 * ((t - x) / sigma).powi(2)).exp())
                    .sum()
            })
            .collect();
        Ok(Density {
            grid,
            density,
            nodes,
            weights,
            bandwidth: sigma,
            matvecs,
        })
    }
}

/// The SLQ spectral density with `probes` probes, `steps` Lanczos steps, Gaussian bandwidth
/// `bandwidth` (`None`: a hundredth of the spectral range), `grid_points` points and `seed`.
///
/// ```
/// let a = faer::mat![[1.0, 0.0], [0.0, 3.0]];
/// let d = curvlab::curvature::slq_density(&a, 3, 2, Some(0.1), 400, 0).unwrap();
/// assert!((d.mean() - 2.0).abs() < 1e-12); // Rademacher probes see both with weight 1/2
/// ```
pub fn slq_density<A: LinearOperator + ?Sized>(
    op: &A,
    probes: usize,
    steps: usize,
    bandwidth: Option<f64>,
    grid_points: usize,
    seed: u64,
) -> Result<Density> {
    let mut s = Slq::new()
        .with_probes(probes)?
        .with_steps(steps)?
        .with_grid_points(grid_points)?
        .with_seed(seed)?;
    if let Some(b) = bandwidth {
        s = s.with_bandwidth(b)?;
    }
    s.run(op)
}
