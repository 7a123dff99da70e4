//! Extreme eigenvalues of a symmetric operator by thick-restart Lanczos (Lanczos 1950; Wu & Simon
//! 2000; Golub & Van Loan 2013, ch. 10; Saad 2011, ch. 6 and 8), with full reorthogonalization
//! ([`crate::linalg::lanczos::LanczosBasis`]).
//!
//! Each cycle grows the Krylov basis to `m` vectors, takes the Ritz pairs of the projected matrix,
//! and restarts from the `r` Ritz vectors nearest the wanted end(s), which keeps the Lanczos
//! relation exact (the thick restart of Wu & Simon, mathematically equivalent to the implicit
//! restart of ARPACK, Sorensen 1992, with exact shifts). A Ritz pair `(θ, V y)` has residual
//! `‖A V y − θ V y‖ = |bᵀ y|` by the Lanczos relation; it is converged when
//! `|bᵀ y| ≤ max(tol·|θ|, 100 ε ‖A‖)`, ARPACK's criterion (relative accuracy `tol` of `θ`, since
//! a symmetric matrix has an eigenvalue within the residual norm of `θ`) with a floor at what
//! rounding allows. The returned residuals are the TRUE residuals `‖A v − θ v‖`, computed with one
//! extra application per returned pair (counted in `applications`).
//!
//! [`Lanczos::run`] uses the restarted block Krylov solver ([`crate::curvature::block`]) by
//! default ([`BlockSize::Auto`]); the single-vector solver described here is
//! [`BlockSize::Single`]. The block solver is the default because it tests convergence inside a
//! cycle, grows its basis after a cycle that did not converge, and needs a certifying pass only
//! when a cluster may hide a copy (docs/block_solver.md has the numbers).
//!
//! Single-vector Krylov methods see one copy of a multiple eigenvalue in exact arithmetic. With
//! the multiplicity check on (the default), after convergence the converged vectors are locked and
//! a fresh random start orthogonal to them is run until its extreme Ritz value converges too; a
//! second copy of a wanted eigenvalue then appears as a new wanted Ritz value, and the check
//! repeats. It costs roughly one more convergence run; turn it off when multiplicities do not
//! matter.

use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use crate::linalg::lanczos::LanczosBasis;
use crate::linalg::vector::norm;
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The ChaCha stream of Lanczos start vectors ("lanczos" in ASCII).
pub const LANCZOS_STREAM: u64 = 0x006c_616e_637a_6f73;

/// Which end of the spectrum is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Which {
    /// The `k` largest (algebraically).
    Largest,
    /// The `k` smallest (algebraically).
    Smallest,
    /// The `k` largest and the `k` smallest.
    Both,
}

/// A Ritz pair: an approximate eigenvalue and unit eigenvector with its true residual.
#[derive(Debug, Clone)]
pub struct RitzPair {
    /// The Ritz value `θ`.
    pub value: f64,
    /// The unit Ritz vector `v`.
    pub vector: Vec<f64>,
    /// The true residual norm `‖A v − θ v‖`.
    pub residual: f64,
    /// Whether the true residual meets the criterion `max(tol·|θ|, 100 ε ‖A‖)`.
    pub converged: bool,
}

/// The result of [`Lanczos::run`].
#[derive(Debug, Clone)]
pub struct LanczosResult {
    /// The largest Ritz pairs, descending (empty for [`Which::Smallest`]).
    pub largest: Vec<RitzPair>,
    /// The smallest Ritz pairs, ascending (empty for [`Which::Largest`]).
    pub smallest: Vec<RitzPair>,
    /// Operator applications, including one per returned pair for the true residual.
    pub applications: usize,
    /// Thick restarts performed.
    pub restarts: usize,
    /// Whether every returned pair converged.
    pub converged: bool,
    /// Whether the run stopped on its budget of applications with some pair unconverged.
    pub budget_exhausted: bool,
    /// The estimate of `‖A‖₂` (largest `|θ|`).
    pub norm_estimate: f64,
}

/// The block size of the Krylov eigensolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BlockSize {
    /// The restarted block solver of [`crate::curvature::block`] (the default), block size
    /// chosen by its rule: 1 when one value per end is wanted or multiplicities are not asked
    /// for, else [`crate::curvature::block::AUTO_BLOCK`], with a certifying pass when a
    /// converged cluster is as large as the block.
    Auto,
    /// A fixed block size `p ≥ 1`.
    Fixed(usize),
    /// The single-vector thick-restart Lanczos with its locked multiplicity pass (fixed basis
    /// size, convergence tested at the end of each cycle).
    Single,
}

