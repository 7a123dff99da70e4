//! Single-threaded dense products for the data problems' hot loops: faer's `matmul` with
//! `Par::Seq`, followed by a `vzeroupper` ([`clear_upper_registers`]).
//!
//! On AVX-512 machines faer 0.24 multiplies with the assembly kernels of `private-gemm-x86`,
//! which return with the upper halves of the zmm registers dirty. Every later non-VEX (SSE)
//! instruction — glibc's `tanh`, `exp`, `ln_1p`, and all scalar code compiled for the x86-64
//! baseline — then pays the AVX–SSE transition penalty (Intel 64 and IA-32 Architectures
//! Optimization Reference Manual, §15.3, "Mixing AVX code with SSE code"). Measured on this
//! project's machine: `tanh` of 368k values 12 ms before a product and 265–320 ms after it; the
//! logistic block kernel's 8000 scalar updates after a product 5.3 ms, 0.2 ms with the call
//! (docs/network_speed.md, docs/block_products.md). A function compiled with AVX that touches a
//! 256-bit register gets a `vzeroupper` before its return from LLVM; pulp's runtime dispatch
//! provides one.

use faer::{Accum, MatMut, MatRef, Par};

/// `dst (=|+=) s · lhs · rhs` with faer, single-threaded, then [`clear_upper_registers`].
///
/// ```
/// use curvlab::linalg::matmul::product;
/// let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// let mut c = faer::Mat::<f64>::zeros(2, 2);
/// product(c.as_mut(), faer::Accum::Replace, a.as_ref(), a.as_ref(), 1.0);
/// product(c.as_mut(), faer::Accum::Add, a.as_ref(), a.as_ref(), 0.5);
/// assert_eq!(c[(0, 0)], 1.5 * 7.0);
/// assert_eq!(c[(1, 1)], 1.5 * 22.0);
/// ```
pub fn product(
    dst: MatMut<'_, f64>,
    accum: Accum,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
    s: f64,
) {
    faer::linalg::matmul::matmul(dst, accum, lhs, rhs, s, Par::Seq);
    clear_upper_registers();
}

/// Clears the upper halves of the vector registers (`vzeroupper`) by a dispatched no-op; call it
/// after foreign SIMD kernels and before scalar code (see the module header).
///
/// ```
/// curvlab::linalg::matmul::clear_upper_registers(); // no effect on values, only on speed
/// assert_eq!(0.5f64.tanh(), 0.46211715726000974);
/// ```
#[inline]
pub fn clear_upper_registers() {
    struct Touch;
    impl pulp::WithSimd for Touch {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, simd: S) {
            std::hint::black_box(simd.splat_f64s(0.0));
        }
    }
    pulp::Arch::new().dispatch(Touch);
}
