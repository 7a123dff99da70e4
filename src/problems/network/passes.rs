//! The batched passes of [`Network`]: forward, backpropagation, Pearlmutter's (1994) R-operator
//! (forward-over-reverse Hessian-vector products) and the Gauss-Newton product `Jᵀ H_L J v`
//! (Schraudolph 2002; Martens 2010, §4.2). Examples are the columns of every activation matrix;
//! every product is one faer matrix multiplication over the whole batch (`Par::Seq`).

use super::{Loss, Network};
use faer::{Accum, MatMut, MatRef};

/// Everything the forward pass computes that the backward passes need.
pub(super) struct Forward {
    /// Pre-activations `a_l` (`out × B`, column-major) of every layer; the last are the outputs.
    pub(super) pre: Vec<Vec<f64>>,
    /// Activations `h_l = φ(a_l)` of the hidden layers.
    pub(super) post: Vec<Vec<f64>>,
    /// Softmax probabilities (`k × B`) for cross-entropy; empty for the squared error.
    pub(super) p: Vec<f64>,
    /// `∂ℓᵢ/∂zᵢ` of every example (`k × B`): `p − e_y` or `z − e_y`.
    pub(super) dz: Vec<f64>,
    /// `Σᵢ ℓᵢ` over the batch.
    pub(super) loss_sum: f64,
}

pub(super) fn cm(s: &[f64], r: usize, c: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(s, r, c)
}
pub(super) fn cm_mut(s: &mut [f64], r: usize, c: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(s, r, c)
}
pub(super) fn mm(dst: MatMut<'_, f64>, accum: Accum, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    mm_scaled(dst, accum, lhs, rhs, 1.0);
}
/// `dst (=|+=) s · lhs · rhs` with [`crate::linalg::matmul::product`] (faer, `Par::Seq`, then a
/// `vzeroupper`).
pub(crate) fn mm_scaled(
    dst: MatMut<'_, f64>,
    accum: Accum,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
    s: f64,
) {
    crate::linalg::matmul::product(dst, accum, lhs, rhs, s);
}
/// `out = row sums of the (rows × B) column-major matrix d`.
pub(super) fn row_sums(d: &[f64], rows: usize, out: &mut [f64]) {
    out.fill(0.0);
    for col in d.chunks_exact(rows) {
        for (o, v) in out.iter_mut().zip(col) {
            *o += v;
        }
    }
}
/// A `rows × B` matrix whose every column is `bias`.
fn broadcast(bias: &[f64], b: usize) -> Vec<f64> {
    let mut a = vec![0.0; bias.len() * b];
    for c in a.chunks_exact_mut(bias.len()) {
        c.copy_from_slice(bias);
    }
    a
}

