//! A batch of independent Lanczos processes advanced in lockstep (Lanczos 1950; Golub & Van Loan
//! 2013, §10.1; Ubaru, Chen & Saad 2017 for their use in stochastic Lanczos quadrature).
//!
//! Stochastic Lanczos quadrature needs one tridiagonal matrix per probe: `b` probes are `b`
//! separate Krylov spaces, not one block Krylov space (a block Lanczos process would mix the
//! probes and give one block-tridiagonal matrix whose Gauss rule is not the average of the
//! probes' rules). What the probes can share is the operator application: at every step the
//! current vectors of all running processes form one `n × a` block and go through ONE
//! [`LinearOperator::apply_block`] (one pass over the data for the Hessian of a data problem,
//! one matrix–matrix product for a dense matrix), counted as `a` applications.
//!
//! Each process follows [`crate::linalg::lanczos::LanczosBasis::extend`] exactly: its own
//! orthonormal basis, full reorthogonalisation by classical Gram–Schmidt applied twice (the
//! DGKS correction; Giraud et al. 2005), `αⱼ` from the Gram–Schmidt coefficients, the symmetry
//! check `|vᵢᵀAq − qᵀAvᵢ| ≤ tol·‖A‖`, and the breakdown rule `βⱼ ≤ √n·ε·‖A‖` (an invariant
//! subspace). A process that breaks down (or reaches its `m` steps) leaves the block while the
//! others continue, so each process gives the same tridiagonal as a one-at-a-time run from the
//! same start, up to the rounding of the block product. Memory: `b·m·n` values for the bases
//! and `2·b·n` for the blocks.

use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use crate::linalg::lanczos::DEFAULT_SYMMETRY_TOL;
use crate::linalg::vector::norm;
use faer::{Accum, MatMut, MatRef, Par};

/// The state of one process of a [`LanczosBatch`].
#[derive(Debug, Clone, Default)]
struct Process {
    /// Diagonal `α₁ … α_j`.
    alpha: Vec<f64>,
    /// Off-diagonal `β₁ … β_{j−1}`.
    beta: Vec<f64>,
    /// Still extending (no breakdown, fewer than `m` steps).
    active: bool,
    /// Largest `‖A q‖` seen (lower estimate of `‖A‖₂`).
    norm_estimate: f64,
    /// Largest relative asymmetry seen.
    asymmetry: f64,
    /// Whether the process stopped on an invariant subspace before its `m` steps.
    breakdown: bool,
}

/// Up to `b` independent Lanczos processes of at most `m` steps each on an operator of size `n`,
/// advanced in lockstep with one block application per step.
///
/// ```
/// use curvlab::linalg::lanczos_batch::LanczosBatch;
/// let a = faer::mat![[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]];
/// let mut batch = LanczosBatch::new(3, 3, 2).unwrap();
/// // Two processes: from e₁ (three steps) and from an eigenvector-free start.
/// let starts = faer::mat![[1.0, 1.0], [0.0, 1.0], [0.0, 1.0]];
/// batch.reset(starts.as_ref()).unwrap();
/// batch.run(&a).unwrap();
/// // After n steps each tridiagonal is similar to A: trace 9.
/// for p in 0..2 {
///     assert!((batch.alpha(p).iter().sum::<f64>() - 9.0).abs() < 1e-12);
/// }
/// assert_eq!(batch.alpha(0)[0], 2.0); // e₁ᵀAe₁
/// assert_eq!(batch.applications(), 6);
/// ```
pub struct LanczosBatch {
    n: usize,
    steps: usize,
    batch: usize,
    /// `batch` bases of `steps × n` values each; column `j` of process `p` at
    /// `(p·steps + j)·n`. Column `len` of a running process is its next vector.
    bases: Vec<f64>,
    procs: Vec<Process>,
    x: Vec<f64>,
    y: Vec<f64>,
    h: Vec<f64>,
    h2: Vec<f64>,
    applications: usize,
    block_applications: usize,
    symmetry_tol: f64,
}

