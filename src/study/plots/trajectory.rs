//! The trajectory figure of a 2-D problem: each method's path (first seed) over the contours
//! of `f`, traced with marching squares (Lorensen & Cline 1987, in its 2-D form) on a
//! 100 × 100 grid at geometrically spaced levels, each level labelled with its value on the
//! line where the label clears the paths and the other labels (as matplotlib's `clabel`). Gradient descent is drawn first, thin and
//! translucent, so that momentum and Nesterov stay visible over its zig-zag (the seed
//! article's ravine figure).

use super::{Series, color, legend_corner, perr};
use crate::error::Result;
use crate::problems::ProblemInstance;
use crate::study::expand::Instance;
use crate::study::outputs::{TraceTable, write_atomic};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

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

/// The first seed's 2-D paths, one per method.
fn paths(traces: &[(String, TraceTable)]) -> Vec<Series> {
    traces
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
        .collect()
}

/// The drawing window and the contour grid of `f` on it.
struct Window {
    bx: (f64, f64),
    by: (f64, f64),
    xs: Vec<f64>,
    ys: Vec<f64>,
    z: Vec<Vec<f64>>,
    zmin: f64,
    zmax: f64,
}

/// A window around `x*` (or the first path's end) and `x₀` holding every path point within
/// three start distances, padded by 8%, with `f` on a 100 × 100 grid.
fn window(inst: &ProblemInstance, paths: &[Series]) -> Window {
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
    for (_, pts) in paths {
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
    Window {
        bx,
        by,
        xs,
        ys,
        z,
        zmin,
        zmax,
    }
}

/// The contour levels: 16 geometrically spaced values of `f − f_min` above the grid minimum,
/// from `0.9·1e-5·(f_max − f_min)` to `0.9·(f_max − f_min)`.
fn levels(w: &Window) -> Vec<f64> {
    if !(w.zmin.is_finite() && w.zmax > w.zmin) {
        return Vec::new();
    }
    let base = (w.zmax - w.zmin) * 1e-5;
    let n = 16;
    (0..n)
        .map(|l| {
            let t = l as f64 / (n - 1) as f64;
            w.zmin + base * ((w.zmax - w.zmin) / base).powf(t) * 0.9
        })
        .collect()
}

/// A level's value for its label: 3 significant digits, scientific outside `[1e-3, 1e4)`.
fn level_text(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !(1e-3..1e4).contains(&a) {
        return format!("{v:.2e}");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Where a contour's label goes, in data coordinates: the midpoint of one of its segments
/// inside the frame (not in the outer 4% of either axis), at least 8% of the window from the
/// labels already `placed`, and farthest from the paths (`avoid`, window fractions); `None`
/// when no segment qualifies.
fn label_at(
    segs: &[[(f64, f64); 2]],
    w: &Window,
    avoid: &[(f64, f64)],
    placed: &[(f64, f64)],
) -> Option<(f64, f64)> {
    let frac = |x: f64, y: f64| {
        (
            (x - w.bx.0) / (w.bx.1 - w.bx.0),
            (y - w.by.0) / (w.by.1 - w.by.0),
        )
    };
    let dist = |a: (f64, f64), b: &(f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    segs.iter()
        .map(|s| ((s[0].0 + s[1].0) / 2.0, (s[0].1 + s[1].1) / 2.0))
        .filter_map(|(x, y)| {
            let f = frac(x, y);
            let inside = (0.04..0.96).contains(&f.0) && (0.04..0.96).contains(&f.1);
            let apart = placed.iter().all(|p| dist(f, p) >= 0.08);
            let clear = avoid
                .iter()
                .map(|p| dist(f, p))
                .fold(f64::INFINITY, f64::min);
            (inside && apart).then_some((x, y, f, clear))
        })
        .max_by(|a, b| a.3.total_cmp(&b.3))
        .map(|(x, y, _, _)| (x, y))
}

/// Contours of `f` at geometric levels above the grid minimum, each labelled with its value
/// of `f` on the line where the label clears the paths and the other labels.
fn contours<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    w: &Window,
    paths: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let grey = RGBColor(150, 150, 150);
    let frac = |&(x, y): &(f64, f64)| {
        (
            (x - w.bx.0) / (w.bx.1 - w.bx.0),
            (y - w.by.0) / (w.by.1 - w.by.0),
        )
    };
    // At most ~2000 path points, evenly subsampled, for the label placement.
    let all: Vec<(f64, f64)> = paths.iter().flat_map(|(_, p)| p.iter().map(frac)).collect();
    let step = all.len().div_ceil(2000).max(1);
    let avoid: Vec<(f64, f64)> = all.into_iter().step_by(step).collect();
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for level in levels(w) {
        let segs = marching_squares(&w.xs, &w.ys, &w.z, level);
        chart
            .draw_series(
                segs.iter()
                    .map(|s| PathElement::new(vec![s[0], s[1]], grey.stroke_width(1))),
            )
            .map_err(perr)?;
        if let Some(at) = label_at(&segs, w, &avoid, &placed) {
            placed.push(frac(&at));
            chart
                .draw_series(std::iter::once(Text::new(
                    level_text(level),
                    at,
                    ("sans-serif", 11).into_font().color(&RGBColor(90, 90, 90)),
                )))
                .map_err(perr)?;
        }
    }
    Ok(())
}

/// Whether a path is plain gradient descent, drawn thin and translucent beneath the others
/// (its zig-zag would hide momentum and Nesterov, which follow the same ravine).
fn is_gd(label: &str) -> bool {
    label == "gd" || label.starts_with("gd(")
}

/// The stroke of a path: gradient descent 1 px at 40% opacity, the others 2 px, opaque.
fn path_style(label: &str, c: RGBColor) -> ShapeStyle {
    if is_gd(label) {
        c.mix(0.4).stroke_width(1)
    } else {
        c.stroke_width(2)
    }
}

/// The trajectories of a 2-D problem over the contours of `f` (the seed article's ravine
/// figure). False when the problem is not 2-D or no trace has a trajectory.
pub(super) fn plot(
    out: &Path,
    name: &str,
    p: &Instance,
    inst: &ProblemInstance,
    traces: &[(String, TraceTable)],
) -> Result<bool> {
    let paths = paths(traces);
    if paths.is_empty() || inst.x0.len() != 2 {
        return Ok(false);
    }
    let w = window(inst, &paths);
    let buf = draw(p, inst, &paths, &w)?;
    write_atomic(&out.join("plots").join(name), buf.as_bytes())?;
    Ok(true)
}

fn draw(p: &Instance, inst: &ProblemInstance, paths: &[Series], w: &Window) -> Result<String> {
    let (bx, by) = (w.bx, w.by);
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
        contours(&mut chart, w, paths)?;
        // Gradient descent first, so the other paths are drawn over it.
        let mut order: Vec<usize> = (0..paths.len()).collect();
        order.sort_by_key(|&i| !is_gd(&paths[i].0));
        for i in order {
            let (label, pts) = &paths[i];
            let style = path_style(label, color(i));
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), style))
                .map_err(perr)?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
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
        let corner = legend_corner(paths, &|x, y| {
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
    Ok(buf)
}
