//! The end-point outlier figure (Sagun et al. 2017, Fig. 1; Papyan 2019, Fig. 1): the spectral
//! density of the Hessian and of the Gauss–Newton matrix at a run's final point, by stochastic
//! Lanczos quadrature (Ubaru, Chen & Saad 2017), on a log density axis, with the Lanczos Ritz
//! values counted as outliers marked (vertical lines) and the confirmed gap shaded
//! ([`crate::curvature::outliers`](mod@crate::curvature::outliers)). One figure per problem and method instance, first seed.

use super::{color, perr};
use crate::curvature::outliers::Outliers;
use crate::error::Result;
use crate::study::expand::Plan;
use crate::study::outputs::{RunRecord, write_atomic};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The smoothed density `n · Σ τⱼ g_σ(t − θⱼ)` (eigenvalues per unit λ) on `grid`.
fn smoothed(o: &Outliers, grid: &[f64], sigma: f64) -> Vec<f64> {
    let c = o.n as f64 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    grid.iter()
        .map(|t| {
            o.nodes
                .iter()
                .zip(&o.weights)
                .map(|(x, w)| w * c * (-0.5 * ((t - x) / sigma).powi(2)).exp())
                .sum()
        })
        .collect()
}

/// The λ range of all nodes and Ritz values, with 3 % margins.
fn range(sets: &[(&str, &Outliers)]) -> (f64, f64) {
    let (lo, hi) = sets
        .iter()
        .flat_map(|(_, o)| o.nodes.iter().chain(&o.ritz))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let w = (hi - lo).max(1e-12);
    (lo - 0.03 * w, hi + 0.03 * w)
}

/// The x range, the grid, one smoothed density per set (bandwidth a 500th of the range) and the
/// largest density.
type Curves = (f64, f64, Vec<f64>, Vec<Vec<f64>>, f64);

/// [`Curves`] of the sets; `None` when there is nothing to draw.
fn curves(sets: &[(&str, &Outliers)]) -> Option<Curves> {
    if sets.is_empty() {
        return None;
    }
    let (lo, hi) = range(sets);
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let sigma = (hi - lo) / 500.0;
    let grid: Vec<f64> = (0..1000)
        .map(|i| lo + (hi - lo) * i as f64 / 999.0)
        .collect();
    let curves: Vec<Vec<f64>> = sets
        .iter()
        .map(|(_, o)| smoothed(o, &grid, sigma))
        .collect();
    let ymax = curves.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
    (ymax > 0.0).then_some((lo, hi, grid, curves, ymax))
}

/// Draws the figure for one run's outliers; `None` when there is nothing to draw.
fn svg(title: &str, sets: &[(&str, &Outliers)]) -> Result<Option<String>> {
    let Some((lo, hi, grid, curves, ymax)) = curves(sets) else {
        return Ok(None);
    };
    let ymin = ymax * 1e-7;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, (ymin..ymax * 2.0).log_scale())
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("eigenvalue λ")
            .y_desc("eigenvalues per unit λ (SLQ, log scale)")
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(perr)?;
        for (i, ((name, o), d)) in sets.iter().zip(&curves).enumerate() {
            let c = color(if i == 0 { 3 } else { 0 });
            if o.confirmed {
                let (a, b) = o.gap;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, ymin), (b, ymax * 2.0)],
                        c.mix(0.08).filled(),
                    )))
                    .map_err(perr)?;
            }
            let pts = grid.iter().zip(d).map(|(&x, &y)| (x, y.max(ymin)));
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(perr)?
                .label(format!(
                    "{name}: {} outliers beyond the gap ({:.3e}, {:.3e})",
                    o.count, o.gap.0, o.gap.1
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            for &t in o.ritz.iter().take(o.count) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(t, ymin), (t, ymax * 2.0)],
                        c.mix(0.6).stroke_width(1),
                    )))
                    .map_err(perr)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    Ok(Some(buf))
}

/// Writes `<slug>-density-m<k>.svg` for each method instance `k` on problem instance `pi` whose
/// first-seed run measured outliers; returns the file names.
pub(super) fn plot_instance(
    plan: &Plan,
    out: &Path,
    records: &BTreeMap<String, RunRecord>,
    pi: usize,
    slug: &str,
) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for (mi, m) in plan.methods.iter().enumerate() {
        let Some(rec) = plan
            .runs
            .iter()
            .filter(|k| k.problem == pi && k.method == mi)
            .find_map(|k| records.get(&k.id))
        else {
            continue;
        };
        let Some(e) = &rec.endpoint else {
            continue;
        };
        let mut sets = Vec::new();
        if let Some(o) = &e.outliers_hessian {
            sets.push(("Hessian", o));
        }
        if let Some(o) = &e.outliers_ggn {
            sets.push(("GGN", o));
        }
        let title = format!(
            "end-point spectra, {} on {} (seed {})",
            m.label(),
            plan.problems[pi].label(),
            rec.seed
        );
        if let Some(text) = svg(&title, &sets)? {
            let name = format!("{slug}-density-m{mi}.svg");
            write_atomic(&out.join("plots").join(&name), text.as_bytes())?;
            files.push(name);
        }
    }
    Ok(files)
}
