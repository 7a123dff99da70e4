//! Block Hessian- and Gauss-Newton-vector products of [`Network`] on the full training set:
//! `k` directions share one forward pass and one gradient backward pass, and their R-passes
//! (Pearlmutter 1994; Schraudolph 2002; Martens 2010, §4.2) run with the directions stacked, so
//! every product is one faer matrix multiplication of `k` times the width.
//!
//! Layout: an R-quantity of a layer with `out` units for the examples `i` and directions `j` is
//! one column-major buffer read two ways, `(k·out) × B` (row `j·out + u`) or `out × (k·B)`
//! (column `i·k + j`). The first multiplies the stacked directions `[V_1; …; V_k]` by the
//! shared activations `h` in one product; the second multiplies `W` by all `R{h}` in one product.
//! The same holds backwards (`[V_1 … V_k]ᵀ δ`, `Wᵀ R{δ}`, `R{δ} hᵀ`, `δ R{h}ᵀ`).
//!
//! The point-dependent part ([`State`]: activations, `φ'`, `φ''·(Wᵀδ)`, the gradient's `δ_l`,
//! softmax probabilities) depends on `x` only; it is kept for the last `x` ([`StateCache`]), so a
//! Lanczos run (about a hundred products at one point) pays the forward and backward passes once.
//! Examples are processed in two fixed halves (on two rayon workers when
//! [`Network::with_parallel`] is set; the result is the same bit for bit either way), each in
//! chunks of about [`CHUNK_COLUMNS`]` / k` examples so the stacked buffers stay in cache.

use super::passes::{cm, cm_mut, mm};
use super::{Loss, Network};
use crate::error::{Result, check_len};
use faer::{Accum, MatMut, MatRef};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// Target number of stacked columns `k·B` per chunk (for `k = 3` and width 128, a stacked
/// buffer is 0.5 MB and a chunk's working set stays in a 2 MB L2; 512 measured at least as fast
/// as 1024, 2048 or 4096 on the digits network).
pub const CHUNK_COLUMNS: usize = 512;

/// What every product at one point `x` needs, on the whole training set.
pub(super) struct State {
    /// Hidden activations `h_l` (`out × N`).
    post: Vec<Vec<f64>>,
    /// `φ'(a_l)` of the hidden layers.
    d1: Vec<Vec<f64>>,
    /// `φ''(a_l) ⊙ (W_{l+1}ᵀ δ_{l+1})` of the hidden layers.
    c2: Vec<Vec<f64>>,
    /// The gradient's `δ_l = ∂f/∂a_l` of every layer (mean loss, so scaled by `1/N`).
    delta: Vec<Vec<f64>>,
    /// Softmax probabilities (`k × N`) for cross-entropy; empty for the squared error.
    p: Vec<f64>,
    /// Buffers of the build (pre-activations, `φ''`) kept for the next point's build.
    spare: Vec<Vec<f64>>,
}

/// The [`State`] of the last point, compared bit for bit; a clone starts empty.
#[derive(Default)]
pub(super) struct StateCache(Mutex<Option<(Vec<f64>, Arc<State>)>>);

impl Clone for StateCache {
    fn clone(&self) -> Self {
        StateCache::default()
    }
}

impl std::fmt::Debug for StateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateCache")
    }
}

impl StateCache {
    fn lookup(&self, x: &[f64]) -> Option<Arc<State>> {
        let guard = self.0.lock().ok()?;
        let (key, state) = guard.as_ref()?;
        let same =
            key.len() == x.len() && key.iter().zip(x).all(|(a, b)| a.to_bits() == b.to_bits());
        same.then(|| Arc::clone(state))
    }
    /// Removes the cached state and returns it when no other call holds it.
    fn take_unique(&self) -> Option<State> {
        let (_, state) = self.0.lock().ok()?.take()?;
        Arc::try_unwrap(state).ok()
    }
    fn store(&self, x: &[f64], state: Arc<State>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((x.to_vec(), state));
        }
    }
}

