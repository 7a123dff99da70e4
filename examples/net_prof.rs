use curvlab::Objective;
use curvlab::params::Params;
use curvlab::problems::build_problem;
use std::time::Instant;
fn main() {
    let k: usize = std::env::args().nth(1).map_or(3, |s| s.parse().unwrap());
    let reps: usize = std::env::args().nth(2).map_or(30, |s| s.parse().unwrap());
    let par = std::env::args().nth(3).map_or("false".to_string(), |s| s);
    let p = Params::from_pairs(&["dataset=digits", "hidden=128,128", "activation=tanh", "loss=ce", &format!("parallel={par}")]).unwrap();
    let inst = build_problem("classifier", &p, 0).unwrap();
    let n = inst.x0.len();
    let v = faer::Mat::from_fn(n, k, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5);
    let mut out = faer::Mat::<f64>::zeros(n, k);
    inst.objective.hvp_block(&inst.x0, v.as_ref(), out.as_mut()).unwrap();
    let cpu = || std::fs::read_to_string("/proc/thread-self/schedstat").unwrap().split_whitespace().next().unwrap().parse::<f64>().unwrap() * 1e-9;
    let c0 = cpu();
    let t = Instant::now();
    for _ in 0..reps {
        inst.objective.hvp_block(&inst.x0, v.as_ref(), out.as_mut()).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    let c = cpu() - c0;
    println!("cpu (this thread): {:.3} ms per product", c / (reps * k) as f64 * 1e3);
    println!("k={k}: {:.3} ms per block, {:.3} ms per product", s / reps as f64 * 1e3, s / (reps * k) as f64 * 1e3);
}
