"""Layer specs: the DCGAN shapes build and run, and misplaced layers are named."""

import numpy as np
import pytest

from gan.errors import GanError
from gan.nn import BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d
from gan.training.build import build_network

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
