//! The spectrum figure: a histogram of the dense eigenvalues of `∇²f` on a signed log scale
//! (negative curvature on the left), or the stochastic Lanczos quadrature density (Ubaru, Chen
//! & Saad 2017) on a log density axis when only Lanczos was affordable.

use super::{color, perr};
use crate::error::Result;
use crate::study::expand::Instance;
use crate::study::format::fmt_g;
use crate::study::outputs::write_atomic;
use crate::study::spectra::{InstanceSpectra, PointSpectrum, SlqDensity};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// A histogram of dense eigenvalues on a signed log scale: `(bin centre, fraction)` per bin.
fn histogram(
    ev: &[f64],
    t: &dyn Fn(f64) -> f64,
    lo: f64,
    width: f64,
    bins: usize,
) -> Vec<(f64, f64)> {
    let mut counts = vec![0usize; bins];
    for &v in ev {
        let b = (((t(v) - lo) / width).max(0.0) as usize).min(bins - 1);
        counts[b] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (
                lo + (i as f64 + 0.5) * width,
                c as f64 / ev.len().max(1) as f64,
            )
        })
        .collect()
}

/// At most this many eigenvalues per spectrum: each bar is labelled with its eigenvalues and
/// the axis gets wide margins, so that n = 2 or 3 bars stand clear of the axes.
pub(super) const TINY_N: usize = 10;

/// Histograms of dense spectra on a shared signed log axis.
struct Bins {
    /// `|λ| ≤ tiny` collapses to 0 on the axis.
    tiny: f64,
    lo: f64,
    hi: f64,
    width: f64,
    /// `(bin centre, fraction)` per bin, one histogram per spectrum.
    hists: Vec<Vec<(f64, f64)>>,
    ymax: f64,
    /// Per spectrum, the eigenvalues of each bin (tiny spectra only, else empty).
    values: Vec<Vec<Vec<f64>>>,
}

/// Bins the dense spectra: 40 bins over the signed log range, 2% margins — or, when every
/// spectrum has at most [`TINY_N`] eigenvalues, 10% margins (at least half a decade), so that no
/// bar touches an axis, and the eigenvalues of each bar kept for its label.
fn bins(sets: &[&PointSpectrum]) -> Option<Bins> {
    let all: Vec<f64> = sets
        .iter()
        .filter_map(|q| q.eigenvalues.as_ref())
        .flatten()
        .copied()
        .collect();
    if all.is_empty() {
        return None;
    }
    let tiny_n = sets
        .iter()
        .all(|q| q.eigenvalues.as_ref().is_some_and(|e| e.len() <= TINY_N));
    let scale = all.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tiny = (scale * 1e-12).max(f64::MIN_POSITIVE);
    // Signed log scale: sign(λ) · log10(|λ| / tiny), so negative curvature shows on the left
    // and |λ| ≤ 1e-12·max|λ| collapses to 0.
    let t = move |v: f64| v.signum() * (v.abs() / tiny).max(1.0).log10();
    let (lo, hi) = all
        .iter()
        .map(|&v| t(v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let margin = if tiny_n {
        (0.1 * (hi - lo)).max(0.5)
    } else if hi - lo < 1e-9 {
        0.5
    } else {
        0.02 * (hi - lo)
    };
    let (lo, hi) = (lo - margin, hi + margin);
    let n = 40usize;
    let width = (hi - lo) / n as f64;
    let bin = |v: f64| (((t(v) - lo) / width).max(0.0) as usize).min(n - 1);
    let hists: Vec<Vec<(f64, f64)>> = sets
        .iter()
        .map(|q| histogram(q.eigenvalues.as_deref().unwrap_or(&[]), &t, lo, width, n))
        .collect();
    let values = if tiny_n {
        sets.iter()
            .map(|q| {
                let mut per = vec![Vec::new(); n];
                for &v in q.eigenvalues.as_deref().unwrap_or(&[]) {
                    per[bin(v)].push(v);
                }
                per
            })
            .collect()
    } else {
        Vec::new()
    };
    let ymax = hists
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.1))
        .max(1e-3)
        * if tiny_n { 1.4 } else { 1.15 };
    Some(Bins {
        tiny,
        lo,
        hi,
        width,
        hists,
        ymax,
        values,
    })
}

/// The label of a bar of a tiny spectrum: its eigenvalues (at most three, then `…`).
fn bar_label(values: &[f64]) -> String {
    let mut parts: Vec<String> = values
        .iter()
        .take(3)
        .map(|&v| format!("λ = {}", fmt_g(Some(v))))
        .collect();
    if values.len() > 3 {
        parts.push("…".into());
    }
    parts.join(", ")
}

/// A tiny spectrum's bar labels: each non-empty bar says which eigenvalues it holds, at
/// `(x0(bin centre), y(fraction))`.
fn bar_labels<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    h: &[(f64, f64)],
    per: &[Vec<f64>],
    x0: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(
            h.iter()
                .zip(per)
                .filter(|(_, v)| !v.is_empty())
                .map(|(&(x, f), v)| Text::new(bar_label(v), (x0(x), y(f)), ("sans-serif", 12))),
        )
        .map_err(perr)?;
    Ok(())
}

