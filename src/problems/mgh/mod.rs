//! The Moré–Garbow–Hillstrom test set: the 35 unconstrained problems of J. J. Moré, B. S. Garbow
//! and K. E. Hillstrom, "Testing unconstrained optimization software", ACM Transactions on
//! Mathematical Software 7(1), 17–41, 1981.
//!
//! Every problem is a sum of squares `f(x) = Σ_{i=1}^m f_i(x)²` of `m` residuals in `n`
//! variables. Its residuals are written once, generically over [`Scalar`]
//! ([`MghProblem::residuals`]); the generic wrapper [`SumOfSquares`] turns them into an exact
//! [`Objective`]:
//!
//! - the gradient `∇f = 2 Jᵀ r`, with the Jacobian columns `J e_j` computed by forward-mode dual
//!   numbers (`n` passes of the residual function over `Dual<T>`), so that evaluating it at
//!   `T = Dual64` gives exact Hessian-vector products (the forward-over-forward R-operator);
//! - the Gauss–Newton products `G v = 2 Jᵀ J v` ([`GaussNewton`]) from the same Jacobian.
//!
//! The problems are small (`n ≤ 11` for the fixed-dimension ones, `n = 5..12` by default for the
//! others), so `n` forward passes per gradient cost little and keep the derivatives exact to
//! rounding.
//!
//! Dimensions follow the paper: `n` and `m` are fixed for most problems; where the paper lets
//! them vary it gives ranges, not defaults, and the defaults here (the `dim` and `m`
//! parameters) are curvlab's choices, preferring dimensions for which the paper prints `f*`
//! (see [`all`]). Published optimal values `f*` are stored at the precision the paper prints
//! (6 significant digits for the data-fitting problems); where the paper gives a value only for
//! particular `n` or `m`, [`MghProblem::f_star`] is `None` elsewhere. Minimizers `x*` are given
//! where the paper states them exactly.
//!
//! ```
//! use curvlab::Objective;
//! use curvlab::problems::mgh::{self, MghProblem};
//! let wood = mgh::problem(14, None).unwrap();
//! assert_eq!(wood.problem().name(), "wood");
//! assert_eq!(wood.value(&wood.problem().x0()).unwrap(), 19192.0);
//! assert_eq!(wood.value(&[1.0; 4]).unwrap(), 0.0);
//! ```

mod classic;
mod data_fitting;
mod variable;

use super::registry::{ProblemInfo, ProblemInstance};
use crate::diff::{DualGradient, Scalar, dual_hvp};
use crate::error::{Error, Result, check_len};
use crate::objective::{GaussNewton, Objective};
use crate::params::{ParamInfo, Params};
use faer::Mat;
use num_dual::{Dual, Dual64};

/// A sum-of-squares problem `f(x) = Σ f_i(x)²` given by its residuals, written generically over
/// [`Scalar`] so that [`SumOfSquares`] can differentiate them exactly.
///
/// ```
/// use curvlab::diff::Scalar;
/// use curvlab::problems::mgh::{MghProblem, SumOfSquares};
/// use curvlab::Objective;
/// /// f(x) = (x0 − 1)² + (x0 x1)²
/// struct P;
/// impl MghProblem for P {
///     fn name(&self) -> &'static str { "toy" }
///     fn n(&self) -> usize { 2 }
///     fn m(&self) -> usize { 2 }
///     fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) -> curvlab::Result<()> {
///         curvlab::error::check_len("x", 2, x.len())?;
///         curvlab::error::check_len("r", 2, r.len())?;
///         r[0] = x[0] - 1.0;
///         r[1] = x[0] * x[1];
///         Ok(())
///     }
///     fn x0(&self) -> Vec<f64> { vec![0.0, 1.0] }
///     fn f_star(&self) -> Option<f64> { Some(0.0) }
///     fn x_star(&self) -> Option<Vec<f64>> { Some(vec![1.0, 0.0]) }
/// }
/// let f = SumOfSquares::new(P);
/// let mut g = [0.0; 2];
/// assert_eq!(f.gradient(&[2.0, 1.0], &mut g).unwrap(), 5.0);
/// assert_eq!(g, [2.0 * 1.0 + 2.0 * 2.0 * 1.0, 2.0 * 2.0 * 2.0]); // 2 Jᵀ r
/// ```
pub trait MghProblem: Send + Sync {
    /// A short lowercase name, e.g. `"extended-rosenbrock"`.
    fn name(&self) -> &'static str;
    /// The number of variables `n`.
    fn n(&self) -> usize;
    /// The number of residuals `m`.
    fn m(&self) -> usize;
    /// Writes the residuals `f_1(x), …, f_m(x)` into `r`; lengths other than `n` and `m` are an
    /// [`Error::Dimension`].
    fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) -> Result<()>;
    /// The standard starting point.
    fn x0(&self) -> Vec<f64>;
    /// The published optimal value, where known for these dimensions.
    fn f_star(&self) -> Option<f64>;
    /// A published minimizer, where the paper gives one exactly.
    fn x_star(&self) -> Option<Vec<f64>>;
}

