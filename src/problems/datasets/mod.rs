//! Real classification data sets for the network problems ([`crate::problems::network`]), none
//! downloaded at run time:
//!
//! - [`digits`]: the UCI "Optical Recognition of Handwritten Digits" 8×8 set (Alpaydin & Kaynak
//!   1998; 1,797 images, 10 classes, CC BY 4.0), compiled into the crate from `data/digits.csv.gz`;
//! - [`mnist1d`]: MNIST-1D (Greydanus 2020, Apache-2.0), 40-sample signals generated from a seed.
//!
//! A data set is a [`Labeled`] matrix (rows are examples, labels `0..k−1`); [`Split`] holds its
//! train and test parts. [`stratified_split`] keeps each class's share in both parts, as
//! scikit-learn's `train_test_split(..., stratify=y)` does.

pub mod digits;
pub mod mnist1d;

use crate::error::{Error, Result};
use faer::{Mat, MatRef};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Examples (rows of `x`) with integer class labels.
///
/// ```
/// use curvlab::problems::datasets::Labeled;
/// let d = Labeled::new(faer::mat![[1.0, 2.0], [3.0, 4.0]], vec![0, 1]).unwrap();
/// assert_eq!((d.len(), d.num_features()), (2, 2));
/// assert!(Labeled::new(faer::mat![[1.0]], vec![0, 1]).is_err());
/// assert!(Labeled::new(faer::mat![[f64::NAN]], vec![0]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Labeled {
    x: Mat<f64>,
    labels: Vec<usize>,
}

impl Labeled {
    /// Checks sizes (equal, nonzero) and that every feature is finite.
    pub fn new(x: Mat<f64>, labels: Vec<usize>) -> Result<Self> {
        if x.nrows() != labels.len() {
            return Err(Error::Dimension {
                what: "labels".into(),
                expected: x.nrows(),
                got: labels.len(),
            });
        }
        if labels.is_empty() {
            return Err(Error::invalid("samples", 0, "a data set needs examples"));
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                if !x[(i, j)].is_finite() {
                    return Err(Error::invalid(
                        "data",
                        x[(i, j)],
                        &format!("feature {j} of example {i} is not finite"),
                    ));
                }
            }
        }
        Ok(Labeled { x, labels })
    }

    /// The features, `N × d`.
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }
    /// The labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }
    /// `N`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Never true (a data set has examples); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// `d`.
    pub fn num_features(&self) -> usize {
        self.x.ncols()
    }

    /// The examples `rows`, in that order.
    ///
    /// ```
    /// use curvlab::problems::datasets::Labeled;
    /// let d = Labeled::new(faer::mat![[1.0], [2.0], [3.0]], vec![0, 1, 2]).unwrap();
    /// let s = d.subset(&[2, 0]).unwrap();
    /// assert_eq!((s.x()[(0, 0)], s.labels()), (3.0, &[2, 0][..]));
    /// assert!(d.subset(&[3]).is_err());
    /// ```
    pub fn subset(&self, rows: &[usize]) -> Result<Self> {
        super::data::check_batch(rows, self.len())?;
        let x = Mat::from_fn(rows.len(), self.x.ncols(), |i, j| self.x[(rows[i], j)]);
        Ok(Labeled {
            x,
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
        })
    }
}

/// A train/test split of a `classes`-class problem.
///
/// ```
/// use curvlab::problems::datasets::{Labeled, Split};
/// let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
/// let s = Split { train: part.clone(), test: part, classes: 2 };
/// assert_eq!(s.train.len() + s.test.len(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct Split {
    /// The training examples (the objective).
    pub train: Labeled,
    /// The held-out examples (test accuracy and loss).
    pub test: Labeled,
    /// The number of classes `k`.
    pub classes: usize,
}

