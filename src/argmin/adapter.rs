//! An argmin `Problem<O>` seen as a curvlab [`Objective`], for one call of a method.
//!
//! argmin's `Problem` methods take `&mut self` (they count), curvlab's `Objective` takes
//! `&self` and must be `Send + Sync`, so the problem sits behind a `Mutex`. Every evaluation goes
//! through `Problem::cost`, `Problem::gradient` or `Problem::problem("hessian_vec_count", ..)`, so
//! argmin counts it. The value and gradient at the last point asked for are memoized (a method
//! that asks for `f(x)` and then `∇f(x)` costs one `cost` and one `gradient`), and a dense
//! Hessian is kept for the point it was computed at.
//!
//! An error from the user's problem is kept verbatim and handed back to argmin after the step
//! (the method sees a curvlab error meanwhile).

use super::{ArgminVector, HessianVec, dense_product, missing_curvature_message};
use crate::error::{Error, Result, check_len};
use crate::objective::Objective;
use ::argmin::core::{CostFunction, Error as ArgminError, Gradient, Problem};
use faer::Mat;
use std::sync::Mutex;

struct Inner<'a, O> {
    problem: &'a mut Problem<O>,
    /// The first error the user's problem returned.
    failure: Option<ArgminError>,
    /// `(x, f(x), ∇f(x) if known)` at the last point evaluated.
    last: Option<(Vec<f64>, f64, Option<Vec<f64>>)>,
    /// The dense Hessian at a point (for [`HessianVec::HAS_HESSIAN`] problems).
    hessian: Option<(Vec<f64>, Mat<f64>)>,
}

pub(crate) struct Adapter<'a, O> {
    n: usize,
    inner: Mutex<Inner<'a, O>>,
}

fn poisoned() -> Error {
    Error::Numerical("argmin problem adapter: lock poisoned by an earlier panic".into())
}

/// A placeholder curvlab error standing for a user error kept in `failure`.
fn user_error(what: &str) -> Error {
    Error::Numerical(format!("the argmin problem's {what} returned an error"))
}

impl<'a, O, P> Adapter<'a, O>
where
    O: CostFunction<Param = P, Output = f64>
        + Gradient<Param = P, Gradient = P>
        + HessianVec<Param = P>
        + Send,
    P: ArgminVector,
{
    pub(crate) fn new(problem: &'a mut Problem<O>, n: usize) -> Self {
        Adapter {
            n,
            inner: Mutex::new(Inner {
                problem,
                failure: None,
                last: None,
                hessian: None,
            }),
        }
    }

    /// Seeds the memo with a point whose value and gradient are known.
    pub(crate) fn remember(&self, x: &[f64], f: f64, g: &[f64]) -> Result<()> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        inner.last = Some((x.to_vec(), f, Some(g.to_vec())));
        Ok(())
    }

    /// The user's error, if the problem returned one.
    pub(crate) fn take_failure(&self) -> Option<ArgminError> {
        self.inner.lock().ok().and_then(|mut i| i.failure.take())
    }

    fn checked(&self, what: &str, out: &[f64]) -> Result<()> {
        check_len(what, self.n, out.len())?;
        crate::error::check_finite(what, out, 0)
    }

    fn dense_at(&self, inner: &mut Inner<'a, O>, x: &[f64]) -> Result<Mat<f64>> {
        if let Some((hx, h)) = &inner.hessian
            && hx.as_slice() == x
        {
            return Ok(h.clone());
        }
        let p = P::from_f64_vec(x.to_vec());
        match inner
            .problem
            .problem("hessian_count", |o| o.dense_hessian(&p))
        {
            Ok(h) => {
                if h.nrows() != self.n || h.ncols() != self.n {
                    return Err(Error::Dimension {
                        what: "Hessian returned by the argmin problem".into(),
                        expected: self.n,
                        got: h.nrows(),
                    });
                }
                inner.hessian = Some((x.to_vec(), h.clone()));
                Ok(h)
            }
            Err(e) => {
                inner.failure.get_or_insert(e);
                Err(user_error("Hessian"))
            }
        }
    }
}

