"""Layer specs: the DCGAN shapes build and run, and misplaced layers are named."""

import re

import numpy as np
import pytest

from gan.datasets import SampleSpace
from gan.errors import GanError
from gan.nn import BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Linear
from gan.training import build as build_module
from gan.training.build import build_network, spec_problem
from gan.training.config import ExperimentConfig
from gan.training.model import build_gan

DCGAN_G = ["linear 6272", "reshape 128 7 7", "batchnorm 0.8", "relu", "convt 64 4 2 1", "batchnorm 0.8", "relu",
           "convt 1 4 2 1", "tanh", "flatten"]
DCGAN_D = ["reshape 1 28 28", "conv 64 4 2 1", "leaky_relu 0.2", "conv 128 4 2 1", "leaky_relu 0.2", "flatten",
           "linear out"]


def build(specs, n_in, n_out):
    return build_network(specs, n_in, n_out, np.random.default_rng(0), "xavier", "experiments.x.generator")


def test_dcgan_networks_build_and_run():
    gen, disc = build(DCGAN_G, 100, 784), build(DCGAN_D, 784, 1)
    images = gen.forward(np.random.default_rng(1).standard_normal((3, 100), dtype=np.float32))
    assert images.shape == (3, 784) and images.dtype == np.float32 and np.abs(images).max() <= 1
    assert disc.forward(images).shape == (3, 1)
    kinds = [type(layer) for layer in gen.layers]
    assert kinds[2] is BatchNorm2d and kinds[4] is ConvTranspose2d and Conv2d in map(type, disc.layers)
    assert type(build(["linear 8", "batchnorm 0.8", "linear out"], 4, 2).layers[1]) is BatchNorm1d


@pytest.mark.parametrize("specs,message", [
    (["reshape 4 2 2", "linear out"], r"linear takes flat rows, got 4x2x2 \(add flatten\)"),
    (["conv 4 3 1 1", "linear out"], r"conv takes C x H x W samples, got 16 \(add reshape C H W\)"),
    (["reshape 3 2 2"], "cannot reshape 16 to 3x2x2"),
    (["reshape 4 2 2", "conv 2 3 1 1"], r"ends with shape 2x2x2 \(add flatten\), needs 8"),
])
def test_misplaced_layers_are_named(specs, message):
    with pytest.raises(GanError, match=message):
        build(specs, 16, 8)


@pytest.mark.parametrize("spec,message", [
    ("linear -4", "-4 is outside 1..65536"), ("linear 0", "0 is outside 1..65536"),
    ("linear 10000000", "10000000 is outside 1..65536"), ("linear x", "invalid literal"),
    ("linear 4 5", "linear takes 1..1 arguments, got 2"), ("relu 3", "relu takes 0..0 arguments"),
    ("dropout 1.0", r"1.0 is outside \[0, 1\)"), ("dropout nan", r"nan is outside \[0, 1\)"),
    ("leaky_relu -0.1", r"-0.1 is outside \[0, 1\]"), ("batchnorm 1", r"1 is outside \[0, 1\)"),
    ("minibatch 8 0", "0 is outside 1..65536"), ("minibatch 8 3 0", r"0 is outside \(0, 1\)"),
    ("conv 4 0 1 1", "0 is outside 1..65536"), ("conv 4 3 1 -1", "-1 is outside 0..65536"),
    ("swish", "unknown layer 'swish'"), ("", "unknown layer ''"),
])
def test_bad_specs_are_named_before_any_data_is_read(spec, message):
    problem = spec_problem(["linear 8", spec, "linear out"])
    assert problem.startswith(f"item 1, {spec!r}, is not a layer spec") and re.search(message, problem), problem
    assert spec_problem([]) == "must list at least one layer"
    assert spec_problem(["linear 8", "relu", "linear out"]) is None


def test_shapes_that_do_not_fit_are_named():
    with pytest.raises(GanError, match=r"'experiments.x.generator' item 1, 'conv 2 9 1 0', does not fit here: "
                                       r"a 9x9 kernel does not fit 1x4x4 with padding 0"):
        build(["reshape 1 4 4", "conv 2 9 1 0", "flatten", "linear out"], 16, 8)
    with pytest.raises(GanError, match="output_padding must be in"):
        build(["reshape 1 4 4", "convt 2 3 1 0 1", "flatten", "linear out"], 16, 8)


def test_a_packed_conv_d_with_the_samples_channels_names_pac():
    """pac 2 on 1x4x4 images: D's input is 32 features, so 'reshape 1 4 4' no
    longer fits and the error says why; an error pac does not cause has no such hint."""
    config = {"dataset": "d", "generator": ["linear out", "tanh"], "noise_size": 2, "batch_size": 4, "drop_last": True,
              "epochs": 1, "discriminator": ["reshape 1 4 4", "conv 2 3 1 1", "flatten", "linear out"]}
    space = SampleSpace("flags", (1, 4, 4))
    build_gan(ExperimentConfig.from_params("x", config), space, np.random.default_rng(0))  # fits without pac
    with pytest.raises(GanError, match=r"cannot reshape 32 to 1x4x4 \(pac 2: D's input is 2 samples side by side, "
                                       r"32 features; a convolutional D reshapes them to 2 x the channels\)$"):
        build_gan(ExperimentConfig.from_params("x", config | {"pac": 2}), space, np.random.default_rng(0))
    packed = config | {"pac": 2, "discriminator": ["reshape 2 4 4", "conv 2 3 1 1", "flatten", "linear out"]}
    assert build_gan(ExperimentConfig.from_params("x", packed), space, np.random.default_rng(0)).discriminator
    unfit = config | {"pac": 2, "discriminator": ["linear 8", "conv 2 3 1 1", "flatten", "linear out"]}
    with pytest.raises(GanError, match=r"item 1, 'conv 2 3 1 1', does not fit here: conv takes C x H x W samples, "
                                       r"got 8 \(add reshape C H W\)$"):  # wrong with or without pac: no pac hint
        build_gan(ExperimentConfig.from_params("x", unfit), space, np.random.default_rng(0))


def test_a_network_over_the_parameter_ceiling_is_refused_before_its_weights_exist(monkeypatch):
    built = []
    monkeypatch.setattr(build_module, "Linear", lambda n_in, n_out, *args, **kwargs: built.append((n_in, n_out)) or
                        Linear(n_in, n_out, *args, **kwargs))
    with pytest.raises(GanError, match=r"'experiments.x.generator' item 1, 'linear 7100', does not fit here: the "
                                       r"network would have 50,537,800 parameters, more than 50,000,000"):
        build(["linear 7100", "linear 7100", "linear out"], 16, 8)
    assert built == [(16, 7100)], "the weights of the layer past the ceiling are never allocated"


def test_a_sample_over_the_size_ceiling_is_refused():
    with pytest.raises(GanError, match=r"item 1, 'convt 1 1 1000 0', does not fit here: a sample would be 1x1001x1001 "
                                       r"values, more than 262,144"):
        build(["reshape 1 2 2", "convt 1 1 1000 0", "flatten"], 4, 1001 * 1001)
