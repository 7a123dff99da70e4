//! The convergence figure: `f − f*` (or `f − f_best`) and `‖∇f‖` against iterations and
//! seconds on log axes, one line per method, from the first seed's traces.

use super::{H, Series, W, color, legend_corner, perr};
use crate::error::Result;
use crate::study::expand::{Instance, Plan};
use crate::study::format::fmt_g;
use crate::study::outputs::{TraceTable, read_trace, write_atomic};
use crate::study::spec::StudySpec;
use plotters::prelude::*;
use std::path::Path;

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

/// Draws one panel: a line per series, log-scaled y (and log-scaled x for iteration counts,
/// drawn at `k + 1`, so that second-order methods are not squashed at x = 0), with a legend.
/// Values at or below the floor (exact zeros of `f − f*`) are drawn at the floor with a
/// downward triangle.
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
    let log_x = xdesc == "iteration";
    let shifted: Vec<Series> = series
        .iter()
        .map(|(l, p)| {
            let p = p
                .iter()
                .map(|&(x, y)| (if log_x { x + 1.0 } else { x }, y))
                .collect();
            (l.clone(), p)
        })
        .collect();
    let series = shifted.as_slice();
    let xmax = lin_max(series).max(if log_x { 2.0 } else { 0.0 });
    let xdesc = if log_x {
        "iteration + 1 (log scale)"
    } else {
        xdesc
    };
    let builder = |area| {
        let mut b = ChartBuilder::on(area);
        b.caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(35)
            .y_label_area_size(60);
        b
    };
    let corner_x: Box<dyn Fn(f64) -> f64> = if log_x {
        Box::new(move |x: f64| x.ln() / xmax.ln())
    } else {
        Box::new(move |x: f64| x / xmax)
    };
    let (llo, lhi) = (lo.ln(), hi.ln());
    let corner = legend_corner(series, &|x, y| {
        (corner_x(x), (y.max(floor).ln() - llo) / (lhi - llo))
    });
    if log_x {
        let mut chart = builder(area)
            .build_cartesian_2d((1.0..xmax).log_scale(), (lo..hi).log_scale())
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
        lines(&mut chart, series, floor, corner)
    } else {
        let mut chart = builder(area)
            .build_cartesian_2d(0f64..xmax, (lo..hi).log_scale())
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
        lines(&mut chart, series, floor, corner)
    }
}

/// The series of one panel: a line each, a dot at the last point, a downward triangle where
/// the value is at or below the floor (an exact zero of `f − f*`), and the legend.
fn lines<'a, DB: DrawingBackend + 'a, X>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, LogCoord<f64>>>,
    series: &[Series],
    floor: f64,
    corner: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
{
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
        // The first point at the floor: f − f* reached exactly 0 (or below the axis).
        let zero = pts.iter().find(|(x, y)| x.is_finite() && *y <= floor);
        chart
            .draw_series(zero.map(|&(x, _)| TriangleMarker::new((x, floor), 6, c.filled())))
            .map_err(perr)?;
    }
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(perr)?;
    Ok(())
}

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

/// The four panels' series: (`f − f*` or `f − f_best` label, gap vs iterations, gap vs time,
/// ‖∇f‖ vs iterations, ‖∇f‖ vs time).
type Panels = (&'static str, [Vec<Series>; 4]);

fn convergence_series(f_star: Option<f64>, traces: &[(String, TraceTable)]) -> Panels {
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
    let mut panels: [Vec<Series>; 4] = Default::default();
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
        let zip = |a: &[f64], b: &[f64]| a.iter().copied().zip(b.iter().copied()).collect();
        panels[0].push((label.clone(), zip(&k, &gap)));
        panels[1].push((label.clone(), zip(&s, &gap)));
        panels[2].push((label.clone(), zip(&k, &g)));
        panels[3].push((label.clone(), zip(&s, &g)));
    }
    (gap_label, panels)
}

/// `f − f*` and `‖∇f‖` against iterations and seconds, one line per method (first seed).
pub(super) fn plot(
    out: &Path,
    name: &str,
    p: &Instance,
    f_star: Option<f64>,
    traces: &[(String, TraceTable)],
) -> Result<()> {
    let (gap_label, series) = convergence_series(f_star, traces);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root.titled(&p.label(), ("sans-serif", 20)).map_err(perr)?;
        let areas = root.split_evenly((2, 2));
        let titles = [
            (format!("{gap_label} vs iterations"), "iteration", gap_label),
            (format!("{gap_label} vs time"), "seconds", gap_label),
            ("‖∇f‖ vs iterations".to_string(), "iteration", "‖∇f‖"),
            ("‖∇f‖ vs time".to_string(), "seconds", "‖∇f‖"),
        ];
        for ((area, (title, x, y)), s) in areas.iter().zip(&titles).zip(&series) {
            panel(area, title, x, y, s)?;
        }
        root.present().map_err(perr)?;
    }
    write_atomic(&out.join("plots").join(name), buf.as_bytes())
}