/// How many examples of each class `0..classes` (labels at or above `classes` are not counted).
///
/// ```
/// assert_eq!(curvlab::problems::datasets::class_counts(&[0, 2, 2, 1, 2], 3), vec![1, 1, 3]);
/// ```
pub fn class_counts(labels: &[usize], classes: usize) -> Vec<usize> {
    let mut c = vec![0; classes];
    for &y in labels {
        if y < classes {
            c[y] += 1;
        }
    }
    c
}

/// The indices of each class, each list shuffled by `seed`.
fn shuffled_by_class(data: &Labeled, classes: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    let mut by_class = vec![Vec::new(); classes];
    for (i, &y) in data.labels.iter().enumerate() {
        match by_class.get_mut(y) {
            Some(v) => v.push(i),
            None => {
                return Err(Error::invalid(
                    "labels",
                    y,
                    &format!("example {i}: not below the number of classes {classes}"),
                ));
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for v in &mut by_class {
        v.shuffle(&mut rng);
    }
    Ok(by_class)
}

/// Splits `data` into train and test with `round(test_fraction · n_c)` test examples from each
/// class `c` (at least one example of each nonempty class stays in training), drawn by `seed`.
/// Both parts list their examples in ascending original order.
///
/// ```
/// use curvlab::problems::datasets::{Labeled, stratified_split};
/// let x = faer::Mat::from_fn(10, 1, |i, _| i as f64);
/// let d = Labeled::new(x, vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 1]).unwrap();
/// let s = stratified_split(&d, 2, 0.5, 7).unwrap();
/// assert_eq!((s.train.len(), s.test.len()), (5, 5));
/// assert!(stratified_split(&d, 2, 1.5, 7).is_err());
/// ```
pub fn stratified_split(
    data: &Labeled,
    classes: usize,
    test_fraction: f64,
    seed: u64,
) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::invalid(
            "test_fraction",
            test_fraction,
            "must be in (0, 1)",
        ));
    }
    let by_class = shuffled_by_class(data, classes, seed)?;
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for idx in &by_class {
        let t =
            ((test_fraction * idx.len() as f64).round() as usize).min(idx.len().saturating_sub(1));
        test.extend_from_slice(&idx[..t]);
        train.extend_from_slice(&idx[t..]);
    }
    if test.is_empty() {
        return Err(Error::invalid(
            "test_fraction",
            test_fraction,
            &format!("leaves no test example out of {}", data.len()),
        ));
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split {
        train: data.subset(&train)?,
        test: data.subset(&test)?,
        classes,
    })
}

/// A class-stratified subset of `samples` examples (all of them when `samples = N`): each class
/// keeps its share, rounded, drawn by `seed`; ascending original order.
///
/// ```
/// use curvlab::problems::datasets::{Labeled, class_counts, stratified_subset};
/// let x = faer::Mat::from_fn(8, 1, |i, _| i as f64);
/// let d = Labeled::new(x, vec![0, 0, 0, 0, 1, 1, 1, 1]).unwrap();
/// let s = stratified_subset(&d, 2, 4, 1).unwrap();
/// assert_eq!(class_counts(s.labels(), 2), vec![2, 2]);
/// assert!(stratified_subset(&d, 2, 9, 1).is_err());
/// ```
pub fn stratified_subset(
    data: &Labeled,
    classes: usize,
    samples: usize,
    seed: u64,
) -> Result<Labeled> {
    if samples == 0 || samples > data.len() {
        return Err(Error::invalid(
            "samples",
            samples,
            &format!("must be in 1..={}", data.len()),
        ));
    }
    if samples == data.len() {
        return Ok(data.clone());
    }
    let by_class = shuffled_by_class(data, classes, seed.wrapping_add(1))?;
    let frac = samples as f64 / data.len() as f64;
    let mut keep: Vec<usize> = by_class
        .iter()
        .flat_map(|idx| {
            idx[..((frac * idx.len() as f64).round() as usize).min(idx.len())]
                .iter()
                .copied()
        })
        .collect();
    keep.sort_unstable();
    data.subset(&keep)
}
