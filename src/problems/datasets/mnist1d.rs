//! MNIST-1D (S. Greydanus, "Scaling down deep learning", 2020; reference implementation
//! `mnist1d`, Apache-2.0): ten hand-made 12-point templates of the digits 0–9, each example one
//! template padded with zeros, stretched, scaled, translated (circularly), filled with correlated
//! noise where the signal is zero, plus i.i.d. noise, sheared, and subsampled to 40 points. The
//! data set is generated here from a seed with the reference's default arguments
//! ([`Mnist1dArgs::default`]): 5,000 examples, 500 per class, shuffled, standardised to mean 0
//! and standard deviation 1 over all entries, the first 80 % for training (4,000 / 1,000).
//!
//! The steps and constants follow the reference's `data.py` and `transform.py`; the random
//! numbers come from ChaCha8 rather than NumPy, so the examples are equal in distribution to the
//! reference's pickle, not bit for bit.

use super::{Labeled, Split};
use crate::error::{Error, Result};
use faer::Mat;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The generator's arguments; the defaults are the reference's `get_dataset_args()`.
///
/// ```
/// let a = curvlab::problems::datasets::mnist1d::Mnist1dArgs::default();
/// assert_eq!((a.num_samples, a.final_seq_length, a.padding), (5000, 40, (36, 60)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist1dArgs {
    /// Examples in total (divided equally among the 10 classes, remainder dropped).
    pub num_samples: usize,
    /// Fraction of the shuffled examples used for training.
    pub train_split: f64,
    /// Length of each template (12).
    pub template_len: usize,
    /// Zeros appended to a template: uniform in `padding.0..=padding.1`.
    pub padding: (usize, usize),
    /// Scale factor `1 + scale_coeff (u − ½)`, `u ~ U(0, 1)`.
    pub scale_coeff: f64,
    /// Circular shift uniform in `0..max_translation` (at least 1: no shift).
    pub max_translation: usize,
    /// Standard deviation of the correlated noise (before the Gaussian filter, σ = 2).
    pub corr_noise_scale: f64,
    /// Standard deviation of the i.i.d. noise.
    pub iid_noise_scale: f64,
    /// Shear slope `shear_scale (u − ½)` over the signal.
    pub shear_scale: f64,
    /// Points per example (40).
    pub final_seq_length: usize,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for Mnist1dArgs {
    fn default() -> Self {
        Mnist1dArgs {
            num_samples: 5000,
            train_split: 0.8,
            template_len: 12,
            padding: (36, 60),
            scale_coeff: 0.4,
            max_translation: 48,
            corr_noise_scale: 0.25,
            iid_noise_scale: 2e-2,
            shear_scale: 0.75,
            final_seq_length: 40,
            seed: 42,
        }
    }
}

/// The ten 12-point templates (reference `get_templates`): each centred, divided by its
/// (population) standard deviation, shifted to start at 0, and divided by 6.
///
/// ```
/// let t = curvlab::problems::datasets::mnist1d::templates();
/// assert_eq!(t.len(), 10);
/// assert!(t.iter().all(|d| d[0] == 0.0 && d.len() == 12));
/// ```
pub fn templates() -> Vec<[f64; 12]> {
    const RAW: [[f64; 12]; 10] = [
        [5.0, 6.0, 6.5, 6.75, 7.0, 7.0, 7.0, 7.0, 6.75, 6.5, 6.0, 5.0],
        [5.0, 3.0, 3.0, 3.4, 3.8, 4.2, 4.6, 5.0, 5.4, 5.8, 5.0, 5.0],
        [5.0, 6.0, 6.5, 6.5, 6.0, 5.25, 4.75, 4.0, 3.5, 3.5, 4.0, 5.0],
        [5.0, 6.0, 6.5, 6.5, 6.0, 5.0, 5.0, 6.0, 6.5, 6.5, 6.0, 5.0],
        [5.0, 4.4, 3.8, 3.2, 2.6, 2.6, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
        [5.0, 3.0, 3.0, 3.0, 3.0, 5.0, 6.0, 6.5, 6.5, 6.0, 4.5, 5.0],
        [5.0, 4.0, 3.5, 3.25, 3.0, 3.0, 3.0, 3.0, 3.25, 3.5, 4.0, 5.0],
        [5.0, 7.0, 7.0, 6.6, 6.2, 5.8, 5.4, 5.0, 4.6, 4.2, 5.0, 5.0],
        [5.0, 4.0, 3.5, 3.5, 4.0, 5.0, 5.0, 4.0, 3.5, 3.5, 4.0, 5.0],
        [5.0, 4.0, 3.5, 3.5, 4.0, 5.0, 5.0, 5.0, 5.0, 4.7, 4.3, 5.0],
    ];
    RAW.iter()
        .map(|d| {
            let mean = d.iter().sum::<f64>() / 12.0;
            let std = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 12.0).sqrt();
            let w: Vec<f64> = d.iter().map(|v| (v - mean) / std).collect();
            std::array::from_fn(|i| (w[i] - w[0]) / 6.0)
        })
        .collect()
}

