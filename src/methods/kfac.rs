//! K-FAC (Martens & Grosse, "Optimizing Neural Networks with Kronecker-factored Approximate
//! Curvature", ICML 2015): natural-gradient steps preconditioned by the block-diagonal Kronecker
//! approximation of the Fisher ([`crate::curvature::kfac`]), for layered network objectives.
//!
//! One iteration `t` at `θ` with gradient `∇h` (the objective's, weight decay `η` included):
//!
//! ```text
//! Ā, G ← ε Ā + (1 − ε) Ā_new,  ε = min(1 − 1/t, ε_max)        (§5: EMA of the factors)
//! every T steps: eigendecompose Ā, G                            (§8: inverses every T₃)
//! Δ = −[(Ā + π√γ² I)⁻¹ ⊗ (G + √γ²/π I)⁻¹] ∇h,  γ² = λ + η      (§6.3: factored Tikhonov, π)
//! (α, μ) = argmin M̂(αΔ + μδ₀),  M̂(δ) = ½ δᵀ(F + λI)δ + ∇hᵀδ    (§6.4 and §7: rescaling, momentum)
//! δ = αΔ + μδ₀,  θ ← θ + δ
//! ρ = (h(θ + δ) − h(θ)) / (M(δ) − M(0)),  M without λ          (§6.5: reduction ratio)
//! every T₁ steps: λ ← ωλ if ρ > 3/4,  λ ← λ/ω if ρ < 1/4         (§6.5: Levenberg–Marquardt)
//! ```
//!
//! What curvlab does where the paper leaves a choice: `F` in the quadratic models is the exact
//! generalized Gauss-Newton matrix of the objective (equal to the Fisher for the softmax
//! cross-entropy and the squared error, matching losses, §6.4), with the objective's weight decay
//! `η` on the weights only (not the biases), over the whole training set, by
//! [`crate::objective::GaussNewton`] products (one per step, two with momentum; counted). The
//! factored damping uses `γ = √(λ + η)` (the §6.3 rule) without the separate `γ` search of §6.6.
//! Because the factors are kept as eigendecompositions, a change of `λ` between refreshes takes
//! effect at once. Momentum (§7) is on by default (`momentum = false` gives the plain §6.4 `α`).
//! The factors' targets are sampled from the model (§5) with the run's seed, or the true labels
//! (`empirical`), or the exact expectation over labels (`expected`, `k` backward passes); over the
//! whole training set or a seeded minibatch of `batch` examples per step.
//! The defaults: `λ₀ = 150`, `T₁ = 5`, `ω = (19/20)^T₁`, `T = 20`, `ε_max = 0.95` (§6.5, §8).
//! The method refuses an objective without layers ([`crate::curvature::kfac::Layered`]).

use super::{Iterate, Method, Needs, StepInfo};
use crate::curvature::kfac::{
    Kfac as KfacOperator, KfacInverse, KroneckerFactors, LayerShape, Targets,
};
use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use crate::linalg::vector::dot;
use crate::methods::first_order::{check_positive, check_unit};
use crate::objective::Objective;
use crate::params::Value;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

/// The K-FAC method (Martens & Grosse 2015).
///
/// ```
/// use curvlab::methods::Kfac;
/// use curvlab::params::Params;
/// use curvlab::{Stop, minimize};
/// let p = Params::from_pairs(&["hidden=4", "samples=60"]).unwrap();
/// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
/// let mut m = Kfac::new(1.0).unwrap();
/// let r = minimize(inst.objective.as_ref(), &mut m, &inst.x0, &Stop::new(1e-8, 20)).unwrap();
/// assert!(r.f < 0.5 * inst.objective.value(&inst.x0).unwrap());
/// let q = curvlab::problems::build_problem("quadratic", &Params::new(), 0).unwrap();
/// let e = minimize(q.objective.as_ref(), &mut m, &q.x0, &Stop::new(1e-8, 5)).unwrap_err();
/// assert!(e.to_string().contains("K-FAC needs a layered network objective"));
/// ```
#[derive(Debug, Clone)]
pub struct Kfac {
    damping: f64,
    every: usize,
    adapt_every: usize,
    omega: f64,
    ema_max: f64,
    momentum: bool,
    targets: &'static str,
    batch: usize,
    seed: u64,
    state: Option<State>,
}

