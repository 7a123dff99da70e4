use curvlab::methods::{MethodContext, build_method};
use curvlab::params::Params;
use curvlab::problems::build_problem;
use curvlab::{Stop, minimize};

fn run(prob: &str, popts: &[&str], method: &str, mopts: &[&str], stop: Stop) -> curvlab::Report {
    let inst = build_problem(prob, &Params::from_pairs(popts).unwrap(), 0).unwrap();
    let mut m = build_method(
        method,
        &Params::from_pairs(mopts).unwrap(),
        &MethodContext::default(),
    )
    .unwrap();
    minimize(&*inst.objective, &mut m, &inst.x0, &stop).unwrap()
}

#[test]
fn explore() {
    let mut s = Stop::new(1e-6, 1000);
    s.f_rel_tol = 1e-14;
    for (m, o) in [
        ("trust-ncg", vec![]),
        ("newton", vec!["safeguard=trust-exact"]),
        ("newton", vec!["safeguard=lm"]),
    ] {
        let r = run("rosenbrock", &["dim=2"], m, &o, s);
        println!(
            "{m} {o:?}: it {} g {:e} term {} counts {:?}",
            r.iterations, r.grad_norm, r.termination, r.counts
        );
    }
    let r = run("mgh", &["id=18"], "trust-ncg", &[], Stop::new(1e-6, 1000));
    println!(
        "tncg mgh18: it {} f {:e} g {:e} term {} chk {:?} counts {:?}",
        r.iterations, r.f, r.grad_norm, r.termination, r.curvature_check, r.counts
    );
    let r = run("mgh", &["id=18"], "newton", &[], Stop::new(1e-6, 1000));
    println!(
        "newton mgh18: it {} f {:e} g {:e} term {}",
        r.iterations, r.f, r.grad_norm, r.termination
    );
    let r = run(
        "mgh",
        &["id=18"],
        "newton",
        &["safeguard=lm"],
        Stop::new(1e-6, 1000),
    );
    println!(
        "lm mgh18: it {} f {:e} g {:e} term {} {:?}",
        r.iterations, r.f, r.grad_norm, r.termination, r.curvature_check
    );
}
