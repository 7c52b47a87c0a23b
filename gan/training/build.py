"""Build a Sequential from layer specs such as
``[linear 256, leaky_relu 0.2, dropout 0.3, minibatch 32 4, linear 1]`` or, for
convolutional networks, ``[reshape 1 28 28, conv 64 4 2 1, leaky_relu 0.2, flatten, linear out]``."""

import math

import numpy as np

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
from gan.params import ParamsError

SPEC_HELP = ("linear UNITS|out, relu, leaky_relu ALPHA, tanh, sigmoid, dropout P, batchnorm MOMENTUM, "
             "minibatch KERNELS DIM [SCALE], reshape C H W, flatten, conv OUT KERNEL STRIDE PADDING, "
             "convt OUT KERNEL STRIDE PADDING [OUTPUT_PADDING]")


MAX_WIDTH = 1 << 16           # the largest number a layer spec takes: units, channels, kernel, stride, padding
MAX_PARAMETERS = 50_000_000   # parameters of one network (the largest in params.yaml has about 3.1 million)
MAX_FEATURES = 1 << 18        # values per sample after any layer (the most in params.yaml is 12,544)


def _whole(minimum: int, maximum: int = MAX_WIDTH):
    def read(text: str) -> int:
        value = int(text)
        if not minimum <= value <= maximum:
            raise ValueError(f"{text} is outside {minimum}..{maximum}")
        return value
    return read


def _fraction(low_open: bool, high_open: bool):
    def read(text: str) -> float:
        value = float(text)
        if not ((0 < value if low_open else 0 <= value) and (value < 1 if high_open else value <= 1)):
            raise ValueError(f"{text} is outside {'(' if low_open else '['}0, 1{')' if high_open else ']'}")
        return value
    return read


def _units(text: str) -> int | str:
    return text if text == "out" else _whole(1)(text)


COUNT, PADDING = _whole(1), _whole(0)
LAYERS = {  # name -> readers of its arguments (the last ``OPTIONAL[name]`` of them may be left out)
    "linear": (_units,), "minibatch": (COUNT, COUNT, _fraction(True, True)), "reshape": (COUNT, COUNT, COUNT),
    "flatten": (), "conv": (COUNT, COUNT, COUNT, PADDING), "convt": (COUNT, COUNT, COUNT, PADDING, PADDING),
    "relu": (), "tanh": (), "sigmoid": (), "leaky_relu": (_fraction(False, False),),
    "dropout": (_fraction(False, True),), "batchnorm": (_fraction(False, True),),
}
OPTIONAL = {"minibatch": 1, "reshape": 2, "convt": 1, "leaky_relu": 1, "batchnorm": 1}


def parse_spec(spec) -> tuple[str, list]:
    """('conv', [64, 4, 2, 1]) from 'conv 64 4 2 1'; ValueError saying what is wrong."""
    name, *args = str(spec).split() or [""]
    if name not in LAYERS:
        raise ValueError(f"unknown layer {name!r}")
    readers = LAYERS[name]
    fewest = len(readers) - OPTIONAL.get(name, 0)
    if not fewest <= len(args) <= len(readers):
        raise ValueError(f"{name} takes {fewest}..{len(readers)} arguments, got {len(args)}")
    return name, [read(arg) for read, arg in zip(readers, args)]


def spec_problem(specs: list) -> str | None:
    """What is wrong with a list of layer specs, read without the shapes; None if nothing."""
    if not specs:
        return "must list at least one layer"
    for i, spec in enumerate(specs):
        try:
            parse_spec(spec)
        except ValueError as exc:
            return f"item {i}, {spec!r}, is not a layer spec ({SPEC_HELP}): {exc}"
    return None