#[derive(Debug, Clone)]
struct State {
    shapes: Vec<LayerShape>,
    factors: Vec<KroneckerFactors>,
    inverse: Option<KfacInverse>,
    lambda: f64,
    eta: f64,
    prev: Vec<f64>,
    t: usize,
    rng: ChaCha8Rng,
}

impl Default for Kfac {
    /// Martens & Grosse's settings: `λ₀ = 150`, `T = 20`, `T₁ = 5`, `ω = (19/20)⁵`,
    /// `ε_max = 0.95`, momentum on, sampled targets, the whole training set, seed 0.
    fn default() -> Self {
        Kfac {
            damping: 150.0,
            every: 20,
            adapt_every: 5,
            omega: 0.773_780_937_5, // (19/20)^5 in decimal
            ema_max: 0.95,
            momentum: true,
            targets: "sampled",
            batch: 0,
            seed: 0,
            state: None,
        }
    }
}

impl Kfac {
    /// K-FAC with the initial damping `λ₀ > 0` and the other defaults.
    ///
    /// ```
    /// assert!(curvlab::methods::Kfac::new(0.0).is_err());
    /// ```
    pub fn new(damping: f64) -> Result<Self> {
        Ok(Kfac {
            damping: check_positive("damping", damping)?,
            ..Self::default()
        })
    }

    /// Recompute the factors' eigendecompositions every `T ≥ 1` steps.
    ///
    /// ```
    /// assert!(curvlab::methods::Kfac::default().with_every(0).is_err());
    /// ```
    pub fn with_every(mut self, every: usize) -> Result<Self> {
        self.every = check_count("every", every)?;
        Ok(self)
    }

    /// Adapt `λ` every `T₁ ≥ 1` steps by the factor `ω ∈ (0, 1)`.
    ///
    /// ```
    /// assert!(curvlab::methods::Kfac::default().with_adaptation(5, 1.5).is_err());
    /// ```
    pub fn with_adaptation(mut self, adapt_every: usize, omega: f64) -> Result<Self> {
        self.adapt_every = check_count("adapt_every", adapt_every)?;
        if !(omega > 0.0 && omega < 1.0) {
            return Err(Error::invalid("omega", omega, "must be in (0, 1)"));
        }
        self.omega = omega;
        Ok(self)
    }

    /// The largest EMA weight `ε_max ∈ [0, 1)` of the factors.
    ///
    /// ```
    /// assert!(curvlab::methods::Kfac::default().with_ema(1.0).is_err());
    /// ```
    pub fn with_ema(mut self, ema_max: f64) -> Result<Self> {
        self.ema_max = check_unit("ema", ema_max)?;
        Ok(self)
    }

    /// Momentum (§7) on or off.
    ///
    /// ```
    /// use curvlab::methods::Method;
    /// let m = curvlab::methods::Kfac::default().with_momentum(false);
    /// assert!(m.settings().contains(&("momentum", curvlab::params::Value::Bool(false))));
    /// ```
    pub fn with_momentum(mut self, on: bool) -> Self {
        self.momentum = on;
        self
    }

    /// The factors' targets: `sampled`, `empirical` or `expected`.
    ///
    /// ```
    /// assert!(curvlab::methods::Kfac::default().with_targets("labels").is_err());
    /// ```
    pub fn with_targets(mut self, targets: &str) -> Result<Self> {
        self.targets = Targets::parse(targets, 0)?.name();
        Ok(self)
    }

