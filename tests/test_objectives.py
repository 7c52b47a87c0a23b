"""The trainer's D and G gradients for every objective option, against
central differences in float64: WGAN-GP (critic loss plus penalty, with its
random interpolates), conditional labels, instance noise and TV together."""

import copy

import numpy as np
import pytest

from gan.datasets import Dataset, SampleSpace
from gan.nn import hinge_critic
from gan.nn.gradcheck import numerical_gradient, relative_error
from gan.params import ParamsError
from gan.training.config import ExperimentConfig
from gan.training.model import sample_noise, with_labels
from gan.training.objectives import OBJECTIVES
from gan.training.trainer import Trainer

TOL = 1e-6
BASE = {"dataset": "mnist_train", "generator": ["linear 6", "tanh", "linear out", "tanh"],
        "discriminator": ["linear 7", "leaky_relu 0.2", "linear 5", "relu", "linear out"],
        "noise_size": 3, "batch_size": 4, "epochs": 1, "seed": 5}


def tiny_trainer(**options) -> Trainer:
    """A Trainer on 16 labelled 1x3x3 'images'."""
    rng = np.random.default_rng(0)
    data = Dataset(rng.uniform(-1, 1, (16, 9)).astype(np.float32), SampleSpace("digits", (1, 3, 3), classes=3),
                   labels=rng.integers(0, 3, 16))
    return Trainer(ExperimentConfig.from_params("t", BASE | options), data, "t")


def float64_trainer(**options) -> Trainer:
    """``tiny_trainer`` with data and networks in float64 (for gradient checks, not for stepping)."""
    trainer = tiny_trainer(**options)
    trainer.data.rows = trainer.data.rows.astype(np.float64)
    for model in (trainer.gan.generator, trainer.gan.discriminator):
        for layer in model.layers:
            for arrays in (layer.params, layer.grads):
                arrays.update({k: v.astype(np.float64) for k, v in arrays.items()})
    return trainer


def assert_gradients_match(model, loss):
    """``model``'s current gradients against central differences of ``loss()``."""
    analytic = [g.copy() for _, g in model.parameters()]
    assert any(g.any() for g in analytic)
    for (p, _), grad in zip(model.parameters(), analytic):
        numeric = numerical_gradient(loss, p)
        err = relative_error(grad, numeric)
        assert err < TOL or np.abs(grad - numeric).max() < 1e-8, f"relative error {err:.2e}"  # or both ~0


def fixed_rng(trainer):
    """Make every call see the same random draws (interpolates, instance noise)."""
    state = copy.deepcopy(trainer.rng.bit_generator.state)

    def reset():
        trainer.rng.bit_generator.state = state
    return reset


@pytest.mark.parametrize("options", [{"loss": "wgan_gp", "gp_weight": 10.0},
                                     {"loss": "wgan_gp", "conditional": True, "sigma_start": 0.3},
                                     {"conditional": True, "label_smoothing": 0.9, "sigma_start": 0.3},
                                     {"loss": "hinge"}, {"loss": "hinge", "conditional": True},
                                     {"pac": 2, "loss": "wgan_gp"}, {"pac": 4, "conditional": True}],
                         ids=["wgan_gp", "wgan_gp+conditional+noise", "bce+conditional+noise", "hinge",
                              "hinge+conditional", "wgan_gp+pac2", "bce+conditional+pac4"])
def test_discriminator_gradients(options):
    trainer = float64_trainer(**options)
    trainer.sigma = options.get("sigma_start", 0.0)
    rng = np.random.default_rng(1)
    real, fake = trainer.data.rows[:4], rng.uniform(-1, 1, (4, 9))
    real_labels, fake_labels = (trainer.data.labels[:4], rng.integers(0, 3, 4)) if trainer.gan.classes else (None, None)
    reset = fixed_rng(trainer)

    def loss():
        reset()
        return trainer.d_gradients(real, real_labels, fake, fake_labels)["d_loss"]

    loss()
    assert_gradients_match(trainer.gan.discriminator, loss)


@pytest.mark.parametrize("options", [{"loss": "wgan_gp"}, {"loss": "hinge", "noise": "uniform"},
                                     {"conditional": True, "sigma_start": 0.3, "lambda_tv": 0.05},
                                     {"pac": 2, "conditional": True, "lambda_tv": 0.05}, {"pac": 4, "loss": "hinge"}],
                         ids=["wgan_gp", "hinge+uniform noise", "bce+conditional+noise+tv", "bce+conditional+tv+pac2",
                              "hinge+pac4"])
