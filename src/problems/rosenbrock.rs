//! The Rosenbrock function (Rosenbrock 1960), in its chained n-dimensional form
//! `f(x) = Σ_{i=1}^{n−1} [100 (x_{i+1} − x_i²)² + (1 − x_i)²]` (as in scipy's `rosen`), whose
//! 2-D case is the classic banana valley. Minimizer `x* = (1, …, 1)`, `f* = 0`; standard start
//! `(−1.2, 1, −1.2, 1, …)`. (The Moré–Garbow–Hillstrom "extended" Rosenbrock, which pairs the
//! variables, is problem 21 in [`crate::problems::mgh`].)

use crate::diff::{DualGradient, Scalar};
use crate::error::{Error, Result};

/// Chained Rosenbrock in `n ≥ 2` variables.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// assert_eq!(f.value(&[-1.2, 1.0]).unwrap(), 24.199999999999996);
/// assert!(Rosenbrock::new(1).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Rosenbrock {
    n: usize,
}

impl Rosenbrock {
    /// Rosenbrock in `n ≥ 2` variables.
    pub fn new(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::invalid("dim", n, "Rosenbrock needs dim >= 2"));
        }
        Ok(Rosenbrock { n })
    }

    /// The standard start `(−1.2, 1, −1.2, 1, …)`.
    pub fn standard_start(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect()
    }
}

impl DualGradient for Rosenbrock {
    fn dim(&self) -> usize {
        self.n
    }
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        let mut f = T::from(0.0);
        g.iter_mut().for_each(|gi| *gi = T::from(0.0));
        for i in 0..self.n - 1 {
            let a = x[i + 1] - x[i] * x[i];
            let b = T::from(1.0) - x[i];
            f += a * a * 100.0 + b * b;
            g[i] += x[i] * a * (-400.0) - b * 2.0;
            g[i + 1] += a * 200.0;
        }
        f
    }
    fn value(&self, x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }
}

crate::dual_objective!(Rosenbrock);

/// What the chained Rosenbrock function in `n` variables allocates: `x₀` and `x*`, plus the
/// working set of whatever uses it ([`crate::memory::working_set`]).
///
/// ```
/// let r = curvlab::problems::rosenbrock::memory_request(1_000_000_000);
/// assert_eq!(r.bytes, Some(10 * 8 * 1_000_000_000));
/// assert!(r.what.starts_with("rosenbrock dim = 1000000000"));
/// ```
pub fn memory_request(n: u64) -> crate::memory::Request {
    use crate::memory::{Request, f64s, sum, working_set};
    Request::new(
        format!("rosenbrock dim = {n}"),
        sum(&[f64s(&[2, n]), working_set(n)]),
        "use a smaller dim",
    )
    .with_key("dim")
}