/// The objective `f(x) = Σ f_i(x)²` of an [`MghProblem`], with exact gradients (`2 Jᵀ r`),
/// Hessian-vector products, Hessians and Gauss–Newton products `2 Jᵀ J v`.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::mgh;
/// let f = mgh::problem(1, None).unwrap(); // Rosenbrock
/// let mut hv = [0.0; 2];
/// f.hvp(&[1.0, 1.0], &[1.0, 0.0], &mut hv).unwrap();
/// assert!((hv[0] - 802.0).abs() < 1e-12 && (hv[1] + 400.0).abs() < 1e-12);
/// // At the zero-residual minimizer the Gauss-Newton matrix equals the Hessian.
/// let gn = f.as_gauss_newton().unwrap();
/// let mut gv = [0.0; 2];
/// gn.ggn_vp(&[1.0, 1.0], &[1.0, 0.0], &mut gv).unwrap();
/// assert!((gv[0] - 802.0).abs() < 1e-12 && (gv[1] + 400.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SumOfSquares<P>(P);

impl<P: MghProblem> SumOfSquares<P> {
    /// Wraps a residual function.
    ///
    /// ```
    /// use curvlab::problems::mgh::{Mgh, SumOfSquares};
    /// let f = SumOfSquares::new(Mgh::new(5, None).unwrap());
    /// assert_eq!(curvlab::Objective::dim(&f), 2);
    /// ```
    pub fn new(problem: P) -> Self {
        SumOfSquares(problem)
    }

    /// The wrapped problem.
    ///
    /// ```
    /// use curvlab::problems::mgh::{self, MghProblem};
    /// assert_eq!(mgh::problem(7, None).unwrap().problem().name(), "helical-valley");
    /// ```
    pub fn problem(&self) -> &P {
        &self.0
    }

    /// The residual vector `r(x) = (f_1(x), …, f_m(x))`.
    ///
    /// ```
    /// use curvlab::problems::mgh;
    /// let f = mgh::problem(1, None).unwrap();
    /// assert_eq!(f.residual_vector(&[-1.2, 1.0]).unwrap()[1], 2.2);
    /// assert!(f.residual_vector(&[1.0]).is_err());
    /// ```
    pub fn residual_vector(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_len("x", self.0.n(), x.len())?;
        let mut r = vec![0.0; self.0.m()];
        self.0.residuals(x, &mut r)?;
        Ok(r)
    }

    /// The `m × n` Jacobian of the residuals, exact (one forward-mode pass per column).
    ///
    /// ```
    /// use curvlab::problems::mgh;
    /// let j = mgh::problem(1, None).unwrap().jacobian(&[2.0, 0.0]).unwrap();
    /// // Rosenbrock residuals (10(x2 − x1²), 1 − x1): J = [[−20 x1, 10], [−1, 0]].
    /// assert_eq!((j[(0, 0)], j[(0, 1)], j[(1, 0)], j[(1, 1)]), (-40.0, 10.0, -1.0, 0.0));
    /// ```
    pub fn jacobian(&self, x: &[f64]) -> Result<Mat<f64>> {
        let (n, m) = (self.0.n(), self.0.m());
        check_len("x", n, x.len())?;
        let mut j = Mat::<f64>::zeros(m, n);
        let mut xd: Vec<Dual64> = x.iter().map(|&v| Dual64::new(v, 0.0)).collect();
        let mut rd = vec![Dual64::new(0.0, 0.0); m];
        for col in 0..n {
            xd[col].eps = 1.0;
            self.0.residuals(&xd, &mut rd)?;
            xd[col].eps = 0.0;
            for (i, ri) in rd.iter().enumerate() {
                j[(i, col)] = ri.eps;
            }
        }
        Ok(j)
    }
}

impl<P: MghProblem> DualGradient for SumOfSquares<P> {
    fn dim(&self) -> usize {
        self.0.n()
    }

    /// `f = Σ r_i²` and `∇f = 2 Jᵀ r`, column `j` of `J` from one pass over `Dual<T>` seeded
    /// with `e_j`. Wrong lengths give NaN (the [`Objective`] methods check lengths first).
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        let (n, m) = (self.0.n(), self.0.m());
        let nan = T::from(f64::NAN);
        if x.len() != n || g.len() != n {
            g.iter_mut().for_each(|gi| *gi = nan);
            return nan;
        }
        let zero = T::from(0.0);
        let mut xd: Vec<Dual<T>> = x.iter().map(|&v| Dual::new(v, zero)).collect();
        let mut rd = vec![Dual::new(zero, zero); m];
        let mut f = zero;
        for j in 0..n {
            xd[j].eps = T::from(1.0);
            let ok = self.0.residuals(&xd, &mut rd).is_ok();
            xd[j].eps = zero;
            if !ok {
                g.iter_mut().for_each(|gi| *gi = nan);
                return nan;
            }
            let mut gj = zero;
            for ri in &rd {
                gj += ri.re * ri.eps;
            }
            g[j] = gj * 2.0;
            if j == 0 {
                f = rd.iter().fold(zero, |s, ri| s + ri.re * ri.re);
            }
        }
        f
    }

    fn value(&self, x: &[f64]) -> f64 {
        let mut r = vec![0.0; self.0.m()];
        match self.0.residuals(x, &mut r) {
            Ok(()) => r.iter().map(|v| v * v).sum(),
            Err(_) => f64::NAN,
        }
    }
}