/// Reusable buffers, kept by the network between calls so that the megabyte-sized chunk
/// buffers are not returned to the operating system and faulted in again on every product
/// (measured: page faults were a fifth of a block product's time before).
#[derive(Default)]
pub(super) struct Pool(Vec<Vec<f64>>);

impl Pool {
    /// A zeroed buffer of `len` entries, reusing the smallest kept one that is large enough.
    fn take(&mut self, len: usize) -> Vec<f64> {
        let mut v = self.take_dirty(len);
        v.fill(0.0);
        v
    }
    /// A buffer of `len` entries with unspecified (finite, old) contents, for outputs that are
    /// overwritten entirely.
    fn take_dirty(&mut self, len: usize) -> Vec<f64> {
        let best = (0..self.0.len())
            .filter(|&i| self.0[i].capacity() >= len)
            .min_by_key(|&i| self.0[i].capacity());
        let mut v = match best {
            Some(i) => self.0.swap_remove(i),
            None => Vec::with_capacity(len),
        };
        v.truncate(len);
        v.resize(len, 0.0);
        v
    }
    fn give(&mut self, v: Vec<f64>) {
        self.0.push(v);
    }
    fn give_all(&mut self, vs: Vec<Vec<f64>>) {
        self.0.extend(vs);
    }
}

/// Two [`Pool`]s (one per half of the examples), kept between calls; a clone starts empty.
#[derive(Default)]
pub(super) struct Pools(Mutex<Vec<Pool>>);

impl Clone for Pools {
    fn clone(&self) -> Self {
        Pools::default()
    }
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pools")
    }
}

impl Pools {
    fn take(&self) -> (Pool, Pool) {
        let mut kept = self
            .0
            .lock()
            .map(|mut g| std::mem::take(&mut *g))
            .unwrap_or_default();
        let b = kept.pop().unwrap_or_default();
        let a = kept.pop().unwrap_or_default();
        (a, b)
    }
    fn give(&self, a: Pool, b: Pool) {
        if let Ok(mut g) = self.0.lock() {
            g.clear();
            g.push(a);
            g.push(b);
        }
    }
}

/// The directions of a block repacked per layer.
struct Packed {
    k: usize,
    /// `[V_1; …; V_k]` (`k·out × in`, column-major).
    stacked: Vec<Vec<f64>>,
    /// `[V_1 … V_k]` (`out × k·in`): direction `j`'s `W_l` is columns `j·in..(j+1)·in`.
    side: Vec<Vec<f64>>,
    /// The biases, `out × k` (direction-major).
    bias: Vec<Vec<f64>>,
}

/// Per-layer sums over examples of one half of the data.
struct Accums {
    /// `Σ R{δ} hᵀ` stacked (`k·out × in`).
    a: Vec<Vec<f64>>,
    /// `Σ δ R{h}ᵀ` side by side (`out × k·in`); empty for the first layer and for the GGN.
    side: Vec<Vec<f64>>,
    /// `Σ R{δ}` (`k·out`).
    bias: Vec<Vec<f64>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hessian,
    GaussNewton,
}

/// Column `j` of `v` as a slice (copied only when `v` is not column-major).
fn column<'a>(v: MatRef<'a, f64>, j: usize) -> Cow<'a, [f64]> {
    let col = v.col(j);
    match col.try_as_col_major() {
        Some(c) => Cow::Borrowed(c.as_slice()),
        None => Cow::Owned(col.iter().copied().collect()),
    }
}

impl Network {
    /// The [`State`] at `x`, from the cache when `x` is the last point seen; otherwise built in
    /// the buffers of the previous state when no other call still holds it.
    fn state(&self, x: &[f64]) -> Arc<State> {
        if let Some(s) = self.cache.lookup(x) {
            return s;
        }
        let s = Arc::new(self.build_state(x, self.cache.take_unique()));
        self.cache.store(x, Arc::clone(&s));
        s
    }

