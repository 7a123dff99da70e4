//! Exact diagonals of curvature matrices (curvlinops' diagonal of `GGNLinearOperator`; BackPACK's
//! `DiagGGNExact`, Dangel, Kunstner & Hennig, ICLR 2020, §3):
//!
//! - the GGN's, `diag G = (1/N) Σᵢ Σ_c (Jᵢᵀ s_{ic})⊙²` with `H_L = S Sᵀ` per example
//!   (`√p_c (e_c − p)` for the softmax, `e_c` for the squared error, `√(σ(1 − σ))` for the logistic): `k` backward passes,
//!   each summing per-example squares in one matrix product per layer — about `k` gradients;
//! - the empirical Fisher's, `(1/N) Σᵢ gᵢ⊙gᵢ`: one backward pass;
//! - any operator's, `eᵢᵀ A eᵢ` from `n` products with unit vectors ([`exact_diagonal`]), in
//!   blocks of 32: the Hessian's diagonal of the network has no cheaper exact form here (its
//!   per-example second derivatives through the hidden layers are not a sum of squares), so it
//!   costs `n` HVPs and is offered only below a stated dimension.

use super::{OutputModel, check_batch_size, for_batches};
use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::LinearOperator;
use faer::Mat;

/// The exact diagonal of the GGN's data term `(1/N) Σᵢ Jᵢᵀ H_L Jᵢ` at `x` (minibatches of
/// `batch_size` examples).
///
/// ```
/// use curvlab::curvature::operators::ggn_diagonal;
/// use curvlab::Objective;
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(30, 2, 0).unwrap().with_lambda(0.0).unwrap();
/// let x = [0.5, -1.0, 0.2];
/// let d = ggn_diagonal(&f, &x, 8).unwrap();
/// let h = f.hessian(&x).unwrap(); // GGN = Hessian for logistic regression
/// assert!((0..3).all(|i| (d[i] - h[(i, i)]).abs() < 1e-14));
/// ```
pub fn ggn_diagonal<M: OutputModel + ?Sized>(
    model: &M,
    x: &[f64],
    batch_size: usize,
) -> Result<Vec<f64>> {
    check_batch_size(batch_size)?;
    check_len("x", model.num_params(), x.len())?;
    let mut out = vec![0.0; model.num_params()];
    for_batches(model.num_data(), batch_size, |batch| {
        let ob = super::batch_outputs(model, x, batch, None)?;
        let k = ob.k;
        let mut u = vec![0.0; ob.dz.len()];
        for c in 0..k {
            for (i, ui) in u.chunks_exact_mut(k).enumerate() {
                ob.loss_hessian_factor(i, c, ui);
            }
            model.vjp_squared(x, batch, &u, &mut out)?;
        }
        Ok(())
    })?;
    finish(out, model.num_data())
}

/// The exact diagonal of the empirical Fisher `(1/N) Σᵢ gᵢ⊙gᵢ` at `x`.
///
/// ```
/// use curvlab::curvature::operators::empirical_fisher_diagonal;
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(30, 2, 0).unwrap();
/// let d = empirical_fisher_diagonal(&f, &[0.0; 3], 8).unwrap();
/// assert!((d[2] - 0.25).abs() < 1e-15); // residuals ±½ at z = 0
/// ```
pub fn empirical_fisher_diagonal<M: OutputModel + ?Sized>(
    model: &M,
    x: &[f64],
    batch_size: usize,
) -> Result<Vec<f64>> {
    check_batch_size(batch_size)?;
    check_len("x", model.num_params(), x.len())?;
    let mut out = vec![0.0; model.num_params()];
    for_batches(model.num_data(), batch_size, |batch| {
        let ob = super::batch_outputs(model, x, batch, None)?;
        model.vjp_squared(x, batch, &ob.dz, &mut out)
    })?;
    finish(out, model.num_data())
}

fn finish(mut out: Vec<f64>, n: usize) -> Result<Vec<f64>> {
    out.iter_mut().for_each(|v| *v /= n as f64);
    check_finite("diagonal", &out, 0)?;
    Ok(out)
}

/// Unit vectors per block application in [`exact_diagonal`].
const BLOCK: usize = 32;

/// The exact diagonal `Aᵢᵢ = eᵢᵀ A eᵢ` of any operator from `n` unit-vector products (in blocks of
/// 32 with [`LinearOperator::apply_block`]); an error when `n > max_dim`, so that a caller states
/// what it can afford.
///
/// ```
/// use curvlab::curvature::operators::exact_diagonal;
/// let a = faer::mat![[2.0, 1.0], [1.0, 3.0]];
/// assert_eq!(exact_diagonal(&a, 10).unwrap(), vec![2.0, 3.0]);
/// assert!(exact_diagonal(&a, 1).is_err());
/// ```
pub fn exact_diagonal<A: LinearOperator + ?Sized>(op: &A, max_dim: usize) -> Result<Vec<f64>> {
    let n = op.dim();
    if n > max_dim {
        return Err(Error::invalid(
            "max_dim",
            max_dim,
            &format!("the exact diagonal needs n = {n} products; raise max_dim to allow them"),
        ));
    }
    let mut d = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let b = (n - start).min(BLOCK);
        let e = Mat::<f64>::from_fn(n, b, |i, j| if i == start + j { 1.0 } else { 0.0 });
        let mut y = Mat::<f64>::zeros(n, b);
        op.apply_block(e.as_ref(), y.as_mut())?;
        for j in 0..b {
            d[start + j] = y[(start + j, j)];
        }
        start += b;
    }
    check_finite("diagonal", &d, 0)?;
    Ok(d)
}
