use curvlab::Objective;
use curvlab::params::Params;
use curvlab::problems::build_problem;
use std::time::Instant;
fn main() {
    let k: usize = std::env::args().nth(1).map_or(3, |s| s.parse().unwrap());
    let reps: usize = std::env::args().nth(2).map_or(30, |s| s.parse().unwrap());
    let par = std::env::args().nth(3).map_or("false".to_string(), |s| s);
    let p = Params::from_pairs(&[
        "dataset=digits",
        "hidden=128,128",
        "activation=tanh",
        "loss=ce",
        &format!("parallel={par}"),
    ])
    .unwrap();
    let inst = build_problem("classifier", &p, 0).unwrap();
    let f = &inst.objective;
    let gn = f.as_gauss_newton().unwrap();
    let n = inst.x0.len();
    let v = faer::Mat::from_fn(n, k, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5);
    let mut out = faer::Mat::<f64>::zeros(n, k);
    let mut g = vec![0.0; n];
    let x2: Vec<f64> = inst.x0.iter().map(|v| v * 0.999).collect();
    let mut best = [f64::INFINITY; 4];
    for _ in 0..reps {
        let t = Instant::now();
        f.hvp_block(&inst.x0, v.as_ref(), out.as_mut()).unwrap();
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        gn.ggn_vp_block(&inst.x0, v.as_ref(), out.as_mut()).unwrap();
        best[1] = best[1].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        f.gradient(&inst.x0, &mut g).unwrap();
        best[2] = best[2].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        f.hvp_block(&x2, v.as_ref(), out.as_mut()).unwrap(); // cold
        best[3] = best[3].min(t.elapsed().as_secs_f64());
        f.hvp_block(&inst.x0, v.as_ref(), out.as_mut()).unwrap(); // rewarm
    }
    println!(
        "k={k} par={par}: min per product hvp {:.2} ms, ggn {:.2} ms, cold-hvp block {:.2} ms; gradient {:.2} ms",
        best[0] / k as f64 * 1e3,
        best[1] / k as f64 * 1e3,
        best[3] * 1e3,
        best[2] * 1e3
    );
}
