//! Residuals of the variable-dimension Moré–Garbow–Hillstrom problems (Moré, Garbow & Hillstrom
//! 1981, "Testing unconstrained optimization software", ACM TOMS 7(1), problems 21–35), written
//! once generically over [`Scalar`].
//!
//! Every function writes the residuals `f_i(x)` of `f(x) = Σ f_i(x)²` into `r`; `n = x.len()` and
//! `m = r.len()` satisfy the problem's constraints (checked by [`super::Mgh::new`] and
//! [`super::Mgh::residuals`]). Indices in the formulas are 1-based as in the paper.

use crate::diff::Scalar;

fn c<T: Scalar>(v: f64) -> T {
    T::from(v)
}

fn sum<T: Scalar>(x: &[T]) -> T {
    x.iter().fold(c::<T>(0.0), |s, &v| s + v)
}

/// (21) Extended Rosenbrock, `n` even: `f_{2i−1} = 10(x_{2i} − x_{2i−1}²)`,
/// `f_{2i} = 1 − x_{2i−1}`.
pub(super) fn extended_rosenbrock<T: Scalar>(x: &[T], r: &mut [T]) {
    for (xp, rp) in x.chunks_exact(2).zip(r.chunks_exact_mut(2)) {
        rp[0] = (xp[1] - xp[0] * xp[0]) * 10.0;
        rp[1] = c::<T>(1.0) - xp[0];
    }
}

/// (22) Extended Powell singular, `n` a multiple of 4: problem 13 on each block of four.
pub(super) fn extended_powell<T: Scalar>(x: &[T], r: &mut [T]) {
    for (xb, rb) in x.chunks_exact(4).zip(r.chunks_exact_mut(4)) {
        super::classic::powell_singular(xb, rb);
    }
}

/// (23) Penalty I, `m = n + 1`: `f_i = a^{1/2}(x_i − 1)`, `f_{n+1} = Σ x_j² − 1/4`,
/// `a = 10⁻⁵`.
pub(super) fn penalty1<T: Scalar>(x: &[T], r: &mut [T]) {
    let sa = 1e-5f64.sqrt();
    let mut ss = c::<T>(0.0);
    for (ri, &xi) in r.iter_mut().zip(x) {
        *ri = (xi - 1.0) * sa;
        ss += xi * xi;
    }
    if let Some(last) = r.last_mut() {
        *last = ss - 0.25;
    }
}

/// (24) Penalty II, `m = 2n`: `f1 = x1 − 0.2`;
/// `f_i = a^{1/2}(exp(x_i/10) + exp(x_{i−1}/10) − y_i)` for `2 ≤ i ≤ n`;
/// `f_i = a^{1/2}(exp(x_{i−n+1}/10) − exp(−1/10))` for `n < i < 2n`;
/// `f_{2n} = Σ (n − j + 1) x_j² − 1`; `a = 10⁻⁵`, `y_i = exp(i/10) + exp((i − 1)/10)`.
pub(super) fn penalty2<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let sa = 1e-5f64.sqrt();
    let e: Vec<T> = x.iter().map(|&v| (v / 10.0).exp()).collect();
    r[0] = x[0] - 0.2;
    for i in 1..n {
        // 1-based index i+1
        let y = ((i + 1) as f64 / 10.0).exp() + (i as f64 / 10.0).exp();
        r[i] = (e[i] + e[i - 1] - y) * sa;
        // 1-based index n + i (n < n+i < 2n) uses x_{i+1}
        r[n + i - 1] = (e[i] - (-0.1f64).exp()) * sa;
    }
    let mut s = c::<T>(0.0);
    for (j, &xj) in x.iter().enumerate() {
        s += xj * xj * (n - j) as f64;
    }
    r[2 * n - 1] = s - 1.0;
}

