//! Convex quadratics with a prescribed spectrum: `f(x) = ½ xᵀAx − bᵀx`, `A = Q diag(λ) Qᵀ`.
//!
//! The eigenvalues `λ` span `[1, κ]` (so `μ = 1`, `L = κ`) and are spread
//! log-uniformly, uniformly, or in two clusters; `Q` is a seeded Haar-random rotation (QR of a
//! Gaussian matrix with the signs of `R`'s diagonal fixed, Mezzadri 2007) or the identity.
//! The minimizer `x*` is drawn from a seeded standard normal and `b = A x*`, so `x*`,
//! `f* = −½ x*ᵀ A x*` and the whole spectrum are known exactly: this is the laboratory for the
//! rates of Nocedal & Wright (2006, ch. 3 and 5) and Polyak (1964). Standard start: `x₀ = 0`.

use crate::error::{Error, Result, check_len};
use crate::linalg::vector::dot;
use crate::objective::Objective;
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// How the eigenvalues fill `[1, κ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SpectrumKind {
    /// `λᵢ = κ^{i/(n−1)}`.
    LogUniform,
    /// `λᵢ = 1 + (κ − 1) i/(n−1)`.
    Uniform,
    /// Half the eigenvalues evenly in `[1, 1.1]`, the rest in `[κ/1.1, κ]`: two tight clusters,
    /// where CG needs about as many iterations as there are clusters times a few.
    TwoCluster,
}

impl SpectrumKind {
    /// Parses `log-uniform`, `uniform` or `two-cluster`.
    ///
    /// ```
    /// use curvlab::problems::SpectrumKind;
    /// assert_eq!(SpectrumKind::parse("two-cluster").unwrap(), SpectrumKind::TwoCluster);
    /// assert!(SpectrumKind::parse("gaussian").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "log-uniform" => Ok(SpectrumKind::LogUniform),
            "uniform" => Ok(SpectrumKind::Uniform),
            "two-cluster" => Ok(SpectrumKind::TwoCluster),
            _ => Err(Error::invalid(
                "spectrum",
                s,
                "expected log-uniform, uniform or two-cluster",
            )),
        }
    }

    /// The `n` eigenvalues in ascending order for condition number `kappa`.
    ///
    /// ```
    /// use curvlab::problems::SpectrumKind;
    /// let l = SpectrumKind::LogUniform.eigenvalues(3, 100.0);
    /// assert!((l[1] - 10.0).abs() < 1e-12 && l[0] == 1.0 && l[2] == 100.0);
    /// ```
    pub fn eigenvalues(self, n: usize, kappa: f64) -> Vec<f64> {
        if n == 1 {
            return vec![1.0];
        }
        let t = |i: usize, m: usize| {
            if m <= 1 {
                0.0
            } else {
                i as f64 / (m - 1) as f64
            }
        };
        match self {
            SpectrumKind::LogUniform => (0..n)
                .map(|i| {
                    if i == n - 1 {
                        kappa
                    } else {
                        kappa.powf(t(i, n))
                    }
                })
                .collect(),
            SpectrumKind::Uniform => (0..n).map(|i| 1.0 + (kappa - 1.0) * t(i, n)).collect(),
            SpectrumKind::TwoCluster => {
                let lo = n / 2;
                let hi = n - lo;
                let mut v: Vec<f64> = (0..lo).map(|i| 1.0 + 0.1 * t(i, lo)).collect();
                v.extend((0..hi).map(|i| kappa / 1.1 + (kappa - kappa / 1.1) * t(i, hi)));
                if lo == 0 {
                    v[0] = 1.0;
                }
                v
            }
        }
    }
}

/// Whether the eigenvectors are rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rotation {
    /// `Q = I`: `A` is diagonal.
    Diagonal,
    /// `Q` Haar-random from the seed.
    Random,
}

/// A convex quadratic with known spectrum and minimizer.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
/// let q = Quadratic::new(10, 100.0, SpectrumKind::LogUniform, Rotation::Random, 7).unwrap();
/// let mut g = vec![0.0; 10];
/// q.gradient(q.minimizer(), &mut g).unwrap();
/// assert!(g.iter().all(|v| v.abs() < 1e-10));
/// assert!((q.value(q.minimizer()).unwrap() - q.optimal_value()).abs() < 1e-10);
/// ```
#[derive(Debug, Clone)]
pub struct Quadratic {
    eigenvalues: Vec<f64>,
    /// `Some(A)` when rotated; `None` for diagonal `A = diag(λ)`.
    a: Option<Mat<f64>>,
    b: Vec<f64>,
    x_star: Vec<f64>,
    f_star: f64,
}

