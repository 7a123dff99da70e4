//! The seed article's pathological-curvature ravine: a 2-D valley that is steep across (`w1`)
//! and shallow along its floor (`w2`),
//! `f(w) = ½ (a u₁² + b u₂²)`, `u = R(θ) w`, with curvatures `a = steep`, `b = shallow`
//! (condition number `κ = a/b`) and an optional rotation by `θ = angle` degrees (0 keeps the
//! ravine aligned with the axes, as in the seed's figure; a rotation takes away the axis
//! alignment that diagonal methods such as RMSProp and Adam exploit).
//! Minimizer `w* = 0`, `f* = 0`; standard start `(1, 8)` (high on a wall, far along the floor).

use crate::diff::{DualGradient, Scalar};
use crate::error::{Error, Result};

/// The 2-D ravine.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::Ravine;
/// let r = Ravine::new(100.0, 1.0, 0.0).unwrap();
/// assert_eq!(r.value(&[1.0, 1.0]).unwrap(), 50.5);
/// let h = r.hessian(&[0.3, -0.2]).unwrap();
/// assert_eq!((h[(0, 0)], h[(1, 1)], h[(0, 1)]), (100.0, 1.0, 0.0));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Ravine {
    steep: f64,
    shallow: f64,
    cos: f64,
    sin: f64,
}

impl Ravine {
    /// A ravine with curvature `steep` across and `shallow` along, rotated by `angle_deg`.
    pub fn new(steep: f64, shallow: f64, angle_deg: f64) -> Result<Self> {
        if !(shallow > 0.0 && shallow.is_finite()) {
            return Err(Error::invalid("shallow", shallow, "must be > 0"));
        }
        if !(steep >= shallow && steep.is_finite()) {
            return Err(Error::invalid(
                "steep",
                steep,
                "must be finite and >= shallow",
            ));
        }
        if !angle_deg.is_finite() {
            return Err(Error::invalid("angle", angle_deg, "must be finite"));
        }
        let t = angle_deg.to_radians();
        Ok(Ravine {
            steep,
            shallow,
            cos: t.cos(),
            sin: t.sin(),
        })
    }

    /// The seed's ravine: κ = 100, aligned with the axes.
    pub fn seed() -> Self {
        Ravine {
            steep: 100.0,
            shallow: 1.0,
            cos: 1.0,
            sin: 0.0,
        }
    }

    /// The standard start `(1, 8)`.
    pub fn standard_start(&self) -> Vec<f64> {
        vec![1.0, 8.0]
    }

    /// The Hessian's eigenvalues `(shallow, steep)`, ascending.
    pub fn eigenvalues(&self) -> [f64; 2] {
        [self.shallow, self.steep]
    }
}

impl DualGradient for Ravine {
    fn dim(&self) -> usize {
        2
    }
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        let u1 = x[0] * self.cos + x[1] * self.sin;
        let u2 = x[1] * self.cos - x[0] * self.sin;
        let (d1, d2) = (u1 * self.steep, u2 * self.shallow);
        g[0] = d1 * self.cos - d2 * self.sin;
        g[1] = d1 * self.sin + d2 * self.cos;
        (d1 * u1 + d2 * u2) * 0.5
    }
}

crate::dual_objective!(Ravine);
