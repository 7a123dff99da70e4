use curvlab::Objective;
use curvlab::params::Params;
use std::time::Instant;
fn main() {
    let p = Params::from_pairs(&["dataset=digits", "hidden=128,128"]).unwrap();
    let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
    let n = inst.x0.len();
    let mut g = vec![0.0; n];
    for it in 0..3 {
        let s = Instant::now();
        if it > 0 {
            inst.objective.gradient(&inst.x0, &mut g).unwrap();
        }
        let tg = s.elapsed().as_secs_f64();
        let m = 368128;
        let s = Instant::now();
        let mut t = 0.0;
        for i in 0..m {
            t += (i as f64 * 1e-6).tanh();
        }
        let a = s.elapsed().as_secs_f64();
        let s = Instant::now();
        let mut u = 0.0;
        for i in 0..m {
            u += (i as f64 * 1e-6).exp();
        }
        let b = s.elapsed().as_secs_f64();
        let s = Instant::now();
        let mut z = 0.0;
        for i in 0..m {
            let e = (2.0 * i as f64 * 1e-6).exp_m1();
            z += e / (e + 2.0);
        }
        let d = s.elapsed().as_secs_f64();
        println!(
            "grad {:.1} ms tanh {:.1} exp {:.1} expm1-tanh {:.1} {t} {u} {z}",
            tg * 1e3,
            a * 1e3,
            b * 1e3,
            d * 1e3
        );
    }
}
