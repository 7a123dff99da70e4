//! Fisher-type and second-derivative matrices over a whole data set, applied minibatch by
//! minibatch (curvlinops' `EFLinearOperator`, `FisherMCLinearOperator`, `GGNLinearOperator`,
//! `HessianLinearOperator`):
//!
//! - the empirical Fisher `F_E = (1/N) Σᵢ gᵢ gᵢᵀ`, `gᵢ = Jᵢᵀ ∇_z ℓ(zᵢ, yᵢ)` with the data's labels
//!   (Kunstner, Balles & Hennig, NeurIPS 2019, eq. 4), applied as `Σᵢ Jᵢᵀ (∇ℓᵢ (∇ℓᵢᵀ Jᵢ v))/N`;
//! - the Monte-Carlo Fisher `F_MC = (1/(N M)) Σᵢ Σ_m ĝᵢₘ ĝᵢₘᵀ` with `M` labels per example drawn
//!   once, at construction, from the model's predictive distribution with an explicit seed
//!   (Martens 2020, §9.1); `E[F_MC] = G`, the GGN, for an exponential-family likelihood in the
//!   outputs (Martens 2020, §9.2: the Fisher equals the GGN for the canonical link);
//! - [`BatchedGgn`] and [`BatchedHessian`]: an objective's own GGN and Hessian products
//!   ([`crate::objective::FiniteSum::batch_ggn_vp`], `batch_hvp`) weighted by `|B|/N` per batch.
//!
//! The two Fisher operators cover the data term only (as curvlinops', which see the loss and the
//! model, not a regularizer); the batched GGN and Hessian include the objective's regularizer, as
//! its own `ggn_vp` and `hvp` do.

use super::{Applications, OutputModel, check_batch_size, for_batches};
use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::LinearOperator;
use crate::linalg::vector::{axpy, dot};
use crate::objective::{FiniteSum, Objective};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Default examples per minibatch of the operators.
use super::DEFAULT_BATCH_SIZE;

fn check_nonempty(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid("examples", 0, "the data set is empty"));
    }
    Ok(())
}

/// `out = Σ_batches Σᵢ Jᵢᵀ uᵢ` where `uᵢ = weight(batch, i, Jᵢ v)`: one forward pass with `Jv` and
/// one backward pass per batch.
fn sandwich<M: OutputModel + ?Sized>(
    model: &M,
    x: &[f64],
    batch_size: usize,
    v: &[f64],
    out: &mut [f64],
    mut weight: impl FnMut(&super::OutputBatch, &[usize], usize, &[f64], &mut [f64]),
) -> Result<()> {
    let n = model.num_params();
    check_len("v", n, v.len())?;
    check_len("output", n, out.len())?;
    out.fill(0.0);
    let mut part = vec![0.0; n];
    for_batches(model.num_data(), batch_size, |batch| {
        let ob = super::batch_outputs(model, x, batch, Some(v))?;
        let k = ob.k;
        let mut u = vec![0.0; ob.dz.len()];
        for (i, ui) in u.chunks_exact_mut(k).enumerate() {
            weight(&ob, batch, i, &ob.jv[i * k..(i + 1) * k], ui);
        }
        model.vjp(x, batch, &u, &mut part)?;
        axpy(1.0, &part, out);
        Ok(())
    })?;
    check_finite("curvature product", out, 0)
}

/// The empirical Fisher `(1/N) Σᵢ gᵢ gᵢᵀ` of an [`OutputModel`] at `x` (data term).
///
/// ```
/// use curvlab::curvature::operators::EmpiricalFisher;
/// use curvlab::linalg::LinearOperator;
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(20, 2, 0).unwrap();
/// let ef = EmpiricalFisher::new(&f, vec![0.0; 3]).unwrap();
/// let mut out = [0.0; 3];
/// ef.apply(&[0.0, 0.0, 1.0], &mut out).unwrap();
/// // At z = 0 every residual is ±½: the bias entry is (1/N) Σ ¼ = ¼.
/// assert!((out[2] - 0.25).abs() < 1e-15);
/// assert_eq!(ef.counter().applications(), 1);
/// ```
pub struct EmpiricalFisher<'a, M: ?Sized> {
    model: &'a M,
    x: Vec<f64>,
    batch_size: usize,
    count: Applications,
}

impl<'a, M: OutputModel + ?Sized> EmpiricalFisher<'a, M> {
    /// The empirical Fisher at `x`, minibatches of [`DEFAULT_BATCH_SIZE`] examples.
    pub fn new(model: &'a M, x: Vec<f64>) -> Result<Self> {
        check_len("x", model.num_params(), x.len())?;
        check_finite("x", &x, 0)?;
        check_nonempty(model.num_data())?;
        Ok(EmpiricalFisher {
            model,
            x,
            batch_size: DEFAULT_BATCH_SIZE,
            count: Applications::default(),
        })
    }
    /// Examples per minibatch (`≥ 1`; changes the result only by rounding).
    pub fn with_batch_size(mut self, batch_size: usize) -> Result<Self> {
        self.batch_size = check_batch_size(batch_size)?;
        Ok(self)
    }
    /// Applications so far.
    pub fn counter(&self) -> &Applications {
        &self.count
    }
}