/// (25) Variably dimensioned, `m = n + 2`: `f_i = x_i − 1`, `f_{n+1} = Σ j(x_j − 1)`,
/// `f_{n+2} = (Σ j(x_j − 1))²`.
pub(super) fn variably_dimensioned<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let mut s = c::<T>(0.0);
    for (j, &xj) in x.iter().enumerate() {
        r[j] = xj - 1.0;
        s += (xj - 1.0) * (j + 1) as f64;
    }
    r[n] = s;
    r[n + 1] = s * s;
}

/// (26) Trigonometric, `m = n`: `f_i = n − Σ cos x_j + i(1 − cos x_i) − sin x_i`.
pub(super) fn trigonometric<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len() as f64;
    let cs: Vec<T> = x.iter().map(|v| v.cos()).collect();
    let s = sum(&cs);
    for (i, ri) in r.iter_mut().enumerate() {
        *ri = c::<T>(n) - s + (c::<T>(1.0) - cs[i]) * (i + 1) as f64 - x[i].sin();
    }
}

/// (27) Brown almost-linear, `m = n`: `f_i = x_i + Σ x_j − (n + 1)` for `i < n`,
/// `f_n = Π x_j − 1`.
pub(super) fn brown_almost_linear<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let s = sum(x);
    for i in 0..n - 1 {
        r[i] = x[i] + s - (n + 1) as f64;
    }
    r[n - 1] = x.iter().fold(c::<T>(1.0), |p, &v| p * v) - 1.0;
}

/// (28) Discrete boundary value, `m = n`: `f_i = 2x_i − x_{i−1} − x_{i+1} + h²(x_i + t_i + 1)³/2`,
/// `h = 1/(n + 1)`, `t_i = ih`, `x_0 = x_{n+1} = 0`.
pub(super) fn discrete_boundary_value<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    for i in 0..n {
        let t = (i + 1) as f64 * h;
        let left = if i > 0 { x[i - 1] } else { c::<T>(0.0) };
        let right = if i + 1 < n { x[i + 1] } else { c::<T>(0.0) };
        let u = x[i] + t + 1.0;
        r[i] = x[i] * 2.0 - left - right + u * u * u * (h * h / 2.0);
    }
}

/// (29) Discrete integral equation, `m = n`:
/// `f_i = x_i + h[(1 − t_i) Σ_{j≤i} t_j (x_j + t_j + 1)³ + t_i Σ_{j>i} (1 − t_j)(x_j + t_j + 1)³]/2`,
/// `h = 1/(n + 1)`, `t_i = ih`. Evaluated in `O(n)` with prefix and suffix sums.
pub(super) fn discrete_integral_equation<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    let t = |i: usize| (i + 1) as f64 * h;
    let cube: Vec<T> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let u = v + t(i) + 1.0;
            u * u * u
        })
        .collect();
    // suffix[i] = Σ_{j>i} (1 − t_j) c_j (0-based j)
    let mut suffix = vec![c::<T>(0.0); n + 1];
    for i in (0..n).rev() {
        suffix[i] = suffix[i + 1] + cube[i] * (1.0 - t(i));
    }
    let mut prefix = c::<T>(0.0);
    for i in 0..n {
        prefix += cube[i] * t(i);
        let ti = t(i);
        r[i] = x[i] + (prefix * (1.0 - ti) + suffix[i + 1] * ti) * (h / 2.0);
    }
}

/// (30) Broyden tridiagonal, `m = n`: `f_i = (3 − 2x_i)x_i − x_{i−1} − 2x_{i+1} + 1`,
/// `x_0 = x_{n+1} = 0`.
pub(super) fn broyden_tridiagonal<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    for i in 0..n {
        let left = if i > 0 { x[i - 1] } else { c::<T>(0.0) };
        let right = if i + 1 < n { x[i + 1] } else { c::<T>(0.0) };
        r[i] = (c::<T>(3.0) - x[i] * 2.0) * x[i] - left - right * 2.0 + 1.0;
    }
}

