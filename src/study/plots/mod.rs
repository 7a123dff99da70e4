//! Study plots, as SVG through plotters: per problem instance, `f − f*` and `‖∇f‖` against
//! iterations and against seconds (per method the median over seeds and a min–max band, log
//! scales, the legend beside the panels), the spectrum of
//! `∇²f` at `x₀` (and at `x*` when it differs) — a histogram of the dense eigenvalues on a
//! signed log scale, or the stochastic Lanczos quadrature density (Ubaru, Chen & Saad 2017) on a
//! log density axis for large `n` — and for 2-D problems the
//! trajectories over a contour plot of `f` (the seed article's ravine figure); for studies that
//! sweep `condition`, iterations against κ per method with the classical predictions drawn over
//! the measured points (Polyak 1987; Nesterov 2004; see [`super::theory`]).
//!
//! Contours are traced with marching squares (Lorensen & Cline 1987, in its 2-D form) on a
//! 100 × 100 grid at geometrically spaced levels.
//!
//! One file per figure: `convergence.rs`, `spectrum.rs`, `trajectory.rs`, `condition.rs`,
//! `density.rs` (end-point Hessian/GGN densities with outliers marked); this file
//! holds the shared drawing helpers and [`write_plots`]. Plots import the theory and format
//! helpers ([`super::theory`], [`super::format`]), never [`super::summary`].

mod condition;
mod convergence;
mod density;
mod sharpness;
mod spectrum;
mod trajectory;

use super::expand::Plan;
use super::outputs::RunRecord;
use super::spec::StudySpec;
use super::spectra::InstanceSpectra;
use crate::error::{Error, Result};
use crate::problems::ProblemInstance;
pub use crate::study::format::slug;
use plotters::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub(super) const W: u32 = 1100;
pub(super) const H: u32 = 800;

pub(super) fn perr<E: std::fmt::Debug>(e: E) -> Error {
    Error::Numerical(format!("plot: {e:?}"))
}

pub(super) fn color(i: usize) -> RGBColor {
    // matplotlib's tab10, then five darker colours, so up to 15 series stay distinct.
    const C: [RGBColor; 15] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(0, 0, 0),
        RGBColor(0, 0, 128),
        RGBColor(128, 0, 0),
        RGBColor(0, 128, 128),
        RGBColor(128, 128, 0),
    ];
    C[i % C.len()]
}

/// One labelled series of points.
pub(super) type Series = (String, Vec<(f64, f64)>);

/// The legend corner that covers the fewest data points: `frac` maps a point to axis fractions
/// `(0..1, 0..1)`; the legend is taken to fill 40% of the width and 6% of the height per entry.
/// Ties go to the lower right, where convergence curves rarely are.
pub(super) fn legend_corner(
    series: &[Series],
    frac: &dyn Fn(f64, f64) -> (f64, f64),
) -> SeriesLabelPosition {
    let h = (0.06 * series.len() as f64 + 0.06).min(0.8);
    // (right, upper) of LowerRight, UpperRight, LowerLeft, UpperLeft.
    let corners = [(true, false), (true, true), (false, false), (false, true)];
    let mut count = [0usize; 4];
    for (_, pts) in series {
        for &(x, y) in pts {
            let (fx, fy) = frac(x, y);
            if !(fx.is_finite() && fy.is_finite()) {
                continue;
            }
            for (i, &(right, upper)) in corners.iter().enumerate() {
                let inx = if right { fx > 0.6 } else { fx < 0.4 };
                let iny = if upper { fy > 1.0 - h } else { fy < h };
                if inx && iny {
                    count[i] += 1;
                }
            }
        }
    }
    let best = (0..4).min_by_key(|&i| count[i]).unwrap_or(0);
    match best {
        1 => SeriesLabelPosition::UpperRight,
        2 => SeriesLabelPosition::LowerLeft,
        3 => SeriesLabelPosition::UpperLeft,
        _ => SeriesLabelPosition::LowerRight,
    }
}

/// Writes every plot of a study into `out/plots/` and returns the file names.
pub fn write_plots(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    instances: &[Arc<ProblemInstance>],
) -> Result<Vec<String>> {
    super::outputs::create_dir(&out.join("plots"))?;
    // One task per problem instance, on the current rayon pool (the study's `--jobs`).
    let per_instance: Vec<Result<Vec<String>>> = plan
        .problems
        .par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(pi, p)| {
            let mut files = Vec::new();
            let s = slug(pi, p);
            let traces = convergence::first_seed_traces(spec, plan, out, pi);
            let inst = instances.get(pi);
            let all = convergence::all_seed_traces(plan, out, pi);
            if !all.is_empty() {
                let name = format!("{s}-convergence.svg");
                convergence::plot(out, &name, p, inst.and_then(|i| i.f_star), &all)?;
                files.push(name);
            }
            if let Some(sp) = spectra.get(pi) {
                let name = format!("{s}-spectrum.svg");
                if spectrum::plot(out, &name, p, sp)? {
                    files.push(name);
                }
            }
            files.extend(density::plot_instance(plan, out, records, pi, &s)?);
            let name = format!("{s}-sharpness.svg");
            if sharpness::plot(spec, plan, out, pi, &name)? {
                files.push(name);
            }
            if let Some(inst) = inst {
                let name = format!("{s}-trajectories.svg");
                if trajectory::plot(out, &name, p, inst, &traces)? {
                    files.push(name);
                }
            }
            Ok(files)
        })
        .collect();
    let mut files = Vec::new();
    for f in per_instance {
        files.extend(f?);
    }
    if let Some(prof) = super::profiles::study_profiles(plan, records) {
        let name = "benchmark-profiles.svg";
        let title = format!("{}: performance and data profiles", spec.name);
        super::profiles::write_svg(
            &prof,
            &out.join("plots").join(name),
            &title,
            "gradient evaluations",
        )?;
        files.push(name.into());
    }
    if condition::plot(plan, out, records, spectra)? {
        files.push("iterations-vs-condition.svg".into());
    }
    Ok(files)
}
