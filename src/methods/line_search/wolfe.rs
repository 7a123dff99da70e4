//! The strong-Wolfe line search with zoom and safeguarded cubic interpolation (Nocedal & Wright
//! 2006, Algorithms 3.5 and 3.6, eq. 3.59), with the approximate-Wolfe fallback of Hager & Zhang
//! (2005, "A new conjugate gradient method with guaranteed descent and an efficient line
//! search", SIAM J. Optim. 16, eqs. 4.1–4.3).
//!
//! Near a minimizer the decrease `c₁ α ∇fᵀd` that sufficient decrease asks for falls below the
//! rounding error of `f` itself (on a quadratic with `|f| ≈ 3·10⁴` and `‖∇f‖ ≈ 5·10⁻⁵` it is
//! `~10⁻¹³ |f|`), and the exact test rejects every step: L-BFGS then stopped with "no acceptable
//! step" long before the gradient tolerance. A trial that fails the exact test is therefore
//! also accepted when the *approximate* Wolfe conditions hold: `f(x+αd) ≤ f + ε|f|` and
//! `φ'(α) ≤ (2c₁ − 1) φ'(0)`. On a quadratic the second is exactly sufficient decrease
//! (`φ(α) − φ(0) = α(φ'(0) + φ'(α))/2`), and it is computed from gradients, which keep their
//! relative accuracy where values do not.

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
    /// Hager & Zhang's `ε` of the approximate-Wolfe fallback: a trial may raise `f` by at most
    /// `ε|f|` (default 1e-6, their published value; 0 turns the fallback off).
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
}

fn default_epsilon() -> f64 {
    1e-6
}

impl Default for StrongWolfe {
    fn default() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 40,
            alpha_max: 1e10,
            epsilon: default_epsilon(),
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
    /// assert!(StrongWolfe { epsilon: f64::NAN, ..Default::default() }.validate().is_err());
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
        if !(self.epsilon >= 0.0 && self.epsilon.is_finite()) {
            return Err(Error::invalid(
                "epsilon",
                self.epsilon,
                "must be finite and >= 0",
            ));
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
        let mut line = Line {
            obj,
            x,
            d,
            f0,
            s0,
            params: self,
            evals: 0,
            x_out,
            g_out,
        };
        let (lo, hi) = match line.bracket(alpha0)? {
            Bracket::Found(t) => return Ok(line.result(&t)),
            Bracket::Interval(lo, hi) => (lo, hi),
        };
        if let Some(t) = line.zoom(lo, hi)? {
            return Ok(line.result(&t));
        }
        Err(Error::Numerical(format!(
            "strong-Wolfe search found no acceptable step in {} evaluations",
            self.max_evals
        )))
    }
}

/// What the bracketing phase found.
enum Bracket {
    /// A point satisfying both conditions.
    Found(Trial),
    /// An interval `(lo, hi)` containing one: `lo` satisfies sufficient decrease with the lowest
    /// value so far.
    Interval(Trial, Trial),
}

/// The line `φ(α) = f(x + αd)` being searched, with the evaluation count.
struct Line<'a, O: ?Sized> {
    obj: &'a O,
    x: &'a [f64],
    d: &'a [f64],
    f0: f64,
    s0: f64,
    params: &'a StrongWolfe,
    evals: usize,
    x_out: &'a mut [f64],
    g_out: &'a mut [f64],
}

impl<O: Objective + ?Sized> Line<'_, O> {
    /// `φ(α)` and `φ'(α)` (the point and gradient left in the output buffers).
    fn eval(&mut self, alpha: f64) -> Result<Trial> {
        self.evals += 1;
        add_scaled(self.x, alpha, self.d, self.x_out);
        let f = finite_or_inf(self.obj.gradient(self.x_out, self.g_out))?;
        let slope = if f.is_finite() {
            dot(self.g_out, self.d)
        } else {
            f64::NAN
        };
        Ok(Trial { alpha, f, slope })
    }

    /// Sufficient decrease, or Hager & Zhang's approximate Wolfe decrease where the exact test
    /// is below the rounding of `f` (see the module header).
    fn armijo(&self, t: &Trial) -> bool {
        let exact = t.f <= self.f0 + self.params.c1 * t.alpha * self.s0;
        let approximate = self.params.epsilon > 0.0
            && t.f <= self.f0 + self.params.epsilon * self.f0.abs()
            && t.slope <= (2.0 * self.params.c1 - 1.0) * self.s0;
        exact || approximate
    }

    fn curvature(&self, t: &Trial) -> bool {
        t.slope.abs() <= -self.params.c2 * self.s0
    }

    fn result(&self, t: &Trial) -> LineSearchResult {
        LineSearchResult {
            alpha: t.alpha,
            f: t.f,
            evaluations: self.evals,
        }
    }

    /// N&W Algorithm 3.5: double `α` from `alpha0` until a point satisfies both conditions or
    /// an interval containing one is found.
    fn bracket(&mut self, alpha0: f64) -> Result<Bracket> {
        let mut prev = Trial {
            alpha: 0.0,
            f: self.f0,
            slope: self.s0,
        };
        let mut alpha = alpha0.min(self.params.alpha_max);
        let mut first = true;
        loop {
            let t = self.eval(alpha)?;
            if !self.armijo(&t) || (!first && t.f >= prev.f) {
                return Ok(Bracket::Interval(prev, t));
            }
            if self.curvature(&t) {
                return Ok(Bracket::Found(t));
            }
            if t.slope >= 0.0 {
                return Ok(Bracket::Interval(t, prev));
            }
            if self.evals >= self.params.max_evals || alpha >= self.params.alpha_max {
                return Err(Error::Numerical(
                    "strong-Wolfe search: bracketing failed".into(),
                ));
            }
            first = false;
            prev = t;
            alpha = (2.0 * alpha).min(self.params.alpha_max);
        }
    }

    /// N&W Algorithm 3.6 between `lo` (sufficient decrease, lowest value) and `hi`; when the
    /// budget runs out, the best sufficient-decrease point if it lowers `f` (its gradient
    /// re-evaluated into the buffers), else `None`.
    fn zoom(&mut self, mut lo: Trial, mut hi: Trial) -> Result<Option<Trial>> {
        while self.evals < self.params.max_evals {
            let a = interpolate(&lo, &hi);
            let t = self.eval(a)?;
            if !self.armijo(&t) || t.f >= lo.f {
                hi = t;
            } else {
                if self.curvature(&t) {
                    return Ok(Some(t));
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
        if lo.alpha > 0.0 && lo.f < self.f0 {
            let t = self.eval(lo.alpha)?;
            return Ok(Some(t));
        }
        Ok(None)
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
