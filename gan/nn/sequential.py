"""A chain of layers, itself usable as a layer."""

import numpy as np

from gan.device import array_module, to_device
from gan.nn.flat import joined, pack
from gan.nn.kernel import fuses
from gan.nn.layers import Layer


class Sequential(Layer):
    """y = layers[-1](...layers[0](x)).  ``backward`` returns dL/dx, so a
    generator can be trained through a discriminator; with
    ``param_grads=False`` no layer computes its weight gradients, with
    ``input_grad=False`` the first trained layer may skip dL/dx (returns None)."""

    def __init__(self, layers: list[Layer]):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy, param_grads=True, input_grad=True):
        # without an input gradient, parameter-free leading layers (a reshape) need no backward
        # and the first trained layer none of its own input gradient
        first = 0 if input_grad else next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        for layer in reversed(self.layers[first + 1:]):
            dy = layer.backward(dy, param_grads)
        return self.layers[first].backward(dy, param_grads, input_grad)

    def zero_grad(self, fill: bool = True):
        grads = [g for _, g in self.parameters()]
        flat = joined(grads) if fill and grads and fuses(array_module(*grads)) else None
        if flat is not None:
            flat.fill(0)  # packed gradients: one launch for them all
        for layer in self.layers:
            layer.zero_grad(fill=fill and flat is None)

    def to(self, xp) -> "Sequential":
        """Move every layer to the array module ``xp``; on a device that fuses
        kernels, pack the parameters into one buffer and the gradients into
        another (``gan.nn.flat``).  Returns self.  Call it before an optimiser
        or a weight average is made of the network: they hold its arrays."""
        for layer in self.layers:
            layer.to(xp)
        if fuses(xp):
            for kind in ("params", "grads"):
                holders = [(getattr(layer, kind), key) for layer in self.layers for key in layer.params]
                arrays = [held[key] for held, key in holders]
                if joined(arrays) is None:
                    for (held, key), view in zip(holders, pack(arrays, xp)):
                        held[key] = view
        return self

    def train(self, mode: bool = True) -> "Sequential":
        """Switch every layer to train (True) or eval (False) mode."""
        self.training = mode
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> "Sequential":
        return self.train(False)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs, in a fixed order, for the optimiser."""
        return [(layer.params[k], layer.grads[k]) for layer in self.layers for k in layer.params]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers keyed '<layer index>.<name>'."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in (layer.params | layer.buffers).items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy ``state`` into this model's arrays; keys and shapes must match."""
        own = self.state_dict()
        missing, unexpected = own.keys() - state.keys(), state.keys() - own.keys()
        if missing or unexpected:
            raise ValueError(f"state does not fit the model: missing {sorted(missing)}, "
                             f"unexpected {sorted(unexpected)}")
        for key, target in own.items():
            if state[key].shape != target.shape:
                raise ValueError(f"state {key!r} has shape {state[key].shape}, "
                                 f"model expects {target.shape}")
            target[...] = to_device(state[key], array_module(target))

    def __repr__(self):
        return "Sequential(\n" + "".join(f"  {layer!r}\n" for layer in self.layers) + ")"
