"""Same seed -> identical weights; save -> load reproduces a model bit for bit."""

import numpy as np
import pytest

from gan.nn import (
    Adam,
    BatchNorm1d,
    Dropout,
    LeakyReLU,
    Linear,
    MinibatchDiscrimination,
    ReLU,
    Sequential,
    Tanh,
    bce_with_logits,
    generator_nonsaturating,
    load_checkpoint,
    save_checkpoint,
)


def build(seed):
    """A tiny GAN using every stateful layer kind, plus its optimisers."""
    rng = np.random.default_rng(seed)
    gen = Sequential([Linear(4, 16, rng), BatchNorm1d(16), ReLU(), Linear(16, 8, rng), Tanh()])
    disc = Sequential([Linear(8, 16, rng), LeakyReLU(0.2), Dropout(0.3, rng),
                       MinibatchDiscrimination(16, 4, 3, rng), Linear(20, 1, rng)])
    return gen, disc, Adam(gen.parameters(), 1e-2, 0.5), Adam(disc.parameters(), 1e-2, 0.5), rng


def train(parts, steps):
    gen, disc, opt_g, opt_d, rng = parts
    real = np.tanh(np.random.default_rng(99).standard_normal((8, 8), dtype=np.float32))
    for _ in range(steps):
        fake = gen.forward(rng.standard_normal((8, 4), dtype=np.float32))
        disc.zero_grad()
        disc.backward(bce_with_logits(disc.forward(real), 0.9)[1])
        disc.backward(bce_with_logits(disc.forward(fake), 0.0)[1])
        opt_d.step()
        gen.zero_grad()
        fake = gen.forward(rng.standard_normal((8, 4), dtype=np.float32))
        _, dlogits = generator_nonsaturating(disc.forward(fake))
        gen.backward(disc.backward(dlogits, param_grads=False))
        opt_g.step()


def weights(parts):
    gen, disc = parts[:2]
    return list(gen.state_dict().values()) + list(disc.state_dict().values())


def test_same_seed_same_weights_different_seed_different_weights():
    a, b, c = build(0), build(0), build(1)
    for parts in (a, b, c):
        train(parts, 5)
    assert all(x.dtype == np.float32 for x in weights(a))
    assert all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b)))
    assert not all(np.array_equal(x, y) for x, y in zip(weights(a), weights(c)))


def test_training_moves_every_parameter():
    parts = build(0)
    before = [w.copy() for w in weights(parts)]
    train(parts, 3)
    moved = [not np.array_equal(x, y) for x, y in zip(before, weights(parts))]
    assert all(moved)


def test_save_load_round_trip_is_exact(tmp_path):
    parts = build(0)
    train(parts, 4)
    gen, disc, opt_g, opt_d, _ = parts
    path = tmp_path / "model.npz"
    save_checkpoint(path, {"generator": gen, "discriminator": disc, "opt_g": opt_g, "opt_d": opt_d})

    fresh = build(7)
    load_checkpoint(path, {"generator": fresh[0], "discriminator": fresh[1],
                           "opt_g": fresh[2], "opt_d": fresh[3]})
    assert all(np.array_equal(x, y) for x, y in zip(weights(parts), weights(fresh)))
    z = np.random.default_rng(5).standard_normal((6, 4), dtype=np.float32)
    for model, copy in ((gen, fresh[0]), (disc, fresh[1])):
        model.eval()
        copy.eval()
    assert np.array_equal(gen.forward(z), fresh[0].forward(z))
    assert np.array_equal(disc.forward(gen.forward(z)), fresh[1].forward(fresh[0].forward(z)))
    assert fresh[2].t == opt_g.t == 4
    assert all(np.array_equal(x, y) for x, y in zip(opt_d.m + opt_d.v, fresh[3].m + fresh[3].v))
    assert not list(tmp_path.glob("*.tmp")), "temporary file left behind"


def test_load_rejects_a_model_of_another_shape(tmp_path):
    gen = build(0)[0]
    save_checkpoint(tmp_path / "g.npz", {"generator": gen})
    rng = np.random.default_rng(0)
    other = Sequential([Linear(4, 32, rng), BatchNorm1d(32), ReLU(), Linear(32, 8, rng), Tanh()])
    with pytest.raises(ValueError, match="shape"):
        load_checkpoint(tmp_path / "g.npz", {"generator": other})
    with pytest.raises(ValueError, match="no 'discriminator'"):
        load_checkpoint(tmp_path / "g.npz", {"discriminator": other})
