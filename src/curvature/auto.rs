//! Dense or Lanczos: the extreme eigenvalues of a symmetric operator by the cheaper route, with
//! the choice and its reason reported.
//!
//! The rule ([`choose`]): dense when `n ≤ 1000` — a full symmetric eigendecomposition costs about
//! `(4/3 + …) n³` flops, a fraction of a second at `n = 1000` with faer, and gives every
//! eigenvalue to rounding — or when `n ≤ 3000`, the operator already is a dense matrix and the
//! small end is wanted: Lanczos needs `O(√κ)` applications per digit at the small end of an
//! ill-conditioned spectrum (tens of thousands at `κ = 10⁴`, each `2n²` flops for a dense
//! matrix), which costs more than the decomposition (375× at `n = 300`, κ = 10⁴, measured in
//! docs/curvature_engine.md). Lanczos (the restarted block solver by default) otherwise (Golub & Van Loan 2013,
//! §10.1.5 for the convergence theory; Saad 2011, ch. 6).

use crate::curvature::inertia::inertia_of;
use crate::curvature::lanczos::{BlockSize, Lanczos, Which};
use crate::curvature::spectrum::spectrum;
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use std::time::Instant;

/// Largest `n` for which [`Algo::Auto`] always picks the dense eigendecomposition.
pub const DENSE_MAX_N: usize = 1000;
/// Largest `n` for which [`Algo::Auto`] picks dense for an operator that is a dense matrix when
/// the small end of the spectrum is wanted.
pub const DENSE_SMALL_END_MAX_N: usize = 3000;
/// Relative tolerance below which an eigenvalue is not counted as negative:
/// `λ < −1e−10 · max|λ|`.
pub const NEGATIVE_TOL: f64 = 1e-10;

/// How to compute eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Algo {
    /// Pick by the rule of [`choose`].
    Auto,
    /// Full dense eigendecomposition.
    Dense,
    /// Thick-restart Lanczos.
    Lanczos,
}

impl Algo {
    /// Parses `auto`, `dense` or `lanczos`.
    ///
    /// ```
    /// use curvlab::curvature::Algo;
    /// assert_eq!(Algo::parse("dense").unwrap(), Algo::Dense);
    /// assert!(Algo::parse("arpack").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Algo::Auto),
            "dense" => Ok(Algo::Dense),
            "lanczos" => Ok(Algo::Lanczos),
            _ => Err(Error::invalid("algo", s, "expected auto, dense or lanczos")),
        }
    }
    /// The name (`auto`, `dense`, `lanczos`).
    pub fn name(self) -> &'static str {
        match self {
            Algo::Auto => "auto",
            Algo::Dense => "dense",
            Algo::Lanczos => "lanczos",
        }
    }
}

/// Resolves `algo` for an operator of size `n`: `(Dense | Lanczos, reason)`.
///
/// ```
/// use curvlab::curvature::{Algo, Which, auto::choose};
/// assert_eq!(choose(Algo::Auto, 500, Which::Largest, false).0, Algo::Dense);
/// assert_eq!(choose(Algo::Auto, 5000, Which::Largest, true).0, Algo::Lanczos);
/// assert_eq!(choose(Algo::Auto, 2000, Which::Smallest, true).0, Algo::Dense);
/// assert_eq!(choose(Algo::Lanczos, 10, Which::Largest, true).0, Algo::Lanczos);
/// ```
pub fn choose(algo: Algo, n: usize, which: Which, has_dense: bool) -> (Algo, String) {
    match algo {
        Algo::Dense => (Algo::Dense, "requested".into()),
        Algo::Lanczos => (Algo::Lanczos, "requested".into()),
        Algo::Auto => {
            if n <= DENSE_MAX_N {
                (
                    Algo::Dense,
                    format!(
                        "n = {n} <= {DENSE_MAX_N}: a dense eigendecomposition is cheap and exact"
                    ),
                )
            } else if has_dense && which != Which::Largest && n <= DENSE_SMALL_END_MAX_N {
                (
                    Algo::Dense,
                    format!(
                        "dense matrix with n = {n} <= {DENSE_SMALL_END_MAX_N} and the small end \
                         wanted: Lanczos may need tens of thousands of 2n² products there"
                    ),
                )
            } else {
                (
                    Algo::Lanczos,
                    format!("n = {n} > {DENSE_MAX_N}: Lanczos on the extremes"),
                )
            }
        }
    }
}

