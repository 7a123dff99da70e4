use curvlab::diff::{DualGradient, Exact, Scalar};
use curvlab::methods::Newton;
use curvlab::methods::newton::Safeguard;
use curvlab::{Stop, minimize};
use rand::{Rng, SeedableRng};

struct Softmax { x: Vec<f64>, y: Vec<usize>, n: usize, d: usize, k: usize }

impl Softmax {
    fn new(n: usize, d: usize, k: usize, seed: u64, scale: f64) -> Self {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<f64> = (0..n * d).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
        let ws: Vec<f64> = (0..k * d).map(|_| scale * (rng.random::<f64>() * 2.0 - 1.0)).collect();
        let y = (0..n).map(|i| {
            let mut best = (f64::NEG_INFINITY, 0);
            for c in 0..k {
                let u: f64 = rng.random::<f64>().max(1e-300);
                let z = (0..d).map(|j| ws[c * d + j] * x[i * d + j]).sum::<f64>() - (-u.ln()).ln();
                if z > best.0 { best = (z, c); }
            }
            best.1
        }).collect();
        Softmax { x, y, n, d, k }
    }
}

impl DualGradient for Softmax {
    fn dim(&self) -> usize { self.d * self.k }
    fn value_gradient<T: Scalar>(&self, w: &[T], g: &mut [T]) -> T {
        let (d, k) = (self.d, self.k);
        g.iter_mut().for_each(|v| *v = T::zero());
        let mut f = T::zero();
        let mut z = vec![T::zero(); k];
        for i in 0..self.n {
            let xi = &self.x[i * d..(i + 1) * d];
            for c in 0..k {
                z[c] = (0..d).fold(T::zero(), |s, j| s + w[c * d + j] * xi[j]);
            }
            let m = z.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.re()));
            let s = z.iter().fold(T::zero(), |s, v| s + (*v - m).exp());
            f += s.ln() + m - z[self.y[i]];
            for c in 0..k {
                let p = (z[c] - m).exp() / s;
                let r = if c == self.y[i] { p - 1.0 } else { p };
                for j in 0..d { g[c * d + j] += r * xi[j]; }
            }
        }
        let inv = 1.0 / self.n as f64;
        g.iter_mut().for_each(|v| *v = *v * inv);
        f * inv
    }
}

#[test]
fn softmax_measure() {
  for scale in [1.0, 3.0, 10.0, 30.0] {
    let p = Exact(Softmax::new(200, 5, 3, 7, scale));
    let x0 = vec![0.0; 15];
    eprintln!("scale {scale}");
    for (name, mut m) in [
        ("default", Newton::default()),
        ("modified", Newton::default().with_safeguard(Safeguard::Modified)),
        ("lm", Newton::default().with_safeguard(Safeguard::Lm)),
    ] {
        let r = minimize(&p, &mut m, &x0, &Stop::new(1e-8, 500)).unwrap();
        eprintln!("{name}: {} iters, {:?}, g {:e}", r.iterations, r.termination, r.grad_norm);
    }
  }
}