impl<'a, O, P> Objective for Adapter<'a, O>
where
    O: CostFunction<Param = P, Output = f64>
        + Gradient<Param = P, Gradient = P>
        + HessianVec<Param = P>
        + Send,
    P: ArgminVector,
{
    fn dim(&self) -> usize {
        self.n
    }

    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        if let Some((lx, f, _)) = &inner.last
            && lx.as_slice() == x
        {
            return Ok(*f);
        }
        let p = P::from_f64_vec(x.to_vec());
        match inner.problem.cost(&p) {
            Ok(f) => {
                inner.last = Some((x.to_vec(), f, None));
                if f.is_finite() {
                    Ok(f)
                } else {
                    Err(Error::NonFinite {
                        what: "value".into(),
                        iteration: 0,
                    })
                }
            }
            Err(e) => {
                inner.failure.get_or_insert(e);
                Err(user_error("cost"))
            }
        }
    }

    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        check_len("gradient buffer", self.n, g.len())?;
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let known = match &inner.last {
            Some((lx, f, lg)) if lx.as_slice() == x => Some((*f, lg.clone())),
            _ => None,
        };
        if let Some((f, Some(lg))) = &known {
            g.copy_from_slice(lg);
            return Ok(*f);
        }
        let p = P::from_f64_vec(x.to_vec());
        let f = match known {
            Some((f, _)) => f,
            None => match inner.problem.cost(&p) {
                Ok(f) => f,
                Err(e) => {
                    inner.failure.get_or_insert(e);
                    return Err(user_error("cost"));
                }
            },
        };
        let grad = match inner.problem.gradient(&p) {
            Ok(grad) => grad,
            Err(e) => {
                inner.failure.get_or_insert(e);
                return Err(user_error("gradient"));
            }
        };
        let gs = grad.as_f64_slice();
        check_len("gradient returned by the argmin problem", self.n, gs.len())?;
        inner.last = Some((x.to_vec(), f, Some(gs.to_vec())));
        if !f.is_finite() {
            return Err(Error::NonFinite {
                what: "value".into(),
                iteration: 0,
            });
        }
        self.checked("gradient", gs)?;
        g.copy_from_slice(gs);
        Ok(f)
    }

    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("v", self.n, v.len())?;
        check_len("hvp buffer", self.n, out.len())?;
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        if O::HAS_HESSIAN_VEC {
            let (px, pv) = (P::from_f64_vec(x.to_vec()), P::from_f64_vec(v.to_vec()));
            match inner
                .problem
                .problem("hessian_vec_count", |o| o.hessian_vec(&px, &pv))
            {
                Ok(hv) => {
                    let hv = hv.as_f64_slice();
                    check_len(
                        "Hessian-vector product returned by the argmin problem",
                        self.n,
                        hv.len(),
                    )?;
                    self.checked("hvp", hv)?;
                    out.copy_from_slice(hv);
                    Ok(())
                }
                Err(e) => {
                    inner.failure.get_or_insert(e);
                    Err(user_error("hessian_vec"))
                }
            }
        } else if O::HAS_HESSIAN {
            let h = self.dense_at(&mut inner, x)?;
            dense_product(&h, v, out);
            self.checked("hvp", out)
        } else {
            Err(Error::Unsupported(missing_curvature_message(
                "Hessian-vector products",
            )))
        }
    }

    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.n, x.len())?;
        if O::HAS_HESSIAN {
            let mut inner = self.inner.lock().map_err(|_| poisoned())?;
            let h = self.dense_at(&mut inner, x)?;
            let finite = (0..self.n).all(|j| h.col(j).iter().all(|v| v.is_finite()));
            if !finite {
                return Err(Error::NonFinite {
                    what: "hessian".into(),
                    iteration: 0,
                });
            }
            Ok(h)
        } else if O::HAS_HESSIAN_VEC {
            // n products with unit vectors, each counted as `hessian_vec_count`.
            crate::objective::assemble_hessian(self, x)
        } else {
            Err(Error::Unsupported(missing_curvature_message("Hessians")))
        }
    }
}
