//! Study plots, as SVG through plotters: per problem instance, `f − f*` and `‖∇f‖` against
//! iterations and against seconds (one line per method, first seed, log scale), the spectrum of
//! `∇²f` at `x₀` (and at `x*` when it differs) — a histogram of the dense eigenvalues on a
//! signed log scale, or the stochastic Lanczos quadrature density (Ubaru, Chen & Saad 2017) on a
//! log density axis for large `n` — and for 2-D problems the
//! trajectories over a contour plot of `f` (the seed article's ravine figure); for studies that
//! sweep `condition`, iterations against κ per method with the classical predictions drawn over
//! the measured points (Polyak 1987; Nesterov 2004; see [`super::summary`]).
//!
//! Contours are traced with marching squares (Lorensen & Cline 1987, in its 2-D form) on a
//! 100 × 100 grid at geometrically spaced levels.

use super::expand::{Instance, Plan};
use super::outputs::{RunRecord, TraceTable, read_trace, write_atomic};
use super::spec::StudySpec;
use super::spectra::{InstanceSpectra, PointSpectrum};
use super::summary::{Measure, fmt_g, theory_for};
use crate::error::{Error, Result};
use crate::problems::ProblemInstance;
use plotters::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const W: u32 = 1100;
const H: u32 = 800;

/// The file-name prefix of problem instance `pi`: `p03-quadratic`.
///
/// ```
/// use curvlab::study::{expand::Instance, plots::slug};
/// let i = Instance { kind: "ravine".into(), params: Default::default(), table: 0 };
/// assert_eq!(slug(3, &i), "p03-ravine");
/// ```
pub fn slug(pi: usize, p: &Instance) -> String {
    format!("p{pi:02}-{}", p.kind)
}

fn perr<E: std::fmt::Debug>(e: E) -> Error {
    Error::Numerical(format!("plot: {e:?}"))
}

fn color(i: usize) -> RGBColor {
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
type Series = (String, Vec<(f64, f64)>);

/// The legend corner that covers the fewest data points: `frac` maps a point to axis fractions
/// `(0..1, 0..1)`; the legend is taken to fill 40% of the width and 6% of the height per entry.
/// Ties go to the lower right, where convergence curves rarely are.
fn legend_corner(series: &[Series], frac: &dyn Fn(f64, f64) -> (f64, f64)) -> SeriesLabelPosition {
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

fn log_range(series: &[Series]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (_, pts) in series {
        for &(_, y) in pts {
            if y > 0.0 && y.is_finite() {
                lo = lo.min(y);
                hi = hi.max(y);
            }
        }
    }
    if !lo.is_finite() {
        return (1e-16, 1.0);
    }
    if hi <= lo {
        hi = lo * 10.0;
    }
    (lo / 2.0, hi * 2.0)
}

fn lin_max(series: &[Series]) -> f64 {
    let m = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if m > 0.0 { m * 1.02 } else { 1.0 }
}

/// Draws one panel: a line per series, log-scaled y, with a legend.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    xdesc: &str,
    ydesc: &str,
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = log_range(series);
    let floor = lo;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..lin_max(series), (lo..hi).log_scale())
        .map_err(perr)?;
    chart
        .configure_mesh()
        .x_desc(xdesc)
        .y_desc(ydesc)
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|v| fmt_g(Some(*v)))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(perr)?;
    for (i, (label, pts)) in series.iter().enumerate() {
        let c = color(i);
        let clean: Vec<(f64, f64)> = pts
            .iter()
            .filter(|(x, y)| x.is_finite() && !y.is_nan())
            .map(|&(x, y)| (x, if y > floor { y } else { floor }))
            .collect();
        chart
            .draw_series(LineSeries::new(clean.iter().copied(), c.stroke_width(2)))
            .map_err(perr)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        // A marker at the last point, so that runs of a few iterations (Newton) stay visible.
        chart
            .draw_series(clean.last().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(perr)?;
    }
    let xmax = lin_max(series);
    let (llo, lhi) = (lo.ln(), hi.ln());
    let corner = legend_corner(series, &|x, y| {
        (x / xmax, (y.max(floor).ln() - llo) / (lhi - llo))
    });
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(perr)?;
    Ok(())
}

fn first_seed_traces(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    pi: usize,
) -> Vec<(String, TraceTable)> {
    let seed = spec.seeds[0];
    plan.runs
        .iter()
        .filter(|r| r.problem == pi && r.seed == seed)
        .filter_map(|r| Some((plan.methods[r.method].label(), read_trace(out, &r.id)?)))
        .collect()
}

