//! The conditioning figure: for studies that sweep `condition` on quadratics, iterations to the
//! tolerance against κ per method (dots, one per seed) with the predictions of
//! [`crate::curvature::explain_for`] for the study's own stopping rule drawn over them (lines).

use super::{Series, color, perr};
use crate::error::Result;
use crate::study::expand::Plan;
use crate::study::outputs::{RunRecord, write_atomic};
use crate::study::spectra::InstanceSpectra;
use crate::study::theory::{Measure, theory_for};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Measured points (κ, iterations or Hessian-vector products) and predicted lines, one pair per
/// method.
fn series(
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    kappa: &[Option<f64>],
) -> (Vec<Series>, Vec<Series>) {
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
                && let Some(it) = mp.iterations.get()
            {
                pred.push((k, (it as f64).max(1.0)));
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
    (measured, theory)
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
    let (measured, theory) = series(plan, records, spectra, &kappa);
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
    let buf = draw(&measured, &theory, (xlo, xhi, ylo, yhi))?;
    write_atomic(
        &out.join("plots").join("iterations-vs-condition.svg"),
        buf.as_bytes(),
    )?;
    Ok(true)
}

fn draw(measured: &[Series], theory: &[Series], range: (f64, f64, f64, f64)) -> Result<String> {
    let (xlo, xhi, ylo, yhi) = range;
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
        for (i, ((ml, pts), (tl, pred))) in measured.iter().zip(theory).enumerate() {
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
    Ok(buf)
}
