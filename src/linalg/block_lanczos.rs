//! The block Lanczos process with full reorthogonalization and thick restart: the building block
//! of the restarted block Krylov eigensolver ([`crate::curvature::block`]).
//!
//! Given a symmetric operator `A` and an orthonormal start block `Q₁` (`n × p`), the process
//! builds an orthonormal basis `V = [Q₁ … Q_j]` of the block Krylov space
//! `span{Q₁, A Q₁, …, A^{j−1} Q₁}` and the projected matrix `T = Vᵀ A V` (block tridiagonal in
//! exact arithmetic), with the block Lanczos relation `A V = V T + Q Bᵀ`, where `Q ⊥ V` is the
//! orthonormal next block and `B` (`len × p`) its coupling (Golub & Underwood 1977; Golub & Van
//! Loan 2013, §10.3.6; Saad 2011, §6.7). After a thick restart `V ← V Y` with eigenvectors `Y`
//! of `T`, `T` becomes `diag(θ)` and `B ← Yᵀ B` (the block Krylov–Schur form of Stewart 2002 /
//! Zhou & Saad 2008), and the process continues from `Q`. A Ritz pair `(θ, V y)` has the residual
//! `‖A V y − θ V y‖ = ‖Bᵀ y‖`.
//!
//! Every new block is orthogonalized against the whole basis by classical Gram–Schmidt applied
//! twice (as matrix products; Giraud et al. 2005), then factored `W = Q R` column by column with
//! a second pass. A column that vanishes (rank deficiency: an invariant subspace, or a repeated
//! eigenvalue whose copies the block already holds) is replaced by a seeded random unit vector
//! orthogonal to everything, with zero coupling, so the block keeps its size (deflation). One
//! step costs `p` operator applications, done as one [`LinearOperator::apply_block`].

use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use faer::{Accum, Mat, MatRef, Par};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A block Lanczos basis with its projected matrix and coupling, grown one block at a time.
///
/// ```
/// use curvlab::linalg::block_lanczos::BlockBasis;
/// let a = faer::Mat::<f64>::from_fn(6, 6, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
/// let start = faer::Mat::<f64>::from_fn(6, 2, |i, j| (i + 2 * j + 1) as f64);
/// let mut b = BlockBasis::new(6, 6, start.as_ref(), 0).unwrap();
/// while b.len() < 6 && b.has_next() {
///     b.extend(&a).unwrap();
/// }
/// // The whole space: T is similar to A (same trace), in 3 blocks of 2 applications.
/// let t = b.projected();
/// assert!(((0..6).map(|i| t[(i, i)]).sum::<f64>() - 21.0).abs() < 1e-12);
/// assert_eq!(b.applications(), 6);
/// ```
pub struct BlockBasis {
    n: usize,
    cap: usize,
    v: Mat<f64>,
    t: Mat<f64>,
    len: usize,
    next: Mat<f64>,
    coupling: Mat<f64>,
    has_next: bool,
    applications: usize,
    norm_estimate: f64,
    asymmetry: f64,
    /// Columns of the next block that are random fill-ins for a rank-deficient block: their
    /// products with earlier vectors are not in the coupling, so the symmetry check skips them.
    injected: Vec<bool>,
    rng: ChaCha8Rng,
}

/// Relative asymmetry `|vᵢᵀ A q − bᵢ| / ‖A‖` above which the operator is reported as not
/// symmetric (as [`crate::linalg::lanczos::DEFAULT_SYMMETRY_TOL`]).
pub const BLOCK_SYMMETRY_TOL: f64 = crate::linalg::lanczos::DEFAULT_SYMMETRY_TOL;