fn convergence_plot(
    out: &Path,
    name: &str,
    p: &Instance,
    f_star: Option<f64>,
    traces: &[(String, TraceTable)],
) -> Result<()> {
    // Without a known f*, measure against the best value any method reached.
    let fbest = f_star.unwrap_or_else(|| {
        traces
            .iter()
            .filter_map(|(_, t)| t.column("f"))
            .flatten()
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min)
    });
    let gap_label = if f_star.is_some() {
        "f − f*"
    } else {
        "f − f_best"
    };
    let mut gap_it = Vec::new();
    let mut gap_t = Vec::new();
    let mut g_it = Vec::new();
    let mut g_t = Vec::new();
    for (label, t) in traces {
        let (Some(k), Some(f), Some(g), Some(s)) = (
            t.column("k"),
            t.column("f"),
            t.column("grad_norm"),
            t.column("seconds"),
        ) else {
            continue;
        };
        let gap: Vec<f64> = f.iter().map(|v| v - fbest).collect();
        gap_it.push((
            label.clone(),
            k.iter().copied().zip(gap.iter().copied()).collect(),
        ));
        gap_t.push((
            label.clone(),
            s.iter().copied().zip(gap.iter().copied()).collect(),
        ));
        g_it.push((
            label.clone(),
            k.iter().copied().zip(g.iter().copied()).collect(),
        ));
        g_t.push((
            label.clone(),
            s.iter().copied().zip(g.iter().copied()).collect(),
        ));
    }
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root.titled(&p.label(), ("sans-serif", 20)).map_err(perr)?;
        let areas = root.split_evenly((2, 2));
        panel(
            &areas[0],
            &format!("{gap_label} vs iterations"),
            "iteration",
            gap_label,
            &gap_it,
        )?;
        panel(
            &areas[1],
            &format!("{gap_label} vs time"),
            "seconds",
            gap_label,
            &gap_t,
        )?;
        panel(&areas[2], "‖∇f‖ vs iterations", "iteration", "‖∇f‖", &g_it)?;
        panel(&areas[3], "‖∇f‖ vs time", "seconds", "‖∇f‖", &g_t)?;
        root.present().map_err(perr)?;
    }
    write_atomic(&out.join("plots").join(name), buf.as_bytes())
}

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