    /// One forward pass and one gradient backward pass over the training set.
    fn build_state(&self, x: &[f64], old: Option<State>) -> State {
        let mut pool = Pool::default();
        if let Some(o) = old {
            for vs in [o.post, o.d1, o.c2, o.delta, o.spare] {
                pool.give_all(vs);
            }
        }
        let (b, nl) = (self.train_y.len(), self.layers());
        let (pre, post) = self.forward_pooled(x, &mut pool);
        let (p, dz, _) = self.output_loss(&pre[nl - 1], &self.train_y);
        let mut spare = Vec::with_capacity(2 * nl);
        let mut d1 = Vec::with_capacity(nl - 1);
        for l in 0..nl - 1 {
            let (mut a, mut c) = (pool.take_dirty(pre[l].len()), pool.take_dirty(pre[l].len()));
            self.activation
                .derivative_slices(&pre[l], &post[l], &mut a, &mut c);
            d1.push(a);
            spare.push(c); // φ'' until c2 is formed, then a spare buffer
        }
        let mut delta = vec![Vec::new(); nl];
        let mut c2 = vec![Vec::new(); nl - 1];
        let mut d = pool.take_dirty(dz.len());
        d.iter_mut().zip(&dz).for_each(|(d, z)| *d = z / b as f64);
        for l in (1..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let mut e = pool.take_dirty(nin * b);
            let wt = cm(w, nout, nin).transpose();
            mm(cm_mut(&mut e, nin, b), Accum::Replace, wt, cm(&d, nout, b));
            let mut c = pool.take_dirty(nin * b);
            let d2 = &spare[l - 1];
            c.iter_mut()
                .zip(e.iter().zip(d2))
                .for_each(|(c, (e, s))| *c = e * s);
            c2[l - 1] = c;
            e.iter_mut().zip(&d1[l - 1]).for_each(|(e, s)| *e *= s);
            delta[l] = std::mem::replace(&mut d, e);
        }
        delta[0] = d;
        spare.extend(pre);
        State {
            post,
            d1,
            c2,
            delta,
            p,
            spare,
        }
    }

