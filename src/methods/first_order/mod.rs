//! First-order methods as small composable gradient transformations, in the manner of optax
//! (Babuschkin et al. 2020, "The DeepMind JAX Ecosystem"): each transformation keeps its own
//! state and rewrites an update vector in place; an optimizer is a chain of transformations
//! followed by a learning-rate scaling `u ← −η_t u`, and the step is `x ← x + u`.
//!
//! | method | chain (then `scale_by_learning_rate`) | reference |
//! |---|---|---|
//! | `gd` | (clip) (L2) | Cauchy 1847; `lr = "optimal"`: `2/(μ+L)` (Nocedal & Wright 2006, §3.3) |
//! | `momentum` | (clip) (L2) [`Trace`] | Polyak 1964, heavy ball |
//! | `nesterov` | (clip) (L2) [`Trace::nesterov`] | Nesterov 1983; Sutskever et al. 2013 (PyTorch form) |
//! | `adagrad` | (clip) (L2) [`ScaleByAdagrad`] | Duchi, Hazan & Singer 2011 |
//! | `rmsprop` | (clip) (L2) [`ScaleByRms`] | Hinton 2012, lecture 6e; Graves 2013 (centered) |
//! | `adam` | (clip) (L2) [`ScaleByAdam`] | Kingma & Ba 2015 |
//! | `amsgrad` | (clip) (L2) [`ScaleByAdam`] with `amsgrad` | PyTorch's form; `variant = "reddi"`: Reddi, Kale & Kumar 2018 |
//! | `adamw` | (clip) [`ScaleByAdam`] [`AddDecayedWeights`] | PyTorch's / optax's form; `variant = "loshchilov"`: Loshchilov & Hutter 2019 |
//! | `nadam` | (clip) (L2) [`ScaleByNadam`] | Dozat 2016 |
//!
//! "(clip)" is [`ClipByGlobalNorm`] when `clip_norm > 0`; "(L2)" is [`AddDecayedWeights`] when
//! `weight_decay > 0`, placed before the preconditioner (the coupled L2 penalty of PyTorch's
//! `weight_decay`); AdamW places it after (decoupled). Defaults follow PyTorch; `preset = "seed"`
//! gives the seed article's settings (see [`Preset`]).
//!
//! The typed constructors ([`Adam::new`], [`Momentum::new`], …, module [`alias`]) are the
//! library's way to build these methods; the string layer (names, parameter tables, building
//! from `KEY=VALUE` pairs) is [`crate::methods::registry`].
//!
//! [`FirstOrder`] runs a chain as a [`Method`]: `u ← g`, every transformation in order, the
//! learning rate, then `x ← x + u` (or, for `gd` with `line_search = "armijo"`, an Armijo
//! backtracking search along `u`), and re-evaluates `f` and `∇f`. When the chain is a single
//! transformation that can fuse its update with the step (Adam, AMSGrad), the step is one pass
//! over `x, m, v, g` with bitwise the same result.

pub mod adagrad;
pub mod adam;
pub mod alias;
pub mod clip;
pub mod learning_rate;
pub mod momentum;
pub mod nadam;
pub mod rmsprop;
pub mod weight_decay;

pub use adagrad::ScaleByAdagrad;
pub use adam::{AmsgradVariant, ScaleByAdam};
pub use alias::{
    AdaGrad, Adam, AdamW, AdamWVariant, Amsgrad, GradientDescent, Momentum, NAdam, Nesterov,
    RmsProp,
};
pub use clip::ClipByGlobalNorm;
pub use learning_rate::{ScaleByLearningRate, Schedule};
pub use momentum::{MomentumSchedule, Trace};
pub use nadam::ScaleByNadam;
pub use rmsprop::ScaleByRms;
pub use weight_decay::AddDecayedWeights;

use super::line_search::Armijo;
use super::{Iterate, Method, StepInfo};
use crate::error::{Error, Result, check_len};
use crate::linalg::vector::{dot, norm};
use crate::objective::Objective;
use crate::params::Value;

