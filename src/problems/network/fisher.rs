//! The per-example passes the curvature operators ([`crate::curvature::operators`]) need from
//! the [`Network`]: a forward pass with the Jacobian-vector product `Jᵢ v = R{zᵢ}` (Pearlmutter
//! 1994), back-propagation of arbitrary output vectors `Σᵢ Jᵢᵀ uᵢ` (Rumelhart, Hinton & Williams
//! 1986), and the sum of their squares `Σᵢ (Jᵢᵀ uᵢ)⊙²` from one backward pass, as BackPACK
//! computes per-example second moments (Dangel, Kunstner & Hennig, ICLR 2020, §2): for a dense
//! layer `Jᵢᵀuᵢ` restricted to `W_l` is `δ_{l,i} h_{l−1,i}ᵀ`, so the sum of its squares over the
//! batch is `(δ_l ⊙ δ_l)(h_{l−1} ⊙ h_{l−1})ᵀ`, one matrix product.
//!
//! Labels sampled from the softmax ([`SampledLabels`]) are offered for the cross-entropy loss only
//! (the squared error is not the likelihood Sophia-G's estimator assumes).

use super::passes::{cm, cm_mut, mm, row_sums};
use super::{Loss, Network};
use crate::curvature::operators::{Likelihood, OutputBatch, OutputModel, sampled_gradient};
use crate::error::{Error, Result, check_len};
use crate::objective::SampledLabels;
use faer::Accum;

impl Network {
    fn check_u(&self, batch: &[usize], u: &[f64], out: &[f64]) -> Result<()> {
        check_len(
            "output vectors (k × batch)",
            self.classes() * batch.len(),
            u.len(),
        )?;
        check_len("output buffer", self.n, out.len())
    }
}

/// The network's outputs `zᵢ = logits` with the loss's predictive distribution.
impl OutputModel for Network {
    fn num_params(&self) -> usize {
        self.n
    }
    fn num_data(&self) -> usize {
        self.train_y.len()
    }
    fn num_outputs(&self) -> usize {
        self.classes()
    }
    fn outputs(&self, x: &[f64], batch: &[usize], v: Option<&[f64]>) -> Result<OutputBatch> {
        check_len("x", self.n, x.len())?;
        if let Some(v) = v {
            check_len("v", self.n, v.len())?;
        }
        self.with_rows(Some(batch), |h0, y| {
            let fwd = self.forward(x, h0, y);
            let jv = v.map_or_else(Vec::new, |v| self.r_forward_outputs(x, v, h0, &fwd));
            OutputBatch {
                likelihood: match self.loss {
                    Loss::CrossEntropy => Likelihood::Categorical,
                    Loss::Mse => Likelihood::Gaussian,
                },
                k: self.classes(),
                probs: fwd.p,
                dz: fwd.dz,
                jv,
            }
        })
    }
    fn vjp(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        self.check_u(batch, u, out)?;
        self.with_rows(Some(batch), |h0, y| {
            let fwd = self.forward(x, h0, y);
            let deltas = self.deltas(x, &fwd, u.to_vec(), h0.ncols());
            self.accumulate(h0, &fwd, &deltas, out);
        })
    }
    fn vjp_squared(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        self.check_u(batch, u, out)?;
        self.with_rows(Some(batch), |h0, y| {
            let b = h0.ncols();
            let fwd = self.forward(x, h0, y);
            let deltas = self.deltas(x, &fwd, u.to_vec(), b);
            let mut sums = Vec::new();
            for (l, d) in deltas.iter().enumerate() {
                let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
                let input = self.input(h0, &fwd, l);
                let h2: Vec<f64> = (0..b)
                    .flat_map(|c| (0..nin).map(move |j| input[(j, c)] * input[(j, c)]))
                    .collect();
                let d2: Vec<f64> = d.iter().map(|t| t * t).collect();
                let (ow, ob) = self.split_mut(out, l);
                mm(
                    cm_mut(ow, nout, nin),
                    Accum::Add,
                    cm(&d2, nout, b),
                    cm(&h2, nin, b).transpose(),
                );
                sums.resize(nout, 0.0);
                row_sums(&d2, nout, &mut sums);
                ob.iter_mut().zip(&sums).for_each(|(o, s)| *o += s);
            }
        })
    }
}

/// Labels sampled from the softmax (cross-entropy loss only).
impl SampledLabels for Network {
    fn sampled_gradient(&self, x: &[f64], batch: &[usize], seed: u64, g: &mut [f64]) -> Result<()> {
        if self.loss != Loss::CrossEntropy {
            return Err(Error::Unsupported(
                "sampled labels need the cross-entropy loss (loss = ce)".into(),
            ));
        }
        sampled_gradient(self, x, batch, seed, g)
    }
}
