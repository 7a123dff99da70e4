//! The edge-of-stability figure, drawn when a study tracked the sharpness (`[track]`): Cohen,
//! Kaur, Li, Kolter & Talwalkar (ICLR 2021), Figure 1 — train loss and sharpness `λ_max(∇²f)`
//! against steps, one colour per method instance, a dashed line at each gradient-descent run's
//! `2/η` — and, when a run measured the preconditioned sharpness `λ_max(P⁻¹∇²f)`, a third panel
//! with it and the dashed `38/η` (Adam at `β₁ = 0.9`; Cohen et al. 2022, Figure 1). First seed.

use super::{H, W, color, perr};
use crate::error::Result;
use crate::study::expand::{Instance, Plan};
use crate::study::format::fmt_g;
use crate::study::outputs::{TraceTable, read_trace, write_atomic};
use crate::study::sharpness_summary::measured;
use crate::study::spec::StudySpec;
use crate::study::track::{Threshold, threshold};
use plotters::prelude::*;
use std::path::Path;

/// One run of the figure: its label, its threshold and its trace.
type Run = (String, Option<Threshold>, TraceTable);

/// One panel's lines: label, colour index, points, and the dashed level (if any).
type Line = (String, usize, Vec<(f64, f64)>, Option<f64>);

/// Draws `out/plots/<name>` for problem instance `pi` when one of its first-seed runs has a
/// `sharpness` column; returns whether it drew.
pub(super) fn plot(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    pi: usize,
    name: &str,
) -> Result<bool> {
    let runs = tracked_runs(spec, plan, out, pi);
    if runs.is_empty() {
        return Ok(false);
    }
    let loss: Vec<Line> = runs
        .iter()
        .enumerate()
        .map(|(i, (l, _, t))| (l.clone(), i, measured(t, "f"), None))
        .collect();
    let sharp = panel_lines(&runs, "sharpness");
    let pre = panel_lines(&runs, "precond_sharpness");
    let has_pre = pre.iter().any(|l| !l.2.is_empty());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H + if has_pre { 350 } else { 0 }))
            .into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let title = format!(
            "{}: loss and sharpness along the runs",
            plan.problems[pi].label()
        );
        let root = root.titled(&title, ("sans-serif", 20)).map_err(perr)?;
        let areas = root.split_evenly((if has_pre { 3 } else { 2 }, 1));
        draw(&areas[0], "train loss", "f", &loss)?;
        draw(
            &areas[1],
            "sharpness λ_max(∇²f); dashed: 2/η",
            "λ_max",
            &sharp,
        )?;
        if has_pre {
            draw(
                &areas[2],
                "preconditioned sharpness λ_max(P⁻¹∇²f); dashed: (2 + 2β₁)/((1 − β₁)η)",
                "λ_max(P⁻¹H)",
                &pre,
            )?;
        }
        root.present().map_err(perr)?;
    }
    write_atomic(&out.join("plots").join(name), svg.as_bytes())?;
    Ok(true)
}

/// The first-seed runs of instance `pi` whose trace has `sharpness` measurements.
fn tracked_runs(spec: &StudySpec, plan: &Plan, out: &Path, pi: usize) -> Vec<Run> {
    let seed = spec.seeds[0];
    plan.runs
        .iter()
        .filter(|r| r.problem == pi && r.seed == seed)
        .filter_map(|r| {
            let m: &Instance = &plan.methods[r.method];
            let t = read_trace(out, &r.id)?;
            (!measured(&t, "sharpness").is_empty())
                .then(|| (m.label(), threshold(&m.kind, &m.params), t))
        })
        .collect()
}

/// A panel's lines for `column`, with each run's threshold where it applies to that column.
fn panel_lines(runs: &[Run], column: &str) -> Vec<Line> {
    runs.iter()
        .enumerate()
        .map(|(i, (l, th, t))| {
            let level = th.as_ref().filter(|t| t.column == column).map(|t| t.value);
            let label = match (level, th) {
                (Some(v), Some(t)) => format!("{l}: {} = {}", t.label, fmt_g(Some(v))),
                _ => l.clone(),
            };
            (label, i, measured(t, column), level)
        })
        .collect()
}

/// One panel on linear axes: a line per run, a dashed horizontal line at its level.
fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    ydesc: &str,
    lines: &[Line],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let pts = lines.iter().flat_map(|l| l.2.iter().copied());
    let (mut xmax, mut ymax) = (1.0f64, 0.0f64);
    for (x, y) in pts {
        xmax = xmax.max(x);
        ymax = ymax.max(y);
    }
    for l in lines {
        ymax = ymax.max(l.3.unwrap_or(0.0));
    }
    let ymax = if ymax > 0.0 { ymax * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)
        .map_err(perr)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(ydesc)
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|v| fmt_g(Some(*v)))
        .y_label_formatter(&|v| fmt_g(Some(*v)))
        .draw()
        .map_err(perr)?;
    for (label, ci, p, level) in lines {
        let c = color(*ci);
        chart
            .draw_series(LineSeries::new(p.iter().copied(), c.stroke_width(2)))
            .map_err(perr)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        if let Some(v) = level {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, *v), (xmax, *v)],
                    8,
                    5,
                    c.stroke_width(1),
                ))
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
    Ok(())
}
