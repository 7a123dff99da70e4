//! The restarted block Krylov eigensolver (block Lanczos with thick restart in Krylov–Schur
//! form, full reorthogonalization): the default route of [`crate::curvature::Lanczos`] for the
//! `k` extreme eigenvalues of a symmetric operator, with multiplicities (Golub & Underwood 1977;
//! Stewart 2002; Zhou & Saad 2008, "Block Krylov–Schur method for large symmetric eigenvalue
//! problems"; Saad 2011, §6.7 and ch. 8; the convergence test of ARPACK, Lehoucq, Sorensen &
//! Yang 1998). The basis machinery is [`crate::linalg::block_lanczos::BlockBasis`].
//!
//! **Checks inside a cycle.** The Ritz pairs are tested after every block step while the basis
//! is small and then each time it has grown by an eighth ([`CHECK_FRACTION`]): at most 12.5 %
//! more applications than an exact stop, at deterministic points (same seed, same count). A pair
//! `(θ, V y)` has the residual `‖Bᵀ y‖` by the block Lanczos relation and passes when
//! `‖Bᵀy‖ ≤ max(tol·|θ|, 100 ε ‖A‖)`; the returned residuals are the true `‖A v − θ v‖`.
//!
//! **Basis size.** A cycle starts with [`start_basis_size`] vectors (or
//! [`crate::curvature::Lanczos::with_basis_size`]); a cycle that ends unconverged thick-restarts
//! from the wanted Ritz vectors and half of the rest nearest them (converged ones stay: soft
//! locking) and doubles the basis, up to [`max_basis_size`] `= min(n, max(256 MiB / (8 n),
//! start))`. Since the checks run inside a cycle, a large basis costs no applications, only
//! memory and orthogonalization; and at `m = n` the Krylov space is the whole space, so on a
//! matrix that fits the cost is bounded by about `2n` applications whatever the conditioning.
//!
//! **Block size and multiplicities.** A Krylov space of a block of `p` random vectors holds
//! `min(d, p)` copies of an eigenvalue of multiplicity `d` (almost surely; a single vector holds
//! one). [`crate::curvature::BlockSize::Auto`] takes `p = 1` when one value per end is wanted (a
//! repeated eigenvalue cannot change the answer) and [`AUTO_BLOCK`] otherwise. When the run has
//! converged, a cluster of `c` converged values touching the wanted ones (relative spread
//! `≤ max(10·tol, 1e-6)`) with `c < p` is complete: a missing copy would have shown as a `p`-th.
//! With `c ≥ p` (or `p = 1` and a fixed block) copies may be missing, and the run *certifies*:
//! it locks the wanted Ritz vectors, starts a COLD random column orthogonal to them (the process
//! is then the single-vector Lanczos of the deflated operator `(I − XXᵀ) A (I − XXᵀ)`), and
//! continues until the extreme Ritz value(s) of that process have converged too. A missing copy
//! or a missed eigenvalue then appears as a new wanted value, and the pass repeats; a pass that
//! changes nothing ends the run. The new column is cold on purpose: the warm basis has no
//! component along a missing copy (that is why it is missing), so only a converged run from a
//! fresh random vector says something about it — stopping when "one more warm value converged"
//! (last session's guard) let the 3-D Laplacian's triple eigenvalue lose a copy.

use crate::curvature::lanczos::{
    BlockSize, LANCZOS_STREAM, Lanczos, LanczosResult, RitzPair, Which,
};
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use crate::linalg::block_lanczos::BlockBasis;
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The block size of [`crate::curvature::BlockSize::Auto`] when more than one value per end is
/// wanted: 3, so that the double eigenvalues of 2-D Laplacians (`c = 2 < 3`) need no certifying
/// pass (measured in docs/block_solver.md against 2).
pub const AUTO_BLOCK: usize = 3;

/// The convergence test runs each time the basis has grown by `len / CHECK_FRACTION` vectors
/// (at least one block step).
pub const CHECK_FRACTION: usize = 8;

/// Memory allowed for the basis `V` (`n × m` doubles): 256 MiB.
pub const BASIS_MEMORY_BYTES: usize = 256 << 20;

/// The start basis size for `k_want` wanted values (both ends counted) and block size `p`:
/// `max(2 k_want + 1, 20) + 2p` (ARPACK's default `ncv` plus room for two blocks), at least
/// `k_want + 2p`, at most `n`.
///
/// ```
/// use curvlab::curvature::block::start_basis_size;
/// assert_eq!(start_basis_size(5, 3, 3600), 26);
/// assert_eq!(start_basis_size(10, 1, 3600), 23);
/// assert_eq!(start_basis_size(5, 3, 12), 12);
/// ```
pub fn start_basis_size(k_want: usize, p: usize, n: usize) -> usize {
    ((2 * k_want + 1).max(20) + 2 * p)
        .max(k_want + 2 * p)
        .min(n)
}