impl LanczosBatch {
    /// Room for `batch ≥ 1` processes of `steps` steps (`1 ≤ steps ≤ n`) on an operator of
    /// size `n`; the `batch·steps·n` values are allocated fallibly (an `Err`, never an abort).
    ///
    /// ```
    /// use curvlab::linalg::lanczos_batch::LanczosBatch;
    /// assert!(LanczosBatch::new(10, 5, 4).is_ok());
    /// assert!(LanczosBatch::new(10, 11, 4).is_err()); // more steps than n
    /// assert!(LanczosBatch::new(10, 5, 0).is_err());
    /// assert!(LanczosBatch::new(usize::MAX / 2, 4, 4).is_err()); // too large: an Err
    /// ```
    pub fn new(n: usize, steps: usize, batch: usize) -> Result<Self> {
        if steps == 0 || steps > n {
            return Err(Error::invalid(
                "steps",
                steps,
                &format!("must be between 1 and n = {n}"),
            ));
        }
        if batch == 0 {
            return Err(Error::invalid("batch", batch, "must be >= 1"));
        }
        let len = batch
            .checked_mul(steps)
            .and_then(|v| v.checked_mul(n))
            .ok_or_else(|| {
                Error::invalid(
                    "batch",
                    batch,
                    &format!("batch × steps × n = {batch} × {steps} × {n} overflows"),
                )
            })?;
        let bases = crate::memory::try_zeros(len, "batched Lanczos bases")?;
        let x = crate::memory::try_zeros(batch * n, "batched Lanczos block")?;
        let y = crate::memory::try_zeros(batch * n, "batched Lanczos block")?;
        Ok(LanczosBatch {
            n,
            steps,
            batch,
            bases,
            procs: Vec::with_capacity(batch),
            x,
            y,
            h: vec![0.0; steps],
            h2: vec![0.0; steps],
            applications: 0,
            block_applications: 0,
            symmetry_tol: DEFAULT_SYMMETRY_TOL,
        })
    }

    /// Sets the relative asymmetry tolerance (default
    /// [`crate::linalg::lanczos::DEFAULT_SYMMETRY_TOL`]); must be finite and > 0.
    ///
    /// ```
    /// use curvlab::linalg::lanczos_batch::LanczosBatch;
    /// assert!(LanczosBatch::new(4, 2, 2).unwrap().with_symmetry_tol(0.0).is_err());
    /// ```
    pub fn with_symmetry_tol(mut self, tol: f64) -> Result<Self> {
        self.symmetry_tol = crate::linalg::lanczos::check_symmetry_tol(tol)?;
        Ok(self)
    }

    /// Starts `k = starts.ncols()` processes (`1 ≤ k ≤ batch`), process `p` from
    /// `starts[:, p] / ‖starts[:, p]‖`, keeping every allocation; the application counts restart
    /// at 0. Errors on a wrong row count, too many columns, or a zero or non-finite column.
    ///
    /// ```
    /// use curvlab::linalg::lanczos_batch::LanczosBatch;
    /// let mut b = LanczosBatch::new(2, 2, 2).unwrap();
    /// assert!(b.reset(faer::mat![[1.0, 0.0], [0.0, 0.0]].as_ref()).is_err()); // zero column
    /// assert!(b.reset(faer::mat![[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]].as_ref()).is_err()); // 3 > 2
    /// assert!(b.reset(faer::mat![[3.0], [4.0]].as_ref()).is_ok());
    /// assert_eq!(b.processes(), 1);
    /// ```
    pub fn reset(&mut self, starts: MatRef<'_, f64>) -> Result<()> {
        check_len("Lanczos start vectors (rows)", self.n, starts.nrows())?;
        let k = starts.ncols();
        if k == 0 || k > self.batch {
            return Err(Error::invalid(
                "start vectors",
                k,
                &format!("must be between 1 and the batch size {}", self.batch),
            ));
        }
        for p in 0..k {
            self.check_start(starts, p)?;
        }
        let (n, m) = (self.n, self.steps);
        self.procs.clear();
        for p in 0..k {
            let s = (0..n).map(|i| starts[(i, p)].powi(2)).sum::<f64>().sqrt();
            let col = &mut self.bases[p * m * n..p * m * n + n];
            for (i, c) in col.iter_mut().enumerate() {
                *c = starts[(i, p)] / s;
            }
            self.procs.push(Process {
                active: true,
                ..Process::default()
            });
        }
        self.applications = 0;
        self.block_applications = 0;
        Ok(())
    }

    /// An error when column `p` of `starts` is zero or holds NaN/Inf.
    fn check_start(&self, starts: MatRef<'_, f64>, p: usize) -> Result<()> {
        if let Some(i) = (0..self.n).find(|&i| !starts[(i, p)].is_finite()) {
            return Err(Error::NonFinite {
                what: format!("Lanczos start vector {p}[{i}] = {}", starts[(i, p)]),
                iteration: 0,
            });
        }
        let s = (0..self.n).map(|i| starts[(i, p)].powi(2)).sum::<f64>();
        if !(s.sqrt() > 0.0) {
            return Err(Error::invalid(
                "start vector",
                p,
                "must be nonzero (its norm underflows to 0)",
            ));
        }
        Ok(())
    }

