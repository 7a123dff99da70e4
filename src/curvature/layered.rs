//! The layer structure the K-FAC family needs ([`Layered`]) and its vocabulary (Martens & Grosse,
//! ICML 2015, §2–§5): the fully connected layers of a parameter vector ([`LayerShape`]), what a
//! layer saw on a batch ([`LayerStatistics`]) and where its output gradients come from
//! ([`Targets`]). Kept apart from [`crate::curvature::kfac`] so that [`crate::objective`] can
//! name the trait without an import cycle; re-exported from there.

use crate::error::{Error, Result};
use faer::Mat;

/// Where the back-propagated output gradients `g` of the Kronecker factor `G` come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// One target per example sampled from the model's predictive distribution (Martens &
    /// Grosse §5), drawn from `seed`.
    Sampled {
        /// The seed of the sampled targets.
        seed: u64,
    },
    /// The true labels (the "empirical Fisher").
    Empirical,
    /// Every label weighted by its probability (`k` backward passes): the exact expectation
    /// over the predictive distribution, so `E_y[g gᵀ] = Jᵀ H_L J` per example.
    Expected,
}

impl Targets {
    /// Parses `sampled`, `empirical` or `expected` (`seed` for the sampled targets).
    ///
    /// ```
    /// use curvlab::curvature::kfac::Targets;
    /// assert_eq!(Targets::parse("sampled", 3).unwrap(), Targets::Sampled { seed: 3 });
    /// assert!(Targets::parse("true", 0).is_err());
    /// ```
    pub fn parse(s: &str, seed: u64) -> Result<Self> {
        match s {
            "sampled" => Ok(Targets::Sampled { seed }),
            "empirical" => Ok(Targets::Empirical),
            "expected" => Ok(Targets::Expected),
            _ => Err(Error::invalid(
                "targets",
                s,
                "expected sampled, empirical or expected",
            )),
        }
    }

    /// The name [`Targets::parse`] reads.
    ///
    /// ```
    /// use curvlab::curvature::kfac::Targets;
    /// assert_eq!(Targets::Expected.name(), "expected");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Targets::Sampled { .. } => "sampled",
            Targets::Empirical => "empirical",
            Targets::Expected => "expected",
        }
    }
}

/// One fully connected layer in the flat parameter vector: `W` (`outputs × inputs`,
/// column-major) then `b` (`outputs`), starting at `offset` — together `W̄ = [W b]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    /// Index of `W[0, 0]` in the parameter vector.
    pub offset: usize,
    /// Inputs of the layer (without the bias 1).
    pub inputs: usize,
    /// Outputs of the layer.
    pub outputs: usize,
}

impl LayerShape {
    /// The number of parameters `outputs · (inputs + 1)`.
    ///
    /// ```
    /// use curvlab::curvature::kfac::LayerShape;
    /// assert_eq!(LayerShape { offset: 0, inputs: 3, outputs: 2 }.len(), 8);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.outputs * (self.inputs + 1)
    }
}

/// What one layer saw on a batch of `B` examples: the inputs `Ā` (`(inputs + 1) × B`, last row
/// ones) and the output gradients `D` (`outputs × B·c`, column `i·c + j` is the `j`-th of the
/// `c` gradients of example `i`), scaled so that `G = D Dᵀ / B`.
///
/// ```
/// use curvlab::curvature::kfac::Targets;
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["hidden=3", "samples=40"]).unwrap();
/// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
/// let layered = inst.objective.layered().unwrap();
/// let s = layered.layer_statistics(&inst.x0, Some(&[0, 5]), Targets::Expected).unwrap();
/// assert_eq!((s[0].inputs.nrows(), s[0].inputs.ncols()), (65, 2)); // 64 pixels + the bias 1
/// assert_eq!((s[1].grads.nrows(), s[1].per_example), (10, 10)); // 10 classes, 10 gradients each
/// ```
#[derive(Debug, Clone)]
pub struct LayerStatistics {
    /// `Ā`, one column per example.
    pub inputs: Mat<f64>,
    /// `D`, `per_example` columns per example.
    pub grads: Mat<f64>,
    /// `c`, the gradients per example (1, or the number of classes for [`Targets::Expected`]).
    pub per_example: usize,
}

/// An objective made of fully connected layers that can report K-FAC statistics (the
/// `classifier` network).
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["hidden=3", "samples=40", "l2=0.5"]).unwrap();
/// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
/// let layered = inst.objective.layered().unwrap();
/// let shapes = layered.layer_shapes();
/// assert_eq!((shapes[1].offset, shapes[1].inputs, shapes[1].outputs), (64 * 3 + 3, 3, 10));
/// assert_eq!(layered.weight_decay(), 0.5);
/// ```
pub trait Layered: Send + Sync {
    /// The layers, in the order of the parameter vector.
    fn layer_shapes(&self) -> Vec<LayerShape>;
    /// The statistics of every layer at `x` over the whole data set (`batch = None`) or the
    /// given examples, with output gradients from `targets`.
    fn layer_statistics(
        &self,
        x: &[f64],
        batch: Option<&[usize]>,
        targets: Targets,
    ) -> Result<Vec<LayerStatistics>>;
    /// The L2 coefficient `η` of the objective on the weights (0 when none).
    fn weight_decay(&self) -> f64 {
        0.0
    }
}
