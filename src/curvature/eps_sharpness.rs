//! Keskar et al.'s ε-sharpness (Keskar, Mudigere, Nocedal, Smelyanskiy & Tang, "On large-batch
//! training for deep learning: generalization gap and sharp minima", ICLR 2017, §2.2.1, Metric
//! 2.1, with `A = I`): the largest relative increase of `f` over the box
//! `C_ε = {z : |zᵢ| ≤ ε(|xᵢ| + 1)}` around `x`,
//!
//! `φ_{x,f}(ε) = (max_{z ∈ C_ε} f(x + z) − f(x)) / (1 + f(x)) × 100`.
//!
//! Keskar et al. solve the inner maximization approximately with L-BFGS-B in the box. curvlab
//! uses projected gradient ascent (Bertsekas 1999, *Nonlinear Programming*, §2.3: the Armijo
//! rule along the projection arc), with the step scaled per coordinate by the box half-widths
//! `rᵢ = ε(|xᵢ| + 1)` (a diagonal scaling keeps the projection onto a box exact), from several
//! starts: the box corner `r ⊙ sign ∇f(x)` that maximizes the linearization, then seeded uniform
//! points of the box. The budget is `iters` gradient evaluations per start (plus the Armijo
//! values). Like L-BFGS-B, this finds a local maximizer of a nonconcave problem: the value is a
//! lower bound on the true `φ`. For a convex `f` the maximizer is a vertex of the box, which the
//! tests enumerate in 2-D and 3-D.

use crate::error::{Error, Result, check_finite, check_len};
use crate::objective::Objective;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Settings of [`eps_sharpness`].
///
/// ```
/// let s = curvlab::curvature::eps_sharpness::BoxAscent::default();
/// assert_eq!((s.eps, s.iters, s.starts), (1e-3, 20, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoxAscent {
    /// `ε > 0`: the box half-width relative to `|xᵢ| + 1` (Keskar et al. use 1e-3 and 5e-4).
    pub eps: f64,
    /// Gradient evaluations per start (≥ 1).
    pub iters: usize,
    /// Starts (≥ 1): the linearization's corner, then uniform random points of the box.
    pub starts: usize,
    /// Seed of the random starts.
    pub seed: u64,
}

impl Default for BoxAscent {
    fn default() -> Self {
        BoxAscent {
            eps: 1e-3,
            iters: 20,
            starts: 2,
            seed: 0,
        }
    }
}

impl BoxAscent {
    /// Checks `ε` finite and positive, `iters ≥ 1`, `starts ≥ 1`.
    ///
    /// ```
    /// use curvlab::curvature::eps_sharpness::BoxAscent;
    /// assert!(BoxAscent { eps: 0.0, ..Default::default() }.validate().is_err());
    /// assert!(BoxAscent { starts: 0, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(Error::invalid("eps", self.eps, "must be finite and > 0"));
        }
        if self.iters == 0 {
            return Err(Error::invalid("iters", 0, "must be >= 1"));
        }
        if self.starts == 0 {
            return Err(Error::invalid("starts", 0, "must be >= 1"));
        }
        Ok(())
    }
}

/// The result of [`eps_sharpness`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpsSharpness {
    /// `φ = (f_max − f(x)) / (1 + f(x)) × 100` (percent, as in Keskar et al.'s tables).
    pub value: f64,
    /// `f(x)`.
    pub f0: f64,
    /// The largest `f(x + z)` found in the box.
    pub f_max: f64,
    /// The maximizing perturbation `z` found.
    pub z: Vec<f64>,
    /// Gradient evaluations used.
    pub gradients: usize,
    /// Value evaluations used (Armijo trials and start points).
    pub values: usize,
}

/// The box half-widths `rᵢ = ε(|xᵢ| + 1)`.
fn radii(x: &[f64], eps: f64) -> Vec<f64> {
    x.iter().map(|v| eps * (v.abs() + 1.0)).collect()
}

/// Evaluations made and the point objective, shared by the phases.
struct Ascent<'a, O: ?Sized> {
    obj: &'a O,
    x: &'a [f64],
    r: Vec<f64>,
    xz: Vec<f64>,
    g: Vec<f64>,
    gradients: usize,
    values: usize,
}

