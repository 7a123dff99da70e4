"""JAX peer of benches/network.rs: the same 64-128-128-10 tanh network, softmax cross-entropy,
the same digits training set, parameters and direction (read from the JSON file the Rust bench
exports), float64, jit-compiled. Times the gradient (jax.grad), the Hessian-vector product
(jax.jvp of jax.grad, forward-over-reverse) and the Gauss-Newton product (jvp of the model, the
loss Hessian, vjp of the model), checks that JAX's HVP and GGN product agree with curvlab's, and
prints both sides' times.

Usage: python network_jax.py EXPORT.json   (run by network_jax.sh)
"""

import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402


def main(path):
    d = json.load(open(path))
    sizes = d["sizes"]
    X = jnp.asarray(d["x_train"], dtype=jnp.float64)  # N x 64
    Y = jax.nn.one_hot(jnp.asarray(d["y_train"]), sizes[-1], dtype=jnp.float64)
    theta = jnp.asarray(d["params"], dtype=jnp.float64)
    v = jnp.asarray(d["v"], dtype=jnp.float64)

    def unflatten(t):
        layers, off = [], 0
        for nin, nout in zip(sizes[:-1], sizes[1:]):
            # curvlab stores W (out x in) column-major: as a row-major array that is W^T.
            wt = t[off:off + nin * nout].reshape(nin, nout)
            off += nin * nout
            b = t[off:off + nout]
            off += nout
            layers.append((wt, b))
        return layers

    def model(t):
        h = X
        layers = unflatten(t)
        for wt, b in layers[:-1]:
            h = jnp.tanh(h @ wt + b)
        wt, b = layers[-1]
        return h @ wt + b

    def loss(t):
        z = model(t)
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.sum(z * Y, axis=1))

    grad = jax.jit(jax.grad(loss))
    hvp = jax.jit(lambda t, u: jax.jvp(jax.grad(loss), (t,), (u,))[1])

    def ggn_fn(t, u):
        z, jv = jax.jvp(model, (t,), (u,))
        p = jax.nn.softmax(z, axis=1)
        hjv = (p * jv - p * jnp.sum(p * jv, axis=1, keepdims=True)) / z.shape[0]
        _, vjp = jax.vjp(model, t)
        return vjp(hjv)[0]

    ggn = jax.jit(ggn_fn)

    def median_seconds(f):
        f().block_until_ready()  # compile and warm up
        ts = []
        for _ in range(21):
            s = time.perf_counter()
            f().block_until_ready()
            ts.append(time.perf_counter() - s)
        ts.sort()
        return ts[len(ts) // 2]

    tg = min(median_seconds(lambda: grad(theta)) for _ in range(3))
    th = min(median_seconds(lambda: hvp(theta, v)) for _ in range(3))
    tn = min(median_seconds(lambda: ggn(theta, v)) for _ in range(3))

    def rel(a, b):
        a, b = jnp.asarray(a), jnp.asarray(b)
        return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))

    print(f"loss: jax {float(loss(theta)):.15f}, curvlab {d['loss']:.15f}")
    print(f"AGREE gradient rel. max error {rel(grad(theta), d['gradient']):.2e}")
    hv = hvp(theta, v)
    i = int(jnp.argmax(jnp.abs(hv)))
    print(f"AGREE hvp rel. max error {rel(hv, d['hvp']):.2e} "
          f"(largest entry hvp[{i}]: jax {float(hv[i]):.15e}, curvlab {d['hvp'][i]:.15e})")
    print(f"AGREE ggn rel. max error {rel(ggn(theta, v), d['ggn']):.2e}")
    c = d["curvlab_seconds"]
    print(f"JAX {jax.__version__} (jit, float64, CPU, N = {X.shape[0]}): gradient {tg*1e3:.3f} ms, "
          f"hvp {th*1e3:.3f} ms, ggn {tn*1e3:.3f} ms; hvp/gradient = {th/tg:.2f}, ggn/gradient = {tn/tg:.2f}")
    print(f"curvlab (same run's export), each product at a new point: gradient {c['gradient']*1e3:.3f} ms, "
          f"hvp {c['hvp']*1e3:.3f} ms, ggn {c['ggn']*1e3:.3f} ms")
    if "hvp_cached" in c:
        print(f"curvlab at one point (forward and gradient passes cached): hvp {c['hvp_cached']*1e3:.3f} ms, "
              f"ggn {c['ggn_cached']*1e3:.3f} ms; HVP time curvlab cached / JAX = {c['hvp_cached']/th:.2f}")
    print(f"HVP time curvlab / JAX = {c['hvp']/th:.2f} (<= 1: curvlab no slower; both from scratch)")
    print(f"gradient time curvlab / JAX = {c['gradient']/tg:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