/// Linear interpolation of `x` (on a uniform grid over `[0, 1]`) at `len` uniform points, as
/// SciPy's `interp1d(kind="linear")` on `linspace(0, 1, ·)` grids.
///
/// ```
/// use curvlab::problems::datasets::mnist1d::interpolate;
/// assert_eq!(interpolate(&[0.0, 2.0], 3), vec![0.0, 1.0, 2.0]);
/// ```
pub fn interpolate(x: &[f64], len: usize) -> Vec<f64> {
    let n = x.len();
    if n < 2 || len < 2 {
        return vec![x.first().copied().unwrap_or(0.0); len];
    }
    (0..len)
        .map(|j| {
            let s = j as f64 / (len - 1) as f64 * (n - 1) as f64;
            let i = (s.floor() as usize).min(n - 2);
            let f = s - i as f64;
            x[i] * (1.0 - f) + x[i + 1] * f
        })
        .collect()
}

/// SciPy's `gaussian_filter1d(x, sigma)` with its defaults: radius `⌊4σ + ½⌋`, normalised
/// weights, `mode="reflect"` (`d c b a | a b c d | d c b a`).
///
/// ```
/// use curvlab::problems::datasets::mnist1d::gaussian_filter;
/// let y = gaussian_filter(&[1.0; 7], 2.0);
/// assert!(y.iter().all(|v| (v - 1.0).abs() < 1e-15));
/// ```
pub fn gaussian_filter(x: &[f64], sigma: f64) -> Vec<f64> {
    let n = x.len() as isize;
    let r = (4.0 * sigma + 0.5) as isize;
    let w: Vec<f64> = (-r..=r)
        .map(|k| (-0.5 * (k * k) as f64 / (sigma * sigma)).exp())
        .collect();
    let total: f64 = w.iter().sum();
    let at = |mut i: isize| {
        // Reflect until inside (the radius may exceed the length).
        loop {
            if i < 0 {
                i = -i - 1;
            } else if i >= n {
                i = 2 * n - i - 1;
            } else {
                return x[i as usize];
            }
        }
    };
    (0..n)
        .map(|i| (-r..=r).zip(&w).map(|(k, wk)| wk * at(i + k)).sum::<f64>() / total)
        .collect()
}

