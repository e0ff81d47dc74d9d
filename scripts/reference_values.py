#!/usr/bin/env python3
"""Independent reference values for the tests that pin numbers (issue 10, item 11).

Everything here is written from the published definitions, not from shrink's Rust code:

* numpy's legacy RandomState (the reference that shrink-data's LegacyRandomState reproduces);
* xoshiro256++ seeded through SplitMix64 (Blackman & Vigna, https://prng.di.unimi.it/), the
  generator shrink owns, with its stream derivation, uniform draws, Lemire's bounded integers
  and Fisher-Yates from the back; the Glorot-uniform limit sqrt(6/(fan_in+fan_out));
* the optimizers' update rules as Keras 3 writes them (keras/src/optimizers/{sgd,rmsprop,
  adam,adamw}.py), in float64.

Run `python3 scripts/reference_values.py` and paste the printed values into
crates/shrink-data/tests/reference_values.rs and crates/shrink/tests/reference_values.rs.
"""
import math

import numpy as np

M64 = (1 << 64) - 1


def numpy_reference():
    print("== numpy RandomState (shrink-data LegacyRandomState)")
    rs = np.random.RandomState(0)
    print("raw u32 seed 0:", [int(v) for v in rs._bit_generator.random_raw(5)])
    rs = np.random.RandomState(12345)
    print("raw u32 seed 12345:", [int(v) for v in rs._bit_generator.random_raw(5)])
    rs = np.random.RandomState(0)
    print("random_sample(5) seed 0:", [repr(float(v)) for v in rs.random_sample(5)])
    rs = np.random.RandomState(1)
    print("standard_normal(5) seed 1:", [repr(float(v)) for v in rs.standard_normal(5)])
    rs = np.random.RandomState(2)
    print("normal(1.5, 2.0, 3) seed 2:", [repr(float(v)) for v in rs.normal(1.5, 2.0, size=3)])
    rs = np.random.RandomState(3)
    print("randint(0, 1000, 8) seed 3:", [int(v) for v in rs.randint(0, 1000, size=8)])
    rs = np.random.RandomState(4)
    print("randint(0, 2**40, 3, int64) seed 4:", [int(v) for v in rs.randint(0, 2**40, size=3, dtype=np.int64)])
    rs = np.random.RandomState(42)
    print("permutation(20) seed 42:", [int(v) for v in rs.permutation(20)])


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro:
    def __init__(self, seed):
        s, self.s = seed, []
        for _ in range(4):
            s, z = splitmix64(s)
            self.s.append(z)

    @classmethod
    def derive(cls, seed, stream):
        s = seed ^ ((stream * 0xD6E8FEB86659FD93) & M64)
        _, z = splitmix64(s)
        return cls(z)

    def next_u64(self):
        s = self.s
        result = (rotl((s[0] + s[3]) & M64, 23) + s[0]) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_f64(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def uniform(self, low, high):
        return low + (high - low) * self.next_f64()

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            m = self.next_u64() * n
            if (m & M64) >= threshold:
                return m >> 64

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def shrink_rng_reference():
    print("== shrink Rng (xoshiro256++ / SplitMix64)")
    # Published check: SplitMix64 from state 0 gives 0xE220A8397B1DCDAF first.
    print("splitmix64(0) first:", hex(splitmix64(0)[1]))
    r = Xoshiro(0)
    print("Rng::new(0).next_u64 x5:", [hex(r.next_u64()) for _ in range(5)])
    r = Xoshiro(7)
    print("Rng::new(7).next_f64 x3:", [repr(r.next_f64()) for _ in range(3)])
    r = Xoshiro.derive(7, 1)
    print("Rng::derive(7, 1).next_u64 x3:", [hex(r.next_u64()) for _ in range(3)])
    r = Xoshiro(3)
    print("Rng::new(3).below(10) x8:", [r.below(10) for _ in range(8)])

    # Model::builder(&[2]).layer(Dense::new(3)).build(0): init stream derive(0, 0x1417),
    # kernel [2, 3] row-major, uniform(-limit, limit) rounded to f32.
    limit = math.sqrt(6.0 / (2 + 3))
    r = Xoshiro.derive(0, 0x1417)
    kernel = [np.float32(r.uniform(-limit, limit)) for _ in range(6)]
    print("glorot limit sqrt(6/5):", repr(limit))
    print("dense kernel seed 0 (f32):", [repr(float(k)) for k in kernel])
    print("dense kernel seed 0 (f32 bits):", [hex(int(np.float32(k).view(np.uint32))) for k in kernel])

    # First epoch of Trainer::fit: order = 0..n shuffled by derive(seed, 0x5_4FF1E).
    r = Xoshiro.derive(0, 0x54FF1E)
    order = list(range(10))
    r.shuffle(order)
    print("epoch-1 order n=10 seed 0:", order)
    order2 = order[:]
    r.shuffle(order2)
    print("epoch-2 order n=10 seed 0:", order2)


W0 = np.array([0.5, -1.25, 2.0, 0.0])
GRADS = np.array([
    [0.1, -0.2, 0.3, -0.4],
    [0.5, 0.25, -0.75, 1.0],
    [-0.3, 0.6, 0.0, -0.1],
    [2.0, -1.5, 0.2, 0.05],
    [-0.05, 0.01, 1.2, -0.8],
])


def sgd(lr, momentum, nesterov):
    # keras/src/optimizers/sgd.py update_step
    w, m = W0.copy(), np.zeros(4)
    for g in GRADS:
        m = -g * lr + m * momentum
        if nesterov:
            w = w + (-g * lr + m * momentum)
        else:
            w = w + m
    return w


def rmsprop(lr, rho, momentum, epsilon):
    # keras/src/optimizers/rmsprop.py update_step (centered=False)
    w, v, mom = W0.copy(), np.zeros(4), np.zeros(4)
    for g in GRADS:
        v = rho * v + (1 - rho) * np.square(g)
        increment = lr * g / np.sqrt(v + epsilon)
        if momentum > 0:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
    return w


def adam(lr, b1, b2, eps, weight_decay=None):
    # keras/src/optimizers/adam.py update_step (amsgrad=False); AdamW: base_optimizer
    # _apply_weight_decay, variable - variable * wd * lr, before the step.
    w, m, v = W0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(GRADS, start=1):
        if weight_decay is not None:
            w = w - w * weight_decay * lr
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        m = m + (g - m) * (1 - b1)
        v = v + (np.square(g) - v) * (1 - b2)
        w = w - (m * alpha) / (np.sqrt(v) + eps)
    return w


def optimizer_reference():
    print("== optimizers, 5 steps from", list(W0))
    cases = {
        "sgd(0.1, 0.9, nesterov=false)": sgd(0.1, 0.9, False),
        "sgd(0.1, 0.9, nesterov=true)": sgd(0.1, 0.9, True),
        "sgd(0.1, 0, false)": sgd(0.1, 0.0, False),
        "rmsprop(0.01, 0.9, 0, 1e-7)": rmsprop(0.01, 0.9, 0.0, 1e-7),
        "rmsprop(0.01, 0.9, 0.8, 1e-7)": rmsprop(0.01, 0.9, 0.8, 1e-7),
        "adam(0.01, 0.9, 0.999, 1e-7)": adam(0.01, 0.9, 0.999, 1e-7),
        "adamw(0.01, 0.9, 0.999, 1e-7, 0.004)": adam(0.01, 0.9, 0.999, 1e-7, 0.004),
        "adamw(0.1, 0.8, 0.99, 1e-3, 0.5)": adam(0.1, 0.8, 0.99, 1e-3, 0.5),
    }
    for name, w in cases.items():
        print(f"{name}: [{', '.join(repr(float(x)) for x in w)}]")


if __name__ == "__main__":
    numpy_reference()
    shrink_rng_reference()
    optimizer_reference()