/// The largest basis the solver grows to: `min(n, max(256 MiB / (8 n), start))`.
///
/// ```
/// use curvlab::curvature::block::max_basis_size;
/// assert_eq!(max_basis_size(3600, 26), 3600);
/// assert_eq!(max_basis_size(1_000_000, 26), 33);
/// assert_eq!(max_basis_size(100_000_000, 26), 26);
/// ```
pub fn max_basis_size(n: usize, start: usize) -> usize {
    (BASIS_MEMORY_BYTES / (8 * n.max(1))).max(start).min(n)
}

/// The state of one block run between its phases.
struct State {
    basis: BlockBasis,
    /// The basis size of the current cycle.
    m: usize,
    m_max: usize,
    n: usize,
    k_want: usize,
    restarts: usize,
    /// Extra wanted values during a certifying pass (one per wanted end).
    guard: usize,
    /// The wanted values locked at the start of the current pass.
    locked: Vec<f64>,
    passes: usize,
    /// The basis length at which the next convergence test runs.
    next_check: usize,
    /// Whether multiplicities are certified (cluster rule and cold passes).
    certify: bool,
}

/// Runs the block solver for `cfg` on `op` with block size `p`, certifying multiplicities when
/// `certify`. Called by [`Lanczos::run`].
pub(crate) fn run_block<A: LinearOperator + ?Sized>(
    cfg: &Lanczos,
    op: &A,
    p: usize,
    certify: bool,
) -> Result<LanczosResult> {
    let mut st = start(cfg, op.dim(), p, certify)?;
    let budget = cfg.max_applications(st.n);
    let mut exhausted = false;
    let (theta, y) = loop {
        while can_extend(&st) && st.basis.len() < st.next_check && affordable(&st, budget) {
            st.basis.extend(op)?;
        }
        let (theta, y) = ritz(st.basis.projected())?;
        let est = estimates(&st.basis, &y);
        let crit = criterion(cfg, &st.basis, &theta);
        if wanted_converged(cfg, &st, &theta, &est, &crit) {
            if finished(cfg, &mut st, &theta, &y, &est, &crit)? {
                break (theta, y);
            }
            continue;
        }
        if !affordable(&st, budget) {
            exhausted = true;
            break (theta, y);
        }
        if !can_extend(&st) {
            thick_restart(cfg, &mut st, &y)?;
            st.m = (2 * st.m).min(st.m_max);
            st.basis.set_capacity(st.m)?;
        }
        let len = st.basis.len();
        st.next_check = len + (len / CHECK_FRACTION).max(st.basis.block_size());
    };
    let mut r = finish(cfg, op, &st, &theta, &y)?;
    r.budget_exhausted = exhausted && !r.converged;
    Ok(r)
}

/// Phase 1: basis sizes, seeded random start block.
fn start(cfg: &Lanczos, n: usize, p: usize, certify: bool) -> Result<State> {
    let k_want = match cfg.which() {
        Which::Both => (2 * cfg.k()).min(n),
        _ => cfg.k(),
    };
    let p = p.clamp(1, n);
    let m = cfg
        .basis_size()
        .unwrap_or_else(|| start_basis_size(k_want, p, n))
        .max(k_want + 2 * p)
        .min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed());
    rng.set_stream(LANCZOS_STREAM);
    let x = Mat::<f64>::from_fn(n, p, |_, _| StandardNormal.sample(&mut rng));
    let basis = BlockBasis::new(n, m, x.as_ref(), cfg.seed() ^ LANCZOS_STREAM)?;
    Ok(State {
        basis,
        m,
        m_max: max_basis_size(n, m),
        n,
        k_want,
        restarts: 0,
        guard: 0,
        locked: Vec::new(),
        passes: 0,
        next_check: p,
        certify,
    })
}

/// Whether one more block step fits in the current cycle (the last step of a basis of size `n`
/// may be a partial block).
fn can_extend(st: &State) -> bool {
    let (len, p) = (st.basis.len(), st.basis.block_size());
    st.basis.has_next() && (len + p <= st.m || (st.m == st.n && len < st.n))
}

/// Whether one more block step and the final true residuals fit in the budget.
fn affordable(st: &State, budget: usize) -> bool {
    st.basis.applications() + st.basis.block_size() + st.k_want <= budget
}

/// Residual estimates `‖Bᵀ yᵢ‖` of every Ritz pair.
fn estimates(basis: &BlockBasis, y: &Mat<f64>) -> Vec<f64> {
    if !basis.has_next() {
        return vec![0.0; y.ncols()];
    }
    let by = basis.coupling().transpose() * y.as_ref();
    (0..y.ncols()).map(|i| by.col(i).norm_l2()).collect()
}

