//! The watchdog technique (Chamberlain, Powell, Lemaréchal & Pedersen 1982; Nocedal & Wright
//! 2006, Algorithm 15.2).

use super::{Armijo, finite_or_inf};
use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, dot};
use crate::methods::Iterate;
use crate::objective::Objective;

/// The point a watchdog may return to: `x_k`, `f(x_k)`, `∇f(x_k)`, the step `p_k` and
/// `∇f(x_k)ᵀp_k`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
    d: Vec<f64>,
    slope: f64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
enum WatchdogState {
    /// Try the full step; keep it if it decreases `f` sufficiently, else relax.
    #[default]
    Watch,
    /// One relaxed step was taken from the checkpoint.
    Relaxed(Checkpoint),
    /// The relaxed steps failed: the next iteration returns to the checkpoint.
    Return(Checkpoint),
    /// One more monotone line search, then watch again.
    Monotone,
}

/// The watchdog technique (Chamberlain, Powell, Lemaréchal & Pedersen 1982) in the form of
/// Nocedal & Wright (2006), Algorithm 15.2, with the objective itself as merit function: the full
/// step `p_k` is taken whenever `f(x_k + p_k) ≤ f(x_k) + c₁∇f(x_kᵀ)p_k`; when it is not, it is
/// taken anyway (a relaxed step, `x_k` kept as checkpoint) and the next iteration does an Armijo
/// search from there. The relaxed steps are kept if `f(x_{k+1}) ≤ f(x_k)` or
/// `f(x_{k+2}) ≤ f(x_k) + c₁∇f(x_k)ᵀp_k`; otherwise, if `f(x_{k+2}) > f(x_k)`, the next
/// iteration returns to `x_k` and backtracks along `p_k` (from `α = ρ`, the unit step having
/// failed), else it does one more Armijo search from `x_{k+2}`. A Newton iteration thus keeps
/// the unit steps of pure Newton that overshoot once (on Rosenbrock's function from
/// (−1.2, 1) every unit step is kept), while every third iterate at the latest satisfies a
/// sufficient decrease relative to the last checkpoint.
///
/// The method calls [`Watchdog::pending_return`] first: when it is true the iteration is
/// [`Watchdog::return_step`] (no new direction is needed), else the method computes its
/// direction at the current iterate and calls [`Watchdog::step`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Watchdog {
    state: WatchdogState,
}

impl Watchdog {
    /// A watchdog in its initial state.
    ///
    /// ```
    /// assert!(!curvlab::methods::line_search::Watchdog::new().pending_return());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Back to the initial state (at the start of a run).
    pub fn reset(&mut self) {
        self.state = WatchdogState::Watch;
    }

    /// Whether the next iteration returns to the checkpoint.
    pub fn pending_return(&self) -> bool {
        matches!(self.state, WatchdogState::Return(_))
    }

