//! The argmin plugin in both directions.
//!
//! 1. The contract program: a Rosenbrock function written as an argmin problem with only
//!    `CostFunction`, `Gradient` and curvlab's `HessianVec`, solved by curvlab's `Newton` (dense
//!    Hessian assembled from n products) and `HessianFree` through argmin's `Executor`.
//! 2. The other way: a curvlab problem (`ArgminProblem`) solved by argmin's `TrustRegion<Steihaug>`.
//!
//! Run: `cargo run --release --example argmin_plugin`.

use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use curvlab::argmin::{ArgminProblem, ArgminSolver, HessianVec};
use curvlab::methods::{HessianFree, Newton};

struct Rosenbrock;
impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2))
    }
}
impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(vec![
            -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
            200.0 * (x[1] - x[0] * x[0]),
        ])
    }
}
impl HessianVec for Rosenbrock {
    type Param = Vec<f64>;
    fn hessian_vec(&self, x: &Vec<f64>, v: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let (h00, h01, h11) = (
            2.0 - 400.0 * (x[1] - 3.0 * x[0] * x[0]),
            -400.0 * x[0],
            200.0,
        );
        Ok(vec![h00 * v[0] + h01 * v[1], h01 * v[0] + h11 * v[1]])
    }
}

fn main() -> Result<(), Error> {
    // curvlab methods as argmin solvers.
    let res = Executor::new(Rosenbrock, ArgminSolver::new(Newton::default()))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()?;
    let x = res.state().get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    println!("newton {:?}", res.state().get_func_counts());

    let res = Executor::new(Rosenbrock, ArgminSolver::new(HessianFree::default()))
        .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(200).counting(true))
        .run()?;
    let x = res.state().get_best_param().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    println!("hessian-free {:?}", res.state().get_func_counts());

    // A curvlab problem under argmin's own trust-region solver.
    let problem = ArgminProblem::new(curvlab::problems::Rosenbrock::new(4).map_err(Error::from)?);
    let res = Executor::new(problem, TrustRegion::new(Steihaug::new()))
        .configure(|s| {
            s.param(vec![-1.2, 1.0, -1.2, 1.0])
                .max_iters(200)
                .counting(true)
        })
        .run()?;
    println!(
        "argmin TrustRegion<Steihaug> on curvlab's 4-D Rosenbrock: x = {:?}, {:?}",
        res.state().get_best_param().unwrap(),
        res.state().get_func_counts()
    );
    Ok(())
}