impl<P: MghProblem> Objective for SumOfSquares<P> {
    fn dim(&self) -> usize {
        self.0.n()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.0.n(), x.len())?;
        Ok(DualGradient::value(self, x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.0.n(), x.len())?;
        check_len("gradient buffer", self.0.n(), g.len())?;
        Ok(self.value_gradient(x, g))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        dual_hvp(self, x, v, out)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
}

impl<P: MghProblem> GaussNewton for SumOfSquares<P> {
    /// `G v = 2 Jᵀ (J v)`, the Gauss–Newton matrix of `Σ f_i²` (the Hessian without the
    /// `2 Σ f_i ∇²f_i` term), with the exact Jacobian.
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.0.n();
        check_len("v", n, v.len())?;
        check_len("ggn_vp buffer", n, out.len())?;
        let j = self.jacobian(x)?;
        let jv: Vec<f64> = (0..j.nrows())
            .map(|i| (0..n).map(|k| j[(i, k)] * v[k]).sum())
            .collect();
        for (k, o) in out.iter_mut().enumerate() {
            *o = 2.0 * (0..j.nrows()).map(|i| j[(i, k)] * jv[i]).sum::<f64>();
        }
        Ok(())
    }
}

/// How `n` may be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vars {
    /// Fixed by the problem.
    Fixed(usize),
    /// `lo ≤ n ≤ hi`, a multiple of `step`, default `default`.
    Free {
        default: usize,
        lo: usize,
        hi: usize,
        step: usize,
    },
}

/// How `m` is determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Fixed by the problem.
    Fixed(usize),
    /// `m = a n + b`.
    OfN(usize, usize),
    /// Chosen by the user, `n ≤ m ≤ hi`; the default is `default + per_n · n`.
    Free {
        default: usize,
        per_n: usize,
        hi: usize,
    },
}

struct Entry {
    name: &'static str,
    title: &'static str,
    vars: Vars,
    rows: Rows,
}

/// Largest `n` or `m` accepted for the variable-dimension problems.
const MAX_DIM: usize = 100_000;

const fn fixed(name: &'static str, title: &'static str, n: usize, m: usize) -> Entry {
    Entry {
        name,
        title,
        vars: Vars::Fixed(n),
        rows: Rows::Fixed(m),
    }
}

const fn free_m(
    name: &'static str,
    title: &'static str,
    n: usize,
    m_default: usize,
    hi: usize,
) -> Entry {
    Entry {
        name,
        title,
        vars: Vars::Fixed(n),
        rows: Rows::Free {
            default: m_default,
            per_n: 0,
            hi,
        },
    }
}

const fn var_n(
    name: &'static str,
    title: &'static str,
    default: usize,
    lo: usize,
    step: usize,
    rows: Rows,
) -> Entry {
    Entry {
        name,
        title,
        vars: Vars::Free {
            default,
            lo,
            hi: MAX_DIM,
            step,
        },
        rows,
    }
}

