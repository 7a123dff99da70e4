//! Residuals of the fixed-dimension Moré–Garbow–Hillstrom problems without data tables
//! (Moré, Garbow & Hillstrom 1981, "Testing unconstrained optimization software", ACM TOMS 7(1),
//! problems 1–5, 7, 13 and 14), written once generically over [`Scalar`].
//!
//! Every function writes the residuals `f_i(x)` of `f(x) = Σ f_i(x)²` into `r`; the caller
//! ([`super::Mgh::residuals`]) has checked that `x` and `r` have the problem's `n` and `m`.

use crate::diff::Scalar;

fn c<T: Scalar>(v: f64) -> T {
    T::from(v)
}

/// (1) Rosenbrock: `f1 = 10(x2 − x1²)`, `f2 = 1 − x1`.
pub(super) fn rosenbrock<T: Scalar>(x: &[T], r: &mut [T]) {
    r[0] = (x[1] - x[0] * x[0]) * 10.0;
    r[1] = c::<T>(1.0) - x[0];
}

/// (2) Freudenstein and Roth: `f1 = −13 + x1 + ((5 − x2)x2 − 2)x2`,
/// `f2 = −29 + x1 + ((x2 + 1)x2 − 14)x2`.
pub(super) fn freudenstein_roth<T: Scalar>(x: &[T], r: &mut [T]) {
    let (x1, x2) = (x[0], x[1]);
    r[0] = x1 - 13.0 + ((c::<T>(5.0) - x2) * x2 - 2.0) * x2;
    r[1] = x1 - 29.0 + ((x2 + 1.0) * x2 - 14.0) * x2;
}

/// (3) Powell badly scaled: `f1 = 10⁴ x1 x2 − 1`, `f2 = exp(−x1) + exp(−x2) − 1.0001`.
pub(super) fn powell_badly_scaled<T: Scalar>(x: &[T], r: &mut [T]) {
    r[0] = x[0] * x[1] * 1e4 - 1.0;
    r[1] = (-x[0]).exp() + (-x[1]).exp() - 1.0001;
}

/// (4) Brown badly scaled: `f1 = x1 − 10⁶`, `f2 = x2 − 2·10⁻⁶`, `f3 = x1 x2 − 2`.
pub(super) fn brown_badly_scaled<T: Scalar>(x: &[T], r: &mut [T]) {
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
}

/// (5) Beale: `f_i = y_i − x1(1 − x2^i)`, `y = (1.5, 2.25, 2.625)`.
pub(super) fn beale<T: Scalar>(x: &[T], r: &mut [T]) {
    let y = [1.5, 2.25, 2.625];
    let mut p = x[1];
    for (i, ri) in r.iter_mut().enumerate().take(3) {
        *ri = c::<T>(y[i]) - x[0] * (c::<T>(1.0) - p);
        p *= x[1];
    }
}

/// (7) Helical valley: `f1 = 10[x3 − 10θ(x1, x2)]`, `f2 = 10[(x1² + x2²)^{1/2} − 1]`, `f3 = x3`,
/// with `θ = arctan(x2/x1)/2π` for `x1 > 0` and `arctan(x2/x1)/2π + 1/2` for `x1 < 0`. On the
/// line `x1 = 0`, where the paper leaves `θ` undefined, `θ` is the continuous extension from the
/// side `x1 < 0` (`1/4` for `x2 > 0`, `3/4` for `x2 < 0`), written as
/// `θ = 1/4 − arctan(x1/x2)/2π` (resp. `3/4 − …`) so that its derivatives stay exact.
pub(super) fn helical_valley<T: Scalar>(x: &[T], r: &mut [T]) {
    let (x1, x2, x3) = (x[0], x[1], x[2]);
    let tau = 2.0 * std::f64::consts::PI;
    let theta = if x1.re() > 0.0 {
        (x2 / x1).atan() / tau
    } else if x1.re() < 0.0 {
        (x2 / x1).atan() / tau + 0.5
    } else if x2.re() > 0.0 {
        c::<T>(0.25) - (x1 / x2).atan() / tau
    } else if x2.re() < 0.0 {
        c::<T>(0.75) - (x1 / x2).atan() / tau
    } else {
        c::<T>(0.0)
    };
    r[0] = (x3 - theta * 10.0) * 10.0;
    r[1] = ((x1 * x1 + x2 * x2).sqrt() - 1.0) * 10.0;
    r[2] = x3;
}

/// (13) Powell singular: `f1 = x1 + 10x2`, `f2 = √5(x3 − x4)`, `f3 = (x2 − 2x3)²`,
/// `f4 = √10(x1 − x4)²`.
pub(super) fn powell_singular<T: Scalar>(x: &[T], r: &mut [T]) {
    r[0] = x[0] + x[1] * 10.0;
    r[1] = (x[2] - x[3]) * 5f64.sqrt();
    let a = x[1] - x[2] * 2.0;
    r[2] = a * a;
    let b = x[0] - x[3];
    r[3] = b * b * 10f64.sqrt();
}

/// (14) Wood: `f1 = 10(x2 − x1²)`, `f2 = 1 − x1`, `f3 = √90(x4 − x3²)`, `f4 = 1 − x3`,
/// `f5 = √10(x2 + x4 − 2)`, `f6 = 10^{−1/2}(x2 − x4)`.
pub(super) fn wood<T: Scalar>(x: &[T], r: &mut [T]) {
    r[0] = (x[1] - x[0] * x[0]) * 10.0;
    r[1] = c::<T>(1.0) - x[0];
    r[2] = (x[3] - x[2] * x[2]) * 90f64.sqrt();
    r[3] = c::<T>(1.0) - x[2];
    r[4] = (x[1] + x[3] - 2.0) * 10f64.sqrt();
    r[5] = (x[1] - x[3]) / 10f64.sqrt();
}
