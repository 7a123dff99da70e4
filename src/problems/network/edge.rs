//! Full-batch gradient descent with the sharpness `λ_max(∇²f)` tracked by Lanczos every `k`
//! steps: the measurement behind the "edge of stability" (Cohen, Kaur, Li, Kolter & Talwalkar,
//! ICLR 2021), where the sharpness first rises (progressive sharpening) and then hovers at
//! `2/η`, the stability limit of gradient descent with step `η` on a quadratic. Built on the
//! general sharpness tracking ([`crate::curvature::sharpness`](mod@crate::curvature::sharpness), [`crate::minimize::Monitor`]).

use crate::curvature::sharpness::{SharpnessTracker, TrackConfig};
use crate::error::{Error, Result};
use crate::methods::first_order::{FirstOrder, ScaleByLearningRate};
use crate::minimize::{Stop, minimize_monitored};
use crate::objective::Objective;

/// One recorded step of [`gd_with_sharpness`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpnessPoint {
    /// The step number (0 is the start).
    pub step: usize,
    /// `f(x)` at that step.
    pub loss: f64,
    /// `λ_max(∇²f(x))` on the steps where it was measured.
    pub sharpness: Option<f64>,
}

/// The trace of [`gd_with_sharpness`] and the Hessian-vector products its Lanczos runs used.
#[derive(Debug, Clone)]
pub struct SharpnessTrace {
    /// One point per step, `steps + 1` in all.
    pub points: Vec<SharpnessPoint>,
    /// Hessian-vector products spent on the sharpness (counted by Lanczos).
    pub hvps: usize,
}

/// Runs `steps` steps of full-batch gradient descent `x ← x − η ∇f(x)` from `x0` and measures the
/// sharpness at steps `0, every, 2·every, …` — the general sharpness tracking of
/// [`crate::curvature::sharpness::SharpnessTracker`] (Lanczos warm-started from the previous
/// top Ritz vector, relative residual 1e-6, first start vector from `seed`) through
/// [`crate::minimize::minimize_monitored`]. A study file does the same with a `[track]` table
/// (`studies/edge_of_stability.toml`).
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::datasets::{Labeled, Split};
/// use curvlab::problems::network::{Loss, Network, edge::gd_with_sharpness};
/// let part = Labeled::new(faer::mat![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], vec![0, 1, 1]).unwrap();
/// let net = Network::new(&Split { train: part.clone(), test: part, classes: 2 }, &[3])
///     .unwrap()
///     .with_loss(Loss::Mse);
/// let t = gd_with_sharpness(&net, &net.initial_point(0), 0.1, 10, 5, 0).unwrap();
/// assert_eq!(t.points.len(), 11);
/// assert!(t.points[0].sharpness.is_some() && t.points[1].sharpness.is_none());
/// assert!(t.points[10].sharpness.is_some() && t.hvps > 0);
/// assert!(t.points[10].loss < t.points[0].loss);
/// assert!(gd_with_sharpness(&net, &net.initial_point(0), 0.1, 10, 0, 0).is_err());
/// ```
pub fn gd_with_sharpness<O: Objective + ?Sized>(
    f: &O,
    x0: &[f64],
    lr: f64,
    steps: usize,
    every: usize,
    seed: u64,
) -> Result<SharpnessTrace> {
    let mut gd = FirstOrder::gd(ScaleByLearningRate::new(lr)?);
    let config = TrackConfig {
        seed,
        ..TrackConfig::every(every)?
    };
    let mut tracker = SharpnessTracker::new(config);
    let stop = Stop::new(0.0, steps);
    let r = minimize_monitored(f, &mut gd, x0, &stop, &mut tracker)?;
    if r.iterations < steps {
        return Err(Error::Numerical(format!(
            "gradient descent stopped after {} of {steps} steps: {}",
            r.iterations, r.termination
        )));
    }
    let points = r
        .trace
        .iter()
        .map(|row| SharpnessPoint {
            step: row.k,
            loss: row.f,
            sharpness: row
                .extras
                .iter()
                .find(|(k, _)| k == "sharpness")
                .map(|(_, v)| *v),
        })
        .collect();
    Ok(SharpnessTrace {
        points,
        hvps: usize::try_from(tracker.hvps()).unwrap_or(usize::MAX),
    })
}
