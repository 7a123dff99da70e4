//! The K-FAC statistics of the `classifier` network (Martens & Grosse, ICML 2015, §2–§5): per
//! layer the inputs `ā` (the previous activations with a 1 appended for the bias) and the
//! gradients `g = ∂ℓ/∂a` of the per-example loss with respect to the layer's pre-activations,
//! back-propagated from targets sampled from the model's predictive distribution (§5; softmax
//! `y ~ Cat(p)` for cross-entropy, `y ~ N(z, I)` for the squared error), the true labels
//! (empirical Fisher), or every label weighted by its probability (the exact expectation:
//! `√p_c (p − e_c)` for cross-entropy, `e_c` for the squared error, whose outer products sum to
//! `H_L`). One forward pass, then one backward pass per target set, batched with faer.

use super::passes::Forward;
use super::{Loss, Network};
use crate::curvature::layered::{LayerShape, LayerStatistics, Layered, Targets};
use crate::error::{Result, check_len};
use faer::{Mat, MatRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

impl Layered for Network {
    fn layer_shapes(&self) -> Vec<LayerShape> {
        (0..self.layers())
            .map(|l| LayerShape {
                offset: self.offsets[l],
                inputs: self.sizes[l],
                outputs: self.sizes[l + 1],
            })
            .collect()
    }

    fn layer_statistics(
        &self,
        x: &[f64],
        batch: Option<&[usize]>,
        targets: Targets,
    ) -> Result<Vec<LayerStatistics>> {
        check_len("x", self.n, x.len())?;
        self.with_rows(batch, |h0, y| self.statistics_rows(x, h0, y, targets))
    }

    fn weight_decay(&self) -> f64 {
        self.l2
    }
}

impl Network {
    /// The statistics of every layer over the columns of `h0`.
    fn statistics_rows(
        &self,
        x: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        targets: Targets,
    ) -> Vec<LayerStatistics> {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let tops = self.output_gradients(&fwd, targets, b);
        let c = tops.len();
        let mut out: Vec<LayerStatistics> = (0..self.layers())
            .map(|l| {
                let input = self.input(h0, &fwd, l);
                let nin = self.sizes[l];
                LayerStatistics {
                    inputs: Mat::from_fn(
                        nin + 1,
                        b,
                        |j, i| if j < nin { input[(j, i)] } else { 1.0 },
                    ),
                    grads: Mat::zeros(self.sizes[l + 1], b * c),
                    per_example: c,
                }
            })
            .collect();
        for (t, top) in tops.into_iter().enumerate() {
            let deltas = self.deltas(x, &fwd, top, b);
            for (st, d) in out.iter_mut().zip(&deltas) {
                let rows = st.grads.nrows();
                for i in 0..b {
                    for j in 0..rows {
                        st.grads[(j, i * c + t)] = d[i * rows + j];
                    }
                }
            }
        }
        out
    }

    /// The output gradients (`k × B` each) to back-propagate: one set for sampled or empirical
    /// targets, `k` sets for the exact expectation.
    fn output_gradients(&self, fwd: &Forward, targets: Targets, b: usize) -> Vec<Vec<f64>> {
        let k = self.classes();
        let z = &fwd.pre[fwd.pre.len() - 1];
        match (targets, self.loss) {
            (Targets::Empirical, _) => vec![fwd.dz.clone()],
            (Targets::Sampled { seed }, Loss::CrossEntropy) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(5);
                let mut d = fwd.p.clone();
                for col in d.chunks_exact_mut(k) {
                    let y = sample_class(col, rng.random::<f64>());
                    col[y] -= 1.0;
                }
                vec![d]
            }
            (Targets::Sampled { seed }, Loss::Mse) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(5);
                vec![(0..k * b).map(|_| rng.sample(StandardNormal)).collect()]
            }
            (Targets::Expected, Loss::CrossEntropy) => (0..k)
                .map(|c| {
                    let mut d = fwd.p.clone();
                    for (col, p) in d.chunks_exact_mut(k).zip(fwd.p.chunks_exact(k)) {
                        col[c] -= 1.0;
                        let s = p[c].sqrt();
                        col.iter_mut().for_each(|v| *v *= s);
                    }
                    d
                })
                .collect(),
            (Targets::Expected, Loss::Mse) => (0..k)
                .map(|c| {
                    let mut d = vec![0.0; z.len()];
                    d.iter_mut().skip(c).step_by(k).for_each(|v| *v = 1.0);
                    d
                })
                .collect(),
        }
    }
}

/// The class `y` with `Σ_{c<y} p_c ≤ u < Σ_{c≤y} p_c` (the last class for rounding).
fn sample_class(p: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (c, &pc) in p.iter().enumerate() {
        acc += pc;
        if u < acc {
            return c;
        }
    }
    p.len() - 1
}