    /// One lockstep step: the next vectors of the `a` running processes go through one
    /// [`LinearOperator::apply_block`] (`a` applications), then each process extends its own
    /// basis. Returns the number of processes still running. Errors on a wrong operator size,
    /// no process started, NaN/Inf from the operator, or an asymmetry above the tolerance.
    ///
    /// ```
    /// use curvlab::linalg::lanczos_batch::LanczosBatch;
    /// let a = faer::mat![[1.0, 0.0], [0.0, 2.0]];
    /// let mut b = LanczosBatch::new(2, 2, 2).unwrap();
    /// // An eigenvector (breaks down after one step) beside a generic start.
    /// b.reset(faer::mat![[1.0, 1.0], [0.0, 1.0]].as_ref()).unwrap();
    /// assert_eq!(b.step(&a).unwrap(), 1);
    /// assert_eq!(b.step(&a).unwrap(), 0);
    /// assert_eq!((b.len(0), b.len(1), b.applications()), (1, 2, 3));
    /// assert!(b.broke_down(0) && !b.broke_down(1));
    /// ```
    pub fn step<A: LinearOperator + ?Sized>(&mut self, op: &A) -> Result<usize> {
        check_len("operator", self.n, op.dim())?;
        if self.procs.is_empty() {
            return Err(Error::Usage(
                "batched Lanczos: reset with start vectors before stepping".into(),
            ));
        }
        let running = self.gather();
        if running.is_empty() {
            return Ok(0);
        }
        let (n, a) = (self.n, running.len());
        {
            let x = MatRef::from_column_major_slice(&self.x[..n * a], n, a);
            let y = MatMut::from_column_major_slice_mut(&mut self.y[..n * a], n, a);
            op.apply_block(x, y)?;
        }
        self.applications += a;
        self.block_applications += 1;
        for (c, &p) in running.iter().enumerate() {
            self.extend(p, c)?;
        }
        Ok(self.procs.iter().filter(|p| p.active).count())
    }

    /// Copies the next vector of every running process into the block `X`; returns their
    /// indices in column order.
    fn gather(&mut self) -> Vec<usize> {
        let (n, m) = (self.n, self.steps);
        let running: Vec<usize> = (0..self.procs.len())
            .filter(|&p| self.procs[p].active)
            .collect();
        for (c, &p) in running.iter().enumerate() {
            let j = self.procs[p].alpha.len();
            let at = (p * m + j) * n;
            self.x[c * n..(c + 1) * n].copy_from_slice(&self.bases[at..at + n]);
        }
        running
    }

