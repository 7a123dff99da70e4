//! Residuals of the Moré–Garbow–Hillstrom data-fitting problems (Moré, Garbow & Hillstrom 1981,
//! "Testing unconstrained optimization software", ACM TOMS 7(1), problems 6, 8–12 and 15–20):
//! exponential, rational and polynomial models fitted to the data tables printed in the paper,
//! written once generically over [`Scalar`].
//!
//! Every function writes the residuals `f_i(x)` of `f(x) = Σ f_i(x)²` into `r`; the number of
//! residuals `m = r.len()` and of variables `n = x.len()` have been checked by the caller
//! ([`super::Mgh::residuals`]). Indices in the formulas are 1-based as in the paper.

use crate::diff::Scalar;

fn c<T: Scalar>(v: f64) -> T {
    T::from(v)
}

/// (6) Jennrich and Sampson: `f_i = 2 + 2i − (exp(i x1) + exp(i x2))`, `i = 1..m`.
pub(super) fn jennrich_sampson<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let i = (k + 1) as f64;
        *ri = c::<T>(2.0 + 2.0 * i) - (x[0] * i).exp() - (x[1] * i).exp();
    }
}

/// Bard's data `y_i`, `i = 1..15` (problem 8).
pub(super) const BARD_Y: [f64; 15] = [
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39,
];

/// (8) Bard: `f_i = y_i − (x1 + u_i/(v_i x2 + w_i x3))`, `u_i = i`, `v_i = 16 − i`,
/// `w_i = min(u_i, v_i)`.
pub(super) fn bard<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let u = (k + 1) as f64;
        let v = 16.0 - u;
        let w = u.min(v);
        *ri = c::<T>(BARD_Y[k]) - x[0] - (x[1] * v + x[2] * w).recip() * u;
    }
}

/// Gaussian data `y_i`, `i = 1..15` (problem 9; symmetric about `i = 8`).
pub(super) const GAUSSIAN_Y: [f64; 15] = [
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540,
    0.0175, 0.0044, 0.0009,
];

/// (9) Gaussian: `f_i = x1 exp(−x2 (t_i − x3)²/2) − y_i`, `t_i = (8 − i)/2`.
pub(super) fn gaussian<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = (8.0 - (k + 1) as f64) / 2.0;
        let d = c::<T>(t) - x[2];
        *ri = x[0] * (-(x[1] * d * d) * 0.5).exp() - GAUSSIAN_Y[k];
    }
}

/// Meyer's data `y_i`, `i = 1..16` (problem 10).
pub(super) const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];

/// (10) Meyer: `f_i = x1 exp(x2/(t_i + x3)) − y_i`, `t_i = 45 + 5i`.
pub(super) fn meyer<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 45.0 + 5.0 * (k + 1) as f64;
        *ri = x[0] * (x[1] / (x[2] + t)).exp() - MEYER_Y[k];
    }
}

/// (11) Gulf research and development: `f_i = exp(−|y_i − x2|^{x3}/x1) − t_i`, `t_i = i/100`,
/// `y_i = 25 + (−50 ln t_i)^{2/3}`. `|d|^{x3}` is evaluated as `exp(x3 ln|d|)`, and as `0` when
/// `d = 0` exactly (the limit for `x3 > 0`; only `i = 100` at `x2 = 25` reaches it).
pub(super) fn gulf<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = (k + 1) as f64 / 100.0;
        let y = 25.0 + (-50.0 * t.ln()).powf(2.0 / 3.0);
        let d = c::<T>(y) - x[1];
        let ad = if d.re() < 0.0 { -d } else { d };
        let p = if ad.re() == 0.0 {
            c::<T>(0.0)
        } else {
            (x[2] * ad.ln()).exp()
        };
        *ri = (-(p / x[0])).exp() - t;
    }
}

/// (12) Box three-dimensional: `f_i = exp(−t_i x1) − exp(−t_i x2) − x3(exp(−t_i) − exp(−10 t_i))`,
/// `t_i = 0.1 i`.
pub(super) fn box_3d<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (k + 1) as f64;
        *ri = (x[0] * (-t)).exp() - (x[1] * (-t)).exp() - x[2] * ((-t).exp() - (-10.0 * t).exp());
    }
}

/// Kowalik and Osborne's data `y_i` (problem 15).
pub(super) const KOWALIK_OSBORNE_Y: [f64; 11] = [
    0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246,
];
/// Kowalik and Osborne's data `u_i` (problem 15), as printed (3 significant digits).
pub(super) const KOWALIK_OSBORNE_U: [f64; 11] = [
    4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625,
];

