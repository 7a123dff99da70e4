//! Level-1 kernels on slices (dot, norms, axpy), written so the compiler vectorizes them.
//! Everything else in curvlab uses these instead of re-writing loops.

/// `Σ aᵢ bᵢ`.
///
/// ```
/// assert_eq!(curvlab::linalg::vector::dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
/// ```
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    // Four partial sums: lets LLVM vectorize and reduces rounding error growth.
    let mut s = [0.0; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            s[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Euclidean norm `‖a‖₂`, without overflow or underflow.
///
/// The fast path is `√(Σ aᵢ²)` (one vectorized pass). When that sum overflows or falls below
/// `MIN_POSITIVE/ε` (where squares lose digits to underflow), a second pass computes
/// `m √(Σ (aᵢ/m)²)` with `m = max|aᵢ|`, as LAPACK's `dnrm2` does in effect (Blue 1978;
/// Anderson 2017 for the scaled sums). NaN in, NaN out; ±∞ in, ∞ out.
///
/// ```
/// use curvlab::linalg::vector::norm;
/// assert_eq!(norm(&[3.0, 4.0]), 5.0);
/// let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b;
/// assert!(close(norm(&[3e200, 4e200]), 5e200));     // Σ aᵢ² would overflow
/// assert!(close(norm(&[3e-200, 4e-200]), 5e-200));  // Σ aᵢ² would underflow
/// assert!(norm(&[1.0, f64::NAN]).is_nan());
/// ```
#[inline]
pub fn norm(a: &[f64]) -> f64 {
    let s = dot(a, a);
    if s.is_finite() && s >= f64::MIN_POSITIVE / f64::EPSILON {
        return s.sqrt();
    }
    if s.is_nan() {
        return f64::NAN;
    }
    norm_scaled(a)
}

/// The second pass of [`norm`]: `m √(Σ (aᵢ/m)²)`, `m = max|aᵢ|`.
#[cold]
fn norm_scaled(a: &[f64]) -> f64 {
    let m = norm_inf(a);
    if m == 0.0 || m.is_infinite() {
        return m;
    }
    // Division, not a reciprocal: 1/m overflows for subnormal m.
    let mut s = [0.0; 4];
    let chunks = a.chunks_exact(4);
    let rest = chunks.remainder();
    for x in chunks {
        for k in 0..4 {
            let y = x[k] / m;
            s[k] += y * y;
        }
    }
    let tail: f64 = rest.iter().map(|x| (x / m) * (x / m)).sum();
    m * ((s[0] + s[1]) + (s[2] + s[3]) + tail).sqrt()
}

/// Max norm `‖a‖∞`.
///
/// ```
/// assert_eq!(curvlab::linalg::vector::norm_inf(&[3.0, -4.0]), 4.0);
/// ```
#[inline]
pub fn norm_inf(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// `y ← y + α x`.
///
/// ```
/// let mut y = [1.0, 1.0];
/// curvlab::linalg::vector::axpy(2.0, &[1.0, 2.0], &mut y);
/// assert_eq!(y, [3.0, 5.0]);
/// ```
#[inline]
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `y ← α x + β y`.
///
/// ```
/// let mut y = [1.0, 1.0];
/// curvlab::linalg::vector::axpby(2.0, &[1.0, 2.0], 3.0, &mut y);
/// assert_eq!(y, [5.0, 7.0]);
/// ```
#[inline]
pub fn axpby(alpha: f64, x: &[f64], beta: f64, y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = alpha * xi + beta * *yi;
    }
}

/// `x ← α x`.
///
/// ```
/// let mut x = [1.0, -2.0];
/// curvlab::linalg::vector::scale(-0.5, &mut x);
/// assert_eq!(x, [-0.5, 1.0]);
/// ```
#[inline]
pub fn scale(alpha: f64, x: &mut [f64]) {
    for xi in x.iter_mut() {
        *xi *= alpha;
    }
}

/// `out ← x + α d` (a trial point along a direction).
///
/// ```
/// let mut out = [0.0; 2];
/// curvlab::linalg::vector::add_scaled(&[1.0, 1.0], 0.5, &[2.0, -2.0], &mut out);
/// assert_eq!(out, [2.0, 0.0]);
/// ```
#[inline]
pub fn add_scaled(x: &[f64], alpha: f64, d: &[f64], out: &mut [f64]) {
    debug_assert_eq!(x.len(), d.len());
    for ((o, xi), di) in out.iter_mut().zip(x).zip(d) {
        *o = xi + alpha * di;
    }
}
