//! Registry entries of the first-order family (gradient descent, momentum, Nesterov, AdaGrad,
//! RMSProp, Adam, AdamW, AMSGrad, NAdam): names, parameter tables
//! ([`first_order_params`](super::first_order_params)) and builders from [`Params`].
//!
//! Each builder starts from the typed method's `Default` (or, with `preset = "seed"`, the seed
//! article's transformation, e.g. [`ScaleByAdam::seed`]) and overrides what the keys give:
//! no default value is written in this file. `lr = "optimal"` (for `gd`, `momentum`,
//! `nesterov`) takes `[μ, L]` from the problem's spectrum and the spectrum-optimal constants
//! of [`GradientDescent::optimal`], [`Momentum::optimal`], [`Nesterov::optimal`].

use super::first_order_keys::{
    Lr, finish, number_lr, options, options_l2, read_lr, read_preset, read_unit, spectrum_bounds,
};
use super::first_order_params::{
    ADAGRAD_PARAMS, ADAM_PARAMS, ADAMW_PARAMS, AMSGRAD_PARAMS, GD_PARAMS, MOMENTUM_PARAMS,
    NADAM_PARAMS, RMSPROP_PARAMS,
};
use super::{MethodContext, MethodEntry, MethodInfo};
use crate::error::{Error, Result};
use crate::methods::Method;
use crate::methods::first_order::{
    AdaGrad, Adam, AdamW, AdamWVariant, Amsgrad, AmsgradVariant, GradientDescent, Momentum,
    MomentumSchedule, NAdam, Nesterov, Preset, RmsProp, ScaleByAdam, ScaleByRms,
};
use crate::methods::line_search::Armijo;
use crate::params::{Params, Value};

/// Appends the first-order entries in `curvlab list` order.
pub(super) fn register(v: &mut Vec<MethodEntry>) {
    v.extend_from_slice(ENTRIES);
}

const fn entry(
    name: &'static str,
    summary: &'static str,
    params: &'static [crate::params::ParamInfo],
    build: super::MethodBuilder,
) -> MethodEntry {
    MethodEntry {
        info: MethodInfo {
            name,
            summary,
            params,
        },
        build,
    }
}

const ENTRIES: &[MethodEntry] = &[
    entry(
        "gd",
        "gradient descent x ← x − η∇f (fixed, scheduled, optimal 2/(μ+L), or Armijo)",
        GD_PARAMS,
        build_gd,
    ),
    entry(
        "momentum",
        "heavy-ball momentum v ← ρv + g, x ← x − ηv (Polyak 1964)",
        MOMENTUM_PARAMS,
        build_momentum,
    ),
    entry(
        "nesterov",
        "Nesterov momentum, PyTorch form x ← x − η(g + ρv) (Sutskever et al. 2013)",
        MOMENTUM_PARAMS,
        build_nesterov,
    ),
    entry(
        "adagrad",
        "AdaGrad s ← s + g², x ← x − ηg/(√s+ε) (Duchi et al. 2011)",
        ADAGRAD_PARAMS,
        build_adagrad,
    ),
    entry(
        "rmsprop",
        "RMSProp s ← αs + (1−α)g², x ← x − ηg/(√s+ε) (Hinton 2012)",
        RMSPROP_PARAMS,
        build_rmsprop,
    ),
    entry(
        "adam",
        "Adam with bias correction (Kingma & Ba 2015)",
        ADAM_PARAMS,
        build_adam,
    ),
    entry(
        "adamw",
        "AdamW, decoupled weight decay: PyTorch's form or Loshchilov & Hutter 2019's",
        ADAMW_PARAMS,
        build_adamw,
    ),
    entry(
        "amsgrad",
        "AMSGrad: Adam with the maximum of second moments, PyTorch's form or Reddi et al. 2018's",
        AMSGRAD_PARAMS,
        build_amsgrad,
    ),
    entry(
        "nadam",
        "NAdam: Adam with Nesterov momentum (Dozat 2016)",
        NADAM_PARAMS,
        build_nadam,
    ),
];