fn spectrum_plot(out: &Path, name: &str, p: &Instance, s: &InstanceSpectra) -> Result<bool> {
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
    let mut buf = String::new();
    let dense = sets.iter().all(|q| q.eigenvalues.is_some());
    if dense {
        let all: Vec<f64> = sets
            .iter()
            .filter_map(|q| q.eigenvalues.as_ref())
            .flatten()
            .copied()
            .collect();
        if all.is_empty() {
            return Ok(false);
        }
        let scale = all.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tiny = (scale * 1e-12).max(f64::MIN_POSITIVE);
        // Signed log scale: sign(λ) · log10(|λ| / tiny), so negative curvature shows on the left
        // and |λ| ≤ 1e-12·max|λ| collapses to 0.
        let t = move |v: f64| v.signum() * (v.abs() / tiny).max(1.0).log10();
        let xs: Vec<f64> = all.iter().map(|&v| t(v)).collect();
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let (lo, hi) = if hi - lo < 1e-9 {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
        };
        let bins = 40usize;
        let width = (hi - lo) / bins as f64;
        let hists: Vec<Vec<(f64, f64)>> = sets
            .iter()
            .map(|q| histogram(q.eigenvalues.as_deref().unwrap_or(&[]), &t, lo, width, bins))
            .collect();
        let ymax = hists
            .iter()
            .flatten()
            .fold(0.0f64, |m, v| m.max(v.1))
            .max(1e-3)
            * 1.15;
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
                .x_label_formatter(&|v| {
                    if v.abs() < 1e-9 {
                        return "0".into();
                    }
                    let m = tiny * 10f64.powf(v.abs());
                    if *v < 0.0 {
                        format!("-{m:.1e}")
                    } else {
                        format!("{m:.1e}")
                    }
                })
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
    } else {
        // Stochastic Lanczos quadrature densities: linear λ, log density.
        let curves: Vec<(&PointSpectrum, &super::spectra::SlqDensity)> = sets
            .iter()
            .filter_map(|q| q.density.as_ref().map(|d| (*q, d)))
            .collect();
        if curves.is_empty() {
            return Ok(false);
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
            return Ok(false);
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
    }
    write_atomic(&out.join("plots").join(name), buf.as_bytes())?;
    Ok(true)
}

/// Segments of the level set `{f = level}` on a grid (`z[i][j]` at `(xs[i], ys[j])`).
fn marching_squares(xs: &[f64], ys: &[f64], z: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let interp = |a: (f64, f64, f64), b: (f64, f64, f64)| {
        let t = if (b.2 - a.2).abs() > 0.0 {
            (level - a.2) / (b.2 - a.2)
        } else {
            0.5
        };
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    for i in 0..xs.len().saturating_sub(1) {
        for j in 0..ys.len().saturating_sub(1) {
            let c = [
                (xs[i], ys[j], z[i][j]),
                (xs[i + 1], ys[j], z[i + 1][j]),
                (xs[i + 1], ys[j + 1], z[i + 1][j + 1]),
                (xs[i], ys[j + 1], z[i][j + 1]),
            ];
            let mut pts = Vec::with_capacity(4);
            for e in 0..4 {
                let (a, b) = (c[e], c[(e + 1) % 4]);
                if (a.2 < level) != (b.2 < level) {
                    pts.push(interp(a, b));
                }
            }
            if pts.len() >= 2 {
                segs.push([pts[0], pts[1]]);
            }
            if pts.len() == 4 {
                segs.push([pts[2], pts[3]]);
            }
        }
    }
    segs
}

fn trajectory_plot(
    out: &Path,
    name: &str,
    p: &Instance,
    inst: &ProblemInstance,
    traces: &[(String, TraceTable)],
) -> Result<bool> {
    let paths: Vec<Series> = traces
        .iter()
        .filter_map(|(l, t)| {
            let (x, y) = (t.column("x0")?, t.column("x1")?);
            Some((
                l.clone(),
                x.into_iter()
                    .zip(y)
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .collect(),
            ))
        })
        .collect();
    if paths.is_empty() || inst.x0.len() != 2 {
        return Ok(false);
    }
    let center = inst
        .x_star
        .clone()
        .filter(|c| c.len() == 2)
        .unwrap_or_else(|| {
            paths
                .iter()
                .filter_map(|(_, p)| p.last().map(|q| vec![q.0, q.1]))
                .next()
                .unwrap_or_else(|| inst.x0.clone())
        });
    let (cx, cy) = (center[0], center[1]);
    let r = ((inst.x0[0] - cx).powi(2) + (inst.x0[1] - cy).powi(2))
        .sqrt()
        .max(1e-3);
    let mut bx = (cx.min(inst.x0[0]), cx.max(inst.x0[0]));
    let mut by = (cy.min(inst.x0[1]), cy.max(inst.x0[1]));
    for (_, pts) in &paths {
        for &(x, y) in pts {
            if ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() <= 3.0 * r {
                bx = (bx.0.min(x), bx.1.max(x));
                by = (by.0.min(y), by.1.max(y));
            }
        }
    }
    let pad = |b: (f64, f64)| {
        let w = (b.1 - b.0).max(0.05 * r);
        (b.0 - 0.08 * w, b.1 + 0.08 * w)
    };
    let (bx, by) = (pad(bx), pad(by));
    let m = 100;
    let xs: Vec<f64> = (0..m)
        .map(|i| bx.0 + (bx.1 - bx.0) * i as f64 / (m - 1) as f64)
        .collect();
    let ys: Vec<f64> = (0..m)
        .map(|j| by.0 + (by.1 - by.0) * j as f64 / (m - 1) as f64)
        .collect();
    let mut z = vec![vec![f64::NAN; m]; m];
    let (mut zmin, mut zmax) = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, &x) in xs.iter().enumerate() {
        for (j, &y) in ys.iter().enumerate() {
            let v = inst.objective.value(&[x, y]).unwrap_or(f64::NAN);
            if v.is_finite() {
                zmin = zmin.min(v);
                zmax = zmax.max(v);
            }
            z[i][j] = v;
        }
    }
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("trajectories on {} (● start x₀, ✕ minimizer)", p.label()),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(bx.0..bx.1, by.0..by.1)
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .disable_mesh()
            .draw()
            .map_err(perr)?;
        if zmin.is_finite() && zmax > zmin {
            // Geometric levels above the grid minimum.
            let base = (zmax - zmin) * 1e-5;
            let levels = 16;
            for l in 0..levels {
                let t = l as f64 / (levels - 1) as f64;
                let level = zmin + base * ((zmax - zmin) / base).powf(t) * 0.9;
                let segs = marching_squares(&xs, &ys, &z, level);
                chart
                    .draw_series(segs.into_iter().map(|s| {
                        PathElement::new(vec![s[0], s[1]], RGBColor(170, 170, 170).stroke_width(1))
                    }))
                    .map_err(perr)?;
            }
        }
        for (i, (label, pts)) in paths.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(perr)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .draw_series(std::iter::once(Circle::new(
                (inst.x0[0], inst.x0[1]),
                5,
                BLACK.filled(),
            )))
            .map_err(perr)?;
        if let Some((&a, &b)) = inst
            .x_star
            .as_ref()
            .and_then(|x| Some((x.first()?, x.get(1)?)))
        {
            chart
                .draw_series(std::iter::once(Cross::new(
                    (a, b),
                    7,
                    BLACK.stroke_width(3),
                )))
                .map_err(perr)?;
        }
        let corner = legend_corner(&paths, &|x, y| {
            ((x - bx.0) / (bx.1 - bx.0), (y - by.0) / (by.1 - by.0))
        });
        chart
            .configure_series_labels()
            .position(corner)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    write_atomic(&out.join("plots").join(name), buf.as_bytes())?;
    Ok(true)
}

fn condition_plot(
    plan: &Plan,
    out: &Path,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
) -> Result<bool> {
    // κ of each quadratic instance, from its spectrum.
    let kappa: Vec<Option<f64>> = spectra
        .iter()
        .map(|s| s.quadratic.then(|| s.condition_number()).flatten())
        .collect();
    let mut distinct: Vec<f64> = kappa.iter().flatten().copied().collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup_by(|a, b| (*a / *b - 1.0).abs() < 1e-6);
    if distinct.len() < 2 {
        return Ok(false);
    }
    let mut measured: Vec<Series> = Vec::new();
    let mut theory: Vec<Series> = Vec::new();
    for (mi, m) in plan.methods.iter().enumerate() {
        let t = theory_for(&m.kind, &m.params);
        let hvp = t.is_some_and(|t| t.measure == Measure::HessianVectorProducts);
        let mut pts = Vec::new();
        let mut pred = Vec::new();
        for (pi, k) in kappa.iter().enumerate() {
            let Some(k) = *k else { continue };
            for r in plan
                .runs
                .iter()
                .filter(|r| r.problem == pi && r.method == mi)
            {
                if let Some(rec) = records.get(&r.id)
                    && rec.converged
                {
                    let y = if hvp {
                        rec.hvp_evals as f64
                    } else {
                        rec.iterations as f64
                    };
                    pts.push((k, y.max(1.0)));
                }
            }
            if let Some(t) = t
                && let Some(mp) = spectra[pi]
                    .prediction
                    .as_ref()
                    .and_then(|p| p.method(t.family))
            {
                pred.push((k, (mp.iterations as f64).max(1.0)));
            }
        }
        pred.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = if hvp {
            format!("{} [Hessian-vector products]", m.label())
        } else {
            m.label()
        };
        let tl = match t {
            Some(t) if t.exact => format!("{} (theory: {})", m.label(), t.family),
            Some(t) => format!("{} (reference: {} †)", m.label(), t.family),
            None => String::new(),
        };
        measured.push((label, pts));
        theory.push((tl, pred));
    }
    let all: Vec<&(f64, f64)> = measured
        .iter()
        .chain(&theory)
        .flat_map(|(_, p)| p)
        .collect();
    if all.is_empty() {
        return Ok(false);
    }
    let (mut xlo, mut xhi, mut ylo, mut yhi) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    for &&(x, y) in &all {
        xlo = xlo.min(x);
        xhi = xhi.max(x);
        ylo = ylo.min(y);
        yhi = yhi.max(y);
    }
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (1100, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "iterations to the tolerance against κ: measured (dots) and theory (lines)",
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (xlo / 1.5..xhi * 1.5).log_scale(),
                (ylo.max(1.0) / 2.0..yhi * 4.0).log_scale(),
            )
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("condition number κ of ∇²f (log scale)")
            .y_desc("iterations (log scale)")
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(perr)?;
        for (i, ((ml, pts), (tl, pred))) in measured.iter().zip(&theory).enumerate() {
            let c = color(i);
            if !pts.is_empty() {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(perr)?
                    .label(ml.as_str())
                    .legend(move |(x, y)| Circle::new((x + 9, y), 4, c.filled()));
            }
            if pred.len() >= 2 {
                chart
                    .draw_series(LineSeries::new(
                        pred.iter().copied(),
                        c.mix(0.6).stroke_width(2),
                    ))
                    .map_err(perr)?
                    .label(tl.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.mix(0.6).stroke_width(2))
                    });
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
    write_atomic(
        &out.join("plots").join("iterations-vs-condition.svg"),
        buf.as_bytes(),
    )?;
    Ok(true)
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
            let traces = first_seed_traces(spec, plan, out, pi);
            let inst = instances.get(pi);
            if !traces.is_empty() {
                let name = format!("{s}-convergence.svg");
                convergence_plot(out, &name, p, inst.and_then(|i| i.f_star), &traces)?;
                files.push(name);
            }
            if let Some(sp) = spectra.get(pi) {
                let name = format!("{s}-spectrum.svg");
                if spectrum_plot(out, &name, p, sp)? {
                    files.push(name);
                }
            }
            if let Some(inst) = inst {
                let name = format!("{s}-trajectories.svg");
                if trajectory_plot(out, &name, p, inst, &traces)? {
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
    if condition_plot(plan, out, records, spectra)? {
        files.push("iterations-vs-condition.svg".into());
    }
    Ok(files)
}
