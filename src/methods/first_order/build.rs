//! The registry entries of the first-order family (`gd`, `momentum`, `nesterov`, `adagrad`,
//! `rmsprop`, `adam`, `adamw`, `amsgrad`, `nadam`): parameters, defaults (PyTorch's, or the
//! seed article's with `preset = "seed"`), validation, and the chains they build.
//!
//! `lr = "optimal"` (for `gd`, `momentum`, `nesterov`) uses the problem's spectrum `[μ, L]`:
//! gradient descent `η = 2/(μ + L)` (rate `(κ − 1)/(κ + 1)`, Nocedal & Wright 2006, §3.3);
//! heavy ball `η = 4/(√L + √μ)²`, `ρ = ((√κ − 1)/(√κ + 1))²` (Polyak 1964; rate
//! `(√κ − 1)/(√κ + 1)`); Nesterov `η = 1/L`, `ρ = (√κ − 1)/(√κ + 1)` (Nesterov 2004, §2.2).

use super::{
    AddDecayedWeights, ClipByGlobalNorm, FirstOrder, GradientTransformation, Momentum,
    MomentumSchedule, Nesterov, ScaleByAdagrad, ScaleByAdam, ScaleByLearningRate, ScaleByNadam,
    ScaleByRms, Schedule, check_nonnegative,
};
use crate::error::{Error, Result};
use crate::methods::Method;
use crate::methods::line_search::Armijo;
use crate::methods::registry::{MethodContext, MethodEntry, MethodInfo};
use crate::methods::stochastic::Stochastic;
use crate::params::{ParamInfo, Params, Value};

/// Which defaults to start from.
///
/// ```
/// use curvlab::methods::first_order::Preset;
/// assert_eq!(Preset::parse("seed").unwrap(), Preset::Seed);
/// assert!(Preset::parse("keras").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// PyTorch's defaults (the default).
    PyTorch,
    /// The seed article's settings where it gives them: momentum annealed 0.5 → 0.9 (after
    /// `anneal_after = 5` steps; the article says "after some epochs"); RMSProp `ρ = 0.9`,
    /// `ε = 1e-10` inside the root; Adam `β₂ = 0.99`, `ε = 1e-10` inside the root, no bias
    /// correction. Elsewhere (gd, adagrad, nadam) the same as PyTorch's.
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
}

const fn pi(name: &'static str, default: &'static str, doc: &'static str) -> ParamInfo {
    ParamInfo { name, default, doc }
}