impl BlockSize {
    /// Parses `auto`, `single` or a block size `p ≥ 1` (the `--block` option of
    /// `curvlab spectrum`).
    ///
    /// ```
    /// use curvlab::curvature::BlockSize;
    /// assert_eq!(BlockSize::parse("auto").unwrap(), BlockSize::Auto);
    /// assert_eq!(BlockSize::parse("single").unwrap(), BlockSize::Single);
    /// assert_eq!(BlockSize::parse("4").unwrap(), BlockSize::Fixed(4));
    /// assert!(BlockSize::parse("0").is_err() && BlockSize::parse("two").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(BlockSize::Auto),
            "single" => Ok(BlockSize::Single),
            _ => match s.parse::<usize>() {
                Ok(p) if p >= 1 => Ok(BlockSize::Fixed(p)),
                _ => Err(Error::invalid(
                    "block",
                    s,
                    "expected auto, single or a block size >= 1",
                )),
            },
        }
    }
}

/// Thick-restart Lanczos for the `k` extreme eigenvalues, with builders.
///
/// ```
/// use curvlab::curvature::{Lanczos, Which};
/// let a = faer::Mat::<f64>::from_fn(50, 50, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
/// let r = Lanczos::new(3, Which::Both).unwrap().with_tol(1e-10).unwrap().run(&a).unwrap();
/// assert!((r.largest[0].value - 50.0).abs() < 1e-8);
/// assert!((r.smallest[2].value - 3.0).abs() < 1e-8);
/// assert!(r.converged);
/// assert!(Lanczos::new(0, Which::Largest).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Lanczos {
    k: usize,
    which: Which,
    tol: f64,
    seed: u64,
    basis_size: Option<usize>,
    max_applications: Option<usize>,
    multiplicity_check: bool,
    symmetry_tol: f64,
    block: BlockSize,
}

