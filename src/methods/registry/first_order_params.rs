//! The parameter tables of the first-order family, as `curvlab list` prints them. The
//! defaults written here are documentation: the values themselves live in the typed methods'
//! `Default`s and constructors ([`crate::methods::first_order::alias`]), and
//! `tests/registry.rs` checks that the two agree for every method.

use crate::params::ParamInfo;

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
    "decoupled weight decay λ (PyTorch AdamW default); see variant",
);
const VARIANT_ADAMW: ParamInfo = pi(
    "variant",
    "pytorch",
    "pytorch: x ← x − η_t(Adam(g) + λx) (PyTorch, optax) | loshchilov: x ← x − η_t(α·Adam(g) + λx), η_t the schedule multiplier, α = lr (Loshchilov & Hutter 2019)",
);
const VARIANT_AMS: ParamInfo = pi(
    "variant",
    "pytorch",
    "pytorch: max of raw v, then bias correction (PyTorch) | reddi: v̂ ← max(v̂, v), no bias correction (Reddi et al. 2018)",
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
const AMSGRAD: ParamInfo = pi(
    "amsgrad",
    "false",
    "AMSGrad: use max of the second moments (PyTorch's bias-corrected form)",
);
const ALPHA: ParamInfo = pi(
    "alpha",
    "0.99",
    "decay rate of the squared-gradient average (the seed's ρ; seed: 0.9)",
);
const EPS_RMS: ParamInfo = pi("eps", "1e-8", "ε > 0 (seed: 1e-10)");
const CENTERED: ParamInfo = pi(
    "centered",
    "false",
    "centered RMSProp (Graves 2013): g/√(max(s − ḡ², 0) + ε), ε inside the root",
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

pub(super) const GD_PARAMS: &[ParamInfo] = &[
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
pub(super) const MOMENTUM_PARAMS: &[ParamInfo] = &[
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
pub(super) const ADAGRAD_PARAMS: &[ParamInfo] = &[
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
pub(super) const RMSPROP_PARAMS: &[ParamInfo] = &[
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
pub(super) const ADAM_PARAMS: &[ParamInfo] = &[
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
pub(super) const AMSGRAD_PARAMS: &[ParamInfo] = &[
    LR_ADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    BIAS_CORRECTION,
    VARIANT_AMS,
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
pub(super) const ADAMW_PARAMS: &[ParamInfo] = &[
    LR_ADAM,
    BETA1,
    BETA2,
    EPS_ADAM,
    EPS_INSIDE,
    BIAS_CORRECTION,
    AMSGRAD,
    WD_ADAMW,
    VARIANT_ADAMW,
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
pub(super) const NADAM_PARAMS: &[ParamInfo] = &[
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
