//! Finite-difference fallbacks: the HVP as a central difference of gradients,
//! `∇²f(x)v ≈ (∇f(x + hv) − ∇f(x − hv)) / 2h` (Nocedal & Wright 2006, §8.1), with
//! `h = ∛ε · (1 + ‖x‖)/‖v‖`. Accurate to about 1e-8 relative, not to rounding: use it only for
//! objectives that give gradients and nothing else, and say so in results.

use crate::error::{Result, check_len};
use crate::objective::Objective;

/// Wraps a gradient-only objective (its own `hvp` is never called) and gives it central
/// finite-difference HVPs.
///
/// ```
/// use curvlab::diff::FiniteDifferenceHvp;
/// use curvlab::Objective;
/// use curvlab::problems::Rosenbrock;
/// let f = FiniteDifferenceHvp::new(Rosenbrock::new(2).unwrap());
/// let mut hv = [0.0; 2];
/// f.hvp(&[1.0, 1.0], &[1.0, 0.0], &mut hv).unwrap();
/// assert!((hv[0] - 802.0).abs() < 1e-4 && (hv[1] + 400.0).abs() < 1e-4);
/// ```
pub struct FiniteDifferenceHvp<O> {
    inner: O,
}

impl<O: Objective> FiniteDifferenceHvp<O> {
    /// Wraps `inner`.
    pub fn new(inner: O) -> Self {
        FiniteDifferenceHvp { inner }
    }
}

/// The central-difference HVP of any objective's gradient.
///
/// ```
/// use curvlab::diff::fd::central_hvp;
/// use curvlab::problems::Rosenbrock;
/// let mut hv = [0.0; 2];
/// central_hvp(&Rosenbrock::new(2).unwrap(), &[1.0, 1.0], &[0.0, 1.0], &mut hv).unwrap();
/// assert!((hv[1] - 200.0).abs() < 1e-5);
/// ```
pub fn central_hvp<O: Objective + ?Sized>(
    obj: &O,
    x: &[f64],
    v: &[f64],
    out: &mut [f64],
) -> Result<()> {
    let n = obj.dim();
    check_len("x", n, x.len())?;
    check_len("v", n, v.len())?;
    check_len("hvp buffer", n, out.len())?;
    let vn = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    if vn == 0.0 {
        out.fill(0.0);
        return Ok(());
    }
    let xn = x.iter().map(|a| a * a).sum::<f64>().sqrt();
    let h = f64::EPSILON.cbrt() * (1.0 + xn) / vn;
    let xp: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + h * b).collect();
    let xm: Vec<f64> = x.iter().zip(v).map(|(a, b)| a - h * b).collect();
    let mut gp = vec![0.0; n];
    obj.gradient(&xp, &mut gp)?;
    obj.gradient(&xm, out)?;
    for (o, p) in out.iter_mut().zip(&gp) {
        *o = (p - *o) / (2.0 * h);
    }
    Ok(())
}

impl<O: Objective> Objective for FiniteDifferenceHvp<O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        self.inner.value(x)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        self.inner.gradient(x, g)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        central_hvp(&self.inner, x, v, out)
    }
    fn hvp_note(&self) -> Option<String> {
        Some(crate::objective::FINITE_DIFFERENCE_NOTE.to_string())
    }
}