    /// The forward pass over the training set (as `Network::forward`) in pooled buffers:
    /// `(a_l of every layer, h_l of the hidden ones)`.
    fn forward_pooled(&self, x: &[f64], pool: &mut Pool) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let h0 = self.train_x.as_ref();
        let (b, nl) = (h0.ncols(), self.layers());
        let mut pre: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut post: Vec<Vec<f64>> = Vec::with_capacity(nl);
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, bias) = self.split(x, l);
            let mut a = pool.take_dirty(nout * b);
            for c in a.chunks_exact_mut(nout) {
                c.copy_from_slice(bias);
            }
            let input = if l == 0 { h0 } else { cm(&post[l - 1], nin, b) };
            mm(cm_mut(&mut a, nout, b), Accum::Add, cm(w, nout, nin), input);
            if l + 1 < nl {
                let mut h = pool.take_dirty(a.len());
                self.activation.apply_slice(&a, &mut h);
                post.push(h);
            }
            pre.push(a);
        }
        (pre, post)
    }

    /// Splits the columns of `v` into the per-layer [`Packed`] layouts.
    fn pack(&self, v: MatRef<'_, f64>) -> Packed {
        let (k, nl) = (v.ncols(), self.layers());
        let cols: Vec<Cow<'_, [f64]>> = (0..k).map(|j| column(v, j)).collect();
        let mut p = Packed {
            k,
            stacked: Vec::with_capacity(nl),
            side: Vec::with_capacity(nl),
            bias: Vec::with_capacity(nl),
        };
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let mut stacked = vec![0.0; k * nout * nin];
            let mut side = Vec::with_capacity(k * nout * nin);
            let mut bias = Vec::with_capacity(k * nout);
            for (j, c) in cols.iter().enumerate() {
                let (vw, vb) = self.split(c, l);
                for (col, src) in vw.chunks_exact(nout).enumerate() {
                    let at = col * k * nout + j * nout;
                    stacked[at..at + nout].copy_from_slice(src);
                }
                side.extend_from_slice(vw);
                bias.extend_from_slice(vb);
            }
            p.stacked.push(stacked);
            p.side.push(side);
            p.bias.push(bias);
        }
        p
    }

    /// Block product `∇²f(x) V` (`Kind::Hessian`) or `G(x) V` (`Kind::GaussNewton`), with the
    /// weight decay, into `out` (`n × k`).
    fn block_product(
        &self,
        kind: Kind,
        x: &[f64],
        v: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
    ) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("block rows", self.n, v.nrows())?;
        check_len("output block rows", self.n, out.nrows())?;
        check_len("output block columns", v.ncols(), out.ncols())?;
        if v.ncols() == 0 {
            return Ok(());
        }
        let st = self.state(x);
        let pk = self.pack(v);
        let total = self.train_y.len();
        let half = total / 2;
        let (mut p1, mut p2) = self.pools.take();
        let run = |r: std::ops::Range<usize>, pool: &mut Pool| {
            self.half_sums(kind, x, &st, &pk, r, total, pool)
        };
        let (first, second) = if self.parallel {
            rayon::join(|| run(0..half, &mut p1), || run(half..total, &mut p2))
        } else {
            (run(0..half, &mut p1), run(half..total, &mut p2))
        };
        self.write_block(&pk, &first, &second, out);
        for (acc, pool) in [(first, &mut p1), (second, &mut p2)] {
            pool.give_all(acc.a);
            pool.give_all(acc.side);
            pool.give_all(acc.bias);
        }
        self.pools.give(p1, p2);
        Ok(())
    }

    /// The sums of one range of examples, chunk by chunk.
    #[allow(clippy::too_many_arguments)]
    fn half_sums(
        &self,
        kind: Kind,
        x: &[f64],
        st: &State,
        pk: &Packed,
        range: std::ops::Range<usize>,
        total: usize,
        pool: &mut Pool,
    ) -> Accums {
        let k = pk.k;
        let nl = self.layers();
        let mut acc = Accums {
            a: (0..nl)
                .map(|l| pool.take(k * self.sizes[l + 1] * self.sizes[l]))
                .collect(),
            side: (0..nl)
                .map(|l| {
                    let len = k * self.sizes[l + 1] * self.sizes[l];
                    pool.take(if kind == Kind::Hessian && l > 0 {
                        len
                    } else {
                        0
                    })
                })
                .collect(),
            bias: (0..nl).map(|l| pool.take(k * self.sizes[l + 1])).collect(),
        };
        let chunk = (CHUNK_COLUMNS / k).max(16);
        let mut c0 = range.start;
        while c0 < range.end {
            let bc = chunk.min(range.end - c0);
            let hess = kind == Kind::Hessian;
            let (ra, rh) = self.r_forward_chunk(x, st, pk, c0, bc, hess, pool);
            let top = self.loss_hessian_chunk(st, &ra[nl - 1], c0, bc, k, total, pool);
            let last = if hess {
                self.r_backward_chunk(x, st, pk, &ra, &rh, top, c0, &mut acc, pool)
            } else {
                self.ggn_backward_chunk(x, st, k, top, c0, bc, &mut acc, pool)
            };
            pool.give(last);
            pool.give_all(ra);
            pool.give_all(rh);
            c0 += bc;
        }
        acc
    }

    /// The input of layer `l` for the examples `c0..c0 + bc` (`in × bc`).
    fn chunk_input<'a>(&'a self, st: &'a State, l: usize, c0: usize, bc: usize) -> MatRef<'a, f64> {
        if l == 0 {
            self.train_x.as_ref().subcols(c0, bc)
        } else {
            let nin = self.sizes[l];
            cm(&st.post[l - 1][c0 * nin..(c0 + bc) * nin], nin, bc)
        }
    }

    /// Forward R-pass of a chunk: `R{a_l}` of every layer and (when `keep_rh`) `R{h_l}` of the
    /// hidden ones, stacked (`k·out × bc`).
    #[allow(clippy::too_many_arguments)]
    fn r_forward_chunk(
        &self,
        x: &[f64],
        st: &State,
        pk: &Packed,
        c0: usize,
        bc: usize,
        keep_rh: bool,
        pool: &mut Pool,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let (k, nl) = (pk.k, self.layers());
        let mut ra: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut rh: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut prev: Vec<f64> = Vec::new();
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let mut a = pool.take_dirty(k * nout * bc);
            for col in a.chunks_exact_mut(k * nout) {
                col.copy_from_slice(&pk.bias[l]);
            }
            let input = self.chunk_input(st, l, c0, bc);
            let stacked = cm(&pk.stacked[l], k * nout, nin);
            mm(cm_mut(&mut a, k * nout, bc), Accum::Add, stacked, input);
            if l > 0 {
                let rin = cm(&prev, nin, k * bc);
                mm(
                    cm_mut(&mut a, nout, k * bc),
                    Accum::Add,
                    cm(w, nout, nin),
                    rin,
                );
                let used = std::mem::take(&mut prev);
                if keep_rh {
                    rh.push(used);
                } else {
                    pool.give(used);
                }
            }
            if l + 1 < nl {
                prev = pool.take_dirty(a.len());
                broadcast_mul(
                    &st.d1[l][c0 * nout..(c0 + bc) * nout],
                    &a,
                    nout,
                    k,
                    &mut prev,
                );
            }
            ra.push(a);
        }
        pool.give(prev);
        (ra, rh)
    }

    /// `H_L R{z} / N` per example and direction (`k·classes × bc`).
    #[allow(clippy::too_many_arguments)]
    fn loss_hessian_chunk(
        &self,
        st: &State,
        rz: &[f64],
        c0: usize,
        bc: usize,
        k: usize,
        total: usize,
        pool: &mut Pool,
    ) -> Vec<f64> {
        let kc = self.classes();
        let scale = 1.0 / total as f64;
        let mut out = pool.take_dirty(rz.len());
        match self.loss {
            Loss::Mse => {
                out.iter_mut().zip(rz).for_each(|(o, r)| *o = r * scale);
                out
            }
            Loss::CrossEntropy => {
                let p = &st.p[c0 * kc..(c0 + bc) * kc];
                for ((oc, rc), pc) in out
                    .chunks_exact_mut(k * kc)
                    .zip(rz.chunks_exact(k * kc))
                    .zip(p.chunks_exact(kc))
                {
                    for (o, r) in oc.chunks_exact_mut(kc).zip(rc.chunks_exact(kc)) {
                        let s: f64 = pc.iter().zip(r).map(|(p, r)| p * r).sum();
                        for ((o, p), r) in o.iter_mut().zip(pc).zip(r) {
                            *o = p * (r - s) * scale;
                        }
                    }
                }
                out
            }
        }
    }

    /// Backward R-pass of a chunk (Hessian): accumulates `R{δ_l} hᵀ`, `δ_l R{h}ᵀ` and `R{δ_l} 1`,
    /// `R{δ_{l−1}} = φ''·(Wᵀδ) ⊙ R{a} + φ' ⊙ (V_lᵀ δ_l + W_lᵀ R{δ_l})`.
    #[allow(clippy::too_many_arguments)]
    fn r_backward_chunk(
        &self,
        x: &[f64],
        st: &State,
        pk: &Packed,
        ra: &[Vec<f64>],
        rh: &[Vec<f64>],
        top: Vec<f64>,
        c0: usize,
        acc: &mut Accums,
        pool: &mut Pool,
    ) -> Vec<f64> {
        let k = pk.k;
        let bc = top.len() / (k * self.classes());
        let mut rd = top;
        for l in (0..self.layers()).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            self.accumulate_chunk(st, l, &rd, k, c0, bc, acc);
            if l == 0 {
                break;
            }
            let d = cm(&st.delta[l][c0 * nout..(c0 + bc) * nout], nout, bc);
            let rht = cm(&rh[l - 1], k * nin, bc).transpose();
            mm(cm_mut(&mut acc.side[l], nout, k * nin), Accum::Add, d, rht);
            let mut t = pool.take_dirty(k * nin * bc);
            let side_t = cm(&pk.side[l], nout, k * nin).transpose();
            mm(cm_mut(&mut t, k * nin, bc), Accum::Replace, side_t, d);
            let (w, _) = self.split(x, l);
            let wt = cm(w, nout, nin).transpose();
            mm(
                cm_mut(&mut t, nin, k * bc),
                Accum::Add,
                wt,
                cm(&rd, nout, k * bc),
            );
            let range = c0 * nin..(c0 + bc) * nin;
            let (c2, d1) = (&st.c2[l - 1][range.clone()], &st.d1[l - 1][range]);
            let mut next = pool.take_dirty(t.len());
            r_delta(c2, d1, &ra[l - 1], &t, nin, k, &mut next);
            pool.give(t);
            pool.give(std::mem::replace(&mut rd, next));
        }
        rd
    }

    /// Backward pass of a chunk (Gauss-Newton): `D_{l−1} = φ' ⊙ (W_lᵀ D_l)`, accumulating
    /// `D_l hᵀ` and `D_l 1`.
    #[allow(clippy::too_many_arguments)]
    fn ggn_backward_chunk(
        &self,
        x: &[f64],
        st: &State,
        k: usize,
        top: Vec<f64>,
        c0: usize,
        bc: usize,
        acc: &mut Accums,
        pool: &mut Pool,
    ) -> Vec<f64> {
        let mut d = top;
        for l in (0..self.layers()).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            self.accumulate_chunk(st, l, &d, k, c0, bc, acc);
            if l == 0 {
                break;
            }
            let (w, _) = self.split(x, l);
            let mut t = pool.take_dirty(k * nin * bc);
            let wt = cm(w, nout, nin).transpose();
            mm(
                cm_mut(&mut t, nin, k * bc),
                Accum::Replace,
                wt,
                cm(&d, nout, k * bc),
            );
            let d1 = &st.d1[l - 1][c0 * nin..(c0 + bc) * nin];
            let mut next = pool.take_dirty(t.len());
            broadcast_mul(d1, &t, nin, k, &mut next);
            pool.give(t);
            pool.give(std::mem::replace(&mut d, next));
        }
        d
    }

    /// `acc.a[l] += R{δ_l} hᵀ` (stacked) and `acc.bias[l] += R{δ_l} 1`.
    #[allow(clippy::too_many_arguments)]
    fn accumulate_chunk(
        &self,
        st: &State,
        l: usize,
        rd: &[f64],
        k: usize,
        c0: usize,
        bc: usize,
        acc: &mut Accums,
    ) {
        let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
        let input = self.chunk_input(st, l, c0, bc).transpose();
        let dst = cm_mut(&mut acc.a[l], k * nout, nin);
        mm(dst, Accum::Add, cm(rd, k * nout, bc), input);
        for col in rd.chunks_exact(k * nout) {
            for (o, v) in acc.bias[l].iter_mut().zip(col) {
                *o += v;
            }
        }
    }

    /// Writes the two halves' sums plus `λ V_W` into the columns of `out`.
    fn write_block(&self, pk: &Packed, h1: &Accums, h2: &Accums, mut out: MatMut<'_, f64>) {
        let k = pk.k;
        let mut col = vec![0.0; self.n];
        for j in 0..k {
            for l in 0..self.layers() {
                let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
                let (ow, ob) = self.split_mut(&mut col, l);
                let vw = &pk.side[l][j * nout * nin..(j + 1) * nout * nin];
                for (c, o) in ow.chunks_exact_mut(nout).enumerate() {
                    let at = c * k * nout + j * nout;
                    let (a1, a2) = (&h1.a[l][at..at + nout], &h2.a[l][at..at + nout]);
                    for u in 0..nout {
                        o[u] = a1[u] + a2[u] + self.l2 * vw[c * nout + u];
                    }
                    if !h1.side[l].is_empty() {
                        let at = (j * nin + c) * nout;
                        let (s1, s2) = (&h1.side[l][at..at + nout], &h2.side[l][at..at + nout]);
                        for u in 0..nout {
                            o[u] += s1[u] + s2[u];
                        }
                    }
                }
                let at = j * nout;
                for (u, o) in ob.iter_mut().enumerate() {
                    *o = h1.bias[l][at + u] + h2.bias[l][at + u];
                }
            }
            for (i, c) in col.iter().enumerate() {
                out[(i, j)] = *c;
            }
        }
    }

    /// [`Objective::hvp_block`](crate::Objective::hvp_block) of the full training loss.
    pub(super) fn hvp_block_full(
        &self,
        x: &[f64],
        v: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
    ) -> Result<()> {
        self.block_product(Kind::Hessian, x, v, out)
    }

    /// [`GaussNewton::ggn_vp_block`](crate::GaussNewton::ggn_vp_block) of the full training loss.
    pub(super) fn ggn_block_full(
        &self,
        x: &[f64],
        v: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
    ) -> Result<()> {
        self.block_product(Kind::GaussNewton, x, v, out)
    }
}

