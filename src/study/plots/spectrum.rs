//! The spectrum figure: a histogram of the dense eigenvalues of `∇²f` on a signed log scale
//! (negative curvature on the left), or the stochastic Lanczos quadrature density (Ubaru, Chen
//! & Saad 2017) on a log density axis when only Lanczos was affordable.

use super::{color, perr};
use crate::error::Result;
use crate::study::expand::Instance;
use crate::study::format::fmt_g;
use crate::study::outputs::write_atomic;
use crate::study::spectra::{InstanceSpectra, PointSpectrum, SlqDensity};
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
}

/// Bins the dense spectra: 40 bins over the signed log range, 2% margins.
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
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    };
    let n = 40usize;
    let width = (hi - lo) / n as f64;
    let hists: Vec<Vec<(f64, f64)>> = sets
        .iter()
        .map(|q| histogram(q.eigenvalues.as_deref().unwrap_or(&[]), &t, lo, width, n))
        .collect();
    let ymax = hists
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.1))
        .max(1e-3)
        * 1.15;
    Some(Bins {
        tiny,
        lo,
        hi,
        width,
        hists,
        ymax,
    })
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

/// The spectrum of `∇²f` at `x₀` (and at `x*` when it differs): dense histograms or SLQ
/// densities. False when there is nothing to draw.
pub(super) fn plot(out: &Path, name: &str, p: &Instance, s: &InstanceSpectra) -> Result<bool> {
    // The spectra to draw: x0, and x* when it differs (not for a constant Hessian).
    let mut sets: Vec<&PointSpectrum> = s.at_start.iter().collect();
    if !s.quadratic
        && let Some(o) = &s.at_optimum
    {
        sets.push(o);
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