/// The eigenvalue at position `v` of the signed log axis.
fn signed_log_label(v: f64, tiny: f64) -> String {
    if v.abs() < 1e-9 {
        return "0".into();
    }
    let m = tiny * 10f64.powf(v.abs());
    if v < 0.0 {
        format!("-{m:.1e}")
    } else {
        format!("{m:.1e}")
    }
}

/// The dense spectra as histograms on a signed log scale; `None` when there is nothing to draw.
fn dense(p: &Instance, s: &InstanceSpectra, sets: &[&PointSpectrum]) -> Result<Option<String>> {
    let Some(Bins {
        tiny,
        lo,
        hi,
        width,
        hists,
        ymax,
        values,
    }) = bins(sets)
    else {
        return Ok(None);
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "eigenvalues of ∇²f (dense): {}, κ = {}",
                    p.label(),
                    fmt_g(s.condition_number())
                ),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0f64..ymax)
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("eigenvalue λ (signed log scale)")
            .y_desc("fraction of eigenvalues")
            .x_label_formatter(&|v| signed_log_label(*v, tiny))
            .draw()
            .map_err(perr)?;
        for (i, (q, h)) in sets.iter().zip(&hists).enumerate() {
            let c = color(i);
            // Side by side within a bin when two spectra are drawn.
            let k = sets.len() as f64;
            let w = width / k;
            let style = if i == 0 {
                c.filled()
            } else {
                c.mix(0.7).filled()
            };
            chart
                .draw_series(h.iter().filter(|(_, f)| *f > 0.0).map(|&(x, f)| {
                    let x0 = x - width / 2.0 + i as f64 * w;
                    Rectangle::new([(x0, 0.0), (x0 + w, f)], style)
                }))
                .map_err(perr)?
                .label(format!(
                    "∇²f({}): {} eigenvalues, inertia −/0/+ {}",
                    q.point,
                    q.eigenvalues.as_ref().map_or(0, |e| e.len()),
                    q.inertia_text()
                ))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], style));
            if let Some(per) = values.get(i) {
                let x0 = |x: f64| x - width / 2.0 + i as f64 * w;
                let y = |f: f64| f + 0.06 * ymax * (1.0 + i as f64);
                bar_labels(&mut chart, h, per, &x0, &y)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    Ok(Some(buf))
}

/// The stochastic Lanczos quadrature densities: linear λ, log density.
fn slq(p: &Instance, sets: &[&PointSpectrum]) -> Result<Option<String>> {
    let mut buf = String::new();
    let curves: Vec<(&PointSpectrum, &SlqDensity)> = sets
        .iter()
        .filter_map(|q| q.density.as_ref().map(|d| (*q, d)))
        .collect();
    if curves.is_empty() {
        return Ok(None);
    }
    let (mut xlo, mut xhi, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for (_, d) in &curves {
        for (&x, &y) in d.grid.iter().zip(&d.density) {
            xlo = xlo.min(x);
            xhi = xhi.max(x);
            ymax = ymax.max(y);
        }
    }
    if !(ymax > 0.0) || !(xhi > xlo) {
        return Ok(None);
    }
    let ymin = ymax * 1e-8;
    {
        let root = SVGBackend::with_string(&mut buf, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("spectral density of ∇²f (SLQ): {}", p.label()),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(xlo..xhi, (ymin..ymax * 2.0).log_scale())
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("eigenvalue λ")
            .y_desc("density (log scale)")
            .x_label_formatter(&|v| format!("{v:.2e}"))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(perr)?;
        for (i, (q, d)) in curves.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(
                    d.grid
                        .iter()
                        .zip(&d.density)
                        .map(|(&x, &y)| (x, y.max(ymin))),
                    c.stroke_width(2),
                ))
                .map_err(perr)?
                .label(format!(
                    "∇²f({}): {} probes × {} Lanczos steps, σ = {:.2e}",
                    q.point, d.probes, d.steps, d.bandwidth
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    Ok(Some(buf))
}

/// The spectrum of `∇²f` at `x₀` (and at `x*` and `x_end` when they differ): dense histograms or SLQ
/// densities. False when there is nothing to draw.
pub(super) fn plot(out: &Path, name: &str, p: &Instance, s: &InstanceSpectra) -> Result<bool> {
    // The spectra to draw: x0, and x* and the end point of the best run when they differ (not
    // for a constant Hessian).
    let mut sets: Vec<&PointSpectrum> = s.at_start.iter().collect();
    if !s.quadratic {
        sets.extend(s.at_optimum.iter().chain(&s.at_end));
    }
    if sets.is_empty() {
        return Ok(false);
    }
    let svg = if sets.iter().all(|q| q.eigenvalues.is_some()) {
        dense(p, s, &sets)?
    } else {
        slq(p, &sets)?
    };
    let Some(buf) = svg else {
        return Ok(false);
    };
    write_atomic(&out.join("plots").join(name), buf.as_bytes())?;
    Ok(true)
}