const LR_REQUIRED: ParamInfo = pi(
    "lr",
    "required",
    "learning rate η > 0, or \"optimal\" (needs the problem's spectrum)",
);
const LR_GD: ParamInfo = pi(
    "lr",
    "required",
    "learning rate η > 0, or \"optimal\" = 2/(μ+L); with line_search=armijo the first trial step (default 1)",
);
const LR_ADAM: ParamInfo = pi("lr", "1e-3", "learning rate η > 0 (PyTorch default)");
const LR_NADAM: ParamInfo = pi("lr", "2e-3", "learning rate η > 0 (PyTorch default)");
const LR_1E2: ParamInfo = pi("lr", "1e-2", "learning rate η > 0 (PyTorch default)");
const PRESET: ParamInfo = pi(
    "preset",
    "pytorch",
    "pytorch | seed (the seed article's settings); explicit keys override",
);
const SCHEDULE: ParamInfo = pi(
    "schedule",
    "constant",
    "constant | step | exponential | cosine (learning-rate schedule)",
);
const WARMUP: ParamInfo = pi(
    "warmup",
    "0",
    "linear warm-up iterations: η_t × min(1, (t+1)/warmup)",
);
const DECAY: ParamInfo = pi(
    "decay",
    "0.1 | 0.99",
    "γ of the step (0.1) / exponential (0.99) schedule",
);
const STEP_SIZE: ParamInfo = pi(
    "step_size",
    "100",
    "iterations between decays (schedule = step)",
);
const TOTAL: ParamInfo = pi(
    "total",
    "1000",
    "iterations to anneal to lr_min (schedule = cosine)",
);
const LR_MIN: ParamInfo = pi("lr_min", "0", "final rate of the cosine schedule");
const CLIP: ParamInfo = pi(
    "clip_norm",
    "0",
    "clip the gradient to this global norm first (0: off)",
);
const WD: ParamInfo = pi(
    "weight_decay",
    "0",
    "L2 penalty λ: u ← g + λx before the preconditioner (PyTorch's weight_decay)",
);
const WD_ADAMW: ParamInfo = pi(
    "weight_decay",
    "1e-2",
    "decoupled weight decay λ: x ← x − η(Adam(g) + λx) (PyTorch AdamW default)",
);
const MOMENTUM: ParamInfo = pi(
    "momentum",
    "0.9",
    "momentum coefficient ρ ∈ [0, 1) (after annealing), or \"optimal\"",
);
const MOMENTUM_START: ParamInfo = pi(
    "momentum_start",
    "= momentum",
    "coefficient for the first anneal_after steps (seed: 0.5)",
);
const ANNEAL_AFTER: ParamInfo = pi(
    "anneal_after",
    "0",
    "steps with momentum_start before switching to momentum (seed: 5)",
);
const BETA1: ParamInfo = pi("beta1", "0.9", "first-moment decay β₁ ∈ [0, 1)");
const BETA2: ParamInfo = pi(
    "beta2",
    "0.999",
    "second-moment decay β₂ ∈ [0, 1) (seed: 0.99)",
);
const EPS_ADAM: ParamInfo = pi("eps", "1e-8", "ε > 0 (seed: 1e-10)");
const EPS_INSIDE: ParamInfo = pi(
    "eps_inside",
    "false",
    "ε inside the square root, √(v + ε) (seed: true)",
);
const BIAS_CORRECTION: ParamInfo = pi(
    "bias_correction",
    "true",
    "divide the moments by 1 − βᵗ (seed: false)",
);
const AMSGRAD: ParamInfo = pi("amsgrad", "false", "AMSGrad: use max of the second moments");
const ALPHA: ParamInfo = pi(
    "alpha",
    "0.99",
    "decay rate of the squared-gradient average (the seed's ρ; seed: 0.9)",
);
const EPS_RMS: ParamInfo = pi("eps", "1e-8", "ε > 0 (seed: 1e-10)");
const CENTERED: ParamInfo = pi(
    "centered",
    "false",
    "centered RMSProp (Graves 2013): divide by the variance estimate",
);
const RMS_MOMENTUM: ParamInfo = pi(
    "momentum",
    "0",
    "momentum on the rescaled gradient μ ∈ [0, 1)",
);
const EPS_ADAGRAD: ParamInfo = pi("eps", "1e-10", "ε > 0");
const INITIAL_ACC: ParamInfo = pi(
    "initial_accumulator",
    "0",
    "initial value of the sum of squares",
);
const MOMENTUM_DECAY: ParamInfo = pi("momentum_decay", "4e-3", "ψ in μ_t = β₁(1 − ½·0.96^{tψ})");
const LINE_SEARCH: ParamInfo = pi(
    "line_search",
    "none",
    "none | armijo (backtracking from lr, c1 = 1e-4, shrink 0.5)",
);
const BATCH_SIZE: ParamInfo = pi(
    "batch_size",
    "0",
    "minibatch size for finite-sum problems (0: full batch)",
);
const EVAL_EVERY: ParamInfo = pi(
    "eval_every",
    "1 epoch",
    "minibatch steps per iteration (full-batch f, ‖g‖ recorded after each)",
);

