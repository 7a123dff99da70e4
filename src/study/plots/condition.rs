//! The conditioning figure: for studies that sweep `condition` on quadratics, iterations to the
//! tolerance against κ per method (dots, one per seed; hollow at the budget for runs that did
//! not converge) with the predictions of [`crate::curvature::explain_for`] for the study's own
//! stopping rule drawn over them (one line per theory, in the colour of the first method it
//! explains). One unit per axis: iterations, and Hessian-vector products for the CG-based
//! methods on a second panel; the legend in a column of its own, outside the data.

use super::{color, perr};
use crate::error::Result;
use crate::study::expand::Plan;
use crate::study::outputs::{RunRecord, write_atomic};
use crate::study::spectra::InstanceSpectra;
use crate::study::theory::{Measure, theory_for};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One method's points: converged runs, runs that did not converge (at the count where they
/// stopped: the budget), the predicted line, and whether the unit is Hessian-vector products.
struct MethodSeries {
    label: String,
    theory_label: String,
    converged: Vec<(f64, f64)>,
    unconverged: Vec<(f64, f64)>,
    predicted: Vec<(f64, f64)>,
    hvp: bool,
}

/// Measured points (κ, iterations or Hessian-vector products) and predicted lines per method.
fn series(
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    kappa: &[Option<f64>],
) -> Vec<MethodSeries> {
    let mut all = Vec::new();
    for (mi, m) in plan.methods.iter().enumerate() {
        let t = theory_for(&m.kind, &m.params);
        let hvp = t.is_some_and(|t| t.measure == Measure::HessianVectorProducts);
        let mut pts = Vec::new();
        let mut missed = Vec::new();
        let mut pred = Vec::new();
        for (pi, k) in kappa.iter().enumerate() {
            let Some(k) = *k else { continue };
            for r in plan
                .runs
                .iter()
                .filter(|r| r.problem == pi && r.method == mi)
            {
                if let Some(rec) = records.get(&r.id) {
                    let y = if hvp {
                        rec.hvp_evals as f64
                    } else {
                        rec.iterations as f64
                    };
                    if rec.converged {
                        pts.push((k, y.max(1.0)));
                    } else {
                        missed.push((k, y.max(1.0)));
                    }
                }
            }
            if let Some(t) = t
                && let Some(mp) = spectra[pi]
                    .prediction
                    .as_ref()
                    .and_then(|p| p.method(t.family))
                && let Some(it) = mp.iterations.get()
            {
                pred.push((k, (it as f64).max(1.0)));
            }
        }
        pred.sort_by(|a, b| a.0.total_cmp(&b.0));
        let tl = match t {
            Some(t) if t.exact => format!("theory: {}", t.family),
            Some(t) => format!("reference: {} †", t.family),
            None => String::new(),
        };
        all.push(MethodSeries {
            label: m.label(),
            theory_label: tl,
            converged: pts,
            unconverged: missed,
            predicted: pred,
            hvp,
        });
    }
    all
}

/// Iterations against κ per method, measured (dots) and predicted (lines), for studies that
/// sweep the condition number of quadratics. False when fewer than two κ values.
pub(super) fn plot(
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
    let methods = series(plan, records, spectra, &kappa);
    if methods
        .iter()
        .all(|m| m.converged.is_empty() && m.unconverged.is_empty() && m.predicted.is_empty())
    {
        return Ok(false);
    }
    let buf = draw(&methods)?;
    write_atomic(
        &out.join("plots").join("iterations-vs-condition.svg"),
        buf.as_bytes(),
    )?;
    Ok(true)
}

/// The axis ranges of a set of methods' points: (κ low, κ high, count low, count high).
fn ranges(methods: &[&MethodSeries]) -> Option<(f64, f64, f64, f64)> {
    let pts = methods
        .iter()
        .flat_map(|m| m.converged.iter().chain(&m.unconverged).chain(&m.predicted));
    let (mut xlo, mut xhi, mut ylo, mut yhi) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    let mut any = false;
    for &(x, y) in pts {
        (xlo, xhi, ylo, yhi) = (xlo.min(x), xhi.max(x), ylo.min(y), yhi.max(y));
        any = true;
    }
    any.then_some((xlo, xhi, ylo, yhi))
}

