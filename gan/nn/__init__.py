"""The NumPy neural-network core: layers, losses, optimisers, checkpoints."""

from gan.nn.checkpoint import load_checkpoint, save_checkpoint
from gan.nn.layers import Dropout, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh, sigmoid
from gan.nn.losses import (
    bce_with_logits,
    generator_nonsaturating,
    softmax,
    softmax_cross_entropy,
    total_variation,
    wasserstein_critic,
    wasserstein_generator,
)
from gan.nn.minibatch import MinibatchDiscrimination
from gan.nn.normalization import BatchNorm1d
from gan.nn.optim import SGD, Adam, Optimizer
from gan.nn.penalty import check_penalty_critic, gradient_penalty
from gan.nn.sequential import Sequential

__all__ = [
    "Adam", "BatchNorm1d", "Dropout", "Layer", "LeakyReLU", "Linear", "MinibatchDiscrimination",
    "Optimizer", "ReLU", "SGD", "Sequential", "Sigmoid", "Tanh", "bce_with_logits", "check_penalty_critic",
    "generator_nonsaturating", "gradient_penalty", "load_checkpoint", "save_checkpoint", "sigmoid", "softmax",
    "softmax_cross_entropy", "total_variation", "wasserstein_critic", "wasserstein_generator",
]