impl<O: Objective + ?Sized> Ascent<'_, O> {
    fn value(&mut self, z: &[f64]) -> Result<f64> {
        for ((p, x), z) in self.xz.iter_mut().zip(self.x).zip(z) {
            *p = x + z;
        }
        self.values += 1;
        let f = self.obj.value(&self.xz)?;
        finite("f(x + z)", f)
    }

    fn gradient(&mut self, z: &[f64]) -> Result<f64> {
        for ((p, x), z) in self.xz.iter_mut().zip(self.x).zip(z) {
            *p = x + z;
        }
        self.gradients += 1;
        let f = self.obj.gradient(&self.xz, &mut self.g)?;
        check_finite("gradient at x + z", &self.g, 0)?;
        finite("f(x + z)", f)
    }

    /// `P(z + α r ⊙ g / ‖g‖_∞)`: the scaled step projected onto the box.
    fn trial(&self, z: &[f64], alpha: f64, gmax: f64, out: &mut [f64]) {
        for i in 0..z.len() {
            let r = self.r[i];
            out[i] = (z[i] + alpha * r * self.g[i] / gmax).clamp(-r, r);
        }
    }

    /// Projected gradient ascent from `z` (updated in place); returns `f(x + z)` at the end.
    fn climb(&mut self, z: &mut [f64], iters: usize) -> Result<f64> {
        let n = z.len();
        let mut trial = vec![0.0; n];
        let mut f = self.gradient(z)?;
        let mut alpha = 1.0;
        for it in 0..iters {
            let gmax = self.g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if gmax == 0.0 {
                break;
            }
            let mut accepted = None;
            for _ in 0..40 {
                self.trial(z, alpha, gmax, &mut trial);
                let gain: f64 = (0..n).map(|i| self.g[i] * (trial[i] - z[i])).sum();
                if gain <= 0.0 {
                    break; // the projected step is zero: a KKT point of the box problem
                }
                let ft = self.value(&trial)?;
                if ft >= f + 1e-4 * gain {
                    accepted = Some(ft);
                    break;
                }
                alpha *= 0.5;
            }
            let Some(ft) = accepted else {
                break;
            };
            z.copy_from_slice(&trial);
            alpha = (2.0 * alpha).min(2.0);
            f = if it + 1 < iters {
                self.gradient(z)?
            } else {
                ft
            };
        }
        Ok(f)
    }
}

fn finite(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::NonFinite {
            what: format!("{what} = {v}"),
            iteration: 0,
        })
    }
}