fn build_gd(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let armijo = match p.str("line_search", "none")?.as_str() {
        "none" => false,
        "armijo" => true,
        other => {
            return Err(Error::invalid(
                "line_search",
                other,
                "expected none or armijo",
            ));
        }
    };
    let default = armijo.then_some(GradientDescent::ARMIJO_FIRST_TRIAL);
    let mut m = match read_lr(p, default, true)? {
        Lr::Num(x) => GradientDescent::new(x)?,
        Lr::Optimal => {
            let (mu, l) = spectrum_bounds(ctx)?;
            GradientDescent::optimal(mu, l)?
        }
    };
    if armijo {
        m = m.with_line_search(Armijo::default())?;
    }
    let m = options_l2(m, p)?;
    finish(&m, preset, armijo, p, ctx)
}

/// `(η, ρ_t)` for `momentum` / `nesterov`: the numbers given, or the spectrum-optimal ones
/// (`optimal(μ, L)` of the method), [`MomentumSchedule::default`]'s `ρ`, and the preset's
/// annealing ([`MomentumSchedule::seed`] for `preset = "seed"`).
fn momentum_settings(
    p: &Params,
    ctx: &MethodContext,
    optimal: fn(f64, f64) -> Result<(f64, f64)>,
) -> Result<(f64, MomentumSchedule)> {
    let preset = read_preset(p)?;
    let lr = read_lr(p, None, true)?;
    let explicit = match p.get("momentum") {
        None => None,
        Some(Value::Str(s)) if s == "optimal" => None,
        Some(Value::Num(x)) => Some(read_unit(p, "momentum", *x)?),
        Some(v) => {
            return Err(Error::invalid(
                "momentum",
                v,
                "expected a number in [0, 1) or \"optimal\"",
            ));
        }
    };
    let wants_optimal = matches!(p.get("momentum"), Some(Value::Str(_)));
    let opt = if matches!(lr, Lr::Optimal) || wants_optimal {
        let (mu, l) = spectrum_bounds(ctx)?;
        Some(optimal(mu, l)?)
    } else {
        None
    };
    let eta = match (lr, opt) {
        (Lr::Num(x), _) => x,
        (Lr::Optimal, Some(o)) => o.0,
        (Lr::Optimal, None) => return Err(Error::invalid("lr", "optimal", "needs a spectrum")),
    };
    let rho = explicit
        .or(opt.map(|o| o.1))
        .unwrap_or(MomentumSchedule::default().end());
    let base = match preset {
        Preset::PyTorch => MomentumSchedule::constant(rho)?,
        Preset::Seed => MomentumSchedule::seed(rho)?,
    };
    let start = p.f64("momentum_start", base.start())?;
    let after = p.usize("anneal_after", base.anneal_after())?;
    Ok((eta, MomentumSchedule::annealed(start, rho, after)?))
}

fn momentum_optimal(mu: f64, l: f64) -> Result<(f64, f64)> {
    let m = Momentum::optimal(mu, l)?;
    Ok((m.learning_rate().base(), m.momentum_schedule().end()))
}

fn nesterov_optimal(mu: f64, l: f64) -> Result<(f64, f64)> {
    let m = Nesterov::optimal(mu, l)?;
    Ok((m.learning_rate().base(), m.momentum_schedule().end()))
}

fn build_momentum(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let (lr, s) = momentum_settings(p, ctx, momentum_optimal)?;
    let m = Momentum::new(lr, s.end())?.with_annealing(s.start(), s.anneal_after())?;
    finish(&options_l2(m, p)?, read_preset(p)?, false, p, ctx)
}

fn build_nesterov(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let (lr, s) = momentum_settings(p, ctx, nesterov_optimal)?;
    let m = Nesterov::new(lr, s.end())?.with_annealing(s.start(), s.anneal_after())?;
    finish(&options_l2(m, p)?, read_preset(p)?, false, p, ctx)
}

fn build_adagrad(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = AdaGrad::default();
    let b = d.transform();
    let t = b
        .clone()
        .with_eps(p.f64("eps", b.eps())?)?
        .with_eps_inside(p.bool("eps_inside", b.eps_inside())?)
        .with_initial_accumulator(p.f64("initial_accumulator", b.initial_accumulator())?)?;
    let lr = number_lr(p, d.learning_rate().base())?;
    let m = options_l2(AdaGrad::new(lr)?.with_transform(t), p)?;
    finish(&m, preset, false, p, ctx)
}