impl Quadratic {
    /// A quadratic in `n` variables with condition number `kappa ≥ 1`.
    pub fn new(
        n: usize,
        kappa: f64,
        kind: SpectrumKind,
        rotation: Rotation,
        seed: u64,
    ) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid("dim", n, "must be >= 1"));
        }
        if !(kappa >= 1.0 && kappa.is_finite()) {
            return Err(Error::invalid(
                "condition",
                kappa,
                "must be finite and >= 1",
            ));
        }
        memory_request(n as u64, rotation == Rotation::Diagonal).check()?;
        Self::with_eigenvalues(kind.eigenvalues(n, kappa), rotation, seed)
    }

    /// A quadratic with the given positive eigenvalues.
    ///
    /// ```
    /// use curvlab::problems::{Quadratic, Rotation};
    /// assert!(Quadratic::with_eigenvalues(vec![1.0, -1.0], Rotation::Diagonal, 0).is_err());
    /// ```
    pub fn with_eigenvalues(
        mut eigenvalues: Vec<f64>,
        rotation: Rotation,
        seed: u64,
    ) -> Result<Self> {
        let n = eigenvalues.len();
        if n == 0 {
            return Err(Error::invalid("dim", 0, "must be >= 1"));
        }
        if let Some(l) = eigenvalues.iter().find(|l| !(**l > 0.0 && l.is_finite())) {
            return Err(Error::NotPositiveDefinite(format!(
                "quadratic eigenvalue {l} is not positive and finite"
            )));
        }
        eigenvalues.sort_by(f64::total_cmp);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x_star: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let a = match rotation {
            Rotation::Diagonal => None,
            Rotation::Random => {
                memory_request(n as u64, false).check()?;
                let g = crate::memory::try_mat(n, n, "quadratic rotation", |_, _| {
                    StandardNormal.sample(&mut rng)
                })?;
                let qr = g.qr();
                let mut q = qr.compute_Q();
                let r = qr.R();
                for j in 0..n {
                    if r[(j, j)] < 0.0 {
                        for i in 0..n {
                            q[(i, j)] = -q[(i, j)];
                        }
                    }
                }
                let mut ql = q.clone();
                for j in 0..n {
                    for i in 0..n {
                        ql[(i, j)] *= eigenvalues[j];
                    }
                }
                let mut a = &ql * q.transpose();
                crate::objective::symmetrize(&mut a);
                Some(a)
            }
        };
        let mut q = Quadratic {
            eigenvalues,
            a,
            b: vec![0.0; n],
            x_star,
            f_star: 0.0,
        };
        let mut b = vec![0.0; n];
        q.apply_a(&q.x_star, &mut b);
        q.f_star = -0.5 * dot(&b, &q.x_star);
        q.b = b;
        Ok(q)
    }

    /// The eigenvalues of `A`, ascending.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }
    /// The exact minimizer `x* = A⁻¹ b`.
    pub fn minimizer(&self) -> &[f64] {
        &self.x_star
    }
    /// `f* = −½ bᵀ x*`.
    pub fn optimal_value(&self) -> f64 {
        self.f_star
    }
    /// The linear term `b`.
    pub fn b(&self) -> &[f64] {
        &self.b
    }
    /// The standard start `x₀ = 0`.
    pub fn standard_start(&self) -> Vec<f64> {
        vec![0.0; self.eigenvalues.len()]
    }

    fn apply_a(&self, v: &[f64], out: &mut [f64]) {
        match &self.a {
            None => {
                for ((o, l), vi) in out.iter_mut().zip(&self.eigenvalues).zip(v) {
                    *o = l * vi;
                }
            }
            Some(a) => {
                let vv = faer::ColRef::from_slice(v);
                let o = faer::ColMut::from_slice_mut(out);
                faer::linalg::matmul::matmul(
                    o,
                    faer::Accum::Replace,
                    a.as_ref(),
                    vv,
                    1.0,
                    faer::Par::Seq,
                );
            }
        }
    }

    /// The matrix `A` (dense).
    pub fn matrix(&self) -> Mat<f64> {
        match &self.a {
            Some(a) => a.clone(),
            None => {
                let n = self.eigenvalues.len();
                Mat::from_fn(n, n, |i, j| if i == j { self.eigenvalues[i] } else { 0.0 })
            }
        }
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.eigenvalues.len()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        let mut ax = vec![0.0; x.len()];
        self.apply_a(x, &mut ax);
        Ok(0.5 * dot(x, &ax) - dot(&self.b, x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        check_len("gradient buffer", self.dim(), g.len())?;
        self.apply_a(x, g);
        let f = 0.5 * dot(x, g) - dot(&self.b, x);
        for (gi, bi) in g.iter_mut().zip(&self.b) {
            *gi -= bi;
        }
        Ok(f)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim(), x.len())?;
        check_len("v", self.dim(), v.len())?;
        check_len("hvp buffer", self.dim(), out.len())?;
        self.apply_a(v, out);
        Ok(())
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.dim(), x.len())?;
        Ok(self.matrix())
    }
}

/// What a quadratic in `n` variables allocates: with a random rotation five dense `n × n`
/// matrices at the peak of construction (the Gaussian draw, its QR factors, `Q`, `QΛ` and `A`);
/// diagonal, its eigenvalues, `b` and `x*`; plus the working set of whatever uses it
/// ([`crate::memory::working_set`]).
///
/// ```
/// let r = curvlab::problems::quadratic::memory_request(100_000, false);
/// assert!(r.what.starts_with("quadratic dim = 100000 with a dense rotation"));
/// assert_eq!(r.bytes, Some(5 * 8 * 100_000u64.pow(2) + 11 * 8 * 100_000));
/// let d = curvlab::problems::quadratic::memory_request(100_000, true);
/// assert_eq!(d.bytes, Some(11 * 8 * 100_000));
/// ```
pub fn memory_request(n: u64, diagonal: bool) -> crate::memory::Request {
    use crate::memory::{Request, f64s, sum, working_set};
    let own = f64s(&[3, n]);
    if diagonal {
        Request::new(
            format!("quadratic dim = {n} (diagonal)"),
            sum(&[own, working_set(n)]),
            "use a smaller dim",
        )
        .with_key("dim")
    } else {
        Request::new(
            format!("quadratic dim = {n} with a dense rotation"),
            sum(&[f64s(&[5, n, n]), own, working_set(n)]),
            "use rotation = diagonal or a smaller dim",
        )
        .with_key("dim")
    }
}
