"""No regression: the optimised training step (in-place Adam over threads,
one joint D pass, reused G(z), no D weight gradients in the G step) gives the
parameters of a plain reference step written from the formulas."""

import copy

import numpy as np

from gan.datasets import Dataset, SampleSpace
from gan.training.config import ExperimentConfig
from gan.training.model import sample_noise
from gan.training.trainer import Trainer

CONFIG = {"dataset": "mnist_train", "generator": ["linear 32", "relu", "linear 64", "relu", "linear out", "tanh"],
          "discriminator": ["linear 64", "leaky_relu 0.2", "linear 32", "relu", "linear out"],
          "noise_size": 10, "lr_d": 1e-3, "lr_g": 2e-3, "beta1": 0.5, "label_smoothing": 0.9,
          "batch_size": 16, "epochs": 1, "seed": 0}


def forward(weights, acts, x):
    """Plain MLP forward keeping every layer input; acts[i] follows Linear i."""
    inputs = []
    for (w, b), act in zip(weights, acts):
        inputs.append(x)
        z = x @ w + b
        x = {"relu": np.maximum(z, 0), "leaky": np.where(z > 0, z, 0.2 * z), "tanh": np.tanh(z), None: z}[act]
        inputs.append(z)
    return x, inputs


def backward(weights, acts, inputs, dy):
    """Gradients of every (W, b) and of the network input, by the chain rule."""
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        x, z = inputs[2 * i], inputs[2 * i + 1]
        act = acts[i]
        if act == "relu":
            dy = dy * (z > 0)
        elif act == "leaky":
            dy = dy * np.where(z > 0, 1.0, 0.2)
        elif act == "tanh":
            dy = dy * (1 - np.tanh(z) ** 2)
        grads[i] = (x.T @ dy, dy.sum(axis=0))
        dy = dy @ weights[i][0].T
    return grads, dy


def bce_grad(logits, target):
    """d/dz mean(-t log s(z) - (1 - t) log(1 - s(z)))."""
    return (1 / (1 + np.exp(-logits)) - target) / logits.size


def adam(weights, grads, state, lr, t, b1=0.5, b2=0.999, eps=1e-8):
    new = []
    for (w, b), (gw, gb), s in zip(weights, grads, state):
        pair = []
        for key, p, g in (("w", w, gw), ("b", b, gb)):
            s[key + "m"] = b1 * s[key + "m"] + (1 - b1) * g
            s[key + "v"] = b2 * s[key + "v"] + (1 - b2) * g * g
            m_hat, v_hat = s[key + "m"] / (1 - b1**t), s[key + "v"] / (1 - b2**t)
            pair.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
        new.append(tuple(pair))
    return new


def linears(model):
    return [(layer.params["W"].astype(np.float64), layer.params["b"].astype(np.float64))
            for layer in model.layers if "W" in layer.params]


def test_optimised_step_matches_plain_reference():
    config = ExperimentConfig.from_params("ref", CONFIG)
    rng = np.random.default_rng(1)
    data = Dataset(np.tanh(rng.standard_normal((64, 784))).astype(np.float32), SampleSpace("digits", (1, 28, 28)))
    trainer = Trainer(config, data, "ref")
    g_w, d_w = linears(trainer.gan.generator), linears(trainer.gan.discriminator)
    noise_rng = copy.deepcopy(trainer.rng)
    g_acts, d_acts = ["relu", "relu", "tanh"], ["leaky", "relu", None]
    g_state = [{k: 0.0 for k in ("wm", "wv", "bm", "bv")} for _ in g_w]
    d_state = [{k: 0.0 for k in ("wm", "wv", "bm", "bv")} for _ in d_w]

    for t in range(1, 4):
        real = data.rows[16 * t:16 * (t + 1)]
        trainer.step([real])
        # reference: D on real then fake (separately), then G through the updated D
        z = sample_noise(config, 16, noise_rng).astype(np.float64)
        fake, g_inputs = forward(g_w, g_acts, z)
        real_logits, real_inputs = forward(d_w, d_acts, real.astype(np.float64))
        grads_real, _ = backward(d_w, d_acts, real_inputs, bce_grad(real_logits, 0.9))
        fake_logits, fake_inputs = forward(d_w, d_acts, fake)
        grads_fake, _ = backward(d_w, d_acts, fake_inputs, bce_grad(fake_logits, 0.0))
        d_grads = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(grads_real, grads_fake)]
        d_w = adam(d_w, d_grads, d_state, 1e-3, t)
        logits, d_inputs = forward(d_w, d_acts, fake)
        _, dfake = backward(d_w, d_acts, d_inputs, bce_grad(logits, 1.0))
        g_grads, _ = backward(g_w, g_acts, g_inputs, dfake)
        g_w = adam(g_w, g_grads, g_state, 2e-3, t)

    for ours, ref in ((linears(trainer.gan.generator), g_w), (linears(trainer.gan.discriminator), d_w)):
        for (w, b), (rw, rb) in zip(ours, ref):
            np.testing.assert_allclose(w, rw, rtol=1e-4, atol=2e-5)
            np.testing.assert_allclose(b, rb, rtol=1e-4, atol=2e-5)
    moved = np.abs(linears(trainer.gan.generator)[0][0] - linears(Trainer(config, data, "x").gan.generator)[0][0])
    assert moved.max() > 1e-3, "the steps must move the weights for the comparison to mean anything"
