//! A vectorisable `tanh` for the network's hidden layers: branch-free scalar code that LLVM
//! turns into AVX2 / AVX-512 loops inside a [`pulp`] runtime dispatch, instead of one glibc
//! call per entry (368k per forward pass of the 64-128-128-10 digits network).
//!
//! The formulas are Cephes' (S. L. Moshier, *Methods and Programs for Mathematical Functions*,
//! 1989; `tanh.c`, `exp.c`): for `|x| < 0.625` the rational form `x + x·z·P(z)/Q(z)`, `z = x²`;
//! otherwise `1 − 2/(e^{2|x|} + 1)` with the sign of `x`, where `e^t` is Cephes' Padé form
//! `1 + 2 r P(r²)/(Q(r²) − r P(r²))` after the reduction `t = n ln 2 + r`, `|r| ≤ ln2 / 2`
//! (Cody–Waite split of `ln 2`), scaled by `2ⁿ` through the exponent bits. Only `+ − × ÷` and
//! comparisons are used (no fused multiply-add), so every instruction set gives the same bits.
//! Measured against glibc's `f64::tanh` (tests/network_block.rs, 4M-point grid on `[−20, 20]`
//! and geometric tails from 1e-310 to 1e300): at most 2 ulps.

const P0: f64 = -9.643_991_794_250_523e-1;
const P1: f64 = -9.928_772_310_019_186e1;
const P2: f64 = -1.614_687_684_417_084_5e3;
const Q0: f64 = 1.128_116_784_916_329_3e2;
const Q1: f64 = 2.235_488_390_601_004_5e3;
const Q2: f64 = 4.844_063_053_251_255e3;

const EP0: f64 = 1.261_771_930_748_105_9e-4;
const EP1: f64 = 3.029_944_077_074_419_6e-2;
const EP2: f64 = 1.0;
const EQ0: f64 = 3.001_985_051_386_644_5e-6;
const EQ1: f64 = 2.524_483_403_496_841e-3;
const EQ2: f64 = 2.272_655_482_081_550_3e-1;
const EQ3: f64 = 2.0;
const LOG2E: f64 = std::f64::consts::LOG2_E;
const C1: f64 = 6.931_457_519_531_25e-1;
const C2: f64 = 1.428_606_820_309_417_2e-6;
/// `1.5 · 2⁵²`: adding it rounds a small float to an integer held in the low mantissa bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// `e^t` for `t ∈ [0, 40]` (NaN propagates), branch-free.
#[inline(always)]
fn exp_small_range(t: f64) -> f64 {
    let m = LOG2E * t + MAGIC;
    let n = m - MAGIC;
    let r = (t - n * C1) - n * C2;
    let rr = r * r;
    let p = r * ((EP0 * rr + EP1) * rr + EP2);
    let q = ((EQ0 * rr + EQ1) * rr + EQ2) * rr + EQ3;
    let e = 1.0 + 2.0 * (p / (q - p));
    // 2ⁿ from the integer in the low bits of `m` (the bits above 52 shift out).
    let scale = f64::from_bits(m.to_bits().wrapping_add(1023) << 52);
    e * scale
}

/// `tanh(x)` to within 2 ulps of glibc's (measured), branch-free so loops over it vectorise.
/// `tanh(±∞) = ±1`, NaN gives NaN, `tanh(−0) = −0`.
///
/// ```
/// use curvlab::problems::network::vecmath::tanh;
/// for x in [-3.0, -0.3, 0.0, 1e-300, 0.5, 0.7, 2.0, 25.0] {
///     let (a, b) = (tanh(x), f64::tanh(x));
///     assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs(), "{x}: {a} vs {b}");
/// }
/// assert_eq!(tanh(f64::INFINITY), 1.0);
/// assert!(tanh(f64::NAN).is_nan());
/// ```
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let ax = x.abs();
    let z = ax * ax;
    let small = ax + ax * (z * ((P0 * z + P1) * z + P2) / (((z + Q0) * z + Q1) * z + Q2));
    let t = 2.0 * ax;
    // `t > 40` is false for NaN, which then propagates through the exponential.
    let t = if t > 40.0 { 40.0 } else { t };
    let large = 1.0 - 2.0 / (exp_small_range(t) + 1.0);
    // tanh is odd: evaluated at |x|, signed last (so tanh(−0) = −0).
    (if ax < 0.625 { small } else { large }).copysign(x)
}