const CATALOG: [Entry; 35] = [
    fixed("rosenbrock", "Rosenbrock", 2, 2),
    fixed("freudenstein-roth", "Freudenstein and Roth", 2, 2),
    fixed("powell-badly-scaled", "Powell badly scaled", 2, 2),
    fixed("brown-badly-scaled", "Brown badly scaled", 2, 3),
    fixed("beale", "Beale", 2, 3),
    free_m("jennrich-sampson", "Jennrich and Sampson", 2, 10, MAX_DIM),
    fixed("helical-valley", "Helical valley", 3, 3),
    fixed("bard", "Bard", 3, 15),
    fixed("gaussian", "Gaussian", 3, 15),
    fixed("meyer", "Meyer", 3, 16),
    free_m("gulf", "Gulf research and development", 3, 99, 100),
    free_m("box-3d", "Box three-dimensional", 3, 10, MAX_DIM),
    fixed("powell-singular", "Powell singular", 4, 4),
    fixed("wood", "Wood", 4, 6),
    fixed("kowalik-osborne", "Kowalik and Osborne", 4, 11),
    free_m("brown-dennis", "Brown and Dennis", 4, 20, MAX_DIM),
    fixed("osborne1", "Osborne 1", 5, 33),
    free_m("biggs-exp6", "Biggs EXP6", 6, 13, MAX_DIM),
    fixed("osborne2", "Osborne 2", 11, 65),
    Entry {
        name: "watson",
        title: "Watson",
        vars: Vars::Free {
            default: 6,
            lo: 2,
            hi: 31,
            step: 1,
        },
        rows: Rows::Fixed(31),
    },
    var_n(
        "extended-rosenbrock",
        "Extended Rosenbrock",
        10,
        2,
        2,
        Rows::OfN(1, 0),
    ),
    var_n(
        "extended-powell",
        "Extended Powell singular",
        12,
        4,
        4,
        Rows::OfN(1, 0),
    ),
    var_n("penalty1", "Penalty I", 10, 1, 1, Rows::OfN(1, 1)),
    var_n("penalty2", "Penalty II", 10, 1, 1, Rows::OfN(2, 0)),
    var_n(
        "variably-dimensioned",
        "Variably dimensioned",
        10,
        1,
        1,
        Rows::OfN(1, 2),
    ),
    var_n("trigonometric", "Trigonometric", 10, 1, 1, Rows::OfN(1, 0)),
    var_n(
        "brown-almost-linear",
        "Brown almost-linear",
        10,
        1,
        1,
        Rows::OfN(1, 0),
    ),
    var_n(
        "discrete-boundary-value",
        "Discrete boundary value",
        10,
        1,
        1,
        Rows::OfN(1, 0),
    ),
    var_n(
        "discrete-integral-equation",
        "Discrete integral equation",
        10,
        1,
        1,
        Rows::OfN(1, 0),
    ),
    var_n(
        "broyden-tridiagonal",
        "Broyden tridiagonal",
        10,
        1,
        1,
        Rows::OfN(1, 0),
    ),
    var_n(
        "broyden-banded",
        "Broyden banded",
        10,
        1,
        1,
        Rows::OfN(1, 0),
    ),
    var_n(
        "linear-full-rank",
        "Linear function - full rank",
        5,
        1,
        1,
        Rows::Free {
            default: 0,
            per_n: 2,
            hi: MAX_DIM,
        },
    ),
    var_n(
        "linear-rank1",
        "Linear function - rank 1",
        5,
        1,
        1,
        Rows::Free {
            default: 0,
            per_n: 2,
            hi: MAX_DIM,
        },
    ),
    var_n(
        "linear-rank1-zero",
        "Linear function - rank 1 with zero columns and rows",
        5,
        3,
        1,
        Rows::Free {
            default: 0,
            per_n: 2,
            hi: MAX_DIM,
        },
    ),
    var_n(
        "chebyquad",
        "Chebyquad",
        8,
        1,
        1,
        Rows::Free {
            default: 0,
            per_n: 1,
            hi: MAX_DIM,
        },
    ),
];

fn entry(id: usize) -> Result<&'static Entry> {
    if (1..=35).contains(&id) {
        Ok(&CATALOG[id - 1])
    } else {
        Err(Error::invalid(
            "id",
            id,
            "the Moré-Garbow-Hillstrom problems are numbered 1 to 35",
        ))
    }
}

/// One problem of the set at its default dimensions, as listed by [`all`].
///
/// ```
/// let s = curvlab::problems::mgh::all()[20];
/// assert_eq!((s.id, s.name, s.n, s.m, s.variable_n), (21, "extended-rosenbrock", 10, 10, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MghSpec {
    /// The problem's number in the paper, 1..=35.
    pub id: usize,
    /// Short lowercase name (used in labels).
    pub name: &'static str,
    /// The paper's title for it.
    pub title: &'static str,
    /// Default number of variables.
    pub n: usize,
    /// Default number of residuals.
    pub m: usize,
    /// Whether `n` can be chosen (the `dim` parameter).
    pub variable_n: bool,
    /// Whether `m` can be chosen independently of `n` (the `m` parameter).
    pub variable_m: bool,
}

/// All 35 problems with their default dimensions, in the paper's order.
///
/// Defaults where the paper gives a range (curvlab's choices): Jennrich–Sampson `m = 10` and
/// Brown–Dennis `m = 20`, Biggs EXP6 `m = 13` (the `m` of the paper's `f*` values), Gulf `m = 99`,
/// Box 3-D `m = 10` (zero-residual for every `m`); Watson `n = 6`; problems 21–31 `n = 10`
/// (extended Powell `n = 12`, a multiple of 4); the linear functions 32–34 `n = 5`, `m = 2n`;
/// Chebyquad `n = m = 8`.
///
/// ```
/// let all = curvlab::problems::mgh::all();
/// assert_eq!(all.len(), 35);
/// assert_eq!((all[18].id, all[18].name, all[18].n, all[18].m), (19, "osborne2", 11, 65));
/// ```
pub fn all() -> Vec<MghSpec> {
    (1..=35)
        .filter_map(|id| Mgh::new(id, None).ok())
        .map(|p| {
            let e = &CATALOG[p.id - 1];
            MghSpec {
                id: p.id,
                name: e.name,
                title: e.title,
                n: p.n,
                m: p.m,
                variable_n: matches!(e.vars, Vars::Free { .. }),
                variable_m: matches!(e.rows, Rows::Free { .. }),
            }
        })
        .collect()
}