/// Which defaults to start from when a method is built by name.
///
/// ```
/// use curvlab::methods::first_order::Preset;
/// assert_eq!(Preset::parse("seed").unwrap(), Preset::Seed);
/// assert_eq!(Preset::default().name(), "pytorch");
/// assert!(Preset::parse("keras").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    /// PyTorch's defaults (the default).
    #[default]
    PyTorch,
    /// The seed article's settings where it gives them: momentum annealed 0.5 → 0.9 (after
    /// `anneal_after = 5` steps; the article says "after some epochs",
    /// [`MomentumSchedule::seed`]); RMSProp `ρ = 0.9`, `ε = 1e-10` inside the root
    /// ([`ScaleByRms::seed`]); Adam `β₂ = 0.99`, `ε = 1e-10` inside the root, no bias
    /// correction ([`ScaleByAdam::seed`]). Elsewhere (gd, adagrad, nadam) the same as
    /// PyTorch's.
    Seed,
}

impl Preset {
    /// Parses `pytorch` or `seed`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pytorch" => Ok(Preset::PyTorch),
            "seed" => Ok(Preset::Seed),
            _ => Err(Error::invalid("preset", s, "expected pytorch or seed")),
        }
    }

    /// The name `parse` reads.
    pub fn name(&self) -> &'static str {
        match self {
            Preset::PyTorch => "pytorch",
            Preset::Seed => "seed",
        }
    }
}

/// One gradient transformation: state, `init`, and an in-place `update`.
///
/// `update` receives the update vector `u` (the gradient, or the output of the previous
/// transformation) and the current parameters `x` (for weight decay), and rewrites `u`.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, ScaleByLearningRate};
/// let mut t = ScaleByLearningRate::new(0.5).unwrap();
/// t.init(2);
/// let mut u = [2.0, -4.0];
/// t.update(&mut u, &[0.0, 0.0]).unwrap();
/// assert_eq!(u, [-1.0, 2.0]);
/// ```
pub trait GradientTransformation: Send {
    /// A short name (`scale_by_adam`, `trace`, ...).
    fn name(&self) -> &'static str;

    /// Resets the state for `n` parameters (zero moments, step count 0).
    fn init(&mut self, n: usize);

    /// Rewrites the update `u` in place; `params` is the current point `x`.
    fn update(&mut self, u: &mut [f64], params: &[f64]) -> Result<()>;

    /// Values for the trace from the last update (e.g. `("lr", η)`).
    fn extras(&self, _out: &mut Vec<(&'static str, f64)>) {}

    /// Fused `u ← T(g)`, `x ← x + s·u` in one pass, returning `‖s·u‖²`, bitwise equal to
    /// `update` followed by scaling and adding. `Ok(None)` when not implemented (the default):
    /// then the caller uses `update`.
    fn fused_step(&mut self, _g: &[f64], _params: &mut [f64], _s: f64) -> Result<Option<f64>> {
        Ok(None)
    }

    /// The diagonal `P` of a preconditioning transformation, whose update is `P⁻¹` times a
    /// (momentum of the) gradient: Adam's `(1 − β₁ᵗ)(√v̂ + ε)`, RMSProp's `√s + ε`,
    /// AdaGrad's `√s + ε` (Cohen et al. 2022, §2). `None` (the default) for transformations
    /// that do not precondition, and before the first update.
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        None
    }
}

/// Checks that a state vector was initialized for `u`'s length.
pub(crate) fn check_state(name: &str, state: usize, u: usize) -> Result<()> {
    check_len(
        &format!("{name} update (state initialized for {state})"),
        state,
        u,
    )
}

/// `β ∈ [0, 1)` (rejects NaN).
pub(crate) fn check_unit(name: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::invalid(name, v, "must be in [0, 1)"))
    }
}

/// `v > 0` and finite (rejects NaN).
pub(crate) fn check_positive(name: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(name, v, "must be finite and > 0"))
    }
}

/// `v ≥ 0` and finite (rejects NaN).
pub(crate) fn check_nonnegative(name: &str, v: f64) -> Result<f64> {
    if v >= 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(name, v, "must be finite and >= 0"))
    }
}