impl Network {
    /// The input of layer `l`: the data for `l = 0`, else `h_{l−1}`.
    pub(super) fn input<'a>(
        &self,
        h0: MatRef<'a, f64>,
        fwd: &'a Forward,
        l: usize,
    ) -> MatRef<'a, f64> {
        if l == 0 {
            h0
        } else {
            cm(&fwd.post[l - 1], self.sizes[l], h0.ncols())
        }
    }

    /// The forward pass over the columns of `h0` with labels `labels`.
    pub(super) fn forward(&self, x: &[f64], h0: MatRef<'_, f64>, labels: &[usize]) -> Forward {
        let b = h0.ncols();
        let nl = self.layers();
        let mut pre: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut post: Vec<Vec<f64>> = Vec::with_capacity(nl.saturating_sub(1));
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, bias) = self.split(x, l);
            let mut a = broadcast(bias, b);
            let input = if l == 0 { h0 } else { cm(&post[l - 1], nin, b) };
            mm(cm_mut(&mut a, nout, b), Accum::Add, cm(w, nout, nin), input);
            if l + 1 < nl {
                let mut h = vec![0.0; a.len()];
                self.activation.apply_slice(&a, &mut h);
                post.push(h);
            }
            pre.push(a);
        }
        let (p, dz, loss_sum) = self.output_loss(&pre[nl - 1], labels);
        Forward {
            pre,
            post,
            p,
            dz,
            loss_sum,
        }
    }

    /// `(p, ∂ℓ/∂z, Σ ℓᵢ)` of the outputs `z` (`k × B`).
    pub(super) fn output_loss(&self, z: &[f64], labels: &[usize]) -> (Vec<f64>, Vec<f64>, f64) {
        let k = self.classes();
        let mut dz = vec![0.0; z.len()];
        let mut loss = 0.0;
        match self.loss {
            Loss::CrossEntropy => {
                for ((zc, pc), &y) in z.chunks_exact(k).zip(dz.chunks_exact_mut(k)).zip(labels) {
                    let mx = zc.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                    let mut s = 0.0;
                    for (pi, &zi) in pc.iter_mut().zip(zc) {
                        *pi = (zi - mx).exp();
                        s += *pi;
                    }
                    pc.iter_mut().for_each(|pi| *pi /= s);
                    loss += mx + s.ln() - zc[y];
                }
                let p = dz.clone();
                for (dc, &y) in dz.chunks_exact_mut(k).zip(labels) {
                    dc[y] -= 1.0;
                }
                (p, dz, loss)
            }
            Loss::Mse => {
                for ((zc, dc), &y) in z.chunks_exact(k).zip(dz.chunks_exact_mut(k)).zip(labels) {
                    dc.copy_from_slice(zc);
                    dc[y] -= 1.0;
                    loss += 0.5 * dc.iter().map(|r| r * r).sum::<f64>();
                }
                (Vec::new(), dz, loss)
            }
        }
    }

    /// `H_L r / scale` per example: `(diag(p) − ppᵀ) r` for cross-entropy, `r` for the squared
    /// error.
    fn loss_hessian_times(&self, fwd: &Forward, r: &[f64], scale: f64) -> Vec<f64> {
        match self.loss {
            Loss::Mse => r.iter().map(|v| v / scale).collect(),
            Loss::CrossEntropy => {
                let k = self.classes();
                let mut out = vec![0.0; r.len()];
                for ((oc, pc), rc) in out
                    .chunks_exact_mut(k)
                    .zip(fwd.p.chunks_exact(k))
                    .zip(r.chunks_exact(k))
                {
                    let s: f64 = pc.iter().zip(rc).map(|(p, r)| p * r).sum();
                    for ((o, p), r) in oc.iter_mut().zip(pc).zip(rc) {
                        *o = p * (r - s) / scale;
                    }
                }
                out
            }
        }
    }

    /// Backpropagates the output delta `d_top` (`k × B`): `δ_l = ∂(·)/∂a_l` of every layer, first
    /// layer first.
    pub(super) fn deltas(
        &self,
        x: &[f64],
        fwd: &Forward,
        d_top: Vec<f64>,
        b: usize,
    ) -> Vec<Vec<f64>> {
        let nl = self.layers();
        let mut out = vec![Vec::new(); nl];
        let mut d = d_top;
        for l in (1..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let mut e = vec![0.0; nin * b];
            let wt = cm(w, nout, nin).transpose();
            mm(cm_mut(&mut e, nin, b), Accum::Replace, wt, cm(&d, nout, b));
            for ((ei, &a), &h) in e.iter_mut().zip(&fwd.pre[l - 1]).zip(&fwd.post[l - 1]) {
                *ei *= self.activation.derivatives(a, h).0;
            }
            out[l] = std::mem::replace(&mut d, e);
        }
        out[0] = d;
        out
    }

    /// `g = (δ_l h_{l−1}ᵀ, δ_l 1)` of every layer in the flat layout (overwrites `g`).
    pub(super) fn accumulate(
        &self,
        h0: MatRef<'_, f64>,
        fwd: &Forward,
        deltas: &[Vec<f64>],
        g: &mut [f64],
    ) {
        let b = h0.ncols();
        for (l, d) in deltas.iter().enumerate() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (gw, gb) = self.split_mut(g, l);
            let input = self.input(h0, fwd, l).transpose();
            mm(cm_mut(gw, nout, nin), Accum::Replace, cm(d, nout, b), input);
            row_sums(d, nout, gb);
        }
    }

    /// Mean loss over the batch and its gradient (data term only) into `g`.
    pub(super) fn value_grad_rows(
        &self,
        x: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        g: &mut [f64],
    ) -> f64 {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let d: Vec<f64> = fwd.dz.iter().map(|v| v / b as f64).collect();
        let deltas = self.deltas(x, &fwd, d, b);
        self.accumulate(h0, &fwd, &deltas, g);
        fwd.loss_sum / b as f64
    }

    /// Per-example gradients of the data terms, row `c` of `out` for column `c` of `h0`.
    pub(super) fn per_example_rows(
        &self,
        x: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        out: &mut [f64],
    ) {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let deltas = self.deltas(x, &fwd, fwd.dz.clone(), b);
        for (c, row) in out.chunks_exact_mut(self.n).enumerate() {
            for (l, dl) in deltas.iter().enumerate() {
                let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
                let dc = &dl[c * nout..(c + 1) * nout];
                let input = self.input(h0, &fwd, l);
                let (gw, gb) = self.split_mut(row, l);
                for j in 0..nin {
                    let hj = input[(j, c)];
                    for (o, &di) in gw[j * nout..(j + 1) * nout].iter_mut().zip(dc) {
                        *o = di * hj;
                    }
                }
                gb.copy_from_slice(dc);
            }
        }
    }

    /// Forward R-pass: `(R{a_l}, R{h_l})` for the direction `v`.
    fn r_forward(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        fwd: &Forward,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let b = h0.ncols();
        let nl = self.layers();
        let mut ra: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut rh: Vec<Vec<f64>> = Vec::with_capacity(nl.saturating_sub(1));
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let (vw, vb) = self.split(v, l);
            let mut a = broadcast(vb, b);
            let input = self.input(h0, fwd, l);
            mm(
                cm_mut(&mut a, nout, b),
                Accum::Add,
                cm(vw, nout, nin),
                input,
            );
            if l > 0 {
                let rin = cm(&rh[l - 1], nin, b);
                mm(cm_mut(&mut a, nout, b), Accum::Add, cm(w, nout, nin), rin);
            }
            if l + 1 < nl {
                let r: Vec<f64> = a
                    .iter()
                    .zip(&fwd.pre[l])
                    .zip(&fwd.post[l])
                    .map(|((&ra, &pa), &ph)| self.activation.derivatives(pa, ph).0 * ra)
                    .collect();
                rh.push(r);
            }
            ra.push(a);
        }
        (ra, rh)
    }

    /// Exact Hessian-vector product of the mean data loss (Pearlmutter's R-operator), into `out`.
    pub(super) fn hvp_rows(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        out: &mut [f64],
    ) {
        let b = h0.ncols();
        let nl = self.layers();
        let fwd = self.forward(x, h0, labels);
        let (ra, rh) = self.r_forward(x, v, h0, &fwd);
        let mut d: Vec<f64> = fwd.dz.iter().map(|t| t / b as f64).collect();
        let mut rd = self.loss_hessian_times(&fwd, &ra[nl - 1], b as f64);
        for l in (0..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (ow, ob) = self.split_mut(out, l);
            // R{∇W_l} = R{δ_l} h_{l−1}ᵀ + δ_l R{h_{l−1}}ᵀ ; R{∇b_l} = R{δ_l} 1.
            let input = self.input(h0, &fwd, l).transpose();
            mm(
                cm_mut(ow, nout, nin),
                Accum::Replace,
                cm(&rd, nout, b),
                input,
            );
            if l > 0 {
                let rin = cm(&rh[l - 1], nin, b).transpose();
                mm(cm_mut(ow, nout, nin), Accum::Add, cm(&d, nout, b), rin);
            }
            row_sums(&rd, nout, ob);
            if l > 0 {
                (d, rd) = self.r_backward_layer(x, v, l, &fwd, &ra[l - 1], &d, &rd, b);
            }
        }
    }

    /// One layer of the backward R-pass: from `(δ_l, R{δ_l})` to `(δ_{l−1}, R{δ_{l−1}})`,
    /// `δ = φ'(a) e` with `e = W_lᵀ δ_l`, `R{δ} = φ''(a) R{a} e + φ'(a) (V_lᵀ δ_l + W_lᵀ R{δ_l})`.
    #[allow(clippy::too_many_arguments)]
    fn r_backward_layer(
        &self,
        x: &[f64],
        v: &[f64],
        l: usize,
        fwd: &Forward,
        ra: &[f64],
        d: &[f64],
        rd: &[f64],
        b: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
        let (w, _) = self.split(x, l);
        let (vw, _) = self.split(v, l);
        let mut e = vec![0.0; nin * b];
        let mut re = vec![0.0; nin * b];
        let wt = cm(w, nout, nin).transpose();
        mm(cm_mut(&mut e, nin, b), Accum::Replace, wt, cm(d, nout, b));
        let vt = cm(vw, nout, nin).transpose();
        mm(cm_mut(&mut re, nin, b), Accum::Replace, vt, cm(d, nout, b));
        mm(cm_mut(&mut re, nin, b), Accum::Add, wt, cm(rd, nout, b));
        let (pre, post) = (&fwd.pre[l - 1], &fwd.post[l - 1]);
        for i in 0..e.len() {
            let (d1, d2) = self.activation.derivatives(pre[i], post[i]);
            re[i] = d2 * ra[i] * e[i] + d1 * re[i];
            e[i] *= d1;
        }
        (e, re)
    }

    /// Gauss-Newton product `Jᵀ H_L J v` of the mean data loss, into `out`.
    pub(super) fn ggn_rows(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        out: &mut [f64],
    ) {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let ra = self.r_forward_outputs(x, v, h0, &fwd);
        let u = self.loss_hessian_times(&fwd, &ra, b as f64);
        let deltas = self.deltas(x, &fwd, u, b);
        self.accumulate(h0, &fwd, &deltas, out);
    }

    /// `J v = R{z}`, the forward R-pass keeping only the outputs.
    pub(super) fn r_forward_outputs(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        fwd: &Forward,
    ) -> Vec<f64> {
        let (mut ra, _) = self.r_forward(x, v, h0, fwd);
        ra.pop().unwrap_or_default()
    }
}
