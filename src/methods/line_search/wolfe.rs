//! The strong-Wolfe line search with zoom and safeguarded cubic interpolation (Nocedal & Wright
//! 2006, Algorithms 3.5 and 3.6, eq. 3.59).

use super::{LineSearchResult, finite_or_inf};
use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, dot};
use crate::objective::Objective;

/// Strong-Wolfe parameters: `f(x+αd) ≤ f + c₁α∇fᵀd` and `|∇f(x+αd)ᵀd| ≤ c₂|∇fᵀd|`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StrongWolfe {
    /// Sufficient decrease `c₁` (default 1e-4).
    pub c1: f64,
    /// Curvature condition `c₂ ∈ (c₁, 1)` (default 0.9, the quasi-Newton choice; 0.1 for CG).
    pub c2: f64,
    /// Maximum gradient evaluations (default 40).
    pub max_evals: usize,
    /// Largest step tried (default 1e10).
    pub alpha_max: f64,
}

impl Default for StrongWolfe {
    fn default() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 40,
            alpha_max: 1e10,
        }
    }
}

struct Trial {
    alpha: f64,
    f: f64,
    slope: f64,
}

impl StrongWolfe {
    /// Checks `0 < c₁ < c₂ < 1` and the budget.
    ///
    /// ```
    /// use curvlab::methods::line_search::StrongWolfe;
    /// assert!(StrongWolfe::default().validate().is_ok());
    /// assert!(StrongWolfe { c2: 1e-5, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.c1 > 0.0 && self.c1 < self.c2 && self.c2 < 1.0) {
            return Err(Error::invalid(
                "c1, c2",
                format!("{}, {}", self.c1, self.c2),
                "need 0 < c1 < c2 < 1",
            ));
        }
        if self.max_evals == 0 {
            return Err(Error::invalid("max_evals", 0, "must be >= 1"));
        }
        Ok(())
    }

    /// Searches along `d` from `x` (value `f0`, gradient `g0`) starting with `alpha0`; writes
    /// the accepted point into `x_out` and its gradient into `g_out`.
    ///
    /// ```
    /// use curvlab::methods::line_search::StrongWolfe;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::Objective;
    /// let f = Rosenbrock::new(2).unwrap();
    /// let x = [-1.2, 1.0];
    /// let mut g = [0.0; 2];
    /// let f0 = f.gradient(&x, &mut g).unwrap();
    /// let d = [-g[0], -g[1]];
    /// let (mut xo, mut go) = ([0.0; 2], [0.0; 2]);
    /// let ls = StrongWolfe::default();
    /// let r = ls.search(&f, &x, f0, &g, &d, 1e-3, &mut xo, &mut go).unwrap();
    /// let s0 = g[0] * d[0] + g[1] * d[1];
    /// assert!(r.f <= f0 + 1e-4 * r.alpha * s0);
    /// assert!((go[0] * d[0] + go[1] * d[1]).abs() <= 0.9 * s0.abs());
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn search<O: Objective + ?Sized>(
        &self,
        obj: &O,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        alpha0: f64,
        x_out: &mut [f64],
        g_out: &mut [f64],
    ) -> Result<LineSearchResult> {
        let s0 = dot(g0, d);
        if !(s0 < 0.0) {
            return Err(Error::Numerical(format!(
                "line search: not a descent direction (gᵀd = {s0:e})"
            )));
        }
        let evals = std::cell::Cell::new(0usize);
        let eval = |alpha: f64, x_out: &mut [f64], g_out: &mut [f64]| -> Result<Trial> {
            evals.set(evals.get() + 1);
            add_scaled(x, alpha, d, x_out);
            let f = finite_or_inf(obj.gradient(x_out, g_out))?;
            let slope = if f.is_finite() {
                dot(g_out, d)
            } else {
                f64::NAN
            };
            Ok(Trial { alpha, f, slope })
        };
        let armijo = |t: &Trial| t.f <= f0 + self.c1 * t.alpha * s0;
        let curvature = |t: &Trial| t.slope.abs() <= -self.c2 * s0;

        let mut prev = Trial {
            alpha: 0.0,
            f: f0,
            slope: s0,
        };
        let mut alpha = alpha0.min(self.alpha_max);
        let mut first = true;
        let (mut lo, mut hi);
        loop {
            let t = eval(alpha, x_out, g_out)?;
            if !armijo(&t) || (!first && t.f >= prev.f) {
                lo = prev;
                hi = t;
                break;
            }
            if curvature(&t) {
                return Ok(LineSearchResult {
                    alpha: t.alpha,
                    f: t.f,
                    evaluations: evals.get(),
                });
            }
            if t.slope >= 0.0 {
                lo = t;
                hi = prev;
                break;
            }
            if evals.get() >= self.max_evals || alpha >= self.alpha_max {
                return Err(Error::Numerical(
                    "strong-Wolfe search: bracketing failed".into(),
                ));
            }
            first = false;
            prev = t;
            alpha = (2.0 * alpha).min(self.alpha_max);
        }
        // Zoom (Algorithm 3.6) between lo (satisfies Armijo, lowest f) and hi.
        while evals.get() < self.max_evals {
            let a = interpolate(&lo, &hi);
            let t = eval(a, x_out, g_out)?;
            if !armijo(&t) || t.f >= lo.f {
                hi = t;
            } else {
                if curvature(&t) {
                    return Ok(LineSearchResult {
                        alpha: t.alpha,
                        f: t.f,
                        evaluations: evals.get(),
                    });
                }
                if t.slope * (hi.alpha - lo.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = t;
            }
            if (hi.alpha - lo.alpha).abs() <= 1e-16 * lo.alpha.abs().max(1e-300) {
                break;
            }
        }
        // Budget exhausted: fall back to the best Armijo point if it decreases f.
        if lo.alpha > 0.0 && lo.f < f0 {
            add_scaled(x, lo.alpha, d, x_out);
            let f = obj.gradient(x_out, g_out)?;
            return Ok(LineSearchResult {
                alpha: lo.alpha,
                f,
                evaluations: evals.get() + 1,
            });
        }
        Err(Error::Numerical(format!(
            "strong-Wolfe search found no acceptable step in {} evaluations",
            self.max_evals
        )))
    }
}

/// The minimizer of the cubic through `(lo, hi)` with their slopes (N&W eq. 3.59), kept inside
/// the middle 80 % of the interval; bisection when the cubic has no usable minimizer.
fn interpolate(lo: &Trial, hi: &Trial) -> f64 {
    let (a, b) = (lo.alpha, hi.alpha);
    let (left, right) = (a.min(b), a.max(b));
    let width = right - left;
    let mid = 0.5 * (a + b);
    if !(hi.f.is_finite() && hi.slope.is_finite()) {
        return mid;
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.f - hi.f) / (a - b);
    let disc = d1 * d1 - lo.slope * hi.slope;
    if disc < 0.0 {
        return mid;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let denom = hi.slope - lo.slope + 2.0 * d2;
    if denom == 0.0 {
        return mid;
    }
    let c = b - (b - a) * (hi.slope + d2 - d1) / denom;
    if c.is_finite() && c > left + 0.1 * width && c < right - 0.1 * width {
        c
    } else {
        mid
    }
}