impl Lanczos {
    /// `k ≥ 1` eigenvalues at the `which` end(s); defaults: the restarted block solver
    /// ([`BlockSize::Auto`]), `tol = 1e-10`, seed 0, start basis size
    /// [`crate::curvature::block::start_basis_size`] (the single-vector solver: `max(2k' + 1,
    /// 20)` with `k'` the number wanted, ARPACK's default `ncv`), at most
    /// [`default_max_applications`]`(n)` operator applications, multiplicity check on.
    pub fn new(k: usize, which: Which) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "must be >= 1"));
        }
        Ok(Lanczos {
            k,
            which,
            tol: 1e-10,
            seed: 0,
            basis_size: None,
            max_applications: None,
            multiplicity_check: true,
            symmetry_tol: crate::linalg::lanczos::DEFAULT_SYMMETRY_TOL,
            block: BlockSize::Auto,
        })
    }
    /// The solver: the restarted block Krylov solver with an automatic ([`BlockSize::Auto`], the
    /// default) or fixed block size, or the single-vector thick-restart Lanczos
    /// ([`BlockSize::Single`]).
    ///
    /// ```
    /// use curvlab::curvature::{BlockSize, Lanczos, Which};
    /// // Eigenvalue 5 twice: both solvers return both copies.
    /// let a = faer::Mat::<f64>::from_fn(40, 40, |i, j| {
    ///     if i != j { 0.0 } else if i < 2 { 5.0 } else { 1.0 + i as f64 / 40.0 }
    /// });
    /// for block in [BlockSize::Auto, BlockSize::Single, BlockSize::Fixed(2)] {
    ///     let l = Lanczos::new(3, Which::Largest).unwrap().with_block_size(block).unwrap();
    ///     let r = l.run(&a).unwrap();
    ///     assert!((r.largest[1].value - 5.0).abs() < 1e-9, "{block:?}");
    /// }
    /// let s = Lanczos::new(3, Which::Largest).unwrap().with_block_size(BlockSize::Fixed(0));
    /// assert!(s.is_err());
    /// ```
    pub fn with_block_size(mut self, block: BlockSize) -> Result<Self> {
        if block == BlockSize::Fixed(0) {
            return Err(Error::invalid("block size", 0, "must be >= 1"));
        }
        self.block = block;
        Ok(self)
    }
    pub(crate) fn k(&self) -> usize {
        self.k
    }
    pub(crate) fn block_size(&self) -> BlockSize {
        self.block
    }
    pub(crate) fn multiplicity_check(&self) -> bool {
        self.multiplicity_check
    }
    pub(crate) fn which(&self) -> Which {
        self.which
    }
    pub(crate) fn tol(&self) -> f64 {
        self.tol
    }
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }
    pub(crate) fn basis_size(&self) -> Option<usize> {
        self.basis_size
    }
    /// Relative accuracy of the Ritz values, in `(0, 1)`.
    pub fn with_tol(mut self, tol: f64) -> Result<Self> {
        if !(tol > 0.0 && tol < 1.0) {
            return Err(Error::invalid("tol", tol, "must be in (0, 1)"));
        }
        self.tol = tol;
        Ok(self)
    }
    /// Seed of the random start vectors.
    pub fn with_seed(mut self, seed: u64) -> Result<Self> {
        self.seed = seed;
        Ok(self)
    }
    /// Basis size `m` before a restart (must exceed the number wanted; capped at `n`): fixed for
    /// the single-vector solver, the start size for the block solver (which doubles it after a
    /// cycle that did not converge, see [`crate::curvature::block`]).
    pub fn with_basis_size(mut self, m: usize) -> Result<Self> {
        if m < 2 {
            return Err(Error::invalid("basis_size", m, "must be >= 2"));
        }
        self.basis_size = Some(m);
        Ok(self)
    }
    /// Budget of operator applications; unconverged pairs are returned with `converged = false`.
    pub fn with_max_applications(mut self, max: usize) -> Result<Self> {
        if max == 0 {
            return Err(Error::invalid("max_applications", max, "must be >= 1"));
        }
        self.max_applications = Some(max);
        Ok(self)
    }
    /// Whether to look for further copies of multiple eigenvalues after convergence.
    pub fn with_multiplicity_check(mut self, on: bool) -> Result<Self> {
        self.multiplicity_check = on;
        Ok(self)
    }
    /// Relative asymmetry tolerance of the operator (see [`LanczosBasis::with_symmetry_tol`]).
    pub fn with_symmetry_tol(mut self, tol: f64) -> Result<Self> {
        self.symmetry_tol = crate::linalg::lanczos::check_symmetry_tol(tol)?;
        Ok(self)
    }

    /// Indices (into ascending Ritz values of a basis of size `len`) of the `want` wanted ones.
    pub(crate) fn wanted(&self, len: usize, want: usize) -> Vec<usize> {
        let want = want.min(len);
        match self.which {
            Which::Largest => (len - want..len).collect(),
            Which::Smallest => (0..want).collect(),
            Which::Both => {
                let lo = want / 2;
                let hi = want - lo;
                let mut v: Vec<usize> = (0..lo).collect();
                v.extend(len - hi..len);
                v
            }
        }
    }

    /// The budget of operator applications for an operator of size `n`: the one set by
    /// [`Lanczos::with_max_applications`], else [`default_max_applications`].
    pub fn max_applications(&self, n: usize) -> usize {
        self.max_applications
            .unwrap_or_else(|| default_max_applications(n))
    }

    /// The single-vector thick-restart Lanczos with the locked multiplicity pass.
    pub(crate) fn run_single<A: LinearOperator + ?Sized>(&self, op: &A) -> Result<LanczosResult> {
        let n = op.dim();
        let mut st = self.start(n)?;
        let (theta, y) = loop {
            while st.basis.len() < st.m && st.basis.has_next() {
                st.basis.extend(op)?;
            }
            let (theta, y) = ritz(st.basis.projected())?;
            let all_conv = self.wanted_converged(&st, &theta, &y);
            st.exhausted = st.basis.applications() + st.k_want >= self.max_applications(n);
            if all_conv || st.exhausted {
                if st.exhausted || self.multiplicity_done(&st, &theta) {
                    break (theta, y);
                }
                if !self.lock_and_restart(&mut st, &theta, &y)? {
                    break ritz(st.basis.projected())?;
                }
                continue;
            }
            if !st.basis.has_next() {
                if !self.restart_beside_invariant(&mut st, &y)? {
                    break (theta, y);
                }
                continue;
            }
            self.thick_restart(&mut st, &y)?;
        };
        let mut r = self.finish(op, &st.basis, &theta, &y, st.restarts)?;
        r.budget_exhausted = st.exhausted && !r.converged;
        Ok(r)
    }

    /// Phase 1: the basis size, the seeded start vector and the empty state.
    fn start(&self, n: usize) -> Result<RunState> {
        let k_want = match self.which {
            Which::Both => (2 * self.k).min(n),
            _ => self.k,
        };
        let m = self
            .basis_size
            .unwrap_or((2 * k_want + 1).max(20))
            .max(k_want + 2)
            .min(n);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        // A stream of its own, so that a matrix built from the same seed (e.g. a rotation drawn
        // from `seed_from_u64(seed)`) does not hand Lanczos its own eigenvectors as starts.
        rng.set_stream(LANCZOS_STREAM);
        let start: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let basis = LanczosBasis::new(n, m, &start)?.with_symmetry_tol(self.symmetry_tol)?;
        Ok(RunState {
            basis,
            rng,
            m,
            n,
            k_want,
            restarts: 0,
            guard: 0,
            locked: Vec::new(),
            passes: 0,
            exhausted: false,
        })
    }

    /// The convergence test on the wanted Ritz pairs: `|bᵀy| ≤ max(tol·|θ|, 100 ε ‖A‖)`.
    fn wanted_converged(&self, st: &RunState, theta: &[f64], y: &Mat<f64>) -> bool {
        let len = st.basis.len();
        let want = st.k_want + st.guard;
        if len < want.min(st.n) {
            return false;
        }
        let norm_est = theta
            .iter()
            .fold(st.basis.norm_estimate(), |a, t| a.max(t.abs()));
        let b = st.basis.coupling();
        let has_next = st.basis.has_next();
        self.wanted(len, want).iter().all(|&i| {
            let est = if has_next {
                (0..len).map(|r| b[r] * y[(r, i)]).sum::<f64>().abs()
            } else {
                0.0
            };
            est <= (self.tol * theta[i].abs()).max(100.0 * f64::EPSILON * norm_est)
        })
    }

    /// Whether the multiplicity check is over: off, the whole space spanned, enough passes, or
    /// the fresh sequence found no new wanted value (the wanted values equal the locked ones).
    fn multiplicity_done(&self, st: &RunState, theta: &[f64]) -> bool {
        let len = st.basis.len();
        if !self.multiplicity_check || len >= st.n || st.passes > st.k_want {
            return true;
        }
        if st.guard == 0 {
            return false;
        }
        let now: Vec<f64> = self
            .wanted(len, st.k_want)
            .iter()
            .map(|&i| theta[i])
            .collect();
        let norm_est = theta
            .iter()
            .fold(st.basis.norm_estimate(), |a, t| a.max(t.abs()));
        let crit = |t: f64| (self.tol * t.abs()).max(100.0 * f64::EPSILON * norm_est);
        now.len() == st.locked.len()
            && now
                .iter()
                .zip(&st.locked)
                .all(|(a, b)| (a - b).abs() <= 10.0 * crit(*b))
    }

    /// Multiplicity pass: lock the converged wanted vectors and start a fresh random sequence
    /// beside them; `false` when no fresh direction is left.
    fn lock_and_restart(&self, st: &mut RunState, theta: &[f64], y: &Mat<f64>) -> Result<bool> {
        let keep = self.wanted(st.basis.len(), st.k_want);
        st.locked = keep.iter().map(|&i| theta[i]).collect();
        st.basis.restart(select(y, &keep).as_ref())?;
        if !st.basis.restart_random(&mut st.rng)? {
            return Ok(false);
        }
        st.guard = match self.which {
            Which::Both => 2,
            _ => 1,
        };
        st.passes += 1;
        Ok(true)
    }

    /// An invariant subspace found before enough wanted values: continue from a random vector
    /// orthogonal to it (another part of the spectrum); `false` when none is left.
    fn restart_beside_invariant(&self, st: &mut RunState, y: &Mat<f64>) -> Result<bool> {
        let len = st.basis.len();
        if len >= st.m {
            let keep = self.wanted(len, (st.m - 1).min(len));
            st.basis.restart(select(y, &keep).as_ref())?;
        }
        st.basis.restart_random(&mut st.rng)
    }

    /// Thick restart: keep the wanted Ritz vectors and half of the rest nearest them.
    fn thick_restart(&self, st: &mut RunState, y: &Mat<f64>) -> Result<()> {
        let len = st.basis.len();
        let w = st.k_want + st.guard;
        let keep_n = (w + (st.m - w) / 2).min(len - 1).max(1);
        let keep = self.wanted(len, keep_n);
        st.basis.restart(select(y, &keep).as_ref())?;
        st.restarts += 1;
        Ok(())
    }

    fn finish<A: LinearOperator + ?Sized>(
        &self,
        op: &A,
        basis: &LanczosBasis,
        theta: &[f64],
        y: &Mat<f64>,
        restarts: usize,
    ) -> Result<LanczosResult> {
        let n = op.dim();
        let len = theta.len();
        let v = basis.basis();
        let mut applications = basis.applications();
        let norm_est = theta
            .iter()
            .fold(basis.norm_estimate(), |a, t| a.max(t.abs()));
        let mut pair = |i: usize| -> Result<RitzPair> {
            let yi = y.as_ref().col(i);
            let x = v * yi;
            let mut vec: Vec<f64> = (0..n).map(|r| x[r]).collect();
            let s = norm(&vec);
            if s > 0.0 {
                crate::linalg::vector::scale(1.0 / s, &mut vec);
            }
            let mut av = vec![0.0; n];
            op.apply(&vec, &mut av)?;
            applications += 1;
            crate::error::check_finite("operator application in Lanczos", &av, applications)?;
            let value = theta[i];
            crate::linalg::vector::axpy(-value, &vec, &mut av);
            let residual = norm(&av);
            let converged =
                residual <= (self.tol * value.abs()).max(100.0 * f64::EPSILON * norm_est);
            Ok(RitzPair {
                value,
                vector: vec,
                residual,
                converged,
            })
        };
        let (nl, ns) = match self.which {
            Which::Largest => (self.k.min(len), 0),
            Which::Smallest => (0, self.k.min(len)),
            Which::Both => (self.k.min(len), self.k.min(len)),
        };
        let mut largest = Vec::with_capacity(nl);
        for i in (len - nl..len).rev() {
            largest.push(pair(i)?);
        }
        let mut smallest = Vec::with_capacity(ns);
        for i in 0..ns {
            smallest.push(pair(i)?);
        }
        let expected = match self.which {
            Which::Both => 2 * self.k,
            _ => self.k,
        };
        let converged = largest.len() + smallest.len() == expected
            && largest.iter().chain(&smallest).all(|p| p.converged);
        Ok(LanczosResult {
            largest,
            smallest,
            applications,
            restarts,
            converged,
            budget_exhausted: false,
            norm_estimate: norm_est,
        })
    }
}