/// The convergence threshold `max(tol·|θ|, 100 ε ‖A‖)`.
fn criterion<'a>(cfg: &'a Lanczos, basis: &BlockBasis, theta: &[f64]) -> impl Fn(f64) -> f64 + 'a {
    let norm_est = theta
        .iter()
        .fold(basis.norm_estimate(), |a, t| a.max(t.abs()));
    move |t: f64| (cfg.tol() * t.abs()).max(100.0 * f64::EPSILON * norm_est)
}

/// Whether the `k_want + guard` wanted Ritz pairs pass the test (always on the whole space).
fn wanted_converged(
    cfg: &Lanczos,
    st: &State,
    theta: &[f64],
    est: &[f64],
    crit: &impl Fn(f64) -> f64,
) -> bool {
    let want = (st.k_want + st.guard).min(st.n);
    st.basis.len() >= st.n
        || (theta.len() >= want
            && cfg
                .wanted(theta.len(), want)
                .iter()
                .all(|&i| est[i] <= crit(theta[i])))
}

/// After convergence: `true` when the run is over, else a certifying pass has been set up.
fn finished(
    cfg: &Lanczos,
    st: &mut State,
    theta: &[f64],
    y: &Mat<f64>,
    est: &[f64],
    crit: &impl Fn(f64) -> f64,
) -> Result<bool> {
    let len = theta.len();
    if !st.certify || len >= st.n {
        return Ok(true);
    }
    if st.guard == 0 {
        let p = st.basis.block_size();
        if largest_cluster(cfg, st, theta, est, crit, p) < p {
            return Ok(true);
        }
    } else {
        let now: Vec<f64> = cfg
            .wanted(len, st.k_want)
            .iter()
            .map(|&i| theta[i])
            .collect();
        let same = now.len() == st.locked.len()
            && now
                .iter()
                .zip(&st.locked)
                .all(|(a, b)| (a - b).abs() <= 10.0 * crit(*b));
        if same || st.passes > st.k_want {
            return Ok(true);
        }
    }
    Ok(!start_pass(cfg, st, theta, y)?)
}

/// The largest run of converged Ritz values within the cluster spread of one another that
/// contains a wanted value, among the `k_want + p` values at the wanted end(s).
fn largest_cluster(
    cfg: &Lanczos,
    st: &State,
    theta: &[f64],
    est: &[f64],
    crit: &impl Fn(f64) -> f64,
    p: usize,
) -> usize {
    let len = theta.len();
    let spread = (10.0 * cfg.tol()).max(1e-6);
    let wanted = cfg.wanted(len, st.k_want);
    let mut idx: Vec<usize> = cfg
        .wanted(len, st.k_want + p)
        .into_iter()
        .filter(|&i| est[i] <= crit(theta[i]))
        .collect();
    idx.sort_unstable();
    let scale = theta.iter().fold(0.0f64, |a, t| a.max(t.abs()));
    let (mut best, mut run, mut touches) = (0, 0, false);
    for (j, &i) in idx.iter().enumerate() {
        let joined = j > 0 && {
            let (a, b) = (theta[idx[j - 1]], theta[i]);
            idx[j - 1] + 1 == i && (b - a).abs() <= spread * a.abs().max(b.abs()).max(1e-3 * scale)
        };
        if !joined {
            run = 0;
            touches = false;
        }
        run += 1;
        touches |= wanted.contains(&i);
        if touches {
            best = best.max(run);
        }
    }
    best
}

/// A certifying pass: lock the wanted Ritz vectors and continue from one cold random column
/// orthogonal to them; `false` when no direction is left.
fn start_pass(cfg: &Lanczos, st: &mut State, theta: &[f64], y: &Mat<f64>) -> Result<bool> {
    let mut keep = cfg.wanted(theta.len(), st.k_want);
    keep.sort_unstable();
    if keep.len() + 1 > st.n {
        return Ok(false);
    }
    st.locked = keep.iter().map(|&i| theta[i]).collect();
    let yk = Mat::from_fn(theta.len(), keep.len(), |r, c| y[(r, keep[c])]);
    st.basis.restart(yk.as_ref())?;
    st.basis.refresh(1)?;
    st.guard = if cfg.which() == Which::Both { 2 } else { 1 };
    st.passes += 1;
    st.next_check = st.basis.len() + 1;
    Ok(true)
}

/// Thick restart: keep the wanted Ritz vectors and half of the rest nearest them, leaving room
/// for a block.
fn thick_restart(cfg: &Lanczos, st: &mut State, y: &Mat<f64>) -> Result<()> {
    let len = st.basis.len();
    let p = st.basis.block_size();
    let w = st.k_want + st.guard + p;
    let keep_n = (w + st.m.saturating_sub(w) / 2)
        .min(st.m.saturating_sub(p))
        .min(len)
        .max(1);
    let mut keep = cfg.wanted(len, keep_n);
    keep.sort_unstable();
    let yk = Mat::from_fn(len, keep.len(), |r, c| y[(r, keep[c])]);
    st.basis.restart(yk.as_ref())?;
    st.restarts += 1;
    Ok(())
}

