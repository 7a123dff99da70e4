//! The convergence figure: `f − f*` (or `f − f_best`, the lowest `f` any method reached on
//! that seed) and `‖∇f‖` against iterations and
//! seconds on log axes, one median line per method over the study's seeds with a band from the
//! minimum to the maximum over the seeds (a seed that stopped early keeps its last value), the
//! legend in its own column beside the panels, never over the data.
//!
//! The iteration axis is logarithmic (drawn at `k + 1`), so that second-order methods that stop
//! after a few iterations are not squashed at `x = 0`; exact zeros of `f − f*` are drawn at the
//! axis floor with a downward triangle (Dolan & Moré 2002 and Moré & Wild 2009 plot the same
//! quantities; the band follows the usual median-and-range presentation of seeded runs).

use super::{H, W, color, perr};
use crate::error::Result;
use crate::study::expand::{Instance, Plan};
use crate::study::format::fmt_g;
use crate::study::outputs::{TraceTable, read_trace, write_atomic};
use crate::study::spec::StudySpec;
use crate::study::verdict::median;
use plotters::prelude::*;
use std::path::Path;

/// One method's curve in one panel: the median over seeds at each iteration, and the band
/// (minimum and maximum over seeds) at the same abscissae.
#[derive(Debug, Clone, Default)]
pub(super) struct Band {
    pub label: String,
    pub seeds: usize,
    pub median: Vec<(f64, f64)>,
    pub lo: Vec<(f64, f64)>,
    pub hi: Vec<(f64, f64)>,
}

/// The median, minimum and maximum over seeds at each row index `k`: each seed's `(x, y)`
/// columns, a seed that ended before `k` contributing its last finite row. The abscissa is the
/// median of the seeds' `x` at `k` (for iterations, `k` itself).
fn band(label: &str, seeds: &[Vec<(f64, f64)>]) -> Band {
    let seeds: Vec<&Vec<(f64, f64)>> = seeds.iter().filter(|s| !s.is_empty()).collect();
    let len = seeds.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut b = Band {
        label: label.to_string(),
        seeds: seeds.len(),
        ..Band::default()
    };
    for k in 0..len {
        let at: Vec<(f64, f64)> = seeds.iter().map(|s| s[k.min(s.len() - 1)]).collect();
        let xs: Vec<f64> = at.iter().map(|p| p.0).filter(|v| v.is_finite()).collect();
        let ys: Vec<f64> = at.iter().map(|p| p.1).filter(|v| !v.is_nan()).collect();
        let (Some(x), Some(y)) = (median(&xs), median(&ys)) else {
            continue;
        };
        let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        b.median.push((x, y));
        b.lo.push((x, lo));
        b.hi.push((x, hi));
    }
    b
}

fn log_range(bands: &[Band]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for b in bands {
        for &(_, y) in b.lo.iter().chain(&b.hi).chain(&b.median) {
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

fn lin_max(bands: &[Band]) -> f64 {
    let m = bands
        .iter()
        .flat_map(|b| b.median.iter().map(|q| q.0))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if m > 0.0 { m * 1.02 } else { 1.0 }
}

/// Draws one panel: a band and a median line per method, log-scaled y (and log-scaled x for
/// iteration counts, drawn at `k + 1`, so that second-order methods are not squashed at
/// x = 0). Values at or below the floor (exact zeros of `f − f*`) are drawn at the floor with
/// a downward triangle.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    xdesc: &str,
    ydesc: &str,
    bands: &[Band],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = log_range(bands);
    let log_x = xdesc == "iteration";
    let shift = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        pts.iter()
            .map(|&(x, y)| (if log_x { x + 1.0 } else { x }, y))
            .collect()
    };
    let shifted: Vec<Band> = bands
        .iter()
        .map(|b| Band {
            label: b.label.clone(),
            seeds: b.seeds,
            median: shift(&b.median),
            lo: shift(&b.lo),
            hi: shift(&b.hi),
        })
        .collect();
    let bands = shifted.as_slice();
    let xmax = lin_max(bands).max(if log_x { 2.0 } else { 0.0 });
    let xdesc = if log_x {
        "iteration + 1 (log scale)"
    } else {
        xdesc
    };
    let mut b = ChartBuilder::on(area);
    b.caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(60);
    macro_rules! finish {
        ($chart:expr) => {{
            let mut chart = $chart.map_err(perr)?;
            chart
                .configure_mesh()
                .x_desc(xdesc)
                .y_desc(ydesc)
                .axis_desc_style(("sans-serif", 14))
                .x_label_formatter(&|v| fmt_g(Some(*v)))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(perr)?;
            lines(&mut chart, bands, lo)
        }};
    }
    if log_x {
        finish!(b.build_cartesian_2d((1.0..xmax).log_scale(), (lo..hi).log_scale()))
    } else {
        finish!(b.build_cartesian_2d(0f64..xmax, (lo..hi).log_scale()))
    }
}

/// The curves of one panel: per method a translucent band (min–max over seeds, when there are
/// several), the median line, a dot at its last point, and a downward triangle where the median
/// reaches the floor (an exact zero of `f − f*`).
fn lines<'a, DB: DrawingBackend + 'a, X>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, LogCoord<f64>>>,
    bands: &[Band],
    floor: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
{
    let clamp = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        pts.iter()
            .filter(|(x, y)| x.is_finite() && !y.is_nan())
            .map(|&(x, y)| (x, if y > floor { y.min(f64::MAX) } else { floor }))
            .collect()
    };
    for (i, b) in bands.iter().enumerate() {
        let c = color(i);
        if b.seeds > 1 {
            let mut poly = clamp(&b.hi);
            poly.extend(clamp(&b.lo).into_iter().rev());
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                .map_err(perr)?;
        }
        let clean = clamp(&b.median);
        chart
            .draw_series(LineSeries::new(clean.iter().copied(), c.stroke_width(2)))
            .map_err(perr)?;
        // A marker at the last point, so that runs of a few iterations (Newton) stay visible.
        chart
            .draw_series(clean.last().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(perr)?;
        // The first point at the floor: f − f* reached exactly 0 (or below the axis).
        let zero = b.median.iter().find(|(x, y)| x.is_finite() && *y <= floor);
        chart
            .draw_series(zero.map(|&(x, _)| TriangleMarker::new((x, floor), 6, c.filled())))
            .map_err(perr)?;
    }
    Ok(())
}

/// The legend in its own column, right of the panels: a line per method (with its seed
/// count), and what the band and the triangle mean.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    bands: &[Band],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let text = |s: String, y: i32| Text::new(s, (34, y - 7), ("sans-serif", 13));
    let mut y = 60;
    for (i, b) in bands.iter().enumerate() {
        let c = color(i);
        area.draw(&PathElement::new(vec![(6, y), (26, y)], c.stroke_width(2)))
            .map_err(perr)?;
        area.draw(&text(b.label.clone(), y)).map_err(perr)?;
        y += 20;
    }
    let seeds = bands.iter().map(|b| b.seeds).max().unwrap_or(0);
    let notes = [
        format!("line: median over {seeds} seed(s)"),
        "band: min–max over the seeds".to_string(),
        "▼ at the floor: f − f* = 0".to_string(),
    ];
    for n in notes {
        y += 6;
        area.draw(&text(n, y)).map_err(perr)?;
        y += 14;
    }
    Ok(())
}

