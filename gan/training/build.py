"""Build a Sequential from layer specs such as
``[linear 256, leaky_relu 0.2, dropout 0.3, minibatch 32 4, linear 1]``."""

import numpy as np

from gan.errors import GanError
from gan.nn import BatchNorm1d, Dropout, LeakyReLU, Linear, MinibatchDiscrimination, ReLU, Sequential, Sigmoid, Tanh

SPEC_HELP = ("linear UNITS|out, relu, leaky_relu ALPHA, tanh, sigmoid, dropout P, batchnorm MOMENTUM, "
             "minibatch KERNELS DIM [SCALE]")


def build_network(specs: list[str], in_features: int, out_features: int, rng: np.random.Generator,
                  init: str, where: str) -> Sequential:
    """Layers in order; ``linear out`` means ``out_features`` units.  The
    network must end with ``out_features`` features."""
    layers, width = [], in_features
    for i, spec in enumerate(specs):
        name, *args = str(spec).split()
        try:
            layer, width = _layer(name, args, width, out_features, rng, init)
        except (ValueError, IndexError) as exc:
            raise GanError(f"params.yaml: '{where}[{i}]' = {spec!r} is not a layer spec ({SPEC_HELP}): {exc}") \
                from exc
        layers.append(layer)
    if width != out_features:
        raise GanError(f"params.yaml: '{where}' ends with {width} features, needs {out_features}")
    return Sequential(layers)


def _layer(name: str, args: list[str], width: int, out_features: int, rng, init):
    if name == "linear":
        units = out_features if args[0] == "out" else int(args[0])
        return Linear(width, units, rng, init=init), units
    if name == "minibatch":
        kernels, dim = int(args[0]), int(args[1])
        scale = float(args[2]) if len(args) > 2 else 0.02
        return MinibatchDiscrimination(width, kernels, dim, rng, scale=scale), width + kernels
    if args and name in ("relu", "tanh", "sigmoid"):
        raise ValueError(f"{name} takes no argument")
    simple = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
    if name in simple:
        return simple[name](), width
    if name == "leaky_relu":
        return LeakyReLU(float(args[0]) if args else 0.2), width
    if name == "dropout":
        return Dropout(float(args[0]), rng), width
    if name == "batchnorm":
        return BatchNorm1d(width, momentum=float(args[0]) if args else 0.8), width
    raise ValueError(f"unknown layer {name!r}")