impl BlockBasis {
    /// An empty basis of capacity `cap` (`p ≤ cap ≤ n`) whose first block is the orthonormalized
    /// `start` (`n × p`, `p ≥ 1`); `seed` drives the random replacement of deflated columns.
    pub fn new(n: usize, cap: usize, start: MatRef<'_, f64>, seed: u64) -> Result<Self> {
        use rand::SeedableRng;
        check_len("block start rows", n, start.nrows())?;
        let p = start.ncols();
        if p == 0 || cap < p || cap > n {
            return Err(Error::invalid(
                "block basis",
                format!("p = {p}, cap = {cap}"),
                &format!("need 1 <= p <= cap <= n = {n}"),
            ));
        }
        for j in 0..p {
            for i in 0..n {
                if !start[(i, j)].is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("block start[({i}, {j})] = {}", start[(i, j)]),
                        iteration: 0,
                    });
                }
            }
        }
        let mut b = BlockBasis {
            n,
            cap,
            v: Mat::zeros(n, cap),
            t: Mat::zeros(cap, cap),
            len: 0,
            next: Mat::zeros(n, 0),
            coupling: Mat::zeros(0, p),
            has_next: true,
            applications: 0,
            norm_estimate: 0.0,
            asymmetry: 0.0,
            injected: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        let mut w = start.to_owned();
        let (q, _) = b.orthonormalize(&mut w, 0.0)?;
        b.next = q;
        Ok(b)
    }

    /// Number of basis vectors.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when the basis has no vector yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The block size `p` (columns of the next block).
    pub fn block_size(&self) -> usize {
        self.next.ncols()
    }
    /// Operator applications so far (`p` per block step).
    pub fn applications(&self) -> usize {
        self.applications
    }
    /// Lower estimate of `‖A‖₂`: the largest `‖A q‖` seen.
    pub fn norm_estimate(&self) -> f64 {
        self.norm_estimate
    }
    /// False once the basis spans the whole space.
    pub fn has_next(&self) -> bool {
        self.has_next
    }
    /// The basis `V` (`n × len`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.v.as_ref().subcols(0, self.len)
    }
    /// The projected matrix `T = Vᵀ A V` (`len × len`).
    pub fn projected(&self) -> MatRef<'_, f64> {
        self.t.as_ref().submatrix(0, 0, self.len, self.len)
    }
    /// The coupling `B` (`len × p`) of `A V = V T + Q Bᵀ`.
    pub fn coupling(&self) -> MatRef<'_, f64> {
        self.coupling.as_ref()
    }

    /// The capacity: the largest number of basis vectors before a restart is needed.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Raises the capacity to `cap` (`≤ n`; a smaller value than the current one is ignored),
    /// keeping the basis, the projected matrix and the next block: a larger Krylov space for the
    /// next cycle without a restart.
    ///
    /// ```
    /// use curvlab::linalg::block_lanczos::BlockBasis;
    /// let a = faer::Mat::<f64>::from_fn(8, 8, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
    /// let start = faer::Mat::<f64>::from_fn(8, 2, |i, j| (i * j + i + 1) as f64);
    /// let mut b = BlockBasis::new(8, 4, start.as_ref(), 0).unwrap();
    /// b.extend(&a).unwrap();
    /// b.extend(&a).unwrap();
    /// assert!(b.extend(&a).is_err()); // full
    /// b.set_capacity(8).unwrap();
    /// b.extend(&a).unwrap();
    /// b.extend(&a).unwrap();
    /// let t = b.projected(); // the whole space: trace 36
    /// assert!(((0..8).map(|i| t[(i, i)]).sum::<f64>() - 36.0).abs() < 1e-12);
    /// assert!(b.set_capacity(9).is_err());
    /// ```
    pub fn set_capacity(&mut self, cap: usize) -> Result<()> {
        if cap > self.n {
            return Err(Error::invalid(
                "block basis capacity",
                cap,
                &format!("must be <= n = {}", self.n),
            ));
        }
        if cap <= self.cap {
            return Ok(());
        }
        let mut v = Mat::<f64>::zeros(self.n, cap);
        v.as_mut()
            .subcols_mut(0, self.len)
            .copy_from(self.v.as_ref().subcols(0, self.len));
        let mut t = Mat::<f64>::zeros(cap, cap);
        t.as_mut()
            .submatrix_mut(0, 0, self.len, self.len)
            .copy_from(self.projected());
        self.v = v;
        self.t = t;
        self.cap = cap;
        Ok(())
    }

    /// Appends the next block with one block application of `op` (`p` applications; fewer when
    /// the basis completes the whole space), orthogonalizes and factors the remainder into the
    /// next block. Errors on a full basis, a wrong operator size, NaN/Inf from the operator, or
    /// an asymmetric operator.
    pub fn extend<A: LinearOperator + ?Sized>(&mut self, op: &A) -> Result<()> {
        check_len("operator", self.n, op.dim())?;
        let mut p = self.block_size();
        if self.len + p > self.cap {
            if self.cap < self.n {
                return Err(Error::Usage(
                    "block Lanczos basis is full: restart before extending".into(),
                ));
            }
            p = self.cap - self.len;
        }
        if !self.has_next || p == 0 {
            return Err(Error::Usage("block Lanczos basis has no next block".into()));
        }
        let (len, n) = (self.len, self.n);
        let q = self.next.as_ref().subcols(0, p).to_owned();
        self.v.as_mut().subcols_mut(len, p).copy_from(q.as_ref());
        let mut w = Mat::<f64>::zeros(n, p);
        op.apply_block(q.as_ref(), w.as_mut())?;
        self.applications += p;
        self.check_product(&w)?;
        let h = self.project_out(&mut w, len + p);
        self.check_symmetry(&h, len, p)?;
        self.store_projection(&h, len, p);
        self.len += p;
        if self.len >= n {
            self.has_next = false;
            self.coupling = Mat::zeros(self.len, self.block_size());
            return Ok(());
        }
        let floor = (n as f64).sqrt() * f64::EPSILON * self.norm_estimate;
        let (qn, r) = self.orthonormalize(&mut w, floor)?;
        self.next = qn;
        let pn = self.block_size();
        self.coupling = Mat::from_fn(self.len, pn, |i, c| {
            if i >= len && i - len < r.ncols() {
                r[(c, i - len)]
            } else {
                0.0
            }
        });
        Ok(())
    }

    /// NaN/Inf check and the norm estimate from `W = A Q`.
    fn check_product(&mut self, w: &Mat<f64>) -> Result<()> {
        for j in 0..w.ncols() {
            let mut s = 0.0;
            for i in 0..w.nrows() {
                let x = w[(i, j)];
                if !x.is_finite() {
                    return Err(Error::NonFinite {
                        what: "operator application in block Lanczos".into(),
                        iteration: self.applications,
                    });
                }
                s += x * x;
            }
            self.norm_estimate = self.norm_estimate.max(s.sqrt());
        }
        Ok(())
    }

    /// `H = Vᵀ W; W ← W − V H` over the first `cols` basis vectors, twice; returns `H`.
    fn project_out(&self, w: &mut Mat<f64>, cols: usize) -> Mat<f64> {
        let v = self.v.as_ref().subcols(0, cols);
        let mut h = Mat::<f64>::zeros(cols, w.ncols());
        for _ in 0..2 {
            let h2 = v.transpose() * w.as_ref();
            faer::linalg::matmul::matmul(w.as_mut(), Accum::Add, v, h2.as_ref(), -1.0, Par::Seq);
            h += &h2;
        }
        h
    }

    /// `vᵢᵀ A Q` must equal the coupling `B` of the earlier vectors.
    fn check_symmetry(&mut self, h: &Mat<f64>, len: usize, p: usize) -> Result<()> {
        let scale = self.norm_estimate.max(f64::MIN_POSITIVE);
        for c in 0..p.min(self.coupling.ncols()) {
            if self.injected.get(c).copied().unwrap_or(false) {
                continue;
            }
            for i in 0..len.min(self.coupling.nrows()) {
                let d = (h[(i, c)] - self.coupling[(i, c)]).abs() / scale;
                self.asymmetry = self.asymmetry.max(d);
            }
        }
        if self.asymmetry > BLOCK_SYMMETRY_TOL {
            return Err(Error::invalid(
                "operator",
                "not symmetric",
                &format!(
                    "asymmetry |vᵢᵀAq − qᵀAvᵢ| / ‖A‖ = {:.3e} on the block Lanczos basis exceeds \
                     the tolerance {:.1e}",
                    self.asymmetry, BLOCK_SYMMETRY_TOL
                ),
            ));
        }
        Ok(())
    }

    /// Writes the new column block `H` of `T` and its transpose (symmetrized diagonal block).
    fn store_projection(&mut self, h: &Mat<f64>, len: usize, p: usize) {
        for c in 0..p {
            for i in 0..len {
                self.t[(i, len + c)] = h[(i, c)];
                self.t[(len + c, i)] = h[(i, c)];
            }
            for d in 0..p {
                self.t[(len + d, len + c)] = 0.5 * (h[(len + d, c)] + h[(len + c, d)]);
            }
        }
    }

    /// Orthonormalizes the columns of `w` (already ⊥ `V`) by Gram–Schmidt with a second pass:
    /// `w = Q R`. A column whose remainder is `≤ floor` is replaced by a random unit vector ⊥
    /// `V` and the earlier columns (its row of `R` stays zero).
    fn orthonormalize(&mut self, w: &mut Mat<f64>, floor: f64) -> Result<(Mat<f64>, Mat<f64>)> {
        let (n, p) = (self.n, w.ncols());
        // Near the end of the space fewer than p directions are left: the next block shrinks
        // (the columns beyond lie in the span of V and the earlier ones; their projections on
        // those are still their coupling).
        let pn = p.min(n - self.len);
        let mut q = Mat::<f64>::zeros(n, pn);
        let mut r = Mat::<f64>::zeros(p, p);
        self.injected = vec![false; pn];
        for c in 0..p {
            let mut col: Vec<f64> = (0..n).map(|i| w[(i, c)]).collect();
            let first = crate::linalg::vector::norm(&col);
            for _ in 0..2 {
                for d in 0..c.min(pn) {
                    let s: f64 = (0..n).map(|i| q[(i, d)] * col[i]).sum();
                    r[(d, c)] += s;
                    for (i, x) in col.iter_mut().enumerate() {
                        *x -= s * q[(i, d)];
                    }
                }
            }
            if c >= pn {
                continue;
            }
            let s = crate::linalg::vector::norm(&col);
            if s > floor && s > 1e-10 * first {
                r[(c, c)] = s;
            } else {
                col = self.random_orthogonal(&q, c)?;
                // W's column c lies in the span of the earlier columns (its projections
                // r[(d, c)] are kept: they are its coupling); a random fill-in continues the basis.
                self.injected[c] = true;
            }
            let s = crate::linalg::vector::norm(&col);
            for (i, x) in col.iter().enumerate() {
                q[(i, c)] = x / s;
            }
        }
        Ok((q, r.subrows(0, pn).to_owned()))
    }

    /// A random vector orthogonal to `V` and the first `c` columns of `q`.
    fn random_orthogonal(&mut self, q: &Mat<f64>, c: usize) -> Result<Vec<f64>> {
        let n = self.n;
        for _attempt in 0..5 {
            let mut x = Mat::<f64>::from_fn(n, 1, |_, _| self.rng.sample(StandardNormal));
            let s0 = x.norm_l2();
            let v = self.v.as_ref().subcols(0, self.len);
            for _ in 0..2 {
                let h = v.transpose() * x.as_ref();
                faer::linalg::matmul::matmul(x.as_mut(), Accum::Add, v, h.as_ref(), -1.0, Par::Seq);
                let qc = q.as_ref().subcols(0, c);
                let h = qc.transpose() * x.as_ref();
                faer::linalg::matmul::matmul(
                    x.as_mut(),
                    Accum::Add,
                    qc,
                    h.as_ref(),
                    -1.0,
                    Par::Seq,
                );
            }
            if x.norm_l2() > 1e-8 * s0 {
                return Ok((0..n).map(|i| x[(i, 0)]).collect());
            }
        }
        Err(Error::Numerical(
            "block Lanczos: no random direction left outside the basis".into(),
        ))
    }

    /// Thick restart: `V ← V Y`, `T ← Yᵀ T Y`, `B ← Yᵀ B`, keeping the next block. `Y`
    /// (`len × r`, orthonormal columns) must span an invariant subspace of `T`.
    pub fn restart(&mut self, y: MatRef<'_, f64>) -> Result<()> {
        let (len, r) = (self.len, y.ncols());
        if y.nrows() != len || r > len {
            return Err(Error::Dimension {
                what: "restart vectors (rows)".into(),
                expected: len,
                got: y.nrows(),
            });
        }
        let newv = self.basis() * y;
        self.v.as_mut().subcols_mut(0, r).copy_from(newv.as_ref());
        let newt = y.transpose() * (self.projected() * y);
        self.t.fill(0.0);
        for a in 0..r {
            for b in 0..r {
                self.t[(a, b)] = 0.5 * (newt[(a, b)] + newt[(b, a)]);
            }
        }
        self.coupling = y.transpose() * self.coupling.as_ref();
        self.len = r;
        Ok(())
    }

    /// Adds `extra` random columns (⊥ `V` and the next block, zero coupling) to the next block:
    /// a larger block, or a fresh direction after an invariant subspace (then the old next block
    /// may be empty). Errors when no direction is left.
    pub fn grow(&mut self, extra: usize) -> Result<()> {
        let (n, p) = (self.n, self.block_size());
        if self.len + p + extra > n {
            return Err(Error::invalid(
                "block size",
                p + extra,
                &format!("basis {} + block exceeds n = {n}", self.len),
            ));
        }
        let mut q = Mat::<f64>::zeros(n, p + extra);
        q.as_mut().subcols_mut(0, p).copy_from(self.next.as_ref());
        for c in p..p + extra {
            let x = self.random_orthogonal(&q, c)?;
            let s = crate::linalg::vector::norm(&x);
            for (i, xi) in x.iter().enumerate() {
                q[(i, c)] = xi / s;
            }
        }
        let old = self.coupling.clone();
        self.coupling = Mat::from_fn(
            self.len,
            p + extra,
            |i, c| if c < p { old[(i, c)] } else { 0.0 },
        );
        self.next = q;
        self.has_next = true;
        Ok(())
    }

    /// Replaces the next block by `p` random columns with zero coupling (after an invariant
    /// subspace: the residuals of the basis vanished).
    pub fn refresh(&mut self, p: usize) -> Result<()> {
        self.next = Mat::zeros(self.n, 0);
        self.coupling = Mat::zeros(self.len, 0);
        self.grow(p)
    }
}