def test_generator_gradients(options):
    trainer = float64_trainer(**options)
    trainer.sigma = options.get("sigma_start", 0.0)
    z = np.random.default_rng(2).standard_normal((4, 3))
    labels = np.array([0, 1, 2, 1]) if trainer.gan.classes else None
    reset = fixed_rng(trainer)

    def loss():
        reset()
        return trainer.g_gradients(trainer.gan.generate(z, labels), labels)

    loss()
    assert_gradients_match(trainer.gan.generator, loss)
    assert not any(g.any() for _, g in trainer.gan.discriminator.parameters()), "G's step must not touch D"


def test_packing_shows_d_pac_samples_of_one_kind_per_row():
    trainer = tiny_trainer(pac=2, conditional=True)
    rows, labels = trainer.data.rows[:4], trainer.data.labels[:4]
    packed = trainer._d_input(rows, labels)
    single = with_labels(rows, labels, 3)
    assert packed.shape == (2, 2 * 12) and trainer.gan.discriminator.layers[0].params["W"].shape[0] == 24
    assert np.array_equal(packed[1], np.concatenate([single[2], single[3]]))
    with pytest.raises(ParamsError, match="'experiments.t.pac' 3 needs batch_size a multiple of it"):
        tiny_trainer(pac=3)


def test_conditional_inputs_carry_one_hot_labels():
    trainer = float64_trainer(conditional=True)
    assert trainer.gan.generator.layers[0].params["W"].shape == (3 + 3, 6)
    assert trainer.gan.discriminator.layers[0].params["W"].shape == (9 + 3, 7)
    rows = np.zeros((2, 9))
    np.testing.assert_array_equal(with_labels(rows, np.array([2, 0]), 3)[:, 9:], [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="needs labels"):
        trainer.gan.generate(np.zeros((2, 3)))


def test_instance_noise_anneals_linearly_to_zero():
    trainer = tiny_trainer(sigma_start=0.5, epochs=4)
    trainer.fit(log=lambda line: None)
    sigmas = [row[trainer.history.columns.index("noise_sigma")] for row in trainer.history.rows]
    steps = 4  # 16 rows / batch 4
    expected = [0.5 * (1 - (e + (steps - 1) / 2 / steps) / 4) for e in range(4)]  # epoch mean of the schedule
    np.testing.assert_allclose(sigmas, expected)
    assert trainer.sigma == pytest.approx(0.5 / (4 * steps)), "the last step is one step short of 0"


def test_wgan_gp_logs_the_wasserstein_estimate():
    trainer = tiny_trainer(loss="wgan_gp", d_steps=2, epochs=2)
    trainer.fit(log=lambda line: None)
    columns = trainer.history.columns
    assert columns == ("epoch", "d_loss", "g_loss", "d_real", "d_fake", "wasserstein", "penalty", "seconds")
    for row in trainer.history.rows:
        values = dict(zip(columns, row))
        assert values["d_loss"] == pytest.approx(-values["wasserstein"] + values["penalty"])
        assert values["penalty"] > 0


def test_every_objective_is_registered_with_its_columns_and_rules():
    assert set(OBJECTIVES) == {"bce", "wgan_gp", "hinge"}
    for name, objective in OBJECTIVES.items():
        trainer = tiny_trainer(loss=name, epochs=1)
        trainer.fit(log=lambda line: None)
        assert trainer.history.columns == ("epoch", "d_loss", "g_loss", "d_real", "d_fake", *objective.columns,
                                           "seconds")
    with pytest.raises(ParamsError, match="'experiments.t.label_smoothing' applies to loss bce, not hinge"):
        tiny_trainer(loss="hinge", label_smoothing=0.9)


def test_hinge_margins_on_a_perfect_critic():
    """Scores beyond the margins cost nothing and move nothing; G's loss is -mean D(G(z))."""
    value, (grad_real, grad_fake) = hinge_critic(np.array([[2.0], [0.5]]), np.array([[-3.0], [0.0]]))
    assert value == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    np.testing.assert_array_equal(grad_real, [[0.0], [-0.5]])
    np.testing.assert_array_equal(grad_fake, [[0.0], [0.5]])


def test_uniform_noise_lies_in_the_unit_box():
    trainer = tiny_trainer(noise="uniform")
    z = sample_noise(trainer.config, 1000, np.random.default_rng(0))
    assert z.dtype == np.float32 and z.min() >= -1 and z.max() <= 1 and z.min() < -0.99 and z.max() > 0.99