/// Problem `id` (1..=35) with `n = dim` variables (default if `None`), as an exact objective.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::mgh;
/// assert_eq!(mgh::problem(21, Some(4)).unwrap().dim(), 4);
/// assert!(mgh::problem(21, Some(5)).is_err()); // extended Rosenbrock needs even n
/// assert!(mgh::problem(36, None).is_err());
/// ```
pub fn problem(id: usize, dim: Option<usize>) -> Result<SumOfSquares<Mgh>> {
    Ok(SumOfSquares::new(Mgh::new(id, dim)?))
}

/// One Moré–Garbow–Hillstrom problem at chosen dimensions: its number, `n` and `m`.
///
/// ```
/// use curvlab::problems::mgh::{Mgh, MghProblem};
/// let p = Mgh::new(35, Some(10)).unwrap(); // Chebyquad, m = n
/// assert_eq!((p.n(), p.m()), (10, 10));
/// assert_eq!(p.f_star(), Some(6.50395e-3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mgh {
    id: usize,
    n: usize,
    m: usize,
}

impl Mgh {
    /// Problem `id` with `n = dim` (default if `None`) and the default `m`.
    ///
    /// ```
    /// use curvlab::problems::mgh::{Mgh, MghProblem};
    /// assert_eq!(Mgh::new(22, Some(8)).unwrap().m(), 8);
    /// assert!(Mgh::new(22, Some(6)).is_err()); // extended Powell needs a multiple of 4
    /// assert!(Mgh::new(1, Some(3)).is_err()); // Rosenbrock has n = 2
    /// assert!(Mgh::new(0, None).is_err());
    /// ```
    pub fn new(id: usize, dim: Option<usize>) -> Result<Self> {
        Self::with_dims(id, dim, None)
    }

    /// Problem `id` with `n = dim` and `m` (defaults if `None`). `m` can be chosen for problems
    /// 6, 11, 12, 16, 18 and 32–35 (with `n ≤ m`, and `m ≤ 100` for Gulf); elsewhere it must be
    /// omitted or equal the problem's `m`.
    ///
    /// ```
    /// use curvlab::problems::mgh::{Mgh, MghProblem};
    /// let p = Mgh::with_dims(32, Some(5), Some(50)).unwrap();
    /// assert_eq!(p.f_star(), Some(45.0)); // m − n
    /// assert!(Mgh::with_dims(32, Some(5), Some(4)).is_err()); // m < n
    /// assert!(Mgh::with_dims(1, None, Some(3)).is_err());
    /// ```
    pub fn with_dims(id: usize, dim: Option<usize>, m: Option<usize>) -> Result<Self> {
        let e = entry(id)?;
        let n = match (e.vars, dim) {
            (Vars::Fixed(n), None) => n,
            (Vars::Fixed(n), Some(d)) if d == n => n,
            (Vars::Fixed(n), Some(d)) => {
                return Err(Error::invalid(
                    "dim",
                    d,
                    &format!("MGH problem {id} ({}) has fixed n = {n}", e.title),
                ));
            }
            (Vars::Free { default, .. }, None) => default,
            (Vars::Free { lo, hi, step, .. }, Some(d)) => {
                if d < lo || d > hi || d % step != 0 {
                    let what = if step > 1 {
                        format!("a multiple of {step} ")
                    } else {
                        String::new()
                    };
                    return Err(Error::invalid(
                        "dim",
                        d,
                        &format!(
                            "MGH problem {id} ({}) needs n {what}in [{lo}, {hi}]",
                            e.title
                        ),
                    ));
                }
                d
            }
        };
        let m = match (e.rows, m) {
            (Rows::Fixed(_) | Rows::OfN(..), given) => {
                let k = match e.rows {
                    Rows::OfN(a, b) => a * n + b,
                    Rows::Fixed(k) => k,
                    Rows::Free { .. } => 0,
                };
                match given {
                    Some(mm) if mm != k => {
                        return Err(Error::invalid(
                            "m",
                            mm,
                            &format!("MGH problem {id} ({}) has m = {k} for n = {n}", e.title),
                        ));
                    }
                    _ => k,
                }
            }
            (Rows::Free { default, per_n, .. }, None) => default + per_n * n,
            (Rows::Free { hi, .. }, Some(mm)) => {
                if mm < n || mm > hi {
                    return Err(Error::invalid(
                        "m",
                        mm,
                        &format!("MGH problem {id} ({}) needs n = {n} <= m <= {hi}", e.title),
                    ));
                }
                mm
            }
        };
        Ok(Mgh { id, n, m })
    }

    /// The problem's number in the paper.
    ///
    /// ```
    /// assert_eq!(curvlab::problems::mgh::Mgh::new(9, None).unwrap().id(), 9);
    /// ```
    pub fn id(&self) -> usize {
        self.id
    }