/// (31) Broyden banded, `m = n`: `f_i = x_i(2 + 5x_i²) + 1 − Σ_{j∈J_i} x_j(1 + x_j)`,
/// `J_i = {j ≠ i : max(1, i − 5) ≤ j ≤ min(n, i + 1)}`.
pub(super) fn broyden_banded<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    for i in 0..n {
        let lo = i.saturating_sub(5);
        let hi = (i + 1).min(n - 1);
        let mut s = c::<T>(0.0);
        for (j, &xj) in x.iter().enumerate().take(hi + 1).skip(lo) {
            if j != i {
                s += xj * (xj + 1.0);
            }
        }
        r[i] = x[i] * (x[i] * x[i] * 5.0 + 2.0) + 1.0 - s;
    }
}

/// (32) Linear function — full rank, `m ≥ n`: `f_i = x_i − (2/m) Σ x_j − 1` for `i ≤ n`,
/// `f_i = −(2/m) Σ x_j − 1` for `i > n`.
pub(super) fn linear_full_rank<T: Scalar>(x: &[T], r: &mut [T]) {
    let m = r.len() as f64;
    let s = sum(x) * (2.0 / m);
    for (i, ri) in r.iter_mut().enumerate() {
        let xi = x.get(i).copied().unwrap_or(c::<T>(0.0));
        *ri = xi - s - 1.0;
    }
}

/// (33) Linear function — rank 1, `m ≥ n`: `f_i = i(Σ j x_j) − 1`.
pub(super) fn linear_rank1<T: Scalar>(x: &[T], r: &mut [T]) {
    let mut s = c::<T>(0.0);
    for (j, &xj) in x.iter().enumerate() {
        s += xj * (j + 1) as f64;
    }
    for (i, ri) in r.iter_mut().enumerate() {
        *ri = s * (i + 1) as f64 - 1.0;
    }
}

/// (34) Linear function — rank 1 with zero columns and rows, `m ≥ n ≥ 3`: `f1 = −1`,
/// `f_i = (i − 1)(Σ_{j=2}^{n−1} j x_j) − 1` for `2 ≤ i ≤ m − 1`, `f_m = −1`.
pub(super) fn linear_rank1_zero<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len();
    let m = r.len();
    let mut s = c::<T>(0.0);
    for (j, &xj) in x.iter().enumerate().take(n - 1).skip(1) {
        s += xj * (j + 1) as f64;
    }
    for (i, ri) in r.iter_mut().enumerate() {
        *ri = if i == 0 || i == m - 1 {
            c::<T>(-1.0)
        } else {
            s * i as f64 - 1.0
        };
    }
}

/// (35) Chebyquad, `m ≥ n`: `f_i = (1/n) Σ_j T_i(x_j) − ∫₀¹ T_i(ξ) dξ`, `T_i` the Chebyshev
/// polynomial shifted to `[0, 1]`, `T_i(ξ) = cos(i arccos(2ξ − 1))` (computed by the three-term
/// recurrence); the integral is `0` for odd `i` and `−1/(i² − 1)` for even `i`.
pub(super) fn chebyquad<T: Scalar>(x: &[T], r: &mut [T]) {
    let n = x.len() as f64;
    r.iter_mut().for_each(|ri| *ri = c::<T>(0.0));
    for &xj in x {
        let y = xj * 2.0 - 1.0;
        let mut prev = c::<T>(1.0); // T_0
        let mut cur = y; // T_1
        for ri in r.iter_mut() {
            *ri += cur;
            let next = y * cur * 2.0 - prev;
            prev = cur;
            cur = next;
        }
    }
    for (k, ri) in r.iter_mut().enumerate() {
        let i = (k + 1) as f64;
        let integral = if (k + 1) % 2 == 0 {
            -1.0 / (i * i - 1.0)
        } else {
            0.0
        };
        *ri = *ri / n - integral;
    }
}
