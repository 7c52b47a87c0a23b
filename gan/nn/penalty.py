"""The WGAN-GP gradient penalty and its exact parameter gradient (double back-propagation).

For a critic D built from Linear layers and piecewise-linear activations
(ReLU, LeakyReLU), the input gradient of one sample is a chain of products

    g = dD/dx = delta_L W_L^T S_{L-1} W_{L-1}^T ... S_1 W_1^T,    delta_L = 1,

where S_l is the diagonal matrix of activation slopes at x.  The slopes do not
move under small parameter changes (their derivative is 0 almost
everywhere) and the biases do not appear, so the penalty
P = weight * mean_n (||g_n|| - 1)^2 depends on the parameters only through
the W_l in that chain.  Reverse mode over the chain then runs input -> output:
with gbar = dP/dg,

    t_0 = gbar;  at Linear l:  dP/dW_l += t^T delta_l,  t = t W_l;
                 at an activation:  t = t * slope,

where delta_l is the chain's value arriving at Linear l (its "output side").
"""

import numpy as np

from gan.device import array_module, logged
from gan.nn.layers import LeakyReLU, Linear, ReLU
from gan.nn.sequential import Sequential

PENALTY_LAYERS = (Linear, ReLU, LeakyReLU)


def check_penalty_critic(critic: Sequential) -> None:
    """Raise ValueError unless every layer has an exact double backward here."""
    for i, layer in enumerate(critic.layers):
        if not isinstance(layer, PENALTY_LAYERS):
            raise ValueError(f"layer {i} ({type(layer).__name__}): the gradient penalty supports only "
                             f"linear, relu and leaky_relu layers")


def input_gradients(critic: Sequential, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """dD/dx per sample for a critic with one output: (N, F) -> (N, F),
    plus the chain value arriving at each Linear (in layer order)."""
    critic.forward(x)
    delta = array_module(x).ones((len(x), 1), dtype=x.dtype)
    arriving = []
    for layer in reversed(critic.layers):
        if isinstance(layer, Linear):
            arriving.append(delta)
            delta = delta @ layer.params["W"].T
        else:
            delta = layer.backward(delta, param_grads=False)
    return delta, arriving[::-1]


def gradient_penalty(critic: Sequential, x: np.ndarray, weight: float,
                     eps: float = 1e-12) -> tuple[np.float64, np.ndarray]:
    """P = weight * mean_n (||dD/dx_n|| - 1)^2 at the rows of ``x`` (N, F).

    Adds dP/dW into the critic's Linear gradients (dP/db is 0) and returns
    (P, a float64 scalar on x's device, and the mean gradient norm).  Overwrites the critic's forward caches."""
    check_penalty_critic(critic)
    g, arriving = input_gradients(critic, x)
    xp = array_module(x)
    norm = xp.sqrt((g * g).sum(axis=1, keepdims=True))
    value = weight * logged(((norm - 1) ** 2).mean())
    t = (2 * weight / len(x)) * (norm - 1) / xp.maximum(norm, eps) * g
    linears = iter(arriving)
    for layer in critic.layers:
        if isinstance(layer, Linear):
            layer.add_grad("W", t.T @ next(linears))
            t = t @ layer.params["W"]
        else:
            t = layer.backward(t, param_grads=False)
    return value, norm.mean()