/// One panel: the methods of one unit (iterations, or Hessian-vector products).
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    methods: &[(usize, &MethodSeries)],
    unit: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let only: Vec<&MethodSeries> = methods.iter().map(|m| m.1).collect();
    let Some((xlo, xhi, ylo, yhi)) = ranges(&only) else {
        return Ok(());
    };
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{unit} to the tolerance"), ("sans-serif", 16))
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
        .y_desc(format!("{unit} (log scale)"))
        .max_light_lines(1)
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(perr)?;
    let mut theories: Vec<&str> = Vec::new();
    let count = methods.len() as f64;
    for (j, &(i, m)) in methods.iter().enumerate() {
        let c = color(i);
        // Hollow markers of different methods at the same budget and κ would hide each other:
        // each method's sit at κ·10^(d·(j − (M−1)/2)), d = min(0.04, 0.24/M) decades, side by
        // side within the axis margin (a factor 1.5 = 0.18 decades).
        let spacing = (0.24 / count).min(0.04);
        let nudge = 10f64.powf(spacing * (j as f64 - (count - 1.0) / 2.0));
        // One reference line per theory: methods of one family share it.
        if m.predicted.len() >= 2 && !theories.contains(&m.theory_label.as_str()) {
            theories.push(&m.theory_label);
            chart
                .draw_series(LineSeries::new(
                    m.predicted.iter().copied(),
                    c.mix(0.6).stroke_width(2),
                ))
                .map_err(perr)?;
        }
        chart
            .draw_series(m.converged.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(perr)?;
        chart
            .draw_series(
                m.unconverged
                    .iter()
                    .map(|&(k, y)| Circle::new((k * nudge, y), 6, c.stroke_width(2))),
            )
            .map_err(perr)?;
    }
    Ok(())
}

/// The legend in its own column: a dot per method (hollow: not converged, at the budget) and
/// its theory line.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    methods: &[MethodSeries],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let mut y = 60;
    let text = |s: String, y: i32| Text::new(s, (34, y - 7), ("sans-serif", 13));
    // One entry per theory and panel (a theory drawn on both panels is listed twice, in the
    // colour of each panel's line).
    let mut theories: Vec<(&str, bool)> = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        let c = color(i);
        area.draw(&Circle::new((16, y), 4, c.filled()))
            .map_err(perr)?;
        area.draw(&text(m.label.clone(), y)).map_err(perr)?;
        y += 20;
        let key = (m.theory_label.as_str(), m.hvp);
        if m.predicted.len() >= 2 && !theories.contains(&key) {
            theories.push(key);
            area.draw(&PathElement::new(
                vec![(6, y), (26, y)],
                c.mix(0.6).stroke_width(2),
            ))
            .map_err(perr)?;
            area.draw(&text(m.theory_label.clone(), y)).map_err(perr)?;
            y += 20;
        }
    }
    area.draw(&Circle::new((16, y + 10), 6, BLACK.stroke_width(2)))
        .map_err(perr)?;
    area.draw(&text("not converged (at the budget)".into(), y + 10))
        .map_err(perr)?;
    Ok(())
}

fn draw(methods: &[MethodSeries]) -> Result<String> {
    let iters: Vec<(usize, &MethodSeries)> =
        methods.iter().enumerate().filter(|m| !m.1.hvp).collect();
    let hvps: Vec<(usize, &MethodSeries)> =
        methods.iter().enumerate().filter(|m| m.1.hvp).collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (1400, 700)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root
            .titled(
                "measured (dots; hollow: not converged) against κ, with the theory (lines)",
                ("sans-serif", 18),
            )
            .map_err(perr)?;
        let (plots, side) = root.split_horizontally(1080);
        if hvps.is_empty() || iters.is_empty() {
            panel(
                &plots,
                if hvps.is_empty() { &iters } else { &hvps },
                if hvps.is_empty() {
                    "iterations"
                } else {
                    "Hessian-vector products"
                },
            )?;
        } else {
            let halves = plots.split_evenly((1, 2));
            panel(&halves[0], &iters, "iterations")?;
            panel(&halves[1], &hvps, "Hessian-vector products")?;
        }
        legend(&side, methods)?;
        root.present().map_err(perr)?;
    }
    Ok(buf)
}