    /// Estimate the factors on a seeded minibatch of `batch` examples per step (0: all).
    ///
    /// ```
    /// use curvlab::methods::{Kfac, Method};
    /// let m = Kfac::default().with_batch(64).with_seed(3);
    /// assert!(m.settings().contains(&("batch", curvlab::params::Value::Num(64.0))));
    /// ```
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// The seed of the sampled targets and minibatches (example in [`Kfac::with_batch`]).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

fn check_count(name: &str, v: usize) -> Result<usize> {
    if v == 0 {
        return Err(Error::invalid(name, 0, "must be >= 1"));
    }
    Ok(v)
}

/// `α(F + λ)Δ`-style products: `F v` by the objective's Gauss-Newton product.
fn ggn(obj: &dyn Objective, x: &[f64], v: &[f64]) -> Result<Vec<f64>> {
    let gn = obj
        .as_gauss_newton()
        .ok_or_else(|| Error::Unsupported("K-FAC needs Gauss-Newton products".into()))?;
    let mut out = vec![0.0; v.len()];
    gn.ggn_vp(x, v, &mut out)?;
    Ok(out)
}

/// The step `δ = αΔ + μδ₀` minimizing `½δᵀ(F + λI)δ + gᵀδ` over `(α, μ)`, with `F δ`.
struct Rescaled {
    delta: Vec<f64>,
    f_delta: Vec<f64>,
    alpha: f64,
    mu: f64,
}

fn rescale(
    obj: &dyn Objective,
    x: &[f64],
    g: &[f64],
    dir: Vec<f64>,
    prev: Option<&[f64]>,
    lambda: f64,
) -> Result<Rescaled> {
    let fd = ggn(obj, x, &dir)?;
    let a11 = dot(&dir, &fd) + lambda * dot(&dir, &dir);
    let b1 = -dot(g, &dir);
    if !(a11 > 0.0 && a11.is_finite()) {
        return Err(Error::Numerical(format!(
            "K-FAC: the quadratic model has curvature {a11:e} along the step (raise the damping)"
        )));
    }
    let (mut alpha, mut mu, mut fp) = (b1 / a11, 0.0, None);
    if let Some(p) = prev.filter(|p| dot(p, p) > 0.0) {
        let f0 = ggn(obj, x, p)?;
        let a12 = dot(&dir, &f0) + lambda * dot(&dir, p);
        let a22 = dot(p, &f0) + lambda * dot(p, p);
        let b2 = -dot(g, p);
        let det = a11 * a22 - a12 * a12;
        if det > 1e-12 * a11 * a22 {
            alpha = (b1 * a22 - b2 * a12) / det;
            mu = (a11 * b2 - a12 * b1) / det;
        }
        fp = Some((p, f0));
    }
    let mut delta: Vec<f64> = dir.iter().map(|d| alpha * d).collect();
    let mut f_delta: Vec<f64> = fd.iter().map(|d| alpha * d).collect();
    if let Some((p, f0)) = fp.filter(|_| mu != 0.0) {
        for i in 0..delta.len() {
            delta[i] += mu * p[i];
            f_delta[i] += mu * f0[i];
        }
    }
    Ok(Rescaled {
        delta,
        f_delta,
        alpha,
        mu,
    })
}

impl Kfac {
    /// The targets of step `t`.
    fn targets_at(&self, t: usize) -> Result<Targets> {
        let seed = self.seed.wrapping_mul(0x9E37_79B9).wrapping_add(t as u64);
        Targets::parse(self.targets, seed)
    }

    /// Phase 1: the new statistics and the EMA of the factors (§5).
    fn update_factors(&mut self, obj: &dyn Objective, x: &[f64]) -> Result<()> {
        let layered = obj
            .layered()
            .ok_or_else(|| crate::curvature::kfac::not_layered("K-FAC"))?;
        let (batch, ema_max) = (self.batch, self.ema_max);
        let s = self.state_mut()?;
        s.t += 1;
        let t = s.t;
        let rows: Option<Vec<usize>> = match (batch, obj.as_finite_sum()) {
            (0, _) | (_, None) => None,
            (m, Some(fs)) => {
                let n = fs.num_examples();
                Some(sample(&mut s.rng, n, m.min(n)).into_vec())
            }
        };
        let targets = self.targets_at(t)?;
        let stats = layered.layer_statistics(x, rows.as_deref(), targets)?;
        let s = self.state_mut()?;
        let eps = (1.0 - 1.0 / t as f64).min(ema_max);
        for (f, st) in s.factors.iter_mut().zip(&stats) {
            let new = KroneckerFactors::from_statistics(st)?;
            f.a = &f.a * faer::Scale(eps) + &new.a * faer::Scale(1.0 - eps);
            f.g = &f.g * faer::Scale(eps) + &new.g * faer::Scale(1.0 - eps);
        }
        Ok(())
    }

