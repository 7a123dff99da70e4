//! Registry entries of the curvature-aware methods between the first-order family and Newton:
//! AdaHessian (Yao et al. 2021), Sophia-H and Sophia-G (Liu et al. 2024), Shampoo (Gupta et
//! al. 2018) and K-FAC (Martens & Grosse 2015).
//! Defaults come from the typed methods' `Default`s; this file only reads keys.

use super::{MethodContext, MethodEntry, MethodInfo};
use crate::curvature::diagonal_probe::DiagonalEstimator;
use crate::error::Result;
use crate::methods::sophia::SophiaCurvature;
use crate::methods::{AdaHessian, Kfac, Method, Shampoo, Sophia};
use crate::params::{ParamInfo, Params};

/// Appends the entries in `curvlab list` order.
pub(super) fn register(v: &mut Vec<MethodEntry>) {
    v.push(MethodEntry {
        info: MethodInfo {
            name: "adahessian",
            summary: "AdaHessian: Adam with the squared Hutchinson Hessian diagonal as second moment (Yao et al. 2021)",
            params: ADAHESSIAN_PARAMS,
        },
        build: build_adahessian,
    });
    v.push(MethodEntry {
        info: MethodInfo {
            name: "sophia",
            summary: "Sophia-H: momentum over a clipped EMA of the Hutchinson Hessian diagonal (Liu et al. 2024)",
            params: SOPHIA_PARAMS,
        },
        build: build_sophia,
    });
    v.push(MethodEntry {
        info: MethodInfo {
            name: "sophia-g",
            summary: "Sophia-G: Sophia with the Gauss-Newton-Bartlett diagonal B·ĝ⊙ĝ from labels sampled from the model (Liu et al. 2024; classifier with ce loss, logistic)",
            params: SOPHIA_G_PARAMS,
        },
        build: build_sophia_g,
    });
    v.push(MethodEntry {
        info: MethodInfo {
            name: "shampoo",
            summary: "Shampoo: L^{-1/4} G R^{-1/4} per matrix block, AdaGrad on vectors, grafted to Adam's step norm (Gupta et al. 2018)",
            params: SHAMPOO_PARAMS,
        },
        build: build_shampoo,
    });
    v.push(MethodEntry {
        info: MethodInfo {
            name: "kfac",
            summary: "K-FAC: Kronecker-factored Fisher, π-damped, LM-adapted, rescaled by the exact model, momentum (Martens & Grosse 2015)",
            params: KFAC_PARAMS,
        },
        build: build_kfac,
    });
}

const fn pi(name: &'static str, default: &'static str, doc: &'static str) -> ParamInfo {
    ParamInfo { name, default, doc }
}

const ESTIMATOR_DOC: &str =
    "diagonal estimate: rademacher | gaussian (one HVP, Hutchinson) | exact (n HVPs)";

const ADAHESSIAN_PARAMS: &[ParamInfo] = &[
    pi("lr", "0.15", "learning rate η"),
    pi("beta1", "0.9", "gradient moment decay β₁"),
    pi("beta2", "0.999", "squared-diagonal moment decay β₂"),
    pi("eps", "0.0001", "added to the denominator"),
    pi(
        "hessian_power",
        "1",
        "power k of the denominator, in (0, 1]",
    ),
    pi("block", "1", "spatial-averaging block size (1: none)"),
    pi("weight_decay", "0", "decoupled weight decay λ"),
    pi("estimator", "rademacher", ESTIMATOR_DOC),
];

const SOPHIA_PARAMS: &[ParamInfo] = &[
    pi(
        "lr",
        "0.0001",
        "learning rate η (the largest step per coordinate)",
    ),
    pi("beta1", "0.965", "gradient moment decay β₁"),
    pi("beta2", "0.99", "diagonal-estimate decay β₂ (per refresh)"),
    pi(
        "rho",
        "0.04",
        "clipping scale: step η·clip(m / max(ρh, ε), 1)",
    ),
    pi("eps", "1e-12", "floor of ρh"),
    pi("k", "10", "refresh the diagonal estimate every k steps"),
    pi(
        "weight_decay",
        "0.1",
        "decoupled weight decay λ (0 to minimize f itself)",
    ),
    pi("estimator", "gaussian", ESTIMATOR_DOC),
];

const SOPHIA_G_PARAMS: &[ParamInfo] = &[
    pi(
        "lr",
        "0.0001",
        "learning rate η (the largest step per coordinate)",
    ),
    pi("beta1", "0.965", "gradient moment decay β₁"),
    pi("beta2", "0.99", "diagonal-estimate decay β₂ (per refresh)"),
    pi(
        "rho",
        "0.04",
        "clipping scale: step η·clip(m / max(ρh, ε), 1)",
    ),
    pi("eps", "1e-12", "floor of ρh"),
    pi("k", "10", "refresh the diagonal estimate every k steps"),
    pi(
        "weight_decay",
        "0.1",
        "decoupled weight decay λ (0 to minimize f itself)",
    ),
    pi(
        "batch",
        "256",
        "examples per sampled-label minibatch B (capped at N)",
    ),
];