    /// One iteration along the direction `d` (a descent direction at `it`); moves `it` (`x`,
    /// `f`, `g`) and returns the step `α` along `d`. `armijo` is the backtracking search used
    /// (its `c₁` is also the watchdog's sufficient-decrease constant).
    ///
    /// ```
    /// use curvlab::methods::line_search::{Armijo, Watchdog};
    /// use curvlab::methods::Iterate;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::Objective;
    /// let f = Rosenbrock::new(2).unwrap();
    /// // At (−1.1753, 1.3807) the pure Newton step lands near (0.763, −3.175), f ≈ 1.4e3:
    /// // the watchdog keeps it as a relaxed step.
    /// let mut it = Iterate::new(&f, vec![-1.1753, 1.3807]).unwrap();
    /// let h = f.hessian(&it.x).unwrap();
    /// let det = h[(0, 0)] * h[(1, 1)] - h[(0, 1)] * h[(1, 0)];
    /// let d = [
    ///     -(h[(1, 1)] * it.g[0] - h[(0, 1)] * it.g[1]) / det,
    ///     -(h[(0, 0)] * it.g[1] - h[(1, 0)] * it.g[0]) / det,
    /// ];
    /// let f0 = it.f;
    /// let mut w = Watchdog::new();
    /// let alpha = w.step(&Armijo::default(), &f, &mut it, &d).unwrap();
    /// assert_eq!(alpha, 1.0);
    /// assert!(it.f > 100.0 * f0 && !w.pending_return());
    /// ```
    pub fn step<O: Objective + ?Sized>(
        &mut self,
        armijo: &Armijo,
        obj: &O,
        it: &mut Iterate,
        d: &[f64],
    ) -> Result<f64> {
        let n = it.x.len();
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let slope = dot(&it.g, d);
        if !(slope < 0.0) {
            return Err(Error::Numerical(format!(
                "watchdog: not a descent direction (gᵀd = {slope:e})"
            )));
        }
        let alpha = match std::mem::take(&mut self.state) {
            WatchdogState::Watch => {
                add_scaled(&it.x, 1.0, d, &mut x_new);
                let f_full = finite_or_inf(obj.value(&x_new))?;
                if f_full <= it.f + armijo.c1 * slope {
                    1.0
                } else if f_full.is_finite() {
                    // Relaxed step: keep x_k as the checkpoint.
                    self.state = WatchdogState::Relaxed(Checkpoint {
                        x: it.x.clone(),
                        f: it.f,
                        g: it.g.clone(),
                        d: d.to_vec(),
                        slope,
                    });
                    1.0
                } else {
                    // An overflow is never kept: backtrack from α = ρ.
                    let r = armijo.search(obj, &it.x, it.f, &it.g, d, armijo.shrink, &mut x_new)?;
                    r.alpha
                }
            }
            WatchdogState::Relaxed(cp) => {
                let f_relaxed = it.f;
                match armijo.search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new) {
                    Ok(r) => {
                        let f2 = r.f;
                        if !(f_relaxed <= cp.f || f2 <= cp.f + armijo.c1 * cp.slope) {
                            self.state = if f2 > cp.f {
                                WatchdogState::Return(cp)
                            } else {
                                WatchdogState::Monotone
                            };
                        }
                        r.alpha
                    }
                    Err(Error::Numerical(_)) => {
                        self.state = WatchdogState::Return(cp);
                        return self.return_step(armijo, obj, it);
                    }
                    Err(e) => return Err(e),
                }
            }
            WatchdogState::Return(cp) => {
                self.state = WatchdogState::Return(cp);
                return self.return_step(armijo, obj, it);
            }
            WatchdogState::Monotone => {
                armijo
                    .search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new)?
                    .alpha
            }
        };
        it.f = obj.gradient(&x_new, &mut g_new)?;
        it.x = x_new;
        it.g = g_new;
        Ok(alpha)
    }

    /// The return to the checkpoint `x_k`: Armijo backtracking along `p_k` from `α = ρ`; moves
    /// `it` there and returns `α`. An error if no return is pending.
    ///
    /// ```
    /// use curvlab::methods::line_search::{Armijo, Watchdog};
    /// use curvlab::methods::Iterate;
    /// use curvlab::problems::Rosenbrock;
    /// let f = Rosenbrock::new(2).unwrap();
    /// let mut it = Iterate::new(&f, vec![-1.2, 1.0]).unwrap();
    /// assert!(Watchdog::new().return_step(&Armijo::default(), &f, &mut it).is_err());
    /// ```
    pub fn return_step<O: Objective + ?Sized>(
        &mut self,
        armijo: &Armijo,
        obj: &O,
        it: &mut Iterate,
    ) -> Result<f64> {
        let cp = match std::mem::take(&mut self.state) {
            WatchdogState::Return(cp) => cp,
            other => {
                self.state = other;
                return Err(Error::Numerical("watchdog: no return pending".into()));
            }
        };
        let n = cp.x.len();
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let r = armijo.search(obj, &cp.x, cp.f, &cp.g, &cp.d, armijo.shrink, &mut x_new)?;
        it.f = obj.gradient(&x_new, &mut g_new)?;
        it.x = x_new;
        it.g = g_new;
        Ok(r.alpha)
    }
}
