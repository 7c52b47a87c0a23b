"""The moving average of G's weights: its formula, its independence from
the trained model, its place in saved models and in sampling."""

import numpy as np
import pytest

from gan.nn import BatchNorm1d, Linear, Sequential, WeightAverage
from gan.training.model import load_gan
from tests.test_objectives import tiny_trainer


def test_the_average_follows_its_formula_with_warm_up():
    rng = np.random.default_rng(0)
    model = Sequential([Linear(3, 2, rng), BatchNorm1d(2)])
    average = WeightAverage(model, decay=0.9)
    weight = model.layers[0].params["W"]
    expected = weight.astype(np.float64)
    for t in range(120):  # the warm-up term rules until t = 80, the decay after
        weight += rng.standard_normal(weight.shape).astype(weight.dtype)
        model.layers[1].buffers["running_mean"][:] = t
        average.update()
        d = min(0.9, (1 + t) / (10 + t))
        expected = d * expected + (1 - d) * weight
    np.testing.assert_allclose(average.model.layers[0].params["W"], expected, rtol=1e-5)
    assert average.model.layers[1].buffers["running_mean"].tolist() == [119, 119], "buffers are copied"
    assert not np.shares_memory(average.model.layers[0].params["W"], weight)
    restored = WeightAverage(model, decay=0.9)
    restored.load_state_dict(average.state_dict())
    assert restored.t == 120
    assert np.array_equal(restored.model.layers[0].params["W"], average.model.layers[0].params["W"])
    with pytest.raises(ValueError, match="decay must be in"):
        WeightAverage(model, decay=1.0)


def test_samples_and_saved_models_use_the_average(tmp_path):
    trainer = tiny_trainer(ema=0.5, epochs=3)
    trainer.fit(log=lambda line: None)
    gan = trainer.gan
    z = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    averaged, trained = gan.sample(z), gan.space.to_data(gan.generator.eval().forward(z))
    assert not np.allclose(averaged, trained), "the average differs from the trained weights"
    assert np.array_equal(averaged, gan.space.to_data(gan.average.model.eval().forward(z)))
    assert np.array_equal(trainer.history.snapshots[-1], gan.sample(trainer.fixed_noise))
    gan.save(tmp_path)
    assert np.array_equal(load_gan(tmp_path).sample(z), averaged)
    assert gan.average.t == 3 * 4, "one update per G step: 16 rows, batch 4, 3 epochs"
