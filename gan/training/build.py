"""Build a Sequential from layer specs such as
``[linear 256, leaky_relu 0.2, dropout 0.3, minibatch 32 4, linear 1]`` or, for
convolutional networks, ``[reshape 1 28 28, conv 64 4 2 1, leaky_relu 0.2, flatten, linear out]``."""

import math

import numpy as np

from gan.errors import GanError
from gan.nn import (
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    MinibatchDiscrimination,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
)
from gan.nn.conv import conv_output_size

SPEC_HELP = ("linear UNITS|out, relu, leaky_relu ALPHA, tanh, sigmoid, dropout P, batchnorm MOMENTUM, "
             "minibatch KERNELS DIM [SCALE], reshape C H W, flatten, conv OUT KERNEL STRIDE PADDING, "
             "convt OUT KERNEL STRIDE PADDING [OUTPUT_PADDING]")


def build_network(specs: list[str], in_features: int, out_features: int, rng: np.random.Generator,
                  init: str, where: str) -> Sequential:
    """Layers in order, from (in_features,) rows to (out_features,) rows;
    ``linear out`` means ``out_features`` units.  Convolutions work on
    (C, H, W) samples between a ``reshape`` and a ``flatten``."""
    layers, shape = [], (in_features,)
    for i, spec in enumerate(specs):
        name, *args = str(spec).split()
        try:
            layer, shape = _layer(name, args, shape, out_features, rng, init)
        except (ValueError, IndexError) as exc:
            raise GanError(f"params.yaml: '{where}[{i}]' = {spec!r} is not a layer spec here ({SPEC_HELP}): {exc}") \
                from exc
        layers.append(layer)
    if shape != (out_features,):
        ends = f"{shape[0]} features" if len(shape) == 1 else f"shape {_show(shape)} (add flatten)"
        raise GanError(f"params.yaml: '{where}' ends with {ends}, needs {out_features}")
    return Sequential(layers)


def _show(shape: tuple[int, ...]) -> str:
    return str(shape[0]) if len(shape) == 1 else "x".join(map(str, shape))


def _layer(name: str, args: list[str], shape: tuple[int, ...], out_features: int, rng, init):
    """The layer a spec names, and the per-sample shape after it."""
    flat = len(shape) == 1
    if name in ("linear", "minibatch") and not flat:
        raise ValueError(f"{name} takes flat rows, got {_show(shape)} (add flatten)")
    if name in ("conv", "convt") and len(shape) != 3:
        raise ValueError(f"{name} takes C x H x W samples, got {_show(shape)} (add reshape C H W)")
    if name == "linear":
        units = out_features if args[0] == "out" else int(args[0])
        return Linear(shape[0], units, rng, init=init), (units,)
    if name == "minibatch":
        kernels, dim = int(args[0]), int(args[1])
        scale = float(args[2]) if len(args) > 2 else 0.02
        return MinibatchDiscrimination(shape[0], kernels, dim, rng, scale=scale), (shape[0] + kernels,)
    if name == "reshape":
        target = tuple(int(a) for a in args)
        if math.prod(target) != math.prod(shape):
            raise ValueError(f"cannot reshape {_show(shape)} to {_show(target)}")
        return Reshape(*target), target
    if name == "flatten":
        return Flatten(), (math.prod(shape),)
    if name == "conv":
        out, kernel, stride, padding = (int(a) for a in args)
        size = [conv_output_size(s, kernel, stride, padding) for s in shape[1:]]
        return Conv2d(shape[0], out, kernel, rng, stride, padding, init="normal"), (out, *size)
    if name == "convt":
        out, kernel, stride, padding, *extra = (int(a) for a in args)
        layer = ConvTranspose2d(shape[0], out, kernel, rng, stride, padding, *extra, init="normal")
        return layer, (out, *(layer.output_size(s) for s in shape[1:]))
    if args and name in ("relu", "tanh", "sigmoid"):
        raise ValueError(f"{name} takes no argument")
    simple = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
    if name in simple:
        return simple[name](), shape
    if name == "leaky_relu":
        return LeakyReLU(float(args[0]) if args else 0.2), shape
    if name == "dropout":
        return Dropout(float(args[0]), rng), shape
    if name == "batchnorm":
        momentum = float(args[0]) if args else 0.8
        return (BatchNorm1d(shape[0], momentum) if flat else BatchNorm2d(shape[0], momentum)), shape
    raise ValueError(f"unknown layer {name!r}")