/// A first-order method: a chain of [`GradientTransformation`]s and a learning-rate scaling,
/// run as a [`Method`].
///
/// ```
/// use curvlab::methods::first_order::{FirstOrder, ScaleByAdam, ScaleByLearningRate};
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let lr = ScaleByLearningRate::new(0.1).unwrap();
/// let mut adam = FirstOrder::new("adam", vec![Box::new(ScaleByAdam::new())], lr);
/// let r = minimize(&Ravine::seed(), &mut adam, &[1.0, 8.0], &Stop::new(1e-3, 2000)).unwrap();
/// assert!(r.converged());
/// ```
pub struct FirstOrder {
    name: String,
    chain: Vec<Box<dyn GradientTransformation>>,
    lr: ScaleByLearningRate,
    line_search: Option<Armijo>,
    fuse: bool,
    settings: Vec<(&'static str, Value)>,
    u: Vec<f64>,
    x_trial: Vec<f64>,
    n: Option<usize>,
}

impl std::fmt::Debug for FirstOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.chain.iter().map(|t| t.name()).collect();
        f.debug_struct("FirstOrder")
            .field("name", &self.name)
            .field("chain", &names)
            .field("lr", &self.lr)
            .field("line_search", &self.line_search)
            .finish()
    }
}

impl FirstOrder {
    /// The method `name` applying `chain` in order, then `lr`.
    pub fn new(
        name: &str,
        chain: Vec<Box<dyn GradientTransformation>>,
        lr: ScaleByLearningRate,
    ) -> Self {
        FirstOrder {
            name: name.to_string(),
            chain,
            lr,
            line_search: None,
            fuse: true,
            settings: Vec::new(),
            u: Vec::new(),
            x_trial: Vec::new(),
            n: None,
        }
    }