    /// The paper's title of the problem.
    ///
    /// ```
    /// assert_eq!(curvlab::problems::mgh::Mgh::new(8, None).unwrap().title(), "Bard");
    /// ```
    pub fn title(&self) -> &'static str {
        CATALOG[self.id - 1].title
    }

    /// A label such as `mgh-21-extended-rosenbrock(n=10, m=10)`.
    ///
    /// ```
    /// let p = curvlab::problems::mgh::Mgh::new(21, None).unwrap();
    /// assert_eq!(p.label(), "mgh-21-extended-rosenbrock(n=10, m=10)");
    /// ```
    pub fn label(&self) -> String {
        format!(
            "mgh-{}-{}(n={}, m={})",
            self.id,
            CATALOG[self.id - 1].name,
            self.n,
            self.m
        )
    }

    /// A non-global stationary value the paper reports, where it gives one: Freudenstein
    /// and Roth `48.9842`, Bard `17.4286` (at `x2, x3 → −∞`), Kowalik and Osborne `1.02734e-3`
    /// (at infinity), Biggs EXP6 `5.65565e-3` (for `m = 13`; the point trust-region Newton-CG
    /// reaches there is a saddle, λ_min(∇²f) ≈ −0.0098, not a local minimum), Brown
    /// almost-linear `1` (at `(0, …, 0, n + 1)`).
    ///
    /// ```
    /// use curvlab::problems::mgh::Mgh;
    /// assert_eq!(Mgh::new(2, None).unwrap().local_f(), Some(48.9842));
    /// assert_eq!(Mgh::new(1, None).unwrap().local_f(), None);
    /// ```
    pub fn local_f(&self) -> Option<f64> {
        match self.id {
            2 => Some(48.9842),
            8 => Some(17.4286),
            15 => Some(1.02734e-3),
            18 if self.m == 13 => Some(5.65565e-3),
            27 => Some(1.0),
            _ => None,
        }
    }
}