const GD_PARAMS: &[ParamInfo] = &[
    LR_GD,
    LINE_SEARCH,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const MOMENTUM_PARAMS: &[ParamInfo] = &[
    LR_REQUIRED,
    MOMENTUM,
    MOMENTUM_START,
    ANNEAL_AFTER,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const ADAGRAD_PARAMS: &[ParamInfo] = &[
    LR_1E2,
    EPS_ADAGRAD,
    EPS_INSIDE,
    INITIAL_ACC,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const RMSPROP_PARAMS: &[ParamInfo] = &[
    LR_1E2,
    ALPHA,
    EPS_RMS,
    EPS_INSIDE,
    CENTERED,
    RMS_MOMENTUM,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const ADAM_PARAMS: &[ParamInfo] = &[
    LR_ADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    BIAS_CORRECTION,
    AMSGRAD,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const AMSGRAD_PARAMS: &[ParamInfo] = &[
    LR_ADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    BIAS_CORRECTION,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const ADAMW_PARAMS: &[ParamInfo] = &[
    LR_ADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    BIAS_CORRECTION,
    AMSGRAD,
    WD_ADAMW,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];
const NADAM_PARAMS: &[ParamInfo] = &[
    LR_NADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    MOMENTUM_DECAY,
    SCHEDULE,
    WARMUP,
    DECAY,
    STEP_SIZE,
    TOTAL,
    LR_MIN,
    CLIP,
    WD,
    PRESET,
    BATCH_SIZE,
    EVAL_EVERY,
];

/// Registry entries of the first-order family.
pub const ENTRIES: &[MethodEntry] = &[
    MethodEntry {
        info: MethodInfo {
            name: "gd",
            summary: "gradient descent x ← x − η∇f (fixed, scheduled, optimal 2/(μ+L), or Armijo)",
            params: GD_PARAMS,
        },
        build: build_gd,
    },
    MethodEntry {
        info: MethodInfo {
            name: "momentum",
            summary: "heavy-ball momentum v ← ρv + g, x ← x − ηv (Polyak 1964)",
            params: MOMENTUM_PARAMS,
        },
        build: build_momentum,
    },
    MethodEntry {
        info: MethodInfo {
            name: "nesterov",
            summary: "Nesterov momentum, PyTorch form x ← x − η(g + ρv) (Sutskever et al. 2013)",
            params: MOMENTUM_PARAMS,
        },
        build: build_nesterov,
    },
    MethodEntry {
        info: MethodInfo {
            name: "adagrad",
            summary: "AdaGrad s ← s + g², x ← x − ηg/(√s+ε) (Duchi et al. 2011)",
            params: ADAGRAD_PARAMS,
        },
        build: build_adagrad,
    },
    MethodEntry {
        info: MethodInfo {
            name: "rmsprop",
            summary: "RMSProp s ← αs + (1−α)g², x ← x − ηg/(√s+ε) (Hinton 2012)",
            params: RMSPROP_PARAMS,
        },
        build: build_rmsprop,
    },
    MethodEntry {
        info: MethodInfo {
            name: "adam",
            summary: "Adam with bias correction (Kingma & Ba 2015)",
            params: ADAM_PARAMS,
        },
        build: build_adam,
    },
    MethodEntry {
        info: MethodInfo {
            name: "adamw",
            summary: "AdamW, decoupled weight decay (Loshchilov & Hutter 2019)",
            params: ADAMW_PARAMS,
        },
        build: build_adamw,
    },
    MethodEntry {
        info: MethodInfo {
            name: "amsgrad",
            summary: "AMSGrad: Adam with the maximum of second moments (Reddi et al. 2018)",
            params: AMSGRAD_PARAMS,
        },
        build: build_amsgrad,
    },
    MethodEntry {
        info: MethodInfo {
            name: "nadam",
            summary: "NAdam: Adam with Nesterov momentum (Dozat 2016)",
            params: NADAM_PARAMS,
        },
        build: build_nadam,
    },
];

type Chain = Vec<Box<dyn GradientTransformation>>;

/// The learning rate as given: a number or `"optimal"`.
enum Lr {
    Num(f64),
    Optimal,
}

fn read_lr(p: &Params, default: Option<f64>, optimal_ok: bool) -> Result<Lr> {
    match p.get("lr") {
        None => default.map(Lr::Num).ok_or_else(|| {
            Error::invalid(
                "lr",
                "(missing)",
                if optimal_ok {
                    "is required: a number > 0 or \"optimal\""
                } else {
                    "is required: a number > 0"
                },
            )
        }),
        Some(Value::Num(x)) => {
            if *x > 0.0 && x.is_finite() {
                Ok(Lr::Num(*x))
            } else {
                Err(Error::invalid("lr", x, "must be finite and > 0"))
            }
        }
        Some(Value::Str(s)) if s == "optimal" && optimal_ok => Ok(Lr::Optimal),
        Some(v) => Err(Error::invalid(
            "lr",
            v,
            if optimal_ok {
                "expected a number > 0 or \"optimal\""
            } else {
                "expected a number > 0"
            },
        )),
    }
}

/// `(μ, L)` from the problem's spectrum.
fn spectrum_bounds(ctx: &MethodContext) -> Result<(f64, f64)> {
    let ev = ctx.eigenvalues.as_deref().ok_or_else(|| {
        Error::invalid(
            "lr",
            "optimal",
            "needs the problem's Hessian spectrum, which this problem does not know",
        )
    })?;
    let mu = ev.iter().copied().fold(f64::INFINITY, f64::min);
    let l = ev.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(mu > 0.0 && l.is_finite()) {
        return Err(Error::invalid(
            "lr",
            "optimal",
            "needs a positive definite Hessian (smallest eigenvalue > 0)",
        ));
    }
    Ok((mu, l))
}

fn read_preset(p: &Params) -> Result<Preset> {
    Preset::parse(&p.str("preset", "pytorch")?)
}

fn read_unit(p: &Params, key: &str, default: f64) -> Result<f64> {
    super::check_unit(key, p.f64(key, default)?)
}

fn read_positive(p: &Params, key: &str, default: f64) -> Result<f64> {
    super::check_positive(key, p.f64(key, default)?)
}

fn reject_unused(p: &Params, keys: &[&str], why: &str) -> Result<()> {
    for k in keys {
        if let Some(v) = p.get(k) {
            return Err(Error::invalid(k, v, why));
        }
    }
    Ok(())
}

/// The learning-rate scaling with its schedule keys.
fn lr_scaling(p: &Params, lr: f64) -> Result<ScaleByLearningRate> {
    let kind = p.str("schedule", "constant")?;
    let schedule = match kind.as_str() {
        "constant" => {
            reject_unused(
                p,
                &["decay", "step_size", "total", "lr_min"],
                "has no effect with schedule = constant",
            )?;
            Schedule::Constant
        }
        "step" => {
            reject_unused(
                p,
                &["total", "lr_min"],
                "has no effect with schedule = step",
            )?;
            Schedule::Step {
                step_size: p.usize("step_size", 100)?,
                gamma: p.f64("decay", 0.1)?,
            }
        }
        "exponential" => {
            reject_unused(
                p,
                &["step_size", "total", "lr_min"],
                "has no effect with schedule = exponential",
            )?;
            Schedule::Exponential {
                gamma: p.f64("decay", 0.99)?,
            }
        }
        "cosine" => {
            reject_unused(
                p,
                &["decay", "step_size"],
                "has no effect with schedule = cosine",
            )?;
            Schedule::Cosine {
                total: p.usize("total", 1000)?,
                lr_min: p.f64("lr_min", 0.0)?,
            }
        }
        other => {
            return Err(Error::invalid(
                "schedule",
                other,
                "expected constant, step, exponential or cosine",
            ));
        }
    };
    ScaleByLearningRate::new(lr)?
        .with_schedule(schedule)?
        .with_warmup(p.usize("warmup", 0)?)
}

/// Clipping (if `clip_norm > 0`).
fn clip_prefix(p: &Params) -> Result<Chain> {
    let c = check_nonnegative("clip_norm", p.f64("clip_norm", 0.0)?)?;
    let mut chain: Chain = Vec::new();
    if c > 0.0 {
        chain.push(Box::new(ClipByGlobalNorm::new(c)?));
    }
    Ok(chain)
}

/// Clipping then the coupled L2 penalty (if `weight_decay > 0`).
fn prefix(p: &Params) -> Result<Chain> {
    let mut chain = clip_prefix(p)?;
    let wd = check_nonnegative("weight_decay", p.f64("weight_decay", 0.0)?)?;
    if wd > 0.0 {
        chain.push(Box::new(AddDecayedWeights::new(wd)?));
    }
    Ok(chain)
}

/// Builds the method and wraps it for minibatches if `batch_size > 0`.
fn finish(
    name: &str,
    chain: Chain,
    lr: ScaleByLearningRate,
    line_search: Option<Armijo>,
    p: &Params,
    ctx: &MethodContext,
) -> Result<Box<dyn Method>> {
    let mut m = FirstOrder::new(name, chain, lr);
    let batch = p.usize("batch_size", 0)?;
    let eval_every = match p.get("eval_every") {
        None => None,
        Some(_) => Some(p.usize("eval_every", 1)?),
    };
    if batch == 0 {
        if let Some(e) = eval_every {
            return Err(Error::invalid(
                "eval_every",
                e,
                "only applies with batch_size > 0",
            ));
        }
        if let Some(ls) = line_search {
            m = m.with_line_search(ls)?;
        }
        return Ok(Box::new(m));
    }
    if line_search.is_some() {
        return Err(Error::invalid(
            "line_search",
            "armijo",
            "is not available with minibatches (batch_size > 0)",
        ));
    }
    let n_ex = ctx.num_examples.ok_or_else(|| {
        Error::invalid(
            "batch_size",
            batch,
            "needs a finite-sum problem (one with examples)",
        )
    })?;
    let eval_every = eval_every.unwrap_or_else(|| n_ex.div_ceil(batch).max(1));
    Ok(Box::new(Stochastic::new(m, batch, eval_every, ctx.seed)?))
}

fn build_gd(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let _ = read_preset(p)?;
    let ls = match p.str("line_search", "none")?.as_str() {
        "none" => None,
        "armijo" => Some(Armijo::default()),
        other => {
            return Err(Error::invalid(
                "line_search",
                other,
                "expected none or armijo",
            ));
        }
    };
    let default = ls.map(|_| 1.0);
    let lr = match read_lr(p, default, true)? {
        Lr::Num(x) => x,
        Lr::Optimal => {
            let (mu, l) = spectrum_bounds(ctx)?;
            2.0 / (mu + l)
        }
    };
    let chain = prefix(p)?;
    finish("gd", chain, lr_scaling(p, lr)?, ls, p, ctx)
}

/// The momentum schedule and rate for `momentum` / `nesterov`.
fn momentum_settings(
    p: &Params,
    ctx: &MethodContext,
    nesterov: bool,
) -> Result<(f64, MomentumSchedule)> {
    let preset = read_preset(p)?;
    let lr = read_lr(p, None, true)?;
    let explicit = match p.get("momentum") {
        None => None,
        Some(Value::Str(s)) if s == "optimal" => None,
        Some(Value::Num(x)) => Some(super::check_unit("momentum", *x)?),
        Some(v) => {
            return Err(Error::invalid(
                "momentum",
                v,
                "expected a number in [0, 1) or \"optimal\"",
            ));
        }
    };
    let wants_optimal = matches!(p.get("momentum"), Some(Value::Str(_)));
    let optimal = if matches!(lr, Lr::Optimal) || wants_optimal {
        let (mu, l) = spectrum_bounds(ctx)?;
        let q = ((l / mu).sqrt() - 1.0) / ((l / mu).sqrt() + 1.0);
        Some(if nesterov {
            (1.0 / l, q)
        } else {
            (4.0 / (l.sqrt() + mu.sqrt()).powi(2), q * q)
        })
    } else {
        None
    };
    let eta = match lr {
        Lr::Num(x) => x,
        Lr::Optimal => optimal.map_or(f64::NAN, |o| o.0),
    };
    let rho = explicit.or(optimal.map(|o| o.1)).unwrap_or(0.9);
    let (start_default, after_default) = match preset {
        Preset::PyTorch => (rho, 0),
        Preset::Seed => (0.5, 5),
    };
    let start = p.f64("momentum_start", start_default)?;
    let after = p.usize("anneal_after", after_default)?;
    Ok((eta, MomentumSchedule::annealed(start, rho, after)?))
}

fn build_momentum(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let (lr, sched) = momentum_settings(p, ctx, false)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(Momentum::new(sched)));
    finish("momentum", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn build_nesterov(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let (lr, sched) = momentum_settings(p, ctx, true)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(Nesterov::new(sched)));
    finish("nesterov", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn number_lr(p: &Params, default: f64) -> Result<f64> {
    match read_lr(p, Some(default), false)? {
        Lr::Num(x) => Ok(x),
        Lr::Optimal => Err(Error::invalid("lr", "optimal", "expected a number > 0")),
    }
}

fn build_adagrad(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let _ = read_preset(p)?;
    let lr = number_lr(p, 1e-2)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(
        ScaleByAdagrad::new()
            .with_eps(read_positive(p, "eps", 1e-10)?)?
            .with_eps_inside(p.bool("eps_inside", false)?)
            .with_initial_accumulator(p.f64("initial_accumulator", 0.0)?)?,
    ));
    finish("adagrad", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn build_rmsprop(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let (alpha, eps, inside) = match preset {
        Preset::PyTorch => (0.99, 1e-8, false),
        Preset::Seed => (0.9, 1e-10, true),
    };
    let lr = number_lr(p, 1e-2)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(
        ScaleByRms::new()
            .with_alpha(read_unit(p, "alpha", alpha)?)?
            .with_eps(read_positive(p, "eps", eps)?)?
            .with_eps_inside(p.bool("eps_inside", inside)?)
            .with_centered(p.bool("centered", false)?)
            .with_momentum(read_unit(p, "momentum", 0.0)?)?,
    ));
    finish("rmsprop", chain, lr_scaling(p, lr)?, None, p, ctx)
}

/// Adam's transformation from the keys, with the preset's defaults.
fn adam_transform(p: &Params, amsgrad_default: bool, amsgrad_key: bool) -> Result<ScaleByAdam> {
    let preset = read_preset(p)?;
    let (beta2, eps, inside, bias) = match preset {
        Preset::PyTorch => (0.999, 1e-8, false, true),
        Preset::Seed => (0.99, 1e-10, true, false),
    };
    let amsgrad = if amsgrad_key {
        p.bool("amsgrad", amsgrad_default)?
    } else {
        amsgrad_default
    };
    Ok(ScaleByAdam::new()
        .with_betas(read_unit(p, "beta1", 0.9)?, read_unit(p, "beta2", beta2)?)?
        .with_eps(read_positive(p, "eps", eps)?)?
        .with_eps_inside(p.bool("eps_inside", inside)?)
        .with_bias_correction(p.bool("bias_correction", bias)?)
        .with_amsgrad(amsgrad))
}

fn build_adam(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let lr = number_lr(p, 1e-3)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(adam_transform(p, false, true)?));
    finish("adam", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn build_amsgrad(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let lr = number_lr(p, 1e-3)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(adam_transform(p, true, false)?));
    finish("amsgrad", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn build_adamw(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let lr = number_lr(p, 1e-3)?;
    let mut chain = clip_prefix(p)?;
    chain.push(Box::new(adam_transform(p, false, true)?));
    let wd = check_nonnegative("weight_decay", p.f64("weight_decay", 1e-2)?)?;
    if wd > 0.0 {
        chain.push(Box::new(AddDecayedWeights::new(wd)?));
    }
    finish("adamw", chain, lr_scaling(p, lr)?, None, p, ctx)
}

fn build_nadam(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let _ = read_preset(p)?;
    let lr = number_lr(p, 2e-3)?;
    let mut chain = prefix(p)?;
    chain.push(Box::new(
        ScaleByNadam::new()
            .with_betas(read_unit(p, "beta1", 0.9)?, read_unit(p, "beta2", 0.999)?)?
            .with_eps(read_positive(p, "eps", 1e-8)?)?
            .with_eps_inside(p.bool("eps_inside", false)?)
            .with_momentum_decay(p.f64("momentum_decay", 4e-3)?)?,
    ));
    finish("nadam", chain, lr_scaling(p, lr)?, None, p, ctx)
}