const SHAMPOO_PARAMS: &[ParamInfo] = &[
    pi(
        "lr",
        "0.001",
        "learning rate η (the step length is Adam's, grafted)",
    ),
    pi("beta1", "0.9", "Adam's β₁ for the grafted step length"),
    pi("beta2", "0.999", "Adam's β₂ for the grafted step length"),
    pi("adam_eps", "1e-8", "Adam's ε"),
    pi("eps", "0.0001", "L₀ = εI, R₀ = εI and AdaGrad's floor"),
    pi(
        "every",
        "10",
        "recompute the inverse fourth roots every T steps",
    ),
    pi(
        "shape",
        "vector",
        "parameter blocks: RxC matrices and bare-length vectors, comma-separated (e.g. 2x3,3); vector = one AdaGrad block",
    ),
];

fn build_shampoo(p: &Params, _ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = Shampoo::default();
    let s = settings_of(&d);
    let mut m = Shampoo::new(p.f64("lr", s("lr"))?)?
        .with_betas(p.f64("beta1", s("beta1"))?, p.f64("beta2", s("beta2"))?)?
        .with_adam_eps(p.f64("adam_eps", s("adam_eps"))?)?
        .with_eps(p.f64("eps", s("eps"))?)?
        .with_every(p.usize("every", s("every") as usize)?)?;
    let shape = p.str("shape", "vector")?;
    if shape != "vector" {
        m = m.with_shape(&shape);
    }
    Ok(Box::new(m))
}

const KFAC_PARAMS: &[ParamInfo] = &[
    pi(
        "damping",
        "150",
        "initial Tikhonov damping λ₀ (adapted by ρ)",
    ),
    pi(
        "every",
        "20",
        "recompute the factors' eigendecompositions every T steps",
    ),
    pi("adapt_every", "5", "adapt λ every T₁ steps"),
    pi(
        "omega",
        "0.7737809375",
        "λ ← ωλ (ρ > 3/4) or λ/ω (ρ < 1/4); (19/20)^T₁",
    ),
    pi("ema", "0.95", "largest EMA weight ε_max of the factors"),
    pi(
        "momentum",
        "true",
        "§7 momentum: (α, μ) from the exact quadratic model",
    ),
    pi(
        "targets",
        "sampled",
        "factor G from: sampled (model's predictive distribution) | empirical (labels) | expected (all labels)",
    ),
    pi("batch", "0", "examples per step for the factors (0: all)"),
];

fn build_kfac(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = Kfac::default();
    let s = settings_of(&d);
    let m = Kfac::new(p.f64("damping", s("damping"))?)?
        .with_every(p.usize("every", s("every") as usize)?)?
        .with_adaptation(
            p.usize("adapt_every", s("adapt_every") as usize)?,
            p.f64("omega", s("omega"))?,
        )?
        .with_ema(p.f64("ema", s("ema"))?)?
        .with_momentum(p.bool("momentum", true)?)
        .with_targets(&p.str("targets", "sampled")?)?
        .with_batch(p.usize("batch", 0)?)
        .with_seed(ctx.seed);
    Ok(Box::new(m))
}

fn build_adahessian(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = AdaHessian::default();
    let s = settings_of(&d);
    let m = AdaHessian::new(p.f64("lr", s("lr"))?)?
        .with_betas(p.f64("beta1", s("beta1"))?, p.f64("beta2", s("beta2"))?)?
        .with_eps(p.f64("eps", s("eps"))?)?
        .with_hessian_power(p.f64("hessian_power", s("hessian_power"))?)?
        .with_block(p.usize("block", s("block") as usize)?)?
        .with_weight_decay(p.f64("weight_decay", s("weight_decay"))?)?
        .with_estimator(estimator(p, "rademacher")?)
        .with_seed(ctx.seed);
    Ok(Box::new(m))
}

fn build_sophia(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = Sophia::default();
    let s = settings_of(&d);
    let m = Sophia::new(p.f64("lr", s("lr"))?)?
        .with_betas(p.f64("beta1", s("beta1"))?, p.f64("beta2", s("beta2"))?)?
        .with_rho(p.f64("rho", s("rho"))?)?
        .with_eps(p.f64("eps", s("eps"))?)?
        .with_every(p.usize("k", s("k") as usize)?)?
        .with_weight_decay(p.f64("weight_decay", s("weight_decay"))?)?
        .with_estimator(estimator(p, "gaussian")?)
        .with_seed(ctx.seed);
    Ok(Box::new(m))
}

fn build_sophia_g(p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let d = Sophia::default().with_curvature(SophiaCurvature::GaussNewtonBartlett);
    let s = settings_of(&d);
    let m = Sophia::gauss_newton_bartlett(p.f64("lr", s("lr"))?)?
        .with_betas(p.f64("beta1", s("beta1"))?, p.f64("beta2", s("beta2"))?)?
        .with_rho(p.f64("rho", s("rho"))?)?
        .with_eps(p.f64("eps", s("eps"))?)?
        .with_every(p.usize("k", s("k") as usize)?)?
        .with_weight_decay(p.f64("weight_decay", s("weight_decay"))?)?
        .with_batch(p.usize("batch", s("batch") as usize)?)?
        .with_seed(ctx.seed);
    Ok(Box::new(m))
}

/// The numeric settings of a default-built method, by key (NaN for a key it does not report).
fn settings_of(m: &dyn Method) -> impl Fn(&str) -> f64 + use<> {
    let s = m.settings();
    move |key: &str| {
        s.iter()
            .find_map(|(k, v)| match v {
                crate::params::Value::Num(x) if *k == key => Some(*x),
                _ => None,
            })
            .unwrap_or(f64::NAN)
    }
}

fn estimator(p: &Params, default: &str) -> Result<DiagonalEstimator> {
    DiagonalEstimator::parse(&p.str("estimator", default)?)
}
