//! Shampoo (Gupta, Koren & Singer, "Shampoo: Preconditioned Stochastic Tensor Optimization",
//! ICML 2018, Algorithm 1) with grafting to Adam's step norm (Agarwal, Anil, Hazan, Koren &
//! Zhang 2020; Anil et al. 2020, "Scalable second order optimization for deep learning").
//!
//! For a matrix block `W` (`m × n`) with gradient block `G`:
//!
//! ```text
//! L ← L + GGᵀ,  R ← R + GᵀG            (L₀ = εI_m, R₀ = εI_n)
//! D = L^{-1/4} G R^{-1/4}               (roots refreshed every T steps, by eigendecomposition)
//! A = m̂ / (√v̂ + ε_adam)                (Adam's direction on the same block)
//! W ← W − η (‖A‖_F / ‖D‖_F) D           (D's direction, Adam's step length)
//! ```
//!
//! Vector blocks (biases, or a problem without a [`Layout`]) fall back to diagonal AdaGrad,
//! `D = G / √(ε + Σ_t G²)`, grafted the same way. The layout is a method setting (`shape`, e.g.
//! `"2x3,3"`); without one the whole vector is one vector block.

use super::{Iterate, Method, StepInfo};
use crate::error::{Error, Result};
use crate::layout::{Layout, ParamBlock};
use crate::methods::first_order::{check_positive, check_unit};
use crate::objective::Objective;
use crate::params::Value;
use faer::Mat;

/// Shampoo with Adam grafting.
///
/// ```
/// use curvlab::methods::Shampoo;
/// use curvlab::problems::Ravine;
/// use curvlab::{Stop, minimize};
/// // The 2-D ravine as one 1×2 matrix block.
/// let f = Ravine::new(100.0, 1.0, 0.0).unwrap();
/// let mut m = Shampoo::new(0.05).unwrap().with_shape("1x2");
/// let r = minimize(&f, &mut m, &[1.0, 8.0], &Stop::new(1e-4, 5000)).unwrap();
/// assert!(r.termination.converged());
/// ```
#[derive(Debug, Clone)]
pub struct Shampoo {
    lr: f64,
    beta1: f64,
    beta2: f64,
    adam_eps: f64,
    eps: f64,
    every: usize,
    shape: Option<String>,
    state: Option<State>,
}

#[derive(Debug, Clone)]
struct State {
    layout: Layout,
    blocks: Vec<BlockState>,
    m: Vec<f64>,
    v: Vec<f64>,
    /// Adam's direction at this step (a buffer reused across steps).
    adam: Vec<f64>,
    t: i32,
}

#[derive(Debug, Clone)]
enum BlockState {
    Matrix {
        l: Mat<f64>,
        r: Mat<f64>,
        pl: Mat<f64>,
        pr: Mat<f64>,
    },
    Vector {
        sum_sq: Vec<f64>,
    },
}

impl Default for Shampoo {
    /// `lr = 1e-3` (the step length is Adam's), Adam's `β = (0.9, 0.999)`, `ε_adam = 1e-8`;
    /// `ε = 1e-4` for `L₀, R₀` and AdaGrad; roots refreshed every `T = 10` steps; no layout.
    fn default() -> Self {
        Shampoo {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            adam_eps: 1e-8,
            eps: 1e-4,
            every: 10,
            shape: None,
            state: None,
        }
    }
}

impl Shampoo {
    /// Shampoo with learning rate `lr > 0` and the other defaults.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(Shampoo {
            lr: check_positive("lr", lr)?,
            ..Self::default()
        })
    }

    /// Adam's `β₁, β₂ ∈ [0, 1)` (for the grafted step length).
    ///
    /// ```
    /// assert!(curvlab::methods::Shampoo::default().with_betas(0.9, 1.0).is_err());
    /// ```
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.beta1 = check_unit("beta1", beta1)?;
        self.beta2 = check_unit("beta2", beta2)?;
        Ok(self)
    }

    /// `ε > 0`: the initial `L₀ = εI`, `R₀ = εI` and AdaGrad's floor.
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// Adam's `ε > 0`.
    pub fn with_adam_eps(mut self, eps: f64) -> Result<Self> {
        self.adam_eps = check_positive("adam_eps", eps)?;
        Ok(self)
    }

    /// Recompute the inverse fourth roots every `T ≥ 1` steps.
    ///
    /// ```
    /// assert!(curvlab::methods::Shampoo::default().with_every(0).is_err());
    /// ```
    pub fn with_every(mut self, t: usize) -> Result<Self> {
        if t == 0 {
            return Err(Error::invalid("every", 0, "must be >= 1"));
        }
        self.every = t;
        Ok(self)
    }

    /// The parameter blocks, `"RxC"` matrices and bare-length vectors separated by commas
    /// (checked against the dimension at the start of a run).
    pub fn with_shape(mut self, shape: &str) -> Self {
        self.shape = Some(shape.to_string());
        self
    }
}