impl<M: OutputModel + ?Sized> LinearOperator for EmpiricalFisher<'_, M> {
    fn dim(&self) -> usize {
        self.model.num_params()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let inv_n = 1.0 / self.model.num_data() as f64;
        sandwich(
            self.model,
            &self.x,
            self.batch_size,
            v,
            out,
            |ob, _, i, jv, ui| {
                let k = ob.k;
                let d = &ob.dz[i * k..(i + 1) * k];
                let s = dot(d, jv) * inv_n;
                ui.iter_mut().zip(d).for_each(|(u, di)| *u = s * di);
            },
        )?;
        self.count.bump(self.model.num_data());
        Ok(())
    }
}

/// The Monte-Carlo Fisher `(1/(N M)) Σᵢ Σ_m ĝᵢₘ ĝᵢₘᵀ` with `M = mc_samples` labels per example
/// drawn at construction from the model's predictive distribution at `x` (seeded), so that the
/// operator is a fixed symmetric matrix.
///
/// ```
/// use curvlab::curvature::operators::MonteCarloFisher;
/// use curvlab::linalg::{LinearOperator, operator::to_dense};
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(20, 2, 0).unwrap();
/// let a = to_dense(&MonteCarloFisher::new(&f, vec![0.0; 3], 4, 1).unwrap()).unwrap();
/// let b = to_dense(&MonteCarloFisher::new(&f, vec![0.0; 3], 4, 1).unwrap()).unwrap();
/// assert_eq!(a, b); // same seed, same matrix
/// assert!(MonteCarloFisher::new(&f, vec![0.0; 3], 0, 1).is_err());
/// ```
pub struct MonteCarloFisher<'a, M: ?Sized> {
    model: &'a M,
    x: Vec<f64>,
    mc_samples: usize,
    batch_size: usize,
    /// `∇_z ℓ(zᵢ, ŷᵢₘ)`, example-major: `[i][m][c]`.
    sampled: Vec<f64>,
    count: Applications,
}

impl<'a, M: OutputModel + ?Sized> MonteCarloFisher<'a, M> {
    /// `mc_samples ≥ 1` labels per example from a generator seeded with `seed`.
    pub fn new(model: &'a M, x: Vec<f64>, mc_samples: usize, seed: u64) -> Result<Self> {
        Self::with_batch_size(model, x, mc_samples, seed, DEFAULT_BATCH_SIZE)
    }

    /// As [`MonteCarloFisher::new`] with `batch_size` examples per minibatch; the samples do not
    /// depend on it (drawn example by example in order).
    pub fn with_batch_size(
        model: &'a M,
        x: Vec<f64>,
        mc_samples: usize,
        seed: u64,
        batch_size: usize,
    ) -> Result<Self> {
        check_len("x", model.num_params(), x.len())?;
        check_finite("x", &x, 0)?;
        check_nonempty(model.num_data())?;
        if mc_samples == 0 {
            return Err(Error::invalid("mc_samples", 0, "must be >= 1"));
        }
        check_batch_size(batch_size)?;
        let k = model.num_outputs();
        let mut sampled = vec![0.0; model.num_data() * mc_samples * k];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut done = 0;
        for_batches(model.num_data(), batch_size, |batch| {
            let ob = super::batch_outputs(model, &x, batch, None)?;
            for i in 0..batch.len() {
                for _ in 0..mc_samples {
                    ob.sample_output_gradient(i, &mut rng, &mut sampled[done..done + k]);
                    done += k;
                }
            }
            Ok(())
        })?;
        Ok(MonteCarloFisher {
            model,
            x,
            mc_samples,
            batch_size,
            sampled,
            count: Applications::default(),
        })
    }

    /// The sampled output gradients `∇_z ℓ(zᵢ, ŷᵢₘ)`, `k` entries each, in the order
    /// example `i`, sample `m`: `p − e_ŷ` (softmax), `σ − ŷ` (logistic), `−ε` (squared error).
    pub fn sampled_output_gradients(&self) -> &[f64] {
        &self.sampled
    }
    /// Applications so far.
    pub fn counter(&self) -> &Applications {
        &self.count
    }
}

impl<M: OutputModel + ?Sized> LinearOperator for MonteCarloFisher<'_, M> {
    fn dim(&self) -> usize {
        self.model.num_params()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let m = self.mc_samples;
        let scale = 1.0 / (self.model.num_data() * m) as f64;
        let sampled = &self.sampled;
        sandwich(
            self.model,
            &self.x,
            self.batch_size,
            v,
            out,
            |ob, batch, i, jv, ui| {
                let k = ob.k;
                ui.fill(0.0);
                let first = batch[i] * m * k;
                for r in sampled[first..first + m * k].chunks_exact(k) {
                    let s = dot(r, jv) * scale;
                    ui.iter_mut().zip(r).for_each(|(u, ri)| *u += s * ri);
                }
            },
        )?;
        self.count.bump(self.model.num_data());
        Ok(())
    }
}

