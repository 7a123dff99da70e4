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

use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use crate::linalg::lanczos::{LanczosBasis, gauss_quadrature};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
}

impl Default for Slq {
    fn default() -> Self {
        Self::new()
    }
}

impl Slq {
    /// Defaults: 10 probes, 80 Lanczos steps (capped at `n`), 500 grid points, bandwidth
    /// `(θ_max − θ_min)/100` (at least `1e−12`), seed 0.
    pub fn new() -> Self {
        Slq {
            probes: 10,
            steps: 80,
            grid_points: 500,
            bandwidth: None,
            seed: 0,
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

    /// The Gauss rules of all probes: `(nodes, weights, applications)`. One Lanczos basis is
    /// allocated for the run and reset per probe (no `n × m` copy per probe).
    fn quadrature<A: LinearOperator + ?Sized>(
        &self,
        op: &A,
    ) -> Result<(Vec<f64>, Vec<f64>, usize)> {
        let n = op.dim();
        let steps = self.steps.min(n);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut nodes = Vec::with_capacity(self.probes * steps);
        let mut weights = Vec::with_capacity(self.probes * steps);
        let mut matvecs = 0;
        let w = 1.0 / self.probes as f64;
        let mut z = vec![1.0; n];
        let mut basis = LanczosBasis::new(n, steps, &z)?;
        let mut alpha = Vec::with_capacity(steps);
        let mut beta = Vec::with_capacity(steps);
        for _ in 0..self.probes {
            for x in z.iter_mut() {
                *x = if rng.random::<bool>() { 1.0 } else { -1.0 };
            }
            basis.reset(&z)?;
            while basis.len() < steps && basis.has_next() {
                basis.extend(op)?;
            }
            matvecs += basis.applications();
            let t = basis.projected();
            let m = basis.len();
            alpha.clear();
            beta.clear();
            alpha.extend((0..m).map(|i| t[(i, i)]));
            beta.extend((1..m).map(|i| t[(i, i - 1)]));
            let (x, tau) = gauss_quadrature(&alpha, &beta)?;
            nodes.extend(x);
            weights.extend(tau.iter().map(|t| t * w));
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