/// One example from `template` (reference `transform`): pad, stretch to
/// `template_len + padding.1`, scale, translate, noise, shear, subsample to `final_seq_length`.
///
/// ```
/// use curvlab::problems::datasets::mnist1d::{Mnist1dArgs, templates, transform};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let x = transform(&templates()[3], &Mnist1dArgs::default(), &mut rng);
/// assert_eq!(x.len(), 40);
/// ```
pub fn transform(template: &[f64], args: &Mnist1dArgs, rng: &mut ChaCha8Rng) -> Vec<f64> {
    const EPS: f64 = 1e-8;
    let (lo, hi) = args.padding;
    let p = lo + (rng.random::<f64>() * (hi - lo + 1) as f64) as usize;
    let mut x: Vec<f64> = template.iter().map(|v| v + EPS).collect();
    x.resize(template.len() + p, 0.0);
    let mut x = interpolate(&x, args.template_len + hi);
    let len = x.len();
    let scale = 1.0 + args.scale_coeff * (rng.random::<f64>() - 0.5);
    x.iter_mut().for_each(|v| *v *= scale);
    let k = rng.random_range(0..args.max_translation.max(1));
    x.rotate_right(k % len.max(1));
    let white: Vec<f64> = (0..len)
        .map(|_| args.corr_noise_scale * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let corr = gaussian_filter(&white, 2.0);
    for (v, c) in x.iter_mut().zip(&corr) {
        if *v == 0.0 {
            *v = *c;
        }
    }
    for v in x.iter_mut() {
        *v += args.iid_noise_scale * rng.sample::<f64, _>(StandardNormal);
    }
    let coeff = args.shear_scale * (rng.random::<f64>() - 0.5);
    for (i, v) in x.iter_mut().enumerate() {
        *v -= coeff * (i as f64 / (len - 1).max(1) as f64 - 0.5);
    }
    interpolate(&x, args.final_seq_length)
}

fn check_args(args: &Mnist1dArgs) -> Result<()> {
    if args.num_samples < 20 {
        return Err(Error::invalid(
            "samples",
            args.num_samples,
            "MNIST-1D needs at least 20 (2 per class)",
        ));
    }
    if !(args.train_split > 0.0 && args.train_split < 1.0) {
        return Err(Error::invalid(
            "train_split",
            args.train_split,
            "must be in (0, 1)",
        ));
    }
    if args.padding.0 > args.padding.1 || args.template_len != 12 || args.final_seq_length < 2 {
        return Err(Error::invalid(
            "mnist1d",
            format!(
                "padding {:?}, template_len {}",
                args.padding, args.template_len
            ),
            "need padding.0 <= padding.1, template_len 12, final_seq_length >= 2",
        ));
    }
    Ok(())
}

/// The data set (reference `make_dataset`): `num_samples / 10` examples per class in class
/// order, shuffled, standardised over all entries, split at `train_split`.
///
/// ```
/// use curvlab::problems::datasets::mnist1d::{Mnist1dArgs, make_dataset};
/// let s = make_dataset(&Mnist1dArgs { num_samples: 100, ..Default::default() }).unwrap();
/// assert_eq!((s.train.len(), s.test.len(), s.train.num_features()), (80, 20, 40));
/// ```
pub fn make_dataset(args: &Mnist1dArgs) -> Result<Split> {
    check_args(args)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let per_class = args.num_samples / 10;
    let mut xs = Vec::with_capacity(per_class * 10);
    let mut ys = Vec::with_capacity(per_class * 10);
    for (label, t) in templates().iter().enumerate() {
        for _ in 0..per_class {
            xs.push(transform(t, args, &mut rng));
            ys.push(label);
        }
    }
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.shuffle(&mut rng);
    let all: Vec<f64> = xs.iter().flatten().copied().collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let std = (all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64).sqrt();
    let d = args.final_seq_length;
    let x = Mat::from_fn(ys.len(), d, |i, j| (xs[order[i]][j] - mean) / std);
    let labels: Vec<usize> = order.iter().map(|&i| ys[i]).collect();
    let data = Labeled::new(x, labels)?;
    let cut = ((ys.len() as f64 * args.train_split) as usize).clamp(1, ys.len() - 1);
    let (train, test): (Vec<usize>, Vec<usize>) = ((0..cut).collect(), (cut..ys.len()).collect());
    Ok(Split {
        train: data.subset(&train)?,
        test: data.subset(&test)?,
        classes: 10,
    })
}
