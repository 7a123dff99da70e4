//! Per-step estimates of the Hessian's diagonal for diagonally preconditioned optimizers.
//!
//! Hutchinson (1989): for a probe `z` with independent entries of mean 0 and variance 1,
//! `E[z ⊙ ∇²f z] = diag ∇²f`. One probe costs one Hessian-vector product. AdaHessian (Yao et
//! al., AAAI 2021, eq. 7) draws Rademacher probes (entries ±1); Sophia-H (Liu et al., ICLR 2024,
//! Algorithm 1) draws Gaussian ones. [`DiagonalEstimator::Exact`] forms the exact diagonal from
//! `n` products with unit vectors: the noiseless reference against which the stochastic
//! estimators are measured (and what makes the κ-independence of the diagonal methods exact on
//! a diagonal quadratic). [`crate::curvature::hutchinson_diagonal`] is the many-probe diagnostic
//! with a standard error; this is the one-probe-per-step form the optimizers use.

use crate::error::{Error, Result, check_finite};
use crate::objective::Objective;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// How a diagonal-curvature method estimates `diag ∇²f(x)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagonalEstimator {
    /// `z ⊙ Hz` with Rademacher `z` (one HVP).
    Rademacher,
    /// `u ⊙ Hu` with Gaussian `u` (one HVP).
    Gaussian,
    /// `eᵢᵀHeᵢ` for every `i` (`n` HVPs): exact, for tests and small problems.
    Exact,
}

impl DiagonalEstimator {
    /// Parses `rademacher`, `gaussian` or `exact`.
    ///
    /// ```
    /// use curvlab::curvature::diagonal_probe::DiagonalEstimator;
    /// assert_eq!(DiagonalEstimator::parse("exact").unwrap(), DiagonalEstimator::Exact);
    /// assert!(DiagonalEstimator::parse("hutch").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "rademacher" => Ok(Self::Rademacher),
            "gaussian" => Ok(Self::Gaussian),
            "exact" => Ok(Self::Exact),
            other => Err(Error::invalid(
                "estimator",
                other,
                "expected rademacher, gaussian or exact",
            )),
        }
    }

    /// The name [`Self::parse`] reads.
    ///
    /// ```
    /// use curvlab::curvature::diagonal_probe::DiagonalEstimator;
    /// assert_eq!(DiagonalEstimator::Gaussian.name(), "gaussian");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rademacher => "rademacher",
            Self::Gaussian => "gaussian",
            Self::Exact => "exact",
        }
    }
}

/// A seeded source of diagonal estimates (one per call).
///
/// ```
/// use curvlab::curvature::diagonal_probe::{DiagonalEstimator, DiagonalProbe};
/// use curvlab::problems::Ravine;
/// // The axis-aligned ravine f = (100 x² + y²)/2 has the Hessian diag(100, 1); a Rademacher
/// // probe z ⊙ Hz = z² ⊙ diag(H) is exact on a diagonal Hessian.
/// let mut p = DiagonalProbe::new(DiagonalEstimator::Rademacher, 7);
/// let mut d = [0.0; 2];
/// p.estimate(&Ravine::new(100.0, 1.0, 0.0).unwrap(), &[1.0, 1.0], &mut d).unwrap();
/// assert_eq!(d, [100.0, 1.0]);
/// ```
#[derive(Debug, Clone)]
pub struct DiagonalProbe {
    estimator: DiagonalEstimator,
    rng: ChaCha8Rng,
    z: Vec<f64>,
    hz: Vec<f64>,
}

impl DiagonalProbe {
    /// A probe source drawing from a ChaCha8 stream seeded with `seed`.
    pub fn new(estimator: DiagonalEstimator, seed: u64) -> Self {
        DiagonalProbe {
            estimator,
            rng: ChaCha8Rng::seed_from_u64(seed),
            z: Vec::new(),
            hz: Vec::new(),
        }
    }

    /// The estimator.
    pub fn estimator(&self) -> DiagonalEstimator {
        self.estimator
    }

    /// Hessian-vector products one call of [`Self::estimate`] costs at dimension `n`.
    ///
    /// ```
    /// use curvlab::curvature::diagonal_probe::{DiagonalEstimator, DiagonalProbe};
    /// assert_eq!(DiagonalProbe::new(DiagonalEstimator::Exact, 0).hvps(5), 5);
    /// assert_eq!(DiagonalProbe::new(DiagonalEstimator::Gaussian, 0).hvps(5), 1);
    /// ```
    pub fn hvps(&self, n: usize) -> usize {
        match self.estimator {
            DiagonalEstimator::Exact => n,
            _ => 1,
        }
    }

    /// Writes an estimate of `diag ∇²f(x)` into `out`.
    pub fn estimate(&mut self, obj: &dyn Objective, x: &[f64], out: &mut [f64]) -> Result<()> {
        let n = x.len();
        crate::error::check_len("diagonal estimate", n, out.len())?;
        self.z.resize(n, 0.0);
        self.hz.resize(n, 0.0);
        match self.estimator {
            DiagonalEstimator::Exact => {
                self.z.iter_mut().for_each(|v| *v = 0.0);
                for (i, o) in out.iter_mut().enumerate() {
                    self.z[i] = 1.0;
                    obj.hvp(x, &self.z, &mut self.hz)?;
                    self.z[i] = 0.0;
                    *o = self.hz[i];
                }
            }
            DiagonalEstimator::Rademacher | DiagonalEstimator::Gaussian => {
                self.draw();
                obj.hvp(x, &self.z, &mut self.hz)?;
                for ((o, z), hz) in out.iter_mut().zip(&self.z).zip(&self.hz) {
                    *o = z * hz;
                }
            }
        }
        check_finite("Hessian-vector product in the diagonal estimate", out, 1)
    }

    fn draw(&mut self) {
        let rng = &mut self.rng;
        match self.estimator {
            DiagonalEstimator::Gaussian => {
                self.z
                    .iter_mut()
                    .for_each(|v| *v = rng.sample(StandardNormal));
            }
            _ => crate::curvature::hutchinson::rademacher(rng, &mut self.z),
        }
    }
}