/// The extreme eigenvalues with what is known about the rest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Extremes {
    /// Dimension.
    pub n: usize,
    /// The algorithm used (`Dense` or `Lanczos`).
    pub algo: Algo,
    /// Why it was chosen.
    pub reason: String,
    /// The `k` largest eigenvalues, descending.
    pub largest: Vec<f64>,
    /// The `k` smallest eigenvalues, ascending.
    pub smallest: Vec<f64>,
    /// The largest true residual `‖Av − θv‖` of the Lanczos pairs (0 for dense).
    pub max_residual: f64,
    /// `max|λ| / min|λ|` when known (dense, or a definite operator by Lanczos).
    pub condition_number: Option<f64>,
    /// The number of eigenvalues `< −1e−10·max|λ|` when known (dense, or Lanczos when a
    /// computed smallest eigenvalue is not negative).
    pub negative_count: Option<usize>,
    /// `tr A` when known exactly (dense).
    pub trace: Option<f64>,
    /// Operator applications.
    pub matvecs: usize,
    /// Whether Lanczos converged (always true for dense).
    pub converged: bool,
    /// Whether Lanczos stopped on its budget of applications
    /// ([`crate::curvature::lanczos::default_max_applications`]) before converging.
    pub budget_exhausted: bool,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// The `k` extreme eigenvalues (`which` ends) of a symmetric operator by `algo` (resolved by
/// [`choose`]), with Lanczos tolerance `tol` and `seed`. For [`Which::Largest`] only `largest` is
/// filled, for [`Which::Smallest`] only `smallest`.
///
/// ```
/// use curvlab::curvature::{extremes, Algo, Which};
/// let a = faer::Mat::<f64>::from_fn(30, 30, |i, j| if i == j { i as f64 - 2.0 } else { 0.0 });
/// let d = extremes(&a, 2, Which::Both, Algo::Dense, 1e-10, 0).unwrap();
/// let l = extremes(&a, 2, Which::Both, Algo::Lanczos, 1e-10, 0).unwrap();
/// assert_eq!(d.negative_count, Some(2));
/// assert!((l.largest[0] - 27.0).abs() < 1e-8 && (l.smallest[0] + 2.0).abs() < 1e-8);
/// assert_eq!(d.trace, Some((0..30).map(|i| i as f64 - 2.0).sum()));
/// ```
pub fn extremes<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    which: Which,
    algo: Algo,
    tol: f64,
    seed: u64,
) -> Result<Extremes> {
    extremes_with_block(op, k, which, algo, tol, seed, BlockSize::Auto)
}

/// [`extremes`] with the Krylov solver chosen: [`BlockSize::Auto`] (the default of
/// [`extremes`]) / [`BlockSize::Fixed`] (the restarted block solver, whose products come in
/// blocks) or [`BlockSize::Single`] (the single-vector thick-restart Lanczos with its
/// multiplicity pass).
///
/// ```
/// use curvlab::curvature::{auto::extremes_with_block, Algo, BlockSize, Which};
/// let a = faer::Mat::<f64>::from_fn(30, 30, |i, j| if i == j { i as f64 } else { 0.0 });
/// let e = extremes_with_block(&a, 2, Which::Largest, Algo::Lanczos, 1e-10, 0, BlockSize::Single)
///     .unwrap();
/// assert!((e.largest[1] - 28.0).abs() < 1e-8);
/// ```
pub fn extremes_with_block<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    which: Which,
    algo: Algo,
    tol: f64,
    seed: u64,
    block: BlockSize,
) -> Result<Extremes> {
    if k == 0 || k > op.dim() {
        return Err(Error::invalid(
            "k",
            k,
            &format!("must be between 1 and n = {}", op.dim()),
        ));
    }
    let cfg = Lanczos::new(k, which)?
        .with_tol(tol)?
        .with_seed(seed)?
        .with_block_size(block)?;
    extremes_with_lanczos(op, algo, &cfg)
}