/// (15) Kowalik and Osborne: `f_i = y_i − x1(u_i² + u_i x2)/(u_i² + u_i x3 + x4)`.
pub(super) fn kowalik_osborne<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let u = KOWALIK_OSBORNE_U[k];
        let num = x[0] * (x[1] * u + u * u);
        let den = x[2] * u + x[3] + u * u;
        *ri = c::<T>(KOWALIK_OSBORNE_Y[k]) - num / den;
    }
}

/// (16) Brown and Dennis: `f_i = (x1 + t_i x2 − exp(t_i))² + (x3 + x4 sin(t_i) − cos(t_i))²`,
/// `t_i = i/5`.
pub(super) fn brown_dennis<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = (k + 1) as f64 / 5.0;
        let a = x[0] + x[1] * t - t.exp();
        let b = x[2] + x[3] * t.sin() - t.cos();
        *ri = a * a + b * b;
    }
}

/// Osborne 1 data `y_i`, `i = 1..33` (problem 17).
pub(super) const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685,
    0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448,
    0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
];

/// (17) Osborne 1: `f_i = y_i − (x1 + x2 exp(−t_i x4) + x3 exp(−t_i x5))`, `t_i = 10(i − 1)`.
pub(super) fn osborne1<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 10.0 * k as f64;
        *ri =
            c::<T>(OSBORNE1_Y[k]) - x[0] - x[1] * (x[3] * (-t)).exp() - x[2] * (x[4] * (-t)).exp();
    }
}

/// (18) Biggs EXP6: `f_i = x3 exp(−t_i x1) − x4 exp(−t_i x2) + x6 exp(−t_i x5) − y_i`,
/// `t_i = 0.1 i`, `y_i = exp(−t_i) − 5 exp(−10 t_i) + 3 exp(−4 t_i)`.
pub(super) fn biggs_exp6<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (k + 1) as f64;
        let y = (-t).exp() - 5.0 * (-10.0 * t).exp() + 3.0 * (-4.0 * t).exp();
        *ri = x[2] * (x[0] * (-t)).exp() - x[3] * (x[1] * (-t)).exp() + x[5] * (x[4] * (-t)).exp()
            - y;
    }
}

/// Osborne 2 data `y_i`, `i = 1..65` (problem 19).
pub(super) const OSBORNE2_Y: [f64; 65] = [
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
    0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
    0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
    0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
    0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];

/// (19) Osborne 2: `f_i = y_i − (x1 e^{−t_i x5} + x2 e^{−(t_i − x9)² x6} + x3 e^{−(t_i − x10)² x7}
/// + x4 e^{−(t_i − x11)² x8})`, `t_i = (i − 1)/10`.
pub(super) fn osborne2<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = k as f64 / 10.0;
        let bump = |amp: T, width: T, centre: T| {
            let d = c::<T>(t) - centre;
            amp * (-(d * d * width)).exp()
        };
        *ri = c::<T>(OSBORNE2_Y[k])
            - x[0] * (x[4] * (-t)).exp()
            - bump(x[1], x[5], x[8])
            - bump(x[2], x[6], x[9])
            - bump(x[3], x[7], x[10]);
    }
}

/// (20) Watson, `2 ≤ n ≤ 31`, `m = 31`: for `i = 1..29`, `t_i = i/29`,
/// `f_i = Σ_{j=2}^n (j − 1) x_j t_i^{j−2} − (Σ_{j=1}^n x_j t_i^{j−1})² − 1`; `f30 = x1`,
/// `f31 = x2 − x1² − 1`.
pub(super) fn watson<T: Scalar>(x: &[T], r: &mut [T]) {
    for (k, ri) in r.iter_mut().enumerate().take(29) {
        let t = (k + 1) as f64 / 29.0;
        // s1 = Σ_{j≥2} (j−1) x_j t^{j−2},  s2 = Σ_{j≥1} x_j t^{j−1}  (j 1-based).
        let mut s1 = c::<T>(0.0);
        let mut s2 = c::<T>(0.0);
        let (mut p_prev, mut p) = (0.0, 1.0); // t^{j−2}, t^{j−1} for the current j
        for (j0, &xj) in x.iter().enumerate() {
            if j0 >= 1 {
                s1 += xj * (j0 as f64 * p_prev);
            }
            s2 += xj * p;
            p_prev = p;
            p *= t;
        }
        *ri = s1 - s2 * s2 - 1.0;
    }
    r[29] = x[0];
    r[30] = x[1] - x[0] * x[0] - 1.0;
}