/// The inverse fourth root `Q Λ^{-1/4} Qᵀ` of a symmetric positive definite `a = QΛQᵀ`.
fn inverse_fourth_root(a: &Mat<f64>) -> Result<Mat<f64>> {
    let e = a
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("shampoo: eigendecomposition failed: {e:?}")))?;
    let n = a.nrows();
    let (u, s) = (e.U(), e.S());
    let mut scaled = u.to_owned();
    for j in 0..n {
        let lam = s[j];
        if !(lam > 0.0 && lam.is_finite()) {
            return Err(Error::NotPositiveDefinite(format!(
                "shampoo: preconditioner statistic has eigenvalue {lam}"
            )));
        }
        let f = lam.powf(-0.25);
        for i in 0..n {
            scaled[(i, j)] *= f;
        }
    }
    Ok(&scaled * u.transpose())
}

fn identity(n: usize, eps: f64) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| if i == j { eps } else { 0.0 })
}

impl Method for Shampoo {
    fn name(&self) -> &str {
        "shampoo"
    }

    fn init(&mut self, _obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let n = it.x.len();
        let layout = match &self.shape {
            Some(s) => Layout::parse(s, n)?,
            None => Layout::vector(n),
        };
        let blocks = layout
            .blocks()
            .iter()
            .map(|b| match *b {
                ParamBlock::Matrix { rows, cols, .. } => BlockState::Matrix {
                    l: identity(rows, self.eps),
                    r: identity(cols, self.eps),
                    pl: identity(rows, 1.0),
                    pr: identity(cols, 1.0),
                },
                ParamBlock::Vector { len, .. } => BlockState::Vector {
                    sum_sq: vec![self.eps; len],
                },
            })
            .collect();
        self.state = Some(State {
            layout,
            blocks,
            m: vec![0.0; n],
            v: vec![0.0; n],
            adam: vec![0.0; n],
            t: 0,
        });
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let (lr, every) = (self.lr, self.every);
        let (b1, b2, aeps) = (self.beta1, self.beta2, self.adam_eps);
        let s = self
            .state
            .as_mut()
            .ok_or_else(|| Error::Usage("shampoo: step before init".into()))?;
        crate::error::check_len("shampoo state", s.m.len(), it.x.len())?;
        s.t = s.t.saturating_add(1);
        let refresh = ((s.t - 1) as usize).is_multiple_of(every);
        let (bc1, bc2) = (1.0 - b1.powi(s.t), 1.0 - b2.powi(s.t));
        for (((m, v), g), a) in
            s.m.iter_mut()
                .zip(s.v.iter_mut())
                .zip(&it.g)
                .zip(s.adam.iter_mut())
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *a = (*m / bc1) / ((*v / bc2).sqrt() + aeps);
        }
        let mut sq = 0.0;
        for (b, st) in s.layout.blocks().iter().zip(s.blocks.iter_mut()) {
            let r = b.range();
            let d = direction(*b, st, &it.g[r.clone()], refresh)?;
            let dn = d.iter().map(|v| v * v).sum::<f64>().sqrt();
            let an = s.adam[r.clone()].iter().map(|v| v * v).sum::<f64>().sqrt();
            let scale = if dn > 0.0 { lr * an / dn } else { 0.0 };
            for (x, di) in it.x[r].iter_mut().zip(&d) {
                *x -= scale * di;
                sq += (scale * di).powi(2);
            }
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(sq.sqrt()).with("lr", lr))
    }

    fn settings(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("lr", Value::Num(self.lr)),
            ("beta1", Value::Num(self.beta1)),
            ("beta2", Value::Num(self.beta2)),
            ("adam_eps", Value::Num(self.adam_eps)),
            ("eps", Value::Num(self.eps)),
            ("every", Value::Num(self.every as f64)),
            (
                "shape",
                Value::Str(self.shape.clone().unwrap_or_else(|| "vector".into())),
            ),
        ]
    }
}

/// The block's preconditioned gradient: `L^{-1/4} G R^{-1/4}` (matrix) or AdaGrad (vector),
/// after accumulating this step's statistics.
fn direction(b: ParamBlock, st: &mut BlockState, g: &[f64], refresh: bool) -> Result<Vec<f64>> {
    match (b, st) {
        (ParamBlock::Matrix { rows, cols, .. }, BlockState::Matrix { l, r, pl, pr }) => {
            let gm = Mat::from_fn(rows, cols, |i, j| g[i * cols + j]);
            *l += &gm * gm.transpose();
            *r += gm.transpose() * &gm;
            if refresh {
                *pl = inverse_fourth_root(l)?;
                *pr = inverse_fourth_root(r)?;
            }
            let d = &*pl * &gm * &*pr;
            Ok((0..rows * cols).map(|k| d[(k / cols, k % cols)]).collect())
        }
        (_, BlockState::Vector { sum_sq }) => Ok(g
            .iter()
            .zip(sum_sq.iter_mut())
            .map(|(gi, s)| {
                *s += gi * gi;
                gi / s.sqrt()
            })
            .collect()),
        _ => Err(Error::Usage("shampoo: block state mismatch".into())),
    }
}