/// The state of one [`Lanczos::run`] between its phases.
struct RunState {
    basis: LanczosBasis,
    rng: ChaCha8Rng,
    m: usize,
    n: usize,
    k_want: usize,
    restarts: usize,
    /// Extra wanted values during a multiplicity pass (one per wanted end).
    guard: usize,
    locked: Vec<f64>,
    passes: usize,
    exhausted: bool,
}

/// The default budget of operator applications of [`Lanczos`]: `max(1000, 10 n)`.
///
/// Ten applications per dimension are ten full Krylov sweeps' worth: extreme eigenvalues
/// separated by a relative gap `δ` converge in `O(log(1/tol)/√δ)` applications (Saad 2011,
/// §6.6), a few hundred for the gaps of curvlab's problems, so a run that needs more sits at the
/// small end of an ill-conditioned spectrum, where a dense eigendecomposition (for `n` in the
/// thousands) or a looser `tol` is the better tool; the result then says `converged = false`.
/// On main the budget was a flat 200 000: a `κ = 10⁴` SPD matrix with `n = 300` at `tol = 1e-10`
/// spent all of it (38–57 s) and printed no status.
///
/// ```
/// use curvlab::curvature::lanczos::default_max_applications;
/// assert_eq!(default_max_applications(50), 1000);
/// assert_eq!(default_max_applications(300), 3000);
/// ```
pub fn default_max_applications(n: usize) -> usize {
    (10 * n).max(1000)
}

