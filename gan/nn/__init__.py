"""The NumPy neural-network core: layers, losses, optimisers, checkpoints."""

from gan.nn.average import WeightAverage
from gan.nn.checkpoint import load_checkpoint, save_checkpoint
from gan.nn.conv import Conv2d, ConvTranspose2d
from gan.nn.layers import Dropout, Flatten, Layer, LeakyReLU, Linear, ReLU, Reshape, Sigmoid, Tanh, sigmoid
from gan.nn.losses import (
    bce_with_logits,
    generator_nonsaturating,
    hinge_critic,
    softmax,
    softmax_cross_entropy,
    total_variation,
    wasserstein_critic,
    wasserstein_generator,
)
from gan.nn.minibatch import MinibatchDiscrimination
from gan.nn.normalization import BatchNorm1d, BatchNorm2d
from gan.nn.optim import SGD, Adam, Optimizer
from gan.nn.penalty import check_penalty_critic, gradient_penalty
from gan.nn.sequential import Sequential

__all__ = [
    "Adam", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "Flatten", "Layer", "LeakyReLU",
    "Linear", "MinibatchDiscrimination", "Optimizer", "ReLU", "Reshape", "SGD", "Sequential", "Sigmoid", "Tanh",
    "WeightAverage",
    "bce_with_logits", "check_penalty_critic", "generator_nonsaturating", "gradient_penalty", "hinge_critic",
    "load_checkpoint", "save_checkpoint", "sigmoid", "softmax", "softmax_cross_entropy", "total_variation",
    "wasserstein_critic", "wasserstein_generator",
]