/// Keskar et al.'s ε-sharpness of `obj` at `x` (module docs): projected gradient ascent in the box
/// `|zᵢ| ≤ ε(|xᵢ| + 1)` from `s.starts` starts, `s.iters` gradient evaluations each.
///
/// ```
/// use curvlab::curvature::eps_sharpness::{eps_sharpness, BoxAscent};
/// // f(x) = ½ xᵀ diag(4, 1) x at x = (1, 0): the box is |z₁| ≤ 2ε, |z₂| ≤ ε; the maximizer is the
/// // corner (2ε, ±ε): f = ½(4(1 + 2ε)² + ε²), f(x) = 2.
/// let f = curvlab::objective::from_fns(2, |x: &[f64]| 2.0 * x[0] * x[0] + 0.5 * x[1] * x[1],
///     |x: &[f64], g: &mut [f64]| { g[0] = 4.0 * x[0]; g[1] = x[1]; }).unwrap();
/// let e = 0.01;
/// let s = eps_sharpness(&f, &[1.0, 0.0], &BoxAscent { eps: e, ..Default::default() }).unwrap();
/// let fmax = 0.5 * (4.0 * (1.0 + 2.0 * e).powi(2) + e * e);
/// assert!((s.value - (fmax - 2.0) / 3.0 * 100.0).abs() < 1e-9);
/// ```
pub fn eps_sharpness<O: Objective + ?Sized>(
    obj: &O,
    x: &[f64],
    s: &BoxAscent,
) -> Result<EpsSharpness> {
    s.validate()?;
    let n = obj.dim();
    check_len("x", n, x.len())?;
    check_finite("x", x, 0)?;
    let mut a = Ascent {
        obj,
        x,
        r: radii(x, s.eps),
        xz: vec![0.0; n],
        g: vec![0.0; n],
        gradients: 0,
        values: 0,
    };
    let f0 = a.gradient(&vec![0.0; n])?;
    if !(1.0 + f0 > 0.0) {
        return Err(Error::invalid(
            "f(x)",
            f0,
            "ε-sharpness divides by 1 + f(x), which must be > 0",
        ));
    }
    // Start 0: the corner r ⊙ sign ∇f(x) (ties to +), the maximizer of the linearization.
    let corner: Vec<f64> = (0..n)
        .map(|i| if a.g[i] < 0.0 { -a.r[i] } else { a.r[i] })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let (mut best_f, mut best_z) = (f0, vec![0.0; n]);
    for start in 0..s.starts {
        let mut z = if start == 0 {
            corner.clone()
        } else {
            a.r.iter()
                .map(|&r| r * (2.0 * rng.random::<f64>() - 1.0))
                .collect()
        };
        let f = a.climb(&mut z, s.iters)?;
        if f > best_f {
            (best_f, best_z) = (f, z);
        }
    }
    Ok(EpsSharpness {
        value: (best_f - f0) / (1.0 + f0) * 100.0,
        f0,
        f_max: best_f,
        z: best_z,
        gradients: a.gradients,
        values: a.values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f(x) = ½ xᵀ A x + bᵀx` with A positive semidefinite: the box maximum is at a vertex.
    fn quad(a: Vec<Vec<f64>>, b: Vec<f64>) -> impl Objective {
        let n = b.len();
        let a2 = a.clone();
        let b2 = b.clone();
        crate::objective::from_fns(
            n,
            move |x: &[f64]| {
                let mut f = 0.0;
                for i in 0..n {
                    f += b[i] * x[i];
                    for j in 0..n {
                        f += 0.5 * x[i] * a[i][j] * x[j];
                    }
                }
                f
            },
            move |x: &[f64], g: &mut [f64]| {
                for i in 0..n {
                    g[i] = b2[i] + (0..n).map(|j| a2[i][j] * x[j]).sum::<f64>();
                }
            },
        )
        .unwrap()
    }

    #[test]
    fn finds_the_best_vertex_in_3d() {
        // A = M Mᵀ with a negative correlation between coordinates 1 and 2, so the best vertex is
        // not the sign corner of the gradient. Enumerating the 8 vertices is the reference.
        let a = vec![
            vec![3.0, -2.0, 0.5],
            vec![-2.0, 3.0, 0.2],
            vec![0.5, 0.2, 1.0],
        ];
        let f = quad(a, vec![0.0, 0.0, 0.0]);
        let x = [0.3, -0.2, 0.1];
        let s = BoxAscent {
            eps: 0.5,
            iters: 50,
            starts: 4,
            seed: 3,
        };
        let got = eps_sharpness(&f, &x, &s).unwrap();
        let r = radii(&x, s.eps);
        let f0 = f.value(&x).unwrap();
        let mut best = f64::NEG_INFINITY;
        for m in 0..8 {
            let p: Vec<f64> = (0..3)
                .map(|i| x[i] + if m >> i & 1 == 1 { r[i] } else { -r[i] })
                .collect();
            best = best.max(f.value(&p).unwrap());
        }
        let want = (best - f0) / (1.0 + f0) * 100.0;
        assert!(
            (got.value - want).abs() <= 1e-9 * want.abs(),
            "{} vs {want}",
            got.value
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let f = quad(vec![vec![1.0]], vec![0.0]);
        assert!(eps_sharpness(&f, &[f64::NAN], &BoxAscent::default()).is_err());
        assert!(eps_sharpness(&f, &[0.0, 1.0], &BoxAscent::default()).is_err());
        let bad = BoxAscent {
            eps: -1.0,
            ..Default::default()
        };
        assert!(eps_sharpness(&f, &[0.0], &bad).is_err());
    }
}