impl MghProblem for Mgh {
    fn name(&self) -> &'static str {
        CATALOG[self.id - 1].name
    }
    fn n(&self) -> usize {
        self.n
    }
    fn m(&self) -> usize {
        self.m
    }

    fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) -> Result<()> {
        use classic as c;
        use data_fitting as d;
        use variable as v;
        check_len("x", self.n, x.len())?;
        check_len("residual buffer", self.m, r.len())?;
        match self.id {
            1 => c::rosenbrock(x, r),
            2 => c::freudenstein_roth(x, r),
            3 => c::powell_badly_scaled(x, r),
            4 => c::brown_badly_scaled(x, r),
            5 => c::beale(x, r),
            6 => d::jennrich_sampson(x, r),
            7 => c::helical_valley(x, r),
            8 => d::bard(x, r),
            9 => d::gaussian(x, r),
            10 => d::meyer(x, r),
            11 => d::gulf(x, r),
            12 => d::box_3d(x, r),
            13 => c::powell_singular(x, r),
            14 => c::wood(x, r),
            15 => d::kowalik_osborne(x, r),
            16 => d::brown_dennis(x, r),
            17 => d::osborne1(x, r),
            18 => d::biggs_exp6(x, r),
            19 => d::osborne2(x, r),
            20 => d::watson(x, r),
            21 => v::extended_rosenbrock(x, r),
            22 => v::extended_powell(x, r),
            23 => v::penalty1(x, r),
            24 => v::penalty2(x, r),
            25 => v::variably_dimensioned(x, r),
            26 => v::trigonometric(x, r),
            27 => v::brown_almost_linear(x, r),
            28 => v::discrete_boundary_value(x, r),
            29 => v::discrete_integral_equation(x, r),
            30 => v::broyden_tridiagonal(x, r),
            31 => v::broyden_banded(x, r),
            32 => v::linear_full_rank(x, r),
            33 => v::linear_rank1(x, r),
            34 => v::linear_rank1_zero(x, r),
            35 => v::chebyquad(x, r),
            other => return Err(Error::invalid("id", other, "expected 1..35")),
        }
        Ok(())
    }

    fn x0(&self) -> Vec<f64> {
        let n = self.n;
        let nf = n as f64;
        let h = 1.0 / (nf + 1.0);
        match self.id {
            1 => vec![-1.2, 1.0],
            2 => vec![0.5, -2.0],
            3 => vec![0.0, 1.0],
            4 | 5 => vec![1.0, 1.0],
            6 => vec![0.3, 0.4],
            7 => vec![-1.0, 0.0, 0.0],
            8 => vec![1.0, 1.0, 1.0],
            9 => vec![0.4, 1.0, 0.0],
            10 => vec![0.02, 4000.0, 250.0],
            11 => vec![5.0, 2.5, 0.15],
            12 => vec![0.0, 10.0, 20.0],
            13 => vec![3.0, -1.0, 0.0, 1.0],
            14 => vec![-3.0, -1.0, -3.0, -1.0],
            15 => vec![0.25, 0.39, 0.415, 0.39],
            16 => vec![25.0, 5.0, -5.0, -1.0],
            17 => vec![0.5, 1.5, -1.0, 0.01, 0.02],
            18 => vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            19 => vec![1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
            20 => vec![0.0; n],
            21 => (0..n)
                .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
                .collect(),
            22 => (0..n).map(|i| [3.0, -1.0, 0.0, 1.0][i % 4]).collect(),
            23 => (1..=n).map(|j| j as f64).collect(),
            24 => vec![0.5; n],
            25 => (1..=n).map(|j| 1.0 - j as f64 / nf).collect(),
            26 => vec![1.0 / nf; n],
            27 => vec![0.5; n],
            28 | 29 => (1..=n)
                .map(|j| {
                    let t = j as f64 * h;
                    t * (t - 1.0)
                })
                .collect(),
            30 | 31 => vec![-1.0; n],
            32..=34 => vec![1.0; n],
            _ => (1..=n).map(|j| j as f64 * h).collect(), // 35
        }
    }

    /// Published optimal values (Moré, Garbow & Hillstrom 1981, §3). Zero-residual problems
    /// have `f* = 0` exactly; the linear functions 32–34 have closed forms in `n, m`; the other
    /// values are the paper's, printed to 6 significant digits, and exist only for the
    /// dimensions the paper reports:
    /// 6 Jennrich–Sampson `124.362` (`m = 10`), 8 Bard `8.21487e-3`, 9 Gaussian `1.12793e-8`,
    /// 10 Meyer `87.9458`, 15 Kowalik–Osborne `3.07505e-4`, 16 Brown–Dennis `85822.2`
    /// (`m = 20`), 17 Osborne 1 `5.46489e-5`, 19 Osborne 2 `4.01377e-2`, 20 Watson `2.28767e-3`
    /// (`n = 6`), `1.39976e-6` (`n = 9`), `4.72238e-10` (`n = 12`), 23 Penalty I `2.24997e-5`
    /// (`n = 4`), `7.08765e-5` (`n = 10`), 24 Penalty II `9.37629e-6` (`n = 4`), `2.93660e-4`
    /// (`n = 10`), 35 Chebyquad (`m = n`) `0` for `n ≤ 7` and `n = 9`, `3.51687e-3` (`n = 8`),
    /// `6.50395e-3` (`n = 10`). Problem 26 (trigonometric): the paper gives `f = 0` without a
    /// minimizer; local minimizers with `f > 0` exist. Problem 18 (Biggs EXP6): `0` at
    /// `(1, 10, 1, 5, 4, 3)` for every `m`; the paper also lists `5.65565e-3` for `m = 13`, a
    /// stationary value (at the point methods reach from the standard start it is a saddle:
    /// [`Mgh::local_f`]).
    fn f_star(&self) -> Option<f64> {
        let (n, m) = (self.n, self.m);
        let mf = m as f64;
        match self.id {
            1..=5 | 7 | 11..=14 | 18 | 21 | 22 | 25..=31 => Some(0.0),
            6 => (m == 10).then_some(124.362),
            8 => Some(8.21487e-3),
            9 => Some(1.12793e-8),
            10 => Some(87.9458),
            15 => Some(3.07505e-4),
            16 => (m == 20).then_some(85822.2),
            17 => Some(5.46489e-5),
            19 => Some(4.01377e-2),
            20 => match n {
                6 => Some(2.28767e-3),
                9 => Some(1.39976e-6),
                12 => Some(4.72238e-10),
                _ => None,
            },
            23 => match n {
                4 => Some(2.24997e-5),
                10 => Some(7.08765e-5),
                _ => None,
            },
            24 => match n {
                4 => Some(9.37629e-6),
                10 => Some(2.93660e-4),
                _ => None,
            },
            32 => Some((m - n) as f64),
            33 => Some(mf * (mf - 1.0) / (2.0 * (2.0 * mf + 1.0))),
            34 => Some((mf * mf + 3.0 * mf - 6.0) / (2.0 * (2.0 * mf - 3.0))),
            35 if m == n => match n {
                1..=7 | 9 => Some(0.0),
                8 => Some(3.51687e-3),
                10 => Some(6.50395e-3),
                _ => None,
            },
            _ => None,
        }
    }

    /// Minimizers the paper states exactly: 1 `(1, 1)`, 2 `(5, 4)`, 4 `(10⁶, 2·10⁻⁶)`,
    /// 5 `(3, 1/2)`, 7 `(1, 0, 0)`, 11 `(50, 25, 1.5)`, 12 `(1, 10, 1)`, 13 `0`, 14 `(1, 1, 1, 1)`,
    /// 18 `(1, 10, 1, 5, 4, 3)`, 21 `(1, …, 1)`, 22 `0`, 25 and 27 `(1, …, 1)`, 32 `(−1, …, −1)`;
    /// for 33 and 34 the minimizers form a hyperplane (`Σ j x_j = 3/(2m + 1)`, resp.
    /// `Σ_{j=2}^{n−1} j x_j = 3/(2m − 3)`) and the point returned is the one on a coordinate
    /// axis (`x1`, resp. `x2`).
    fn x_star(&self) -> Option<Vec<f64>> {
        let (n, m) = (self.n, self.m as f64);
        match self.id {
            1 => Some(vec![1.0, 1.0]),
            2 => Some(vec![5.0, 4.0]),
            4 => Some(vec![1e6, 2e-6]),
            5 => Some(vec![3.0, 0.5]),
            7 => Some(vec![1.0, 0.0, 0.0]),
            11 => Some(vec![50.0, 25.0, 1.5]),
            12 => Some(vec![1.0, 10.0, 1.0]),
            13 | 22 => Some(vec![0.0; n]),
            14 | 21 | 25 | 27 => Some(vec![1.0; n]),
            18 => Some(vec![1.0, 10.0, 1.0, 5.0, 4.0, 3.0]),
            32 => Some(vec![-1.0; n]),
            33 => {
                let mut x = vec![0.0; n];
                x[0] = 3.0 / (2.0 * m + 1.0);
                Some(x)
            }
            34 => {
                let mut x = vec![0.0; n];
                x[1] = 3.0 / (2.0 * (2.0 * m - 3.0));
                Some(x)
            }
            _ => None,
        }
    }
}

const PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "id",
        default: "1",
        doc: "problem number 1..35 in Moré, Garbow & Hillstrom (1981)",
    },
    ParamInfo {
        name: "dim",
        default: "problem's",
        doc: "n for the variable-dimension problems 20-35 (see `mgh::all`)",
    },
    ParamInfo {
        name: "m",
        default: "problem's",
        doc: "number of residuals for problems 6, 11, 12, 16, 18, 32-35 (m >= n)",
    },
];

/// Registry entry: `mgh` with parameters `id`, `dim`, `m`.
///
/// ```
/// assert_eq!(curvlab::problems::mgh::INFO.name, "mgh");
/// ```
pub const INFO: ProblemInfo = ProblemInfo {
    name: "mgh",
    summary: "Moré-Garbow-Hillstrom (1981) test problem `id` (1..35): Σ f_i(x)², standard x0, published f*",
    params: PARAMS,
};

/// Builds MGH problem `id` (parameter, default 1) with optional `dim` and `m`.
///
/// ```
/// use curvlab::params::Params;
/// use curvlab::problems::build_problem;
/// let p = build_problem("mgh", &Params::from_pairs(&["id=21", "dim=4"]).unwrap(), 0).unwrap();
/// assert_eq!(p.label, "mgh-21-extended-rosenbrock(n=4, m=4)");
/// assert_eq!(p.x0, vec![-1.2, 1.0, -1.2, 1.0]);
/// assert_eq!(p.f_star, Some(0.0));
/// assert!(build_problem("mgh", &Params::from_pairs(&["id=36"]).unwrap(), 0).is_err());
/// ```
pub fn build(p: &Params, _seed: u64) -> Result<ProblemInstance> {
    let id = p.usize("id", 1)?;
    let dim = match p.get("dim") {
        None => None,
        Some(_) => Some(p.usize("dim", 0)?),
    };
    let m = match p.get("m") {
        None => None,
        Some(_) => Some(p.usize("m", 0)?),
    };
    let mgh = Mgh::with_dims(id, dim, m)?;
    Ok(ProblemInstance {
        kind: "mgh".into(),
        label: mgh.label(),
        x0: mgh.x0(),
        f_star: mgh.f_star(),
        x_star: mgh.x_star(),
        eigenvalues: None,
        objective: Box::new(SumOfSquares::new(mgh)),
    })
}

/// What MGH problem `id` allocates, from its parameters (read without marking them): the
/// residuals and their dual-number copies (`16·(n + m)` values) plus the working set of
/// whatever uses it; `Ok(None)` when the parameters are invalid (the builder reports them).
/// Sizes are bounded by the catalogue (`n ≤ 100000`), so this never refuses a valid problem on
/// a machine with a few hundred MB.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["id=21", "dim=1000"]).unwrap();
/// let (n, r) = curvlab::problems::mgh::memory_request(&p).unwrap().unwrap();
/// assert_eq!((n, r.bytes), (1000, Some(8 * (16 * 2000 + 8 * 1000))));
/// ```
pub fn memory_request(p: &Params) -> Result<Option<(u64, crate::memory::Request)>> {
    use crate::memory::{Request, f64s, peek_count, peek_u64, sum, working_set};
    let to_usize = |x: Option<f64>| x.map(|v| v.min(usize::MAX as f64) as usize);
    let id = peek_u64(p, "id", 1)?.min(usize::MAX as u64) as usize;
    let Ok(mgh) = Mgh::with_dims(
        id,
        to_usize(peek_count(p, "dim")?),
        to_usize(peek_count(p, "m")?),
    ) else {
        return Ok(None);
    };
    let (n, m) = (mgh.n() as u64, mgh.m() as u64);
    let bytes = sum(&[f64s(&[16, n.saturating_add(m)]), working_set(n)]);
    Ok(Some((
        n,
        Request::new(
            format!("mgh id = {id} with n = {n}, m = {m}"),
            bytes,
            "use a smaller dim or m",
        )
        .with_key("dim"),
    )))
}
