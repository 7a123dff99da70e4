use curvlab::methods::trust_region::{MoreSorensen, more_sorensen};
fn main() {
    let h = faer::mat![[-2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]];
    for tol in [1e-10, 1e-12, 1e-14] {
        let o = MoreSorensen {
            hard_rtol: tol,
            ..Default::default()
        };
        let s = more_sorensen(h.as_ref(), &[0.0, 1.0, 1.0], 2.0, &o).unwrap();
        println!(
            "tol {tol:e}: lambda-2 = {:e} iters {} hard {} m {:.17}",
            s.lambda - 2.0,
            s.iterations,
            s.hard_case,
            s.model_value
        );
    }
    let h = faer::mat![[1.0, 0.0], [0.0, 1e-17]];
    let s = more_sorensen(h.as_ref(), &[1.0, 1e-17], 10.0, &MoreSorensen::default()).unwrap();
    println!("{:?}", s);
}