/// [`extremes`] with every setting of the Krylov route taken from `cfg` (`k`, `which`, tolerance,
/// seed, block size, basis size, budget of applications); `algo` is resolved by [`choose`].
///
/// ```
/// use curvlab::curvature::{auto::extremes_with_lanczos, Algo, Lanczos, Which};
/// let a = faer::Mat::<f64>::from_fn(60, 60, |i, j| if i == j { 1.0 + i as f64 } else { 0.0 });
/// let cfg = Lanczos::new(2, Which::Smallest).unwrap().with_max_applications(4).unwrap();
/// let e = extremes_with_lanczos(&a, Algo::Lanczos, &cfg).unwrap();
/// assert!(!e.converged && e.budget_exhausted);
/// let cfg = Lanczos::new(2, Which::Smallest).unwrap();
/// let e = extremes_with_lanczos(&a, Algo::Lanczos, &cfg).unwrap();
/// assert!(e.converged && (e.smallest[1] - 2.0).abs() < 1e-8);
/// ```
pub fn extremes_with_lanczos<A: LinearOperator + ?Sized>(
    op: &A,
    algo: Algo,
    cfg: &Lanczos,
) -> Result<Extremes> {
    let (n, k, which) = (op.dim(), cfg.k(), cfg.which());
    if k > n {
        return Err(Error::invalid(
            "k",
            k,
            &format!("must be between 1 and n = {n}"),
        ));
    }
    let (used, reason) = choose(algo, n, which, op.as_dense().is_some());
    let t0 = Instant::now();
    let mut e = match used {
        Algo::Dense => dense_extremes(op, k, which)?,
        _ => lanczos_extremes(op, cfg)?,
    };
    e.reason = reason;
    e.seconds = t0.elapsed().as_secs_f64();
    Ok(e)
}

/// The dense route of [`extremes`] (reason and time filled in by the caller).
fn dense_extremes<A: LinearOperator + ?Sized>(op: &A, k: usize, which: Which) -> Result<Extremes> {
    let n = op.dim();
    let s = spectrum(op)?;
    let matvecs = if op.as_dense().is_some() { 0 } else { n };
    Ok(Extremes {
        n,
        algo: Algo::Dense,
        reason: String::new(),
        largest: if which != Which::Smallest {
            s.largest(k)
        } else {
            vec![]
        },
        smallest: if which != Which::Largest {
            s.smallest(k)
        } else {
            vec![]
        },
        max_residual: 0.0,
        condition_number: Some(s.condition_number()),
        negative_count: Some(inertia_of(&s.eigenvalues, NEGATIVE_TOL).negative),
        trace: Some(s.trace()),
        matvecs,
        converged: true,
        budget_exhausted: false,
        seconds: 0.0,
    })
}

/// The Lanczos route of [`extremes`]: what the extreme values tell about the inertia and the
/// condition number (reason and time filled in by the caller).
fn lanczos_extremes<A: LinearOperator + ?Sized>(op: &A, cfg: &Lanczos) -> Result<Extremes> {
    let n = op.dim();
    let r = cfg.run(op)?;
    let largest: Vec<f64> = r.largest.iter().map(|p| p.value).collect();
    let smallest: Vec<f64> = r.smallest.iter().map(|p| p.value).collect();
    let max_residual = r
        .largest
        .iter()
        .chain(&r.smallest)
        .fold(0.0f64, |m, p| m.max(p.residual));
    let zero = NEGATIVE_TOL * r.norm_estimate;
    let negative_count = match smallest.last() {
        Some(l) if *l >= -zero => Some(smallest.iter().filter(|x| **x < -zero).count()),
        _ if smallest.len() == n => Some(smallest.iter().filter(|x| **x < -zero).count()),
        _ => None,
    };
    let condition_number = match (largest.first(), smallest.first()) {
        (Some(hi), Some(lo)) if *lo > 0.0 || *hi < 0.0 => {
            Some(hi.abs().max(lo.abs()) / hi.abs().min(lo.abs()))
        }
        _ => None,
    };
    Ok(Extremes {
        n,
        algo: Algo::Lanczos,
        reason: String::new(),
        largest,
        smallest,
        max_residual,
        condition_number,
        negative_count,
        trace: None,
        matvecs: r.applications,
        converged: r.converged,
        budget_exhausted: r.budget_exhausted,
        seconds: 0.0,
    })
}