fn build_rmsprop(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = RmsProp::default();
    let b = match preset {
        Preset::PyTorch => d.transform().clone(),
        Preset::Seed => ScaleByRms::seed(),
    };
    let t = b
        .clone()
        .with_alpha(read_unit(p, "alpha", b.alpha())?)?
        .with_eps(p.f64("eps", b.eps())?)?
        .with_eps_inside(p.bool("eps_inside", b.eps_inside())?)
        .with_centered(p.bool("centered", b.centered())?)
        .with_momentum(read_unit(p, "momentum", b.momentum())?)?;
    let lr = number_lr(p, d.learning_rate().base())?;
    let m = options_l2(RmsProp::new(lr)?.with_transform(t), p)?;
    finish(&m, preset, false, p, ctx)
}

/// Adam's transformation from the keys, starting from `base` (or the seed article's form).
fn adam_transform(p: &Params, base: &ScaleByAdam, preset: Preset) -> Result<ScaleByAdam> {
    let b = match preset {
        Preset::PyTorch => base.clone(),
        Preset::Seed => ScaleByAdam::seed().with_amsgrad(base.amsgrad()),
    };
    let (b1, b2) = b.betas();
    Ok(b.clone()
        .with_betas(read_unit(p, "beta1", b1)?, read_unit(p, "beta2", b2)?)?
        .with_eps(p.f64("eps", b.eps())?)?
        .with_eps_inside(p.bool("eps_inside", b.eps_inside())?)
        .with_bias_correction(p.bool("bias_correction", b.bias_correction())?))
}

fn build_adam(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = Adam::default();
    let t = adam_transform(p, d.transform(), preset)?;
    let t = t.with_amsgrad(p.bool("amsgrad", d.transform().amsgrad())?);
    let lr = number_lr(p, d.learning_rate().base())?;
    let m = options_l2(Adam::new(lr)?.with_transform(t), p)?;
    finish(&m, preset, false, p, ctx)
}

fn build_amsgrad(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = Amsgrad::default();
    let t = adam_transform(p, d.transform(), preset)?;
    let lr = number_lr(p, d.learning_rate().base())?;
    let mut m = Amsgrad::new(lr)?.with_transform(t);
    if p.get("variant").is_some() {
        let v = AmsgradVariant::parse(&p.str("variant", d.variant().name())?)?;
        if let Some(bc) = p.get("bias_correction")
            && *bc != Value::Bool(v == AmsgradVariant::PyTorch)
        {
            return Err(Error::invalid(
                "bias_correction",
                bc,
                &format!("contradicts variant = {} (reddi has none)", v.name()),
            ));
        }
        m = m.with_variant(v);
    }
    finish(&options_l2(m, p)?, preset, false, p, ctx)
}

fn build_adamw(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = AdamW::default();
    let t = adam_transform(p, d.transform(), preset)?;
    let t = t.with_amsgrad(p.bool("amsgrad", d.transform().amsgrad())?);
    let lr = number_lr(p, d.learning_rate().base())?;
    let v = AdamWVariant::parse(&p.str("variant", d.variant().name())?)?;
    let m = AdamW::new(lr, p.f64("weight_decay", d.weight_decay())?)?
        .with_variant(v)?
        .with_transform(t);
    finish(&options(m, p)?, preset, false, p, ctx)
}

fn build_nadam(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let preset = read_preset(p)?;
    let d = NAdam::default();
    let b = d.transform();
    let (b1, b2) = b.betas();
    let t = b
        .clone()
        .with_betas(read_unit(p, "beta1", b1)?, read_unit(p, "beta2", b2)?)?
        .with_eps(p.f64("eps", b.eps())?)?
        .with_eps_inside(p.bool("eps_inside", b.eps_inside())?)
        .with_momentum_decay(p.f64("momentum_decay", b.momentum_decay())?)?;
    let lr = number_lr(p, d.learning_rate().base())?;
    let m = options_l2(NAdam::new(lr)?.with_transform(t), p)?;
    finish(&m, preset, false, p, ctx)
}