/// Ritz values (ascending) and vectors of a small symmetric matrix.
fn ritz(t: faer::MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let e = t.self_adjoint_eigen(faer::Side::Lower).map_err(|_| {
        Error::Numerical("eigensolver of the projected matrix did not converge".into())
    })?;
    let m = t.nrows();
    Ok(((0..m).map(|i| e.S()[i]).collect(), e.U().to_owned()))
}

fn select(y: &Mat<f64>, cols: &[usize]) -> Mat<f64> {
    let mut sorted = cols.to_vec();
    sorted.sort_unstable();
    Mat::from_fn(y.nrows(), sorted.len(), |r, c| y[(r, sorted[c])])
}

/// The `k` extreme eigenvalues of a symmetric operator by thick-restart Lanczos with relative
/// tolerance `tol` and random start from `seed` (defaults of [`Lanczos`] otherwise).
///
/// ```
/// use curvlab::curvature::{lanczos, Which};
/// let a = faer::mat![[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]];
/// let r = lanczos(&a, 1, Which::Largest, 1e-10, 0).unwrap();
/// assert!((r.largest[0].value - (2.0 + 2f64.sqrt())).abs() < 1e-10);
/// assert!(r.largest[0].residual < 1e-8);
/// assert!(lanczos(&a, 4, Which::Largest, 1e-10, 0).is_err()); // k > n
/// ```
pub fn lanczos<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    which: Which,
    tol: f64,
    seed: u64,
) -> Result<LanczosResult> {
    Lanczos::new(k, which)?
        .with_tol(tol)?
        .with_seed(seed)?
        .run(op)
}