/// `out = s ⊙ r` with `s` (`rows × bc`) broadcast over the `k` directions of `r` (`k·rows × bc`).
fn broadcast_mul(s: &[f64], r: &[f64], rows: usize, k: usize, out: &mut [f64]) {
    super::vecmath::simd(|| broadcast_mul_impl(s, r, rows, k, out));
}
#[inline(always)]
fn broadcast_mul_impl(s: &[f64], r: &[f64], rows: usize, k: usize, out: &mut [f64]) {
    for ((oc, rc), sc) in out
        .chunks_exact_mut(k * rows)
        .zip(r.chunks_exact(k * rows))
        .zip(s.chunks_exact(rows))
    {
        for (o, r) in oc.chunks_exact_mut(rows).zip(rc.chunks_exact(rows)) {
            for ((o, r), s) in o.iter_mut().zip(r).zip(sc) {
                *o = s * r;
            }
        }
    }
}

/// `out = c2 ⊙ ra + d1 ⊙ t`, with `c2`, `d1` (`rows × bc`) broadcast over the `k` directions.
fn r_delta(c2: &[f64], d1: &[f64], ra: &[f64], t: &[f64], rows: usize, k: usize, out: &mut [f64]) {
    super::vecmath::simd(|| r_delta_impl(c2, d1, ra, t, rows, k, out));
}
#[inline(always)]
fn r_delta_impl(
    c2: &[f64],
    d1: &[f64],
    ra: &[f64],
    t: &[f64],
    rows: usize,
    k: usize,
    out: &mut [f64],
) {
    let kr = k * rows;
    for (i, (cc, dc)) in c2.chunks_exact(rows).zip(d1.chunks_exact(rows)).enumerate() {
        let span = i * kr..(i + 1) * kr;
        let (oc, rc, tc) = (&mut out[span.clone()], &ra[span.clone()], &t[span]);
        for ((o, r), t) in oc
            .chunks_exact_mut(rows)
            .zip(rc.chunks_exact(rows))
            .zip(tc.chunks_exact(rows))
        {
            for i in 0..rows {
                o[i] = cc[i] * r[i] + dc[i] * t[i];
            }
        }
    }
}
