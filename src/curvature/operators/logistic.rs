//! Logistic regression as an [`OutputModel`]: one logit per example, `zᵢ = xᵢᵀw + b`, so the
//! Jacobian row is `Jᵢ = (xᵢᵀ, 1)` and the loss is the Bernoulli negative log-likelihood with
//! `H_L = σ(zᵢ)(1 − σ(zᵢ))` (Hastie, Tibshirani & Friedman 2009, §4.4.1). Its labels sampled from
//! `Bernoulli(σ(zᵢ))` give Sophia-G's estimator and the Monte-Carlo Fisher.

use super::{Likelihood, OutputBatch, OutputModel, sampled_gradient};
use crate::error::{Result, check_len};
use crate::objective::SampledLabels;
use crate::problems::data::check_batch;
use crate::problems::logistic::{LogisticRegression, sigmoid};

impl LogisticRegression {
    fn logit(&self, x: &[f64], i: usize) -> f64 {
        let a = self.data().x();
        let d = a.ncols();
        (0..d).map(|j| a[(i, j)] * x[j]).sum::<f64>() + x[d]
    }
    fn check_vjp(&self, x: &[f64], batch: &[usize], u: &[f64], out: &[f64]) -> Result<()> {
        let n = self.data().num_features() + 1;
        check_len("x", n, x.len())?;
        check_batch(batch, self.data().len())?;
        check_len("output vectors (k × batch)", batch.len(), u.len())?;
        check_len("output buffer", n, out.len())
    }
}

/// `zᵢ = xᵢᵀw + b`, Bernoulli likelihood (the data term; the L2 term is not part of it).
impl OutputModel for LogisticRegression {
    fn num_params(&self) -> usize {
        self.data().num_features() + 1
    }
    fn num_data(&self) -> usize {
        self.data().len()
    }
    fn num_outputs(&self) -> usize {
        1
    }
    fn outputs(&self, x: &[f64], batch: &[usize], v: Option<&[f64]>) -> Result<OutputBatch> {
        let n = self.num_params();
        check_len("x", n, x.len())?;
        check_batch(batch, self.data().len())?;
        if let Some(v) = v {
            check_len("v", n, v.len())?;
        }
        let y = self.data().y();
        let probs: Vec<f64> = batch.iter().map(|&i| sigmoid(self.logit(x, i))).collect();
        let dz = probs.iter().zip(batch).map(|(p, &i)| p - y[i]).collect();
        let jv = v.map_or_else(Vec::new, |v| {
            batch.iter().map(|&i| self.logit(v, i)).collect()
        });
        Ok(OutputBatch {
            likelihood: Likelihood::Bernoulli,
            k: 1,
            probs,
            dz,
            jv,
        })
    }
    fn vjp(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_vjp(x, batch, u, out)?;
        out.fill(0.0);
        let a = self.data().x();
        let d = a.ncols();
        for (&i, &ui) in batch.iter().zip(u) {
            for j in 0..d {
                out[j] += ui * a[(i, j)];
            }
            out[d] += ui;
        }
        Ok(())
    }
    fn vjp_squared(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_vjp(x, batch, u, out)?;
        let a = self.data().x();
        let d = a.ncols();
        for (&i, &ui) in batch.iter().zip(u) {
            for j in 0..d {
                out[j] += (ui * a[(i, j)]).powi(2);
            }
            out[d] += ui * ui;
        }
        Ok(())
    }
}

/// Labels `ŷᵢ ~ Bernoulli(σ(zᵢ))`.
impl SampledLabels for LogisticRegression {
    fn sampled_gradient(&self, x: &[f64], batch: &[usize], seed: u64, g: &mut [f64]) -> Result<()> {
        sampled_gradient(self, x, batch, seed, g)
    }
}