/// Which product a [`Batched`] operator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Product {
    Hessian,
    Ggn,
}

/// `Σ_B (|B|/N) A_B v` over contiguous minibatches of a finite-sum objective.
struct Batched<'a, O: ?Sized> {
    obj: &'a O,
    x: Vec<f64>,
    batch_size: usize,
    product: Product,
    count: Applications,
}

impl<'a, O: Objective + ?Sized> Batched<'a, O> {
    fn new(obj: &'a O, x: Vec<f64>, product: Product) -> Result<Self> {
        check_len("x", obj.dim(), x.len())?;
        let fs = obj.as_finite_sum().ok_or_else(|| {
            Error::Unsupported("the objective is not a finite sum over examples".into())
        })?;
        if product == Product::Ggn && obj.as_gauss_newton().is_none() {
            return Err(Error::Unsupported(
                "the objective gives no Gauss-Newton products (ggn_vp)".into(),
            ));
        }
        if fs.num_examples() == 0 {
            return Err(Error::invalid("examples", 0, "the data set is empty"));
        }
        Ok(Batched {
            obj,
            x,
            batch_size: DEFAULT_BATCH_SIZE,
            product,
            count: Applications::default(),
        })
    }

    fn finite_sum(&self) -> Result<&dyn FiniteSum> {
        self.obj
            .as_finite_sum()
            .ok_or_else(|| Error::Unsupported("not a finite sum".into()))
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.obj.dim();
        check_len("v", n, v.len())?;
        check_len("output", n, out.len())?;
        let fs = self.finite_sum()?;
        let big_n = fs.num_examples();
        out.fill(0.0);
        let mut part = vec![0.0; n];
        for_batches(big_n, self.batch_size, |batch| {
            match self.product {
                Product::Hessian => fs.batch_hvp(&self.x, batch, v, &mut part)?,
                Product::Ggn => fs.batch_ggn_vp(&self.x, batch, v, &mut part)?,
            }
            axpy(batch.len() as f64 / big_n as f64, &part, out);
            Ok(())
        })?;
        self.count.bump(big_n);
        check_finite("curvature product", out, 0)
    }
}

macro_rules! batched_operator {
    ($name:ident, $product:expr, $what:literal, $example:literal) => {
        #[doc = concat!("The ", $what, " of a finite-sum objective at a point, accumulated over ")]
        #[doc = "contiguous minibatches (each weighted `|B|/N`; the regularizer once in all)."]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use curvlab::curvature::operators::", stringify!($name), ";")]
        #[doc = "use curvlab::linalg::{LinearOperator, operator::to_dense};"]
        #[doc = "use curvlab::Objective;"]
        #[doc = "let f = curvlab::problems::logistic::LogisticRegression::synthetic(30, 2, 0).unwrap();"]
        #[doc = "let x = [0.3, -0.2, 0.1];"]
        #[doc = concat!("let op = ", stringify!($name), "::new(&f, x.to_vec()).unwrap().with_batch_size(7).unwrap();")]
        #[doc = "let (a, h) = (to_dense(&op).unwrap(), f.hessian(&x).unwrap());"]
        #[doc = "assert!((0..3).all(|i| (0..3).all(|j| (a[(i, j)] - h[(i, j)]).abs() < 1e-14)));"]
        #[doc = concat!("assert_eq!(op.applications(), ", $example, ");")]
        #[doc = "```"]
        pub struct $name<'a, O: ?Sized>(Batched<'a, O>);

        impl<'a, O: Objective + ?Sized> $name<'a, O> {
            /// At `x`, minibatches of [`DEFAULT_BATCH_SIZE`] examples; an error unless `obj` is a
            /// finite sum (with Gauss-Newton products for the GGN).
            pub fn new(obj: &'a O, x: Vec<f64>) -> Result<Self> {
                Ok($name(Batched::new(obj, x, $product)?))
            }
            /// Examples per minibatch (`≥ 1`).
            pub fn with_batch_size(mut self, batch_size: usize) -> Result<Self> {
                self.0.batch_size = check_batch_size(batch_size)?;
                Ok(self)
            }
            /// Applications so far.
            pub fn applications(&self) -> u64 {
                self.0.count.applications()
            }
        }

        impl<O: Objective + ?Sized> LinearOperator for $name<'_, O> {
            fn dim(&self) -> usize {
                self.0.obj.dim()
            }
            fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
                self.0.apply(v, out)
            }
        }
    };
}

batched_operator!(BatchedHessian, Product::Hessian, "Hessian `∇²f`", "3");
batched_operator!(
    BatchedGgn,
    Product::Ggn,
    "generalized Gauss-Newton matrix",
    "3"
);
