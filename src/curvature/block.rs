//! The restarted block Krylov eigensolver (block Lanczos with thick restart in Krylov–Schur
//! form, full reorthogonalization): the default route of [`crate::curvature::Lanczos`] for the
//! `k` extreme eigenvalues of a symmetric operator, with multiplicities (Golub & Underwood 1977;
//! Stewart 2002; Zhou & Saad 2008, "Block Krylov–Schur method for large symmetric eigenvalue
//! problems"; Saad 2011, §6.7 and ch. 8). The basis machinery is
//! [`crate::linalg::block_lanczos::BlockBasis`].
//!
//! A single-vector Krylov space holds one copy of a repeated eigenvalue; a block of `p` random
//! vectors holds up to `p` copies. The block size is chosen automatically ([`BlockSize::Auto`]):
//! `p = 3` (multiplicities up to 3, e.g. the 3-D Laplacian's, are found in one run), and when the
//! converged wanted Ritz values contain a cluster of `c ≥ p` values (relative spread
//! `≤ max(10·tol, 1e-6)`, so a copy may still be missing) the block grows to `c + 1` with fresh
//! random columns and the run continues on the same basis until one more value per wanted end
//! has converged. That growth is a safeguard, not a proof: a missing copy enters through the new
//! random column and may not have risen past the converged values when the run stops (with
//! `p = 2` on the 3-D Laplacian it had not, which is why the start is 3). Without the multiplicity requirement
//! (`with_multiplicity_check(false)`) the block size is 1. Each cycle grows the basis to `m`
//! vectors, takes the Ritz pairs, tests `‖Bᵀy‖ ≤ max(tol·|θ|, 100 ε ‖A‖)` (ARPACK's criterion),
//! and restarts from the wanted Ritz vectors and half of the rest nearest them (converged ones are
//! kept in the basis: soft locking). Returned residuals are true residuals `‖A v − θ v‖` from one
//! block application (counted).

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

/// The state of one block run between its phases.
struct State {
    basis: BlockBasis,
    m: usize,
    n: usize,
    k_want: usize,
    p_max: usize,
    restarts: usize,
    /// Extra wanted values after each growth of the block.
    guard: usize,
}

/// Runs the block solver for `cfg` on `op` with initial block size `p` (grown on clusters when
/// `grow`). Called by [`Lanczos::run`].
pub(crate) fn run_block<A: LinearOperator + ?Sized>(
    cfg: &Lanczos,
    op: &A,
    p: usize,
    grow: bool,
) -> Result<LanczosResult> {
    let mut st = start(cfg, op.dim(), p)?;
    let budget = cfg.max_applications(st.n);
    let mut exhausted = false;
    let (theta, y) = loop {
        let p = st.basis.block_size();
        while st.basis.has_next()
            && (st.basis.len() + p <= st.m || (st.m == st.n && st.basis.len() < st.n))
        {
            st.basis.extend(op)?;
        }
        let (theta, y) = ritz(st.basis.projected())?;
        let est = estimates(&st.basis, &y);
        let crit = criterion(cfg, &st.basis, &theta);
        let want = st.k_want + st.guard;
        let wanted = cfg.wanted(theta.len(), want.min(theta.len()));
        let done = st.basis.len() >= st.n
            || (theta.len() >= want && wanted.iter().all(|&i| est[i] <= crit(theta[i])));
        if done {
            let ends = cfg.wanted(theta.len(), (want + st.p_max).min(theta.len()));
            let c = if grow {
                largest_cluster(cfg, &theta, &est, &crit, &ends)
            } else {
                0
            };
            if c < st.basis.block_size()
                || st.basis.block_size() >= st.p_max
                || !st.basis.has_next()
            {
                break (theta, y);
            }
            let pb = st.basis.block_size();
            let extra = (c + 1).min(st.p_max) - pb;
            thick_restart(cfg, &mut st, &y, pb + extra)?;
            st.basis.grow(extra)?;
            // The run is over only when one more value per end has converged too: a missing
            // copy then shows up as a new wanted Ritz value.
            st.guard += if cfg.which() == Which::Both { 2 } else { 1 };
            continue;
        }
        if st.basis.applications() + st.basis.block_size() + st.k_want > budget {
            exhausted = true;
            break (theta, y);
        }
        let pb = st.basis.block_size();
        thick_restart(cfg, &mut st, &y, pb)?;
    };
    let mut r = finish(cfg, op, &st, &theta, &y)?;
    r.budget_exhausted = exhausted && !r.converged;
    Ok(r)
}

/// Phase 1: basis size, seeded random start block.
fn start(cfg: &Lanczos, n: usize, p: usize) -> Result<State> {
    let k_want = match cfg.which() {
        Which::Both => (2 * cfg.k()).min(n),
        _ => cfg.k(),
    };
    let p = p.clamp(1, n);
    let p_max = (k_want + 1).max(p).min(n);
    let m = cfg
        .basis_size()
        .unwrap_or((2 * k_want + 1).max(20) + 2 * p)
        .max(k_want + 2 * p_max)
        .min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed());
    rng.set_stream(LANCZOS_STREAM);
    let x = Mat::<f64>::from_fn(n, p, |_, _| StandardNormal.sample(&mut rng));
    let basis = BlockBasis::new(n, m, x.as_ref(), cfg.seed() ^ LANCZOS_STREAM)?;
    Ok(State {
        basis,
        m,
        n,
        k_want,
        p_max,
        restarts: 0,
        guard: 0,
    })
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

/// The largest number of converged Ritz values at a wanted end within the cluster spread of one
/// another (values sorted, so a cluster is a run of neighbours).
fn largest_cluster(
    cfg: &Lanczos,
    theta: &[f64],
    est: &[f64],
    crit: &impl Fn(f64) -> f64,
    ends: &[usize],
) -> usize {
    let spread = (10.0 * cfg.tol()).max(1e-6);
    let mut idx: Vec<usize> = ends
        .iter()
        .copied()
        .filter(|&i| est[i] <= crit(theta[i]))
        .collect();
    idx.sort_unstable();
    let conv: Vec<f64> = idx.iter().map(|&i| theta[i]).collect();
    let scale = theta.iter().fold(0.0f64, |a, t| a.max(t.abs()));
    let mut best = 0;
    let mut run = 1;
    for w in conv.windows(2) {
        if (w[1] - w[0]).abs() <= spread * w[1].abs().max(w[0].abs()).max(1e-3 * scale) {
            run += 1;
        } else {
            run = 1;
        }
        best = best.max(run);
    }
    if conv.len() == 1 {
        best = 1;
    }
    best
}

/// Thick restart: keep the wanted Ritz vectors and half of the rest nearest them, leaving room
/// for a block of `p`.
fn thick_restart(cfg: &Lanczos, st: &mut State, y: &Mat<f64>, p: usize) -> Result<()> {
    let len = st.basis.len();
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
    /// chose (the single-vector thick-restart Lanczos by default).
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
            BlockSize::Auto if self.multiplicity_check() => run_block(self, op, 3, true),
            BlockSize::Auto => run_block(self, op, 1, false),
        }
    }
}