/// The wanted Ritz pairs with true residuals from one block application.
fn finish<A: LinearOperator + ?Sized>(
    cfg: &Lanczos,
    op: &A,
    st: &State,
    theta: &[f64],
    y: &Mat<f64>,
) -> Result<LanczosResult> {
    let len = theta.len();
    let k = cfg.k().min(len);
    let idx: Vec<usize> = match cfg.which() {
        Which::Largest => (len - k..len).rev().collect(),
        Which::Smallest => (0..k).collect(),
        Which::Both => (len - k..len).rev().chain(0..k).collect(),
    };
    let ysel = Mat::from_fn(len, idx.len(), |r, c| y[(r, idx[c])]);
    let x = st.basis.basis() * ysel.as_ref();
    let mut ax = Mat::<f64>::zeros(st.n, idx.len());
    op.apply_block(x.as_ref(), ax.as_mut())?;
    let applications = st.basis.applications() + idx.len();
    let crit = criterion(cfg, &st.basis, theta);
    let pairs: Vec<RitzPair> = idx
        .iter()
        .enumerate()
        .map(|(c, &i)| {
            let value = theta[i];
            let s = x.col(c).norm_l2();
            let vector: Vec<f64> = (0..st.n).map(|r| x[(r, c)] / s).collect();
            let residual = (0..st.n)
                .map(|r| (ax[(r, c)] / s - value * vector[r]).powi(2))
                .sum::<f64>()
                .sqrt();
            RitzPair {
                value,
                vector,
                residual,
                converged: residual.is_finite() && residual <= crit(value),
            }
        })
        .collect();
    if pairs.iter().any(|p| !p.residual.is_finite()) {
        return Err(Error::NonFinite {
            what: "true residual in block Lanczos".into(),
            iteration: applications,
        });
    }
    let (largest, smallest) = match cfg.which() {
        Which::Largest => (pairs, vec![]),
        Which::Smallest => (vec![], pairs),
        Which::Both => {
            let mut l = pairs;
            let s = l.split_off(k);
            (l, s)
        }
    };
    let expected = if cfg.which() == Which::Both {
        2 * cfg.k()
    } else {
        cfg.k()
    };
    let converged = largest.len() + smallest.len() == expected
        && largest.iter().chain(&smallest).all(|p| p.converged);
    let norm_estimate = theta
        .iter()
        .fold(st.basis.norm_estimate(), |a, t| a.max(t.abs()));
    Ok(LanczosResult {
        largest,
        smallest,
        applications,
        restarts: st.restarts,
        converged,
        budget_exhausted: false,
        norm_estimate,
    })
}

/// Ritz values (ascending) and vectors of a small symmetric matrix.
fn ritz(t: faer::MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let e = t.self_adjoint_eigen(faer::Side::Lower).map_err(|_| {
        Error::Numerical("eigensolver of the projected matrix did not converge".into())
    })?;
    Ok(((0..t.nrows()).map(|i| e.S()[i]).collect(), e.U().to_owned()))
}

impl Lanczos {
    /// Runs on `op`, which must be symmetric with `k ≤ n`. When the budget runs out first, the
    /// result says so (`converged = false`, `budget_exhausted = true`) and carries the pairs
    /// reached with their true residuals. The solver is the one [`Lanczos::with_block_size`]
    /// chose (the restarted block solver of this module with an automatic block size by
    /// default).
    ///
    /// ```
    /// use curvlab::curvature::{Lanczos, Which};
    /// let a = faer::Mat::<f64>::from_fn(30, 30, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
    /// let r = Lanczos::new(2, Which::Largest).unwrap().run(&a).unwrap();
    /// assert!((r.largest[0].value - 30.0).abs() < 1e-9);
    /// ```
    pub fn run<A: LinearOperator + ?Sized>(&self, op: &A) -> Result<LanczosResult> {
        let n = op.dim();
        if self.k() > n {
            return Err(Error::invalid(
                "k",
                self.k(),
                &format!("must be <= n = {n}"),
            ));
        }
        match self.block_size() {
            BlockSize::Single => self.run_single(op),
            BlockSize::Fixed(p) => run_block(self, op, p, self.multiplicity_check()),
            BlockSize::Auto if self.multiplicity_check() && self.k() > 1 => {
                run_block(self, op, AUTO_BLOCK, true)
            }
            BlockSize::Auto => run_block(self, op, 1, false),
        }
    }
}
