//! Power iteration with Hotelling deflation (von Mises & Pollaczek-Geiringer 1929; Hotelling
//! 1933; Golub & Van Loan 2013, §7.3 and §8.2): the simple baseline for the eigenvalues of
//! largest magnitude. It converges at the rate `|λ_{i+1}/λ_i|` per application, so it needs far
//! more applications than Lanczos on clustered spectra; it is here to be compared with.

use crate::error::{Error, Result, check_finite};
use crate::linalg::LinearOperator;
use crate::linalg::vector::{axpy, dot, norm, scale};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The result of [`PowerIteration::run`].
#[derive(Debug, Clone)]
pub struct PowerResult {
    /// Eigenvalue estimates (Rayleigh quotients), by decreasing magnitude.
    pub values: Vec<f64>,
    /// Unit eigenvector estimates.
    pub vectors: Vec<Vec<f64>>,
    /// True residuals `‖A v − λ v‖` (of the undeflated operator).
    pub residuals: Vec<f64>,
    /// Operator applications.
    pub applications: usize,
    /// Whether every residual met `tol · |λ|`.
    pub converged: bool,
}

/// Power iteration for the `k` eigenvalues of largest magnitude of a symmetric operator, each
/// found on `A − Σ λⱼ vⱼ vⱼᵀ` (deflating those found before).
///
/// ```
/// use curvlab::curvature::PowerIteration;
/// let a = faer::mat![[5.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 1.0]];
/// let r = PowerIteration::new(2).unwrap().with_tol(1e-10).unwrap().run(&a).unwrap();
/// assert!((r.values[0] - 5.0).abs() < 1e-9 && (r.values[1] + 2.0).abs() < 1e-9);
/// assert!(r.converged);
/// ```
#[derive(Debug, Clone)]
pub struct PowerIteration {
    k: usize,
    tol: f64,
    max_iters: usize,
    seed: u64,
}

impl PowerIteration {
    /// `k ≥ 1` eigenvalues; defaults `tol = 1e-8`, 10 000 iterations per eigenvalue, seed 0.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "must be >= 1"));
        }
        Ok(PowerIteration {
            k,
            tol: 1e-8,
            max_iters: 10_000,
            seed: 0,
        })
    }
    /// Relative residual tolerance `‖Av − λv‖ ≤ tol·|λ|`, in `(0, 1)`.
    pub fn with_tol(mut self, tol: f64) -> Result<Self> {
        if !(tol > 0.0 && tol < 1.0) {
            return Err(Error::invalid("tol", tol, "must be in (0, 1)"));
        }
        self.tol = tol;
        Ok(self)
    }
    /// Iteration budget per eigenvalue (≥ 1).
    pub fn with_max_iters(mut self, m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::invalid("max_iters", m, "must be >= 1"));
        }
        self.max_iters = m;
        Ok(self)
    }
    /// Seed of the random start vectors.
    pub fn with_seed(mut self, seed: u64) -> Result<Self> {
        self.seed = seed;
        Ok(self)
    }

    /// Runs on `op` (`k ≤ n`).
    pub fn run<A: LinearOperator + ?Sized>(&self, op: &A) -> Result<PowerResult> {
        let n = op.dim();
        if self.k > n {
            return Err(Error::invalid("k", self.k, &format!("must be <= n = {n}")));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(crate::curvature::lanczos::LANCZOS_STREAM + 1);
        let mut values: Vec<f64> = Vec::new();
        let mut vectors: Vec<Vec<f64>> = Vec::new();
        let mut residuals = Vec::new();
        let mut applications = 0;
        let mut converged = true;
        let mut av = vec![0.0; n];
        for _ in 0..self.k {
            let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            let s = norm(&v);
            scale(1.0 / s, &mut v);
            let mut lambda = 0.0;
            let mut res = f64::INFINITY;
            for _ in 0..self.max_iters {
                // av = (A − Σ λⱼ vⱼ vⱼᵀ) v
                op.apply(&v, &mut av)?;
                applications += 1;
                check_finite("operator application in power iteration", &av, applications)?;
                for (lj, vj) in values.iter().zip(&vectors) {
                    axpy(-lj * dot(vj, &v), vj, &mut av);
                }
                lambda = dot(&v, &av);
                let mut r = av.clone();
                axpy(-lambda, &v, &mut r);
                res = norm(&r);
                let s = norm(&av);
                if res <= self.tol * lambda.abs() || s == 0.0 {
                    break;
                }
                v.copy_from_slice(&av);
                scale(1.0 / s, &mut v);
            }
            if res > self.tol * lambda.abs() {
                converged = false;
            }
            // True residual of the undeflated operator.
            op.apply(&v, &mut av)?;
            applications += 1;
            axpy(-lambda, &v, &mut av);
            residuals.push(norm(&av));
            values.push(lambda);
            vectors.push(v);
        }
        Ok(PowerResult {
            values,
            vectors,
            residuals,
            applications,
            converged,
        })
    }
}

/// The `k` eigenvalues of largest magnitude by power iteration with deflation (defaults of
/// [`PowerIteration`], the given `tol` and `seed`).
///
/// ```
/// let a = faer::mat![[3.0, 1.0], [1.0, 3.0]];
/// let r = curvlab::curvature::power_iteration(&a, 1, 1e-10, 1).unwrap();
/// assert!((r.values[0] - 4.0).abs() < 1e-9);
/// ```
pub fn power_iteration<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    tol: f64,
    seed: u64,
) -> Result<PowerResult> {
    PowerIteration::new(k)?
        .with_tol(tol)?
        .with_seed(seed)?
        .run(op)
}