def build_network(specs: list[str], in_features: int, out_features: int, rng: np.random.Generator,
                  init: str, where: str) -> Sequential:
    """Layers in order, from (in_features,) rows to (out_features,) rows;
    ``linear out`` means ``out_features`` units.  Convolutions work on
    (C, H, W) samples between a ``reshape`` and a ``flatten``.  A spec that
    does not fit the shapes, or would take the network past ``MAX_PARAMETERS``
    or a sample past ``MAX_FEATURES``, raises a ParamsError naming ``where``
    and its index; the parameters are counted before any is allocated."""
    layers, shape, count = [], (in_features,), 0
    for i, spec in enumerate(specs):
        try:
            name, args = parse_spec(spec)
            _check_input(name, shape)
            count += _parameters(name, args, shape, out_features)
            if count > MAX_PARAMETERS:
                raise ValueError(f"the network would have {count:,} parameters, more than {MAX_PARAMETERS:,}")
            layer, shape = _layer(name, args, shape, out_features, rng, init)
            if math.prod(shape) > MAX_FEATURES:
                raise ValueError(f"a sample would be {_show(shape)} values, more than {MAX_FEATURES:,}")
        except ValueError as exc:
            raise ParamsError(f"'{where}' item {i}, {spec!r}, does not fit here: {exc}") from None
        layers.append(layer)
    if shape != (out_features,):
        ends = f"{shape[0]} features" if len(shape) == 1 else f"shape {_show(shape)} (add flatten)"
        raise ParamsError(f"'{where}' ends with {ends}, needs {out_features}")
    return Sequential(layers)


def _show(shape: tuple[int, ...]) -> str:
    return str(shape[0]) if len(shape) == 1 else "x".join(map(str, shape))


def _check_input(name: str, shape: tuple[int, ...]) -> None:
    """ValueError unless the layer ``name`` takes samples of ``shape``."""
    if name in ("linear", "minibatch") and len(shape) != 1:
        raise ValueError(f"{name} takes flat rows, got {_show(shape)} (add flatten)")
    if name in ("conv", "convt") and len(shape) != 3:
        raise ValueError(f"{name} takes C x H x W samples, got {_show(shape)} (add reshape C H W)")


def _parameters(name: str, args: list, shape: tuple[int, ...], out_features: int) -> int:
    """How many parameters the layer a parsed spec names has on samples of ``shape``."""
    if name == "linear":
        return (shape[0] + 1) * (out_features if args[0] == "out" else args[0])
    if name == "minibatch":
        return shape[0] * args[0] * args[1]
    if name in ("conv", "convt"):
        return (shape[0] * args[1] ** 2 + 1) * args[0]
    return 2 * shape[0] if name == "batchnorm" else 0


def _layer(name: str, args: list, shape: tuple[int, ...], out_features: int, rng, init):
    """The layer a parsed spec names (whose input ``_check_input`` passed), and the per-sample shape after it."""
    flat = len(shape) == 1
    if name == "linear":
        units = out_features if args[0] == "out" else args[0]
        return Linear(shape[0], units, rng, init=init), (units,)
    if name == "minibatch":
        kernels, dim, *scale = args
        return MinibatchDiscrimination(shape[0], kernels, dim, rng, *scale), (shape[0] + kernels,)
    if name == "reshape":
        target = tuple(args)
        if math.prod(target) != math.prod(shape):
            raise ValueError(f"cannot reshape {_show(shape)} to {_show(target)}")
        return Reshape(*target), target
    if name == "flatten":
        return Flatten(), (math.prod(shape),)
    if name == "conv":
        out, kernel, stride, padding = args
        size = [conv_output_size(s, kernel, stride, padding) for s in shape[1:]]
        if min(size) < 1:
            raise ValueError(f"a {kernel}x{kernel} kernel does not fit {_show(shape)} with padding {padding}")
        return Conv2d(shape[0], out, kernel, rng, stride, padding, init="normal"), (out, *size)
    if name == "convt":
        out, kernel, stride, *padding = args
        layer = ConvTranspose2d(shape[0], out, kernel, rng, stride, *padding, init="normal")
        size = [layer.output_size(s) for s in shape[1:]]
        if min(size) < 1:
            raise ValueError(f"the output of {_show(shape)} would be empty")
        return layer, (out, *size)
    if name in ("relu", "tanh", "sigmoid"):
        return {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[name](), shape
    if name == "leaky_relu":
        return LeakyReLU(*args), shape
    if name == "dropout":
        return Dropout(args[0], rng), shape
    return (BatchNorm1d(shape[0], *args) if flat else BatchNorm2d(shape[0], *args)), shape  # batchnorm
