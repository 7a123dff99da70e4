//! Reading the keys the first-order family shares from [`Params`]: the learning rate (a
//! number or `"optimal"`), the problem's spectrum, the schedule keys, clipping, the L2
//! penalty, the preset, and minibatch mode. Every default comes from the typed methods and
//! transformations ([`crate::methods::first_order`]); none is written here.

use super::MethodContext;
use crate::error::{Error, Result};
use crate::methods::Method;
use crate::methods::first_order::alias::{L2, Options};
use crate::methods::first_order::{FirstOrder, Preset, Schedule};
use crate::methods::stochastic::Stochastic;
use crate::params::{Params, Value};

/// The learning rate as given: a number or `"optimal"`.
pub(super) enum Lr {
    Num(f64),
    Optimal,
}

/// `lr`: a number `> 0`, `"optimal"` if `optimal_ok`, or `default` when absent (`None`: the
/// key is required).
pub(super) fn read_lr(p: &Params, default: Option<f64>, optimal_ok: bool) -> Result<Lr> {
    let expected = if optimal_ok {
        "a number > 0 or \"optimal\""
    } else {
        "a number > 0"
    };
    match p.get("lr") {
        None => default
            .map(Lr::Num)
            .ok_or_else(|| Error::invalid("lr", "(missing)", &format!("is required: {expected}"))),
        Some(Value::Num(x)) if *x > 0.0 && x.is_finite() => Ok(Lr::Num(*x)),
        Some(Value::Num(x)) => Err(Error::invalid("lr", x, "must be finite and > 0")),
        Some(Value::Str(s)) if s == "optimal" && optimal_ok => Ok(Lr::Optimal),
        Some(v) => Err(Error::invalid("lr", v, &format!("expected {expected}"))),
    }
}

/// `lr` for the adaptive methods: a number, `default` when absent.
pub(super) fn number_lr(p: &Params, default: f64) -> Result<f64> {
    match read_lr(p, Some(default), false)? {
        Lr::Num(x) => Ok(x),
        Lr::Optimal => Err(Error::invalid("lr", "optimal", "expected a number > 0")),
    }
}

/// `(μ, L)` from the problem's spectrum.
pub(super) fn spectrum_bounds(ctx: &MethodContext) -> Result<(f64, f64)> {
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

/// `preset`, [`Preset::default`] when absent.
pub(super) fn read_preset(p: &Params) -> Result<Preset> {
    Preset::parse(&p.str("preset", Preset::default().name())?)
}

/// A key in `[0, 1)`.
pub(super) fn read_unit(p: &Params, key: &str, default: f64) -> Result<f64> {
    let v = p.f64(key, default)?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::invalid(key, v, "must be in [0, 1)"))
    }
}

fn reject_unused(p: &Params, keys: &[&str], kind: &str) -> Result<()> {
    for k in keys {
        if let Some(v) = p.get(k) {
            return Err(Error::invalid(
                k,
                v,
                &format!("has no effect with schedule = {kind}"),
            ));
        }
    }
    Ok(())
}

/// The schedule from `schedule` and its keys, defaults from [`Schedule::STEP`],
/// [`Schedule::EXPONENTIAL`], [`Schedule::COSINE`].
fn read_schedule(p: &Params) -> Result<Schedule> {
    let kind = p.str("schedule", Schedule::Constant.name())?;
    let (step_size, step_gamma) = match Schedule::STEP {
        Schedule::Step { step_size, gamma } => (step_size, gamma),
        _ => (1, 1.0),
    };
    let exp_gamma = match Schedule::EXPONENTIAL {
        Schedule::Exponential { gamma } => gamma,
        _ => 1.0,
    };
    let (total, lr_min) = match Schedule::COSINE {
        Schedule::Cosine { total, lr_min } => (total, lr_min),
        _ => (1, 0.0),
    };
    let s = match kind.as_str() {
        "constant" => {
            reject_unused(p, &["decay", "step_size", "total", "lr_min"], &kind)?;
            Schedule::Constant
        }
        "step" => {
            reject_unused(p, &["total", "lr_min"], &kind)?;
            Schedule::Step {
                step_size: p.usize("step_size", step_size)?,
                gamma: p.f64("decay", step_gamma)?,
            }
        }
        "exponential" => {
            reject_unused(p, &["step_size", "total", "lr_min"], &kind)?;
            Schedule::Exponential {
                gamma: p.f64("decay", exp_gamma)?,
            }
        }
        "cosine" => {
            reject_unused(p, &["decay", "step_size"], &kind)?;
            Schedule::Cosine {
                total: p.usize("total", total)?,
                lr_min: p.f64("lr_min", lr_min)?,
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
    Ok(s)
}

/// The schedule, warm-up and clipping keys applied to an alias (absent keys keep its
/// defaults).
pub(super) fn options<T: Options>(m: T, p: &Params) -> Result<T> {
    let mut m = m.set_schedule(read_schedule(p)?)?;
    if p.get("warmup").is_some() {
        m = m.set_warmup(p.usize("warmup", 0)?)?;
    }
    if let Some(v) = p.get("clip_norm") {
        let c = match v {
            Value::Num(c) => *c,
            _ => return Err(Error::invalid("clip_norm", v, "expected a number")),
        };
        m = m.set_clip_norm(c)?;
    }
    Ok(m)
}

/// [`options`] and the coupled L2 penalty `weight_decay`.
pub(super) fn options_l2<T: Options + L2>(m: T, p: &Params) -> Result<T> {
    let mut m = options(m, p)?;
    if let Some(v) = p.get("weight_decay") {
        let wd = match v {
            Value::Num(w) => *w,
            _ => return Err(Error::invalid("weight_decay", v, "expected a number")),
        };
        m = m.set_l2(wd)?;
    }
    Ok(m)
}

/// Builds the method, records `preset` / `batch_size` / `eval_every` in its settings, and
/// wraps it for minibatches if `batch_size > 0` (not with a line search).
pub(super) fn finish<T: Options>(
    m: &T,
    preset: Preset,
    line_search: bool,
    p: &Params,
    ctx: &MethodContext,
) -> Result<Box<dyn Method>> {
    let batch = p.usize("batch_size", 0)?;
    let eval_every = match p.get("eval_every") {
        None => None,
        Some(_) => Some(p.usize("eval_every", 1)?),
    };
    let run: FirstOrder = m.first_order().with_settings(vec![
        ("preset", Value::Str(preset.name().into())),
        ("batch_size", Value::Num(batch as f64)),
    ]);
    if batch == 0 {
        if let Some(e) = eval_every {
            return Err(Error::invalid(
                "eval_every",
                e,
                "only applies with batch_size > 0",
            ));
        }
        return Ok(Box::new(run));
    }
    if line_search {
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
    let run = run.with_settings(vec![("eval_every", Value::Num(eval_every as f64))]);
    Ok(Box::new(Stochastic::new(run, batch, eval_every, ctx.seed)?))
}