    /// Plain gradient descent `x ← x − η_t ∇f(x)`.
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.1).unwrap());
    /// assert_eq!(curvlab::methods::Method::name(&gd), "gd");
    /// ```
    pub fn gd(lr: ScaleByLearningRate) -> Self {
        FirstOrder::new("gd", Vec::new(), lr)
    }

    /// Uses Armijo backtracking along the update (the learning rate is the first trial step).
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// use curvlab::methods::line_search::Armijo;
    /// let bad = Armijo { c1: 2.0, ..Armijo::default() };
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(1.0).unwrap());
    /// assert!(gd.with_line_search(bad).is_err());
    /// ```
    pub fn with_line_search(mut self, ls: Armijo) -> Result<Self> {
        ls.validate()?;
        self.line_search = Some(ls);
        Ok(self)
    }

    /// Sets an Armijo search that was validated by the caller.
    pub(crate) fn with_checked_line_search(mut self, ls: Armijo) -> Self {
        self.line_search = Some(ls);
        self
    }

    /// Appends parameters to what [`Method::settings`] reports (the typed constructors and the
    /// registry record the values they built the chain from).
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// use curvlab::methods::Method;
    /// use curvlab::params::Value;
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.1).unwrap())
    ///     .with_settings(vec![("lr", Value::Num(0.1))]);
    /// assert_eq!(gd.settings(), vec![("lr", Value::Num(0.1))]);
    /// ```
    pub fn with_settings(mut self, settings: Vec<(&'static str, Value)>) -> Self {
        self.settings.extend(settings);
        self
    }

    /// Turns the fused single-pass step off (`true` by default); for testing that both paths
    /// agree.
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.1).unwrap()).with_fusion(false);
    /// assert!(format!("{gd:?}").contains("gd"));
    /// ```
    pub fn with_fusion(mut self, fuse: bool) -> Self {
        self.fuse = fuse;
        self
    }

    /// The learning-rate scaling.
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.25).unwrap());
    /// assert_eq!(gd.learning_rate().base(), 0.25);
    /// ```
    pub fn learning_rate(&self) -> &ScaleByLearningRate {
        &self.lr
    }

    /// Resets every transformation's state for `n` parameters and allocates the buffers.
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// let mut gd = FirstOrder::gd(ScaleByLearningRate::new(0.5).unwrap());
    /// gd.reset(2);
    /// let mut x = [1.0, 1.0];
    /// let step = gd.apply(&[2.0, 0.0], &mut x).unwrap();
    /// assert_eq!((x, step), ([0.0, 1.0], 1.0));
    /// ```
    pub fn reset(&mut self, n: usize) {
        for t in &mut self.chain {
            t.init(n);
        }
        self.lr.init(n);
        self.u.clear();
        self.u.resize(n, 0.0);
        self.x_trial.clear();
        if self.line_search.is_some() {
            self.x_trial.resize(n, 0.0);
        }
        self.n = Some(n);
    }

    fn check_ready(&self, len: usize) -> Result<usize> {
        let n = self.n.ok_or_else(|| {
            Error::Numerical(format!(
                "{}: call init (or reset) before stepping",
                self.name
            ))
        })?;
        check_len("x", n, len)?;
        Ok(n)
    }

    /// Computes the update `u` from `g` into the internal buffer (the chain, then `−η_t`).
    fn compute_update(&mut self, g: &[f64], x: &[f64]) -> Result<()> {
        self.u.copy_from_slice(g);
        for t in &mut self.chain {
            t.update(&mut self.u, x)?;
        }
        self.lr.update(&mut self.u, x)
    }

    /// One step from the gradient `g` (full or minibatch): `x ← x + u`, returning `‖u‖₂`.
    /// No objective evaluation and no allocation; [`FirstOrder::reset`] (or `init`) first.
    /// A line search, if set, is not used here (it needs the objective).
    ///
    /// ```
    /// use curvlab::methods::first_order::{FirstOrder, MomentumSchedule, ScaleByLearningRate, Trace};
    /// let mom = Trace::new(MomentumSchedule::constant(0.5).unwrap());
    /// let mut hb = FirstOrder::new("momentum", vec![Box::new(mom)], ScaleByLearningRate::new(0.1).unwrap());
    /// hb.reset(1);
    /// let mut x = [0.0];
    /// hb.apply(&[1.0], &mut x).unwrap(); // v = 1
    /// hb.apply(&[1.0], &mut x).unwrap(); // v = 1.5
    /// assert!((x[0] + 0.25).abs() < 1e-15);
    /// ```
    pub fn apply(&mut self, g: &[f64], x: &mut [f64]) -> Result<f64> {
        self.check_ready(x.len())?;
        check_len("gradient", x.len(), g.len())?;
        if self.fuse
            && let [t] = self.chain.as_mut_slice()
        {
            let s = -self.lr.current_rate();
            if let Some(sq) = t.fused_step(g, x, s)? {
                self.lr.advance();
                return Ok(sq.sqrt());
            }
        }
        self.compute_update(g, x)?;
        for (xi, ui) in x.iter_mut().zip(&self.u) {
            *xi += ui;
        }
        Ok(norm(&self.u))
    }

    fn extras(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        self.lr.extras(&mut out);
        for t in &self.chain {
            t.extras(&mut out);
        }
        out
    }
}

impl Method for FirstOrder {
    fn name(&self) -> &str {
        &self.name
    }

    /// The preconditioner of the first transformation of the chain that has one (clipping and
    /// weight decay have none); `None` for `gd`, `momentum`, `nesterov`.
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        self.chain.iter().find_map(|t| t.diagonal_preconditioner())
    }

    fn settings(&self) -> Vec<(&'static str, Value)> {
        self.settings.clone()
    }

    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        check_len("x0", obj.dim(), it.x.len())?;
        check_len("gradient", obj.dim(), it.g.len())?;
        self.reset(obj.dim());
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        self.check_ready(it.x.len())?;
        let step_length;
        let mut alpha = None;
        if let Some(ls) = self.line_search {
            self.compute_update(&it.g, &it.x)?;
            if !(dot(&it.g, &self.u) < 0.0) {
                return Err(Error::Numerical(format!(
                    "{}: update is not a descent direction for the line search",
                    self.name
                )));
            }
            let r = ls.search(obj, &it.x, it.f, &it.g, &self.u, 1.0, &mut self.x_trial)?;
            std::mem::swap(&mut it.x, &mut self.x_trial);
            step_length = r.alpha * norm(&self.u);
            alpha = Some(r.alpha);
        } else {
            step_length = self.apply(&it.g, &mut it.x)?;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        let mut info = StepInfo::new(step_length);
        info.extras = self.extras();
        if let Some(a) = alpha {
            info.extras.push(("alpha", a));
        }
        Ok(info)
    }
}