    /// Phase 2: the damped inverse, decomposed again every `T` steps (§6.3, §8).
    fn refresh_inverse(&mut self, n: usize) -> Result<()> {
        let every = self.every;
        let s = self.state_mut()?;
        let gamma2 = s.lambda + s.eta;
        match &mut s.inverse {
            Some(inv) if !(s.t - 1).is_multiple_of(every) => inv.set_damping(gamma2)?,
            _ => {
                let k = KfacOperator::new(s.shapes.clone(), s.factors.clone(), n)?;
                s.inverse = Some(k.inverse(gamma2)?);
            }
        }
        Ok(())
    }

    fn state_mut(&mut self) -> Result<&mut State> {
        self.state
            .as_mut()
            .ok_or_else(|| Error::Usage("kfac: step before init".into()))
    }

    /// Phase 4: `λ ← ωλ` or `λ/ω` every `T₁` steps from `ρ` (§6.5).
    fn adapt(&mut self, rho: f64) -> Result<()> {
        let (omega, every) = (self.omega, self.adapt_every);
        let s = self.state_mut()?;
        if s.t.is_multiple_of(every) && rho.is_finite() {
            if rho > 0.75 {
                s.lambda *= omega;
            } else if rho < 0.25 {
                s.lambda /= omega;
            }
        }
        Ok(())
    }
}

impl Method for Kfac {
    fn name(&self) -> &str {
        "kfac"
    }

    fn needs(&self) -> Needs {
        Needs::Hvp
    }

    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let layered = obj
            .layered()
            .ok_or_else(|| crate::curvature::kfac::not_layered("K-FAC"))?;
        if obj.as_gauss_newton().is_none() {
            return Err(Error::Unsupported(
                "K-FAC needs Gauss-Newton products for its quadratic model".into(),
            ));
        }
        let shapes = layered.layer_shapes();
        let factors = shapes
            .iter()
            .map(|s| KroneckerFactors {
                a: faer::Mat::zeros(s.inputs + 1, s.inputs + 1),
                g: faer::Mat::zeros(s.outputs, s.outputs),
            })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(11);
        self.state = Some(State {
            shapes,
            factors,
            inverse: None,
            lambda: self.damping,
            eta: layered.weight_decay(),
            prev: vec![0.0; it.x.len()],
            t: 0,
            rng,
        });
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        check_len("kfac state", self.state_mut()?.prev.len(), it.x.len())?;
        self.update_factors(obj, &it.x)?;
        self.refresh_inverse(it.x.len())?;
        let momentum = self.momentum;
        let s = self.state_mut()?;
        let inv = s
            .inverse
            .as_ref()
            .ok_or_else(|| Error::Usage("kfac: no inverse".into()))?;
        let mut dir = vec![0.0; it.x.len()];
        inv.apply(&it.g, &mut dir)?;
        dir.iter_mut().for_each(|d| *d = -*d);
        let prev = if momentum {
            Some(s.prev.as_slice())
        } else {
            None
        };
        let r = rescale(obj, &it.x, &it.g, dir, prev, s.lambda)?;
        let model = 0.5 * dot(&r.delta, &r.f_delta) + dot(&it.g, &r.delta);
        let f_old = it.f;
        for (x, d) in it.x.iter_mut().zip(&r.delta) {
            *x += d;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        let rho = if model < 0.0 {
            (it.f - f_old) / model
        } else {
            f64::NAN
        };
        let lambda = s.lambda;
        s.prev.copy_from_slice(&r.delta);
        self.adapt(rho)?;
        Ok(StepInfo::new(dot(&r.delta, &r.delta).sqrt())
            .with("lambda", lambda)
            .with("rho", rho)
            .with("alpha", r.alpha)
            .with("mu", r.mu))
    }

    fn settings(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("damping", Value::Num(self.damping)),
            ("every", Value::Num(self.every as f64)),
            ("adapt_every", Value::Num(self.adapt_every as f64)),
            ("omega", Value::Num(self.omega)),
            ("ema", Value::Num(self.ema_max)),
            ("momentum", Value::Bool(self.momentum)),
            ("targets", Value::Str(self.targets.into())),
            ("batch", Value::Num(self.batch as f64)),
        ]
    }
}