/// `out[i] = tanh(a[i])` ([`tanh`]), vectorised with the best instruction set of this CPU.
///
/// ```
/// let a = [-1.0, 0.25, 3.0];
/// let mut out = [0.0; 3];
/// curvlab::problems::network::vecmath::tanh_slice(&a, &mut out);
/// assert!(out.iter().zip(&a).all(|(o, x)| (o - x.tanh()).abs() < 1e-15));
/// ```
pub fn tanh_slice(a: &[f64], out: &mut [f64]) {
    struct Op<'a> {
        a: &'a [f64],
        out: &'a mut [f64],
    }
    impl pulp::WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _simd: S) {
            for (o, &x) in self.out.iter_mut().zip(self.a) {
                *o = tanh(x);
            }
        }
    }
    pulp::Arch::new().dispatch(Op { a, out });
}

/// Runs `f` inside a [`pulp`] dispatch, so that LLVM can vectorise its (inlined) loops with this
/// CPU's instruction set.
#[inline(always)]
pub(super) fn simd<R>(f: impl FnOnce() -> R) -> R {
    struct Op<F>(F);
    impl<R, F: FnOnce() -> R> pulp::WithSimd for Op<F> {
        type Output = R;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _simd: S) -> R {
            (self.0)()
        }
    }
    pulp::Arch::new().dispatch(Op(f))
}

/// Runs `f` over the entries of `out` and `a` (elementwise, same length) in a [`pulp`] dispatch,
/// so that LLVM can vectorise the loop with this CPU's instruction set.
#[inline(always)]
pub(super) fn map2(a: &[f64], b: &[f64], out: &mut [f64], f: impl Fn(f64, f64) -> f64) {
    struct Op<'a, F> {
        a: &'a [f64],
        b: &'a [f64],
        out: &'a mut [f64],
        f: F,
    }
    impl<F: Fn(f64, f64) -> f64> pulp::WithSimd for Op<'_, F> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _simd: S) {
            for ((o, &x), &y) in self.out.iter_mut().zip(self.a).zip(self.b) {
                *o = (self.f)(x, y);
            }
        }
    }
    pulp::Arch::new().dispatch(Op { a, b, out, f });
}

use super::{Activation, GELU_C, GELU_K};

impl Activation {
    /// `out[i] = φ(a[i])`, with the vectorised [`tanh`] for tanh and GELU.
    pub(super) fn apply_slice(self, a: &[f64], out: &mut [f64]) {
        match self {
            Activation::Tanh => tanh_slice(a, out),
            Activation::Relu => map2(a, a, out, |a, _| a.max(0.0)),
            Activation::Gelu => {
                let u: Vec<f64> = a
                    .iter()
                    .map(|&a| GELU_C * (a + GELU_K * a * a * a))
                    .collect();
                tanh_slice(&u, out);
                for (o, &a) in out.iter_mut().zip(a) {
                    *o = 0.5 * a * (1.0 + *o);
                }
            }
        }
    }

    /// `d1 = φ'(a)`, `d2 = φ''(a)` for every entry given `a` and `h = φ(a)` (see
    /// [`Activation::derivatives`]), vectorised.
    pub(super) fn derivative_slices(self, a: &[f64], h: &[f64], d1: &mut [f64], d2: &mut [f64]) {
        match self {
            Activation::Tanh => {
                map2(h, h, d1, |h, _| 1.0 - h * h);
                map2(h, d1, d2, |h, d| -2.0 * h * d);
            }
            Activation::Relu => {
                map2(a, a, d1, |a, _| if a > 0.0 { 1.0 } else { 0.0 });
                d2.fill(0.0);
            }
            Activation::Gelu => {
                let u: Vec<f64> = a
                    .iter()
                    .map(|&a| GELU_C * (a + GELU_K * a * a * a))
                    .collect();
                let mut t = vec![0.0; a.len()];
                tanh_slice(&u, &mut t);
                for (i, (&a, &t)) in a.iter().zip(&t).enumerate() {
                    let u1 = GELU_C * (1.0 + 3.0 * GELU_K * a * a);
                    let u2 = GELU_C * 6.0 * GELU_K * a;
                    let s = 1.0 - t * t;
                    d1[i] = 0.5 * (1.0 + t) + 0.5 * a * s * u1;
                    d2[i] = s * (u1 + 0.5 * a * (u2 - 2.0 * t * u1 * u1));
                }
            }
        }
    }
}
