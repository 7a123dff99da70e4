//! curvlab against argmin's own solvers (the runs of `examples/vs_argmin.rs`, included here):
//! 2-D Rosenbrock and MGH problems 7, 8, 13, 21 (n = 10), 26 (n = 10) from their standard starts,
//! budget 1000 iterations, converged = first iterate with ‖∇f‖₂ ≤ 1e-8 (exact gradient).
//!
//! Asserted: curvlab's counterpart converges wherever argmin's solver does (all four pairs);
//! `newton-cg` uses no more cost and gradient evaluations than argmin's `NewtonCG` and no more
//! curvature work (HVPs ≤ n × argmin's Hessians); `lbfgs` no more cost + gradient evaluations
//! in total than argmin's `LBFGS`. Not asserted, because it does not hold (see the report): `newton`
//! against argmin's undamped `Newton` (pure Newton steps happen to converge from these starts in
//! fewer, non-monotone iterations on Rosenbrock-type problems; curvlab's Newton is globalized
//! with a monotone Armijo search) and `trust-ncg` against `TrustRegion<Steihaug>` on cost and
//! gradient counts (argmin's Steihaug solves each subproblem to 1e-10, curvlab truncates CG at
//! the forcing term min(½, √‖g‖)·‖g‖, trading outer iterations for fewer products).

#[allow(dead_code)]
#[path = "../examples/vs_argmin.rs"]
mod vs;

#[test]
fn curvlab_converges_wherever_argmin_does_with_no_more_evaluations() {
    let rows = vs::rows();
    assert_eq!(rows.len(), 6 * 8);
    for pair in rows.chunks(2) {
        let (c, a) = (&pair[0], &pair[1]);
        assert!(c.solver.starts_with("curvlab") && a.solver.starts_with("argmin"));
        assert!(
            c.converged || !a.converged,
            "{}: {} did not converge where {} did",
            c.problem,
            c.solver,
            a.solver
        );
        // Independent check of the convergence flag: the recorded gradient norm.
        if c.converged {
            assert!(c.grad_norm <= vs::TOL);
        }
        match c.solver.as_str() {
            "curvlab newton-cg" => {
                assert!(
                    c.cost <= a.cost && c.gradient <= a.gradient,
                    "{}: {c:?} vs {a:?}",
                    c.problem
                );
                assert!(
                    c.hessian_vec <= c.n as u64 * a.hessian,
                    "{}: {c:?} vs {a:?}",
                    c.problem
                );
                assert_eq!(c.hessian, 0);
            }
            "curvlab lbfgs" => {
                // curvlab evaluates f and ∇f together at each trial point, argmin's More–Thuente
                // separately: compare the total (on 2-D Rosenbrock curvlab has 51 costs against
                // argmin's 49, with 51 gradients against 87).
                assert!(
                    c.cost + c.gradient <= a.cost + a.gradient,
                    "{}: {c:?} vs {a:?}",
                    c.problem
                );
                assert!(
                    c.hessian_vec <= c.n as u64 * a.hessian,
                    "{}: {c:?} vs {a:?}",
                    c.problem
                );
                assert_eq!(c.hessian, 0);
            }
            _ => {}
        }
    }
    // curvlab's four methods converge on every problem.
    assert!(
        rows.iter()
            .filter(|r| r.solver.starts_with("curvlab"))
            .all(|r| r.converged)
    );
}