    /// Extends process `p` with `A q` in column `c` of the output block (the body of
    /// [`crate::linalg::lanczos::LanczosBasis::extend`]).
    fn extend(&mut self, p: usize, c: usize) -> Result<()> {
        let (n, m) = (self.n, self.steps);
        let j = self.procs[p].alpha.len();
        let w = &mut self.y[c * n..(c + 1) * n];
        if let Some(i) = w.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: format!(
                    "operator application in batched Lanczos (process {p}): (Aq)[{i}] = {}",
                    w[i]
                ),
                iteration: j + 1,
            });
        }
        let aq_norm = norm(w);
        let base = p * m * n;
        let v = MatRef::from_column_major_slice(&self.bases[base..base + (j + 1) * n], n, j + 1);
        project_out(v, w, &mut self.h[..=j]);
        project_out(v, w, &mut self.h2[..=j]);
        for i in 0..=j {
            self.h[i] += self.h2[i];
        }
        let pr = &mut self.procs[p];
        pr.norm_estimate = pr.norm_estimate.max(aq_norm);
        check_symmetry(pr, &self.h[..j], self.symmetry_tol)?;
        pr.alpha.push(self.h[j]);
        let beta = norm(w);
        let floor = (n as f64).sqrt() * f64::EPSILON * pr.norm_estimate;
        let len = j + 1;
        if beta <= floor || len == n || len == m {
            pr.active = false;
            pr.breakdown = len < m;
            return Ok(());
        }
        pr.beta.push(beta);
        let next = &mut self.bases[base + len * n..base + (len + 1) * n];
        for (q, wi) in next.iter_mut().zip(w.iter()) {
            *q = wi / beta;
        }
        Ok(())
    }

    /// Steps until every process has stopped (at `m` steps or an invariant subspace).
    ///
    /// ```
    /// use curvlab::linalg::lanczos_batch::LanczosBatch;
    /// let a = faer::Mat::<f64>::from_fn(6, 6, |i, j| if i == j { i as f64 } else { 0.0 });
    /// let mut b = LanczosBatch::new(6, 4, 3).unwrap();
    /// b.reset(faer::Mat::<f64>::from_fn(6, 3, |i, p| ((i + p) % 3) as f64 + 1.0).as_ref())
    ///     .unwrap();
    /// b.run(&a).unwrap();
    /// assert_eq!((b.len(0), b.len(2)), (4, 4));
    /// assert_eq!((b.applications(), b.block_applications()), (12, 4));
    /// ```
    pub fn run<A: LinearOperator + ?Sized>(&mut self, op: &A) -> Result<()> {
        while self.step(op)? > 0 {}
        Ok(())
    }

    /// Number of processes started by the last [`LanczosBatch::reset`].
    pub fn processes(&self) -> usize {
        self.procs.len()
    }
    /// The batch capacity `b`.
    pub fn capacity(&self) -> usize {
        self.batch
    }
    /// Steps taken by process `p` (0 for an index past [`LanczosBatch::processes`]).
    pub fn len(&self, p: usize) -> usize {
        self.procs.get(p).map_or(0, |q| q.alpha.len())
    }
    /// True when no process has taken a step.
    pub fn is_empty(&self) -> bool {
        self.procs.iter().all(|q| q.alpha.is_empty())
    }
    /// The diagonal `α` of process `p`'s tridiagonal (empty past [`LanczosBatch::processes`]).
    pub fn alpha(&self, p: usize) -> &[f64] {
        self.procs.get(p).map_or(&[], |q| &q.alpha)
    }
    /// The off-diagonal `β` of process `p`'s tridiagonal (one entry fewer than `α`).
    pub fn beta(&self, p: usize) -> &[f64] {
        self.procs.get(p).map_or(&[], |q| &q.beta)
    }
    /// Whether process `p` stopped on an invariant subspace (its residual vanished) before its
    /// `m` steps.
    pub fn broke_down(&self, p: usize) -> bool {
        self.procs.get(p).is_some_and(|q| q.breakdown)
    }
    /// Process `p`'s orthonormal basis `V` (`n × j`; empty past [`LanczosBatch::processes`]).
    pub fn basis(&self, p: usize) -> MatRef<'_, f64> {
        let (n, m, j) = (self.n, self.steps, self.len(p));
        let base = p.min(self.batch.saturating_sub(1)) * m * n;
        MatRef::from_column_major_slice(&self.bases[base..base + j * n], n, j)
    }
    /// Operator applications since the last reset (`a` per step with `a` processes running).
    pub fn applications(&self) -> usize {
        self.applications
    }
    /// Calls of [`LinearOperator::apply_block`] since the last reset (one per step).
    pub fn block_applications(&self) -> usize {
        self.block_applications
    }
}

/// `|vᵢᵀAq − qᵀAvᵢ| / ‖A‖` over the earlier basis vectors: `h` holds `vᵢᵀ A q`, the coupling
/// `qᵀ A vᵢ` is `β_{j−1}` for the last of them and 0 before.
fn check_symmetry(pr: &mut Process, h: &[f64], tol: f64) -> Result<()> {
    let scale = pr.norm_estimate.max(f64::MIN_POSITIVE);
    let j = h.len();
    for (i, hi) in h.iter().enumerate() {
        let coupling = if i + 1 == j {
            pr.beta.last().copied().unwrap_or(0.0)
        } else {
            0.0
        };
        pr.asymmetry = pr.asymmetry.max((hi - coupling).abs() / scale);
    }
    if pr.asymmetry > tol {
        return Err(Error::invalid(
            "operator",
            "not symmetric",
            &format!(
                "asymmetry |vᵢᵀAq − qᵀAvᵢ| / ‖A‖ = {:.3e} on a batched Lanczos basis exceeds the \
                 tolerance {tol:.1e}",
                pr.asymmetry
            ),
        ));
    }
    Ok(())
}

/// `h ← Vᵀ w; w ← w − V h`.
fn project_out(v: MatRef<'_, f64>, w: &mut [f64], h: &mut [f64]) {
    {
        let hc = faer::ColMut::from_slice_mut(h);
        let wc = faer::ColRef::from_slice(w);
        faer::linalg::matmul::matmul(hc, Accum::Replace, v.transpose(), wc, 1.0, Par::Seq);
    }
    let hc = faer::ColRef::from_slice(h);
    let wc = faer::ColMut::from_slice_mut(w);
    faer::linalg::matmul::matmul(wc, Accum::Add, v, hc, -1.0, Par::Seq);
}