/// The first seed's trace of every method on problem instance `pi`.
pub(super) fn first_seed_traces(
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

/// Every seed's trace of every method on problem instance `pi`, grouped by method (methods
/// without any trace left out), each with its seed.
pub(super) fn all_seed_traces(
    plan: &Plan,
    out: &Path,
    pi: usize,
) -> Vec<(String, Vec<(u64, TraceTable)>)> {
    plan.methods
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let t: Vec<(u64, TraceTable)> = plan
                .runs
                .iter()
                .filter(|r| r.problem == pi && r.method == mi)
                .filter_map(|r| Some((r.seed, read_trace(out, &r.id)?)))
                .collect();
            (m.label(), t)
        })
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

/// The four panels' bands: (`f − f*` or `f − f_best` label, gap vs iterations, gap vs time,
/// ‖∇f‖ vs iterations, ‖∇f‖ vs time).
type Panels = (&'static str, [Vec<Band>; 4]);

fn convergence_series(f_star: Option<f64>, traces: &[(String, Vec<(u64, TraceTable)>)]) -> Panels {
    // Without a known f*, measure each seed against the best value any method reached on that
    // seed (seeds may draw different data, hence different minima).
    let fbest = |seed: u64| {
        f_star.unwrap_or_else(|| {
            traces
                .iter()
                .flat_map(|(_, ts)| ts.iter().filter(|(s, _)| *s == seed))
                .filter_map(|(_, t)| t.column("f"))
                .flatten()
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min)
        })
    };
    let gap_label = if f_star.is_some() {
        "f − f*"
    } else {
        "f − f_best"
    };
    let mut panels: [Vec<Band>; 4] = Default::default();
    for (label, ts) in traces {
        let mut per: [Vec<Vec<(f64, f64)>>; 4] = Default::default();
        for (seed, t) in ts {
            let best = fbest(*seed);
            let (Some(k), Some(f), Some(g), Some(s)) = (
                t.column("k"),
                t.column("f"),
                t.column("grad_norm"),
                t.column("seconds"),
            ) else {
                continue;
            };
            let gap: Vec<f64> = f.iter().map(|v| v - best).collect();
            let zip = |a: &[f64], b: &[f64]| a.iter().copied().zip(b.iter().copied()).collect();
            per[0].push(zip(&k, &gap));
            per[1].push(zip(&s, &gap));
            per[2].push(zip(&k, &g));
            per[3].push(zip(&s, &g));
        }
        for (panel, seeds) in panels.iter_mut().zip(&per) {
            panel.push(band(label, seeds));
        }
    }
    (gap_label, panels)
}

/// `f − f*` and `‖∇f‖` against iterations and seconds: per method the median over seeds and
/// the min–max band, the legend in a column of its own.
pub(super) fn plot(
    out: &Path,
    name: &str,
    p: &Instance,
    f_star: Option<f64>,
    traces: &[(String, Vec<(u64, TraceTable)>)],
) -> Result<()> {
    let (gap_label, series) = convergence_series(f_star, traces);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W + LEGEND_W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root.titled(&p.label(), ("sans-serif", 20)).map_err(perr)?;
        let (plots, side) = root.split_horizontally(W);
        let areas = plots.split_evenly((2, 2));
        let titles = [
            (format!("{gap_label} vs iterations"), "iteration", gap_label),
            (format!("{gap_label} vs time"), "seconds", gap_label),
            ("‖∇f‖ vs iterations".to_string(), "iteration", "‖∇f‖"),
            ("‖∇f‖ vs time".to_string(), "seconds", "‖∇f‖"),
        ];
        for ((area, (title, x, y)), s) in areas.iter().zip(&titles).zip(&series) {
            panel(area, title, x, y, s)?;
        }
        legend(&side, &series[0])?;
        root.present().map_err(perr)?;
    }
    write_atomic(&out.join("plots").join(name), buf.as_bytes())
}

/// Width of the legend column right of the panels.
const LEGEND_W: u32 = 300;
