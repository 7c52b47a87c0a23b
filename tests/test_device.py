"""The same NumPy code on another array module.  Every layer, loss, the
gradient penalty, the optimisers, the weight average and whole training
epochs run on each device under test: a strict stand-in for a GPU's arrays
(tests/strict_device.py), always, where they give the NumPy path's numbers
exactly, never mix host and device arrays and come back to the host only
where they must; and CuPy on a GPU (marker ``gpu``: tools/gpu_check.sh runs
them on a lent GPU machine, and they skip elsewhere), where float32 results
agree with the host's closely and float64 ones within 1e-10."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from gan.datasets import Dataset, SampleSpace, load_dataset
from gan.device import address, array_module, device_module, to_device, to_host
from gan.errors import GanError
from gan.nn import (
    SGD,
    Adam,
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
    WeightAverage,
    bce_with_logits,
    generator_nonsaturating,
    gradient_penalty,
    hinge_critic,
    load_checkpoint,
    save_checkpoint,
    softmax_cross_entropy,
    total_variation,
    wasserstein_critic,
    wasserstein_generator,
)
from gan.nn.average import AVERAGE_KERNEL, _average_update
from gan.nn.chunked import ChunkedUpdate
from gan.nn.flat import ALIGN, joined
from gan.nn.gradcheck import numerical_gradient, relative_error
from gan.nn.kernel import elementwise
from gan.nn.layers import (
    DROPOUT_KERNEL,
    LEAKY_RELU_KERNEL,
    RELU_KERNEL,
    SIGMOID_GRAD_KERNEL,
    SIGMOID_KERNEL,
    TANH_GRAD_KERNEL,
    _dropout,
    _leaky_relu,
    _relu,
    _sigmoid,
    _sigmoid_grad,
    _tanh_grad,
)
from gan.nn.losses import BCE_KERNEL, _bce_terms
from gan.nn.normalization import (
    NORMALIZE_GRAD_KERNEL,
    NORMALIZE_KERNEL,
    RUNNING_KERNEL,
    _normalize,
    _normalize_grad,
    _update_running,
)
from gan.nn.optim import ADAM_KERNEL, SGD_KERNEL, _adam_update, _sgd_update
from gan.sampling import draw_samples
from gan.training.config import ExperimentConfig
from gan.training.run import train_experiment
from gan.training.trainer import Trainer
from tests.conftest import interrupted_in_epoch, one_line_error
from tests.strict_device import ElementwiseKernel, MixedArrays, StrictArray, strict
from tests.test_training import DATASETS, SINE, workdir, write_params  # noqa: F401  (workdir is a fixture)


def _gpu():
    try:
        return device_module("cuda")
    except GanError:
        return None


GPU = _gpu()
DEVICES = [pytest.param(strict, id="strict"),
           pytest.param(GPU, id="cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
               GPU is None, reason="no CuPy or no GPU here (tools/gpu_check.sh runs these on a lent GPU machine)")])]


def same(device_array, host_array, xp, rtol=1e-5, atol=1e-6, err_msg=""):
    """Exactly equal on the strict stand-in (the same NumPy calls); close on a GPU."""
    got = to_host(device_array)
    if xp is strict:
        np.testing.assert_array_equal(got, host_array, err_msg=err_msg)
    else:
        rtol, atol = (1e-10, 1e-12) if got.dtype == np.float64 else (rtol, atol)
        np.testing.assert_allclose(got, host_array, rtol=rtol, atol=atol, err_msg=err_msg)


def reads():
    return StrictArray.to_host


def rng():
    return np.random.default_rng(0)


NETWORKS = {  # (network on the host, input shape)
    "mlp": (lambda: Sequential([Linear(6, 8, rng()), LeakyReLU(0.2), BatchNorm1d(8), Dropout(0.3, rng()),
                                Linear(8, 5, rng()), ReLU(), Linear(5, 1, rng()), Sigmoid()]), (4, 6)),
    "minibatch": (lambda: Sequential([Linear(6, 8, rng()), MinibatchDiscrimination(8, 3, 2, rng()), Tanh(),
                                      Linear(11, 1, rng())]), (5, 6)),
    "dcgan_g": (lambda: Sequential([Linear(4, 2 * 3 * 3, rng()), Reshape(2, 3, 3), BatchNorm2d(2), ReLU(),
                                    ConvTranspose2d(2, 3, 4, rng(), stride=2, padding=1, output_padding=1), Tanh()]),
                (3, 4)),
    "dcgan_d": (lambda: Sequential([Reshape(2, 7, 7), Conv2d(2, 4, 4, rng(), stride=2, padding=1), LeakyReLU(0.2),
                                    BatchNorm2d(4), Flatten(), Linear(4 * 3 * 3, 1, rng())]), (3, 98)),
}


def moved(host_network, xp):
    return copy.deepcopy(host_network).to(xp)


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("name", NETWORKS)
def test_networks_give_the_numpy_numbers_on_a_device_without_leaving_it(name, xp):
    build, shape = NETWORKS[name]
    host = build()
    device = moved(host, xp)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    before = reads()
    for _ in range(2):  # the second pass reuses the layers' buffers
        y_host, y_dev = host.forward(x), device.forward(xp.asarray(x))
        dy = np.random.default_rng(2).standard_normal(y_host.shape).astype(np.float32)
        dx_host, dx_dev = host.backward(dy), device.backward(xp.asarray(dy))
    assert reads() == before, "a layer synchronised with the host"
    assert type(y_dev) is xp.ndarray and type(dx_dev) is xp.ndarray
    same(y_dev, y_host, xp)
    same(dx_dev, dx_host, xp)
    for (_, g_host), (p_dev, g_dev) in zip(host.parameters(), device.parameters()):
        assert type(p_dev) is xp.ndarray and type(g_dev) is xp.ndarray
        same(g_dev, g_host, xp, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("xp", DEVICES)
def test_float64_networks_and_finite_differences_on_a_device(xp):
    """float64 on the device: the host's numbers (within 1e-10 on a GPU), and a
    finite-difference check of the device's own gradients."""
    def build():
        return Sequential([Linear(5, 6, rng(), dtype=np.float64), Tanh(), BatchNorm1d(6, dtype=np.float64),
                           LeakyReLU(0.2), Linear(6, 1, rng(), dtype=np.float64)])
    host, device = build(), build().to(xp)
    x = np.random.default_rng(6).standard_normal((4, 5))
    y_host, y_dev = host.forward(x), device.forward(xp.asarray(x))
    host.backward(np.ones_like(y_host)), device.backward(xp.ones_like(y_dev))
    same(y_dev, y_host, xp)
    weight = device.layers[0].params["W"]
    numeric = numerical_gradient(lambda: float(device.forward(xp.asarray(x)).sum()), weight)
    assert relative_error(device.layers[0].grads["W"], numeric) < 1e-7


def test_a_host_array_mixed_into_a_device_network_is_refused():
    device = moved(NETWORKS["mlp"][0](), strict)
    with pytest.raises(MixedArrays):
        device.forward(np.ones((4, 6), dtype=np.float32))


LOSSES = {
    "bce": lambda z: bce_with_logits(z, 0.9),
    "nonsaturating": generator_nonsaturating,
    "wasserstein_g": wasserstein_generator,
    "wasserstein_d": lambda z: wasserstein_critic(z[:3], z[3:]),
    "hinge": lambda z: hinge_critic(z[:3], z[3:]),
    "tv": lambda z: total_variation(z.reshape(2, 1, 3, 1), "l1"),
}


def same_value(device_value, host_value, xp):
    got = float(device_value)
    assert got == (host_value if xp is strict else pytest.approx(host_value, rel=1e-5, abs=1e-7))


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("name", LOSSES)
def test_losses_give_the_numpy_numbers_without_leaving_the_device(name, xp):
    z = np.random.default_rng(3).standard_normal((6, 1)).astype(np.float32)
    value_host, grad_host = LOSSES[name](z)
    before = reads()
    value_dev, grad_dev = LOSSES[name](xp.asarray(z))
    assert reads() == before, "a loss reads nothing back: its value stays on the device until the log reads it"
    assert type(value_host) is np.float64
    assert type(value_dev) is xp.ndarray and value_dev.shape == () and value_dev.dtype == np.float64
    same_value(value_dev, value_host, xp)
    pairs = [(grad_host, grad_dev)] if isinstance(grad_host, np.ndarray) else zip(grad_host, grad_dev)
    for host, dev in pairs:
        assert type(dev) is xp.ndarray
        same(dev, host, xp)


@pytest.mark.parametrize("xp", DEVICES)
def test_softmax_cross_entropy_on_the_device(xp):
    logits = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1, 0])
    value, grad = softmax_cross_entropy(logits, labels)
    value_dev, grad_dev = softmax_cross_entropy(xp.asarray(logits), xp.asarray(labels))
    same_value(value_dev, value, xp)
    same(grad_dev, grad, xp)


@pytest.mark.parametrize("xp", DEVICES)
def test_the_gradient_penalty_on_the_device(xp):
    def critic():
        return Sequential([Linear(4, 6, rng()), LeakyReLU(0.2), Linear(6, 1, rng())])
    host, device = critic(), critic().to(xp)
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    for got, expected in zip(gradient_penalty(device, xp.asarray(x), 10.0), gradient_penalty(host, x, 10.0)):
        same_value(got, expected, xp)
    for (_, g_host), (_, g_dev) in zip(host.parameters(), device.parameters()):
        same(g_dev, g_host, xp)


@pytest.mark.parametrize("xp", DEVICES)
def test_a_network_on_a_device_is_packed_into_one_buffer_for_its_parameters_and_one_for_its_gradients(xp):
    """Sequential.to on a device that fuses packs each kind of array (gan.nn.flat) in parameters() order, values
    kept, each aligned; ``joined`` gives each kind as one flat array written through, and refuses other layouts and
    orders; Adam keeps the gaps between the arrays zero; a copy is packed again by ``to``, as the weight average's
    is; on the host the arrays stay as built."""
    host = NETWORKS["dcgan_d"][0]()
    built = [p for p, _ in host.parameters()]
    assert all(a is b for a, (b, _) in zip(built, host.to(np).parameters(), strict=True))
    device = moved(host, xp)
    for (p_host, _), (p_dev, _) in zip(host.parameters(), device.parameters()):
        same(p_dev, p_host, xp)
    params, grads = ([pair[i] for pair in device.parameters()] for i in (0, 1))
    offsets = [(address(p) - address(params[0])) // p.itemsize for p in params]
    assert all(offset * params[0].itemsize % ALIGN == 0 for offset in offsets) and offsets == sorted(offsets)
    gaps = np.ones(offsets[-1] + params[-1].size, dtype=bool)
    for offset, p in zip(offsets, params):
        gaps[offset:offset + p.size] = False
    assert gaps.any(), "this network's arrays leave gaps"
    for kind in (params, grads):
        flat = joined(kind)
        assert flat is not None and flat.shape == gaps.shape
    joined(grads)[...] = 1
    assert all(bool((g == 1).all()) for g in grads), "a write to the flat array reaches every gradient"
    device.zero_grad()
    assert not to_host(joined(grads)).any()
    joined(grads)[...] = xp.asarray(np.random.default_rng(4).standard_normal(gaps.shape).astype(np.float32) * ~gaps)
    Adam(device.parameters(), 1e-3, 0.5).step()
    assert not to_host(joined(params))[gaps].any(), "the gaps stay zero"
    assert joined([params[0], params[2]]) is None and joined(params[::-1]) is None
    copied = copy.deepcopy(device)
    assert joined([p for p, _ in copied.parameters()]) is None
    assert joined([p for p, _ in copied.to(xp).parameters()]) is not None
    assert joined([p for p, _ in WeightAverage(device, 0.9).model.parameters()]) is not None


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("make", [lambda p: Adam(p, 1e-3, 0.5), lambda p: SGD(p, 1e-2, momentum=0.9)],
                         ids=["adam", "sgd"])
def test_optimisers_and_the_weight_average_on_the_device(make, xp):
    host = NETWORKS["mlp"][0]()
    device = moved(host, xp)
    opts = make(host.parameters()), make(device.parameters())
    averages = WeightAverage(host, 0.9), WeightAverage(device, 0.9)
    before, launches = reads(), ElementwiseKernel.launches
    for step in range(3):
        grads = np.random.default_rng(step).standard_normal(sum(p.size for p, _ in host.parameters()))
        for network in (host, device):
            flat = to_device(grads.astype(np.float32), array_module(network.parameters()[0][0]))
            start = 0
            for _, g in network.parameters():
                g[...] = flat[start:start + g.size].reshape(g.shape)
                start += g.size
        for opt, average in zip(opts, averages):
            opt.step()
            average.update()
    assert reads() == before
    assert xp is not strict or ElementwiseKernel.launches - launches == 3 * 2, \
        "packed parameters: one fused kernel for the optimiser's update of them all and one for the average's"
    for (p_host, _), (p_dev, _) in zip(host.parameters(), device.parameters()):
        same(p_dev, p_host, xp)
    for (a_host, _), (a_dev, _) in zip(averages[0].model.parameters(), averages[1].model.parameters()):
        same(a_dev, a_host, xp)


FUSED = {  # kernel, its ufunc form, arrays a group, scalars as the optimisers pass them
    "adam": (ADAM_KERNEL, _adam_update, 4, {"m_rate": 1 - 0.5, "v_rate": 1 - 0.999,
                                            "lr_t": np.float64(2e-4 * 0.0447), "eps_t": np.float64(4.47e-10)}),
    "sgd": (SGD_KERNEL, _sgd_update, 3, {"momentum": 0.9, "lr": 0.01}),
    "average": (AVERAGE_KERNEL, _average_update, 2, {"weight": 1 - 0.999}),
}


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUSED)
def test_a_fused_update_computes_its_ufunc_forms_numbers(name, dtype, xp):
    """The kernel rounds where the ufunc form rounds and has no FMA: equal, not close, on a GPU too."""
    kernel, ufuncs, count, scalars = FUSED[name]
    rng = np.random.default_rng(7)
    host = [rng.standard_normal(5000).astype(dtype) for _ in range(count)]
    host[-1] = np.abs(host[-1])  # Adam's v is not negative
    device = [xp.asarray(a) for a in host]
    launches = ElementwiseKernel.launches
    for arrays in (host, device):
        update = ChunkedUpdate([tuple(arrays)])
        for _ in range(3):
            update.run(ufuncs, kernel, **scalars)
    assert xp is not strict or ElementwiseKernel.launches - launches == 3, "the device ran the kernel"
    for got, expected in zip(device, host):
        np.testing.assert_array_equal(to_host(got), expected)


def _positive(a):
    return np.abs(a) + a.dtype.type(0.1)


def _draws(a: np.ndarray, p: float) -> np.ndarray:
    """Dropout's uniform float32 draws, shaped and typed as ``a``, three of them p (as float32) and its neighbours."""
    draws = np.random.default_rng(10).random(a.shape, dtype=np.float32)
    p32 = np.float32(p)
    draws.reshape(-1)[:3] = [np.nextafter(p32, np.float32(0)), p32, np.nextafter(p32, np.float32(1))]
    return draws.astype(a.dtype)


ELEMENTWISE = {  # kernel, its ufunc form, its arrays made from a (50, 100) standard normal one, how many of them
    # the kernel updates in place (the last), scalars
    "relu": (RELU_KERNEL, _relu, lambda a: (a,), 0, {}),
    "leaky_relu": (LEAKY_RELU_KERNEL, _leaky_relu, lambda a: (a,), 0, {"alpha": 0.2}),
    "tanh_grad": (TANH_GRAD_KERNEL, _tanh_grad, lambda a: (a, np.tanh(a[::-1])), 0, {}),
    "sigmoid": (SIGMOID_KERNEL, _sigmoid, lambda a: (a * a.dtype.type(8),), 0, {}),
    "sigmoid_grad": (SIGMOID_GRAD_KERNEL, _sigmoid_grad, lambda a: (a, _sigmoid(a[::-1])), 0, {}),
    "bce": (BCE_KERNEL, _bce_terms, lambda a: (a * a.dtype.type(8), a.dtype.type(0.9) * (a[::-1] > 0)), 0,
            {"count": 5000}),
    "running": (RUNNING_KERNEL, _update_running, lambda a: (a[0], _positive(a[1]), a[2], _positive(a[3])), 2,
                {"momentum": 0.8, "rate": 1 - 0.8}),
    "normalize": (NORMALIZE_KERNEL, _normalize, lambda a: (a, a[:, :1], _positive(a[:, 1:2]), a[:, 2:3], a[:, 3:4]),
                  0, {"eps": 1e-5}),
    "dropout": (DROPOUT_KERNEL, _dropout, lambda a: (a, _draws(a, 0.7)), 0, {"p": np.float32(0.7), "scale": 0.3}),
    "normalize_grad": (NORMALIZE_GRAD_KERNEL, _normalize_grad,
                       lambda a: (a, a[:, :1], a[::-1], a[:, 1:2], _positive(a[:, 2:3])), 0, {"eps": 1e-5}),
}


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_a_fused_elementwise_kernel_computes_its_ufunc_forms_numbers(name, dtype, xp):
    """One launch, and the ufunc form's numbers on the same device: exactly,
    or to a few ulp of the largest value where exp and log1p are called on a
    GPU (CuPy's ufuncs may compile them with FMA contraction, the lab's
    kernels do not; BCE's gradient cancels near its target)."""
    kernel, ufunc_form, inputs, updated, scalars = ELEMENTWISE[name]
    a = np.random.default_rng(8).standard_normal((50, 100)).astype(dtype)
    a[:, :4] = [0.0, -0.0, 30.0, -30.0]  # where a comparison's = and a sign of zero tell, and a saturating sigmoid
    host = [np.ascontiguousarray(x) for x in inputs(a)]
    read = [xp.asarray(x) for x in host[:len(host) - updated]]
    fused_out, expected_out = ([xp.asarray(x) for x in host[len(host) - updated:]] for _ in range(2))
    launches = ElementwiseKernel.launches
    fused = elementwise(kernel, ufunc_form, *read, out=tuple(fused_out), **scalars)
    assert xp is not strict or ElementwiseKernel.launches == launches + 1
    expected = ufunc_form(*read, *expected_out, **scalars)
    fused, expected = (fused, expected) if isinstance(expected, tuple) else ((fused,), (expected,))
    assert len(fused) == len(kernel.written)
    for got, want in zip(fused_out or fused, expected_out or expected, strict=True):  # updated in place, or new
        got, want = to_host(got), to_host(want).astype(dtype)
        assert got.shape == host[0].shape and got.dtype == dtype
        if xp is strict or not any(f"{call}(" in kernel.body for call in ("exp", "log1p")):
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=4 * np.finfo(dtype).eps * np.abs(want).max())


@pytest.mark.parametrize("xp", DEVICES)
def test_a_fused_kernel_keeps_a_channel_major_layout(xp):
    """Convolutions hand on (N, C, H, W) views of (C, N, H, W) memory: an activation keeps that order."""
    x = xp.asarray(np.random.default_rng(9).standard_normal((3, 2, 4, 5)).astype(np.float32)).transpose(1, 0, 2, 3)
    y, slope = elementwise(LEAKY_RELU_KERNEL, _leaky_relu, x, alpha=0.2)
    for written in (y, slope):
        assert written.shape == (2, 3, 4, 5) and written.transpose(1, 0, 2, 3).flags.c_contiguous
    np.testing.assert_array_equal(to_host(y), _leaky_relu(to_host(x), 0.2)[0])


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("target_shape", [(), (1,), (3,), (4, 1), (4, 3)])
@pytest.mark.parametrize("layout", ["transposed", "reversed", "strided"])
def test_a_fused_kernel_broadcasts_as_its_ufunc_form_over_any_layout(layout, target_shape, xp):
    """BCE's kernel over logits laid out in memory every way a view can be,
    with targets of every shape that broadcasts against them: the host's numbers."""
    host = np.random.default_rng(10).standard_normal((8, 8)).astype(np.float32)
    logits = {"transposed": lambda z: z[:3, :4].T,
              "reversed": lambda z: z[::-1, ::-1][:4, :3],
              "strided": lambda z: z[::2, ::2][:4, :3]}[layout]
    target = np.random.default_rng(11).uniform(size=target_shape).astype(np.float32)
    expected = _bce_terms(logits(host), target, count=12)
    got = elementwise(BCE_KERNEL, _bce_terms, logits(xp.asarray(host)), xp.asarray(target), count=12)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == (4, 3)
        same(g, e, xp)


def test_a_device_checkpoint_is_the_host_checkpoint(tmp_path):
    host = NETWORKS["dcgan_d"][0]()
    device = moved(host, strict)
    save_checkpoint(tmp_path / "host.npz", {"d": host, "opt": Adam(host.parameters())})
    save_checkpoint(tmp_path / "device.npz", {"d": device, "opt": Adam(device.parameters())})
    assert (tmp_path / "host.npz").read_bytes() == (tmp_path / "device.npz").read_bytes()
    fresh = NETWORKS["dcgan_d"][0]().to(strict)
    for p, _ in fresh.parameters():
        p.fill(0)
    load_checkpoint(tmp_path / "host.npz", {"d": fresh, "opt": Adam(fresh.parameters())})
    assert all(type(p) is StrictArray for p, _ in fresh.parameters())
    for (p_host, _), (p_dev, _) in zip(host.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(to_host(p_dev), p_host)


def test_cuda_without_cupy_or_a_gpu_is_one_clear_error():
    try:
        device_module("cuda", "experiments.mnist.device")
    except GanError as exc:
        message = str(exc)
        assert message.startswith("'experiments.mnist.device' is cuda, but CuPy")
        assert "[cuda12]" in message or "finds no GPU" in message
    else:
        pytest.skip("a GPU is here: the error cannot be shown")
    with pytest.raises(GanError, match="'device' must be one of cpu, cuda, got 'tpu'"):
        device_module("tpu")
    assert device_module("cpu") is np


# --- whole training epochs on the device ---------------------------------------------------

IMAGE_MLP = {"generator": ["linear 16", "relu", "linear out", "tanh"],
             "discriminator": ["linear 16", "leaky_relu 0.2", "dropout 0.3", "linear out"]}
RUNS = {  # experiment settings on 28x28 grey images with 3 classes, one epoch of 4 steps
    "bce_joint": IMAGE_MLP | {"label_smoothing": 0.9, "lambda_tv": 1e-3, "sigma_start": 0.1},
    "bce_separate_minibatch": {"generator": ["linear 16", "relu", "linear out", "tanh"],
                               "discriminator": ["linear 16", "leaky_relu 0.2", "minibatch 4 3", "batchnorm 0.9",
                                                 "linear out"]},
    "wgan_gp": {"generator": ["linear 16", "relu", "linear out"],
                "discriminator": ["linear 16", "leaky_relu 0.2", "linear out"], "loss": "wgan_gp", "d_steps": 2},
    "hinge_conditional_pac_ema": IMAGE_MLP | {"loss": "hinge", "conditional": True, "pac": 2, "ema": 0.9},
    "dcgan_sgd": {"generator": ["linear 98", "reshape 2 7 7", "batchnorm 0.9", "relu", "convt 4 4 2 1",
                                "relu", "convt 1 4 2 1", "tanh", "flatten"],
                  "discriminator": ["reshape 1 28 28", "conv 4 4 2 1", "leaky_relu 0.2", "conv 4 4 2 1",
                                    "batchnorm 0.9", "flatten", "linear out"],
                  "optimizer": "sgd", "momentum": 0.5, "lr_d": 0.01, "lr_g": 0.01},
}


def trained(name: str, xp):
    """A Trainer of RUNS[name] on ``xp`` after one epoch, and the reads from the device it made."""
    config = ExperimentConfig.from_params(name, {"dataset": "digits", "epochs": 1, "batch_size": 8, "seed": 3,
                                                 "noise_size": 5, "snapshot_count": 4} | RUNS[name])
    rng = np.random.default_rng(0)
    data = Dataset(np.tanh(rng.standard_normal((32, 784))).astype(np.float32), SampleSpace("digits", (1, 28, 28),
                   classes=3), rng.integers(0, 3, 32))
    trainer = Trainer(config, data, name, xp)
    before = reads()
    trainer.fit(log=lambda line: None)
    return trainer, reads() - before


@pytest.mark.parametrize("xp", DEVICES)
@pytest.mark.parametrize("name", RUNS)
def test_an_epoch_on_the_device_is_the_epoch_on_the_host(name, xp):
    """Same random stream (drawn on the host), same numbers; host reads only
    for the log (one an epoch, whatever its steps) and the snapshots."""
    host, _ = trained(name, np)
    device, count = trained(name, xp)
    for part in ("generator", "discriminator", "opt_g", "opt_d"):
        ours, theirs = getattr(device.gan, part).state_dict(), getattr(host.gan, part).state_dict()
        for key in theirs:  # (on a GPU, Adam moves a weight by about lr a step whatever its gradient's size)
            same(ours[key], theirs[key], xp, rtol=1e-3, atol=1e-3, err_msg=f"{part} {key}")
    same(np.array(device.history.rows[0][1:-1]), np.array(host.history.rows[0][1:-1]), xp, rtol=1e-3, atol=1e-4)
    same(device.history.snapshots[-1], host.history.snapshots[-1], xp, rtol=1e-3, atol=1e-3)
    assert type(device.history.snapshots[-1]) is np.ndarray, "snapshots live on the host"
    snapshots = 2  # at epochs 0 and 1, each a finite check and the samples
    assert xp is not strict or count == 1 + 2 * snapshots, f"{count} reads from the device in one epoch"


# --- through train_experiment: repeats, resume, a device model on the host ---------------------------


@pytest.fixture
def device_run(workdir, monkeypatch):  # noqa: F811
    """train(name, root, xp, **kwargs): train_experiment of a short sine run on ``xp``."""
    write_params(workdir, {"sine": SINE | {"epochs": 6, "snapshot_every": 2, "snapshot_count": 16}})

    def run(root, xp, **kwargs):
        monkeypatch.setattr("gan.training.run.device_module", lambda device, where: xp)
        return train_experiment("sine", "params.yaml", "data/processed/sine", f"{root}/sine", **kwargs)
    return run


@pytest.mark.parametrize("xp", DEVICES)
def test_device_runs_repeat_resume_and_sample_on_the_host(device_run, workdir, monkeypatch, xp):  # noqa: F811
    device_run("a", xp)
    device_run("b", xp)
    model = (workdir / "a/sine/train/model.npz").read_bytes()
    assert model == (workdir / "b/sine/train/model.npz").read_bytes(), "two runs on one device differ"
    with interrupted_in_epoch(monkeypatch, 4):
        device_run("cut", xp)
    assert "resumed at epoch 4" in device_run("cut", xp, resume=True)
    assert (workdir / "cut/sine/train/model.npz").read_bytes() == model, "the resumed run ends elsewhere"
    on_host = draw_samples(workdir / "a/sine/train", 50, seed=1)  # a device's model, sampled on the CPU
    assert type(on_host) is np.ndarray and on_host.shape == (50, 2) and np.isfinite(on_host).all()


def test_a_state_saved_on_one_device_does_not_resume_on_another(device_run, monkeypatch):
    with interrupted_in_epoch(monkeypatch, 4):
        device_run("cut", strict)
    with pytest.raises(GanError, match="the interrupted run ran on strict, not numpy"):
        device_run("cut", np, resume=True)


@pytest.mark.skipif(GPU is not None, reason="a GPU is here: the error cannot be shown")
@pytest.mark.parametrize("where,args", [("device", []), ("experiments.sine.device", []),
                                        ("--device", ["--device", "cuda"])])
def test_cuda_without_a_gpu_names_the_key_that_asked(workdir, gan_cli, where, args):  # noqa: F811
    sine = SINE | ({"device": "cuda"} if where.startswith("experiments") else {})
    (workdir / "params.yaml").write_text(yaml.safe_dump({"datasets": DATASETS, "experiments": {"sine": sine}}
                                                        | ({"device": "cuda"} if where == "device" else {})))
    code, _, err = gan_cli("train", "sine", *args)
    one_line_error(code, err, f"'{where}' is cuda, but CuPy")
    assert not (workdir / "results").exists()


def test_a_device_the_lab_does_not_know_is_named(workdir, gan_cli):  # noqa: F811
    (workdir / "params.yaml").write_text(yaml.safe_dump({"datasets": DATASETS, "experiments": {"sine": SINE},
                                                         "device": "tpu"}))
    code, _, err = gan_cli("train", "sine")
    one_line_error(code, err, "params.yaml: 'device' must be one of cpu, cuda, got 'tpu'")


def test_count_launches_counts_a_steps_device_operations_and_no_reads(workdir):  # noqa: F811
    write_params(workdir, {"sine": SINE})
    tool = Path(__file__).resolve().parents[1] / "tools/count_launches.py"
    done = subprocess.run([sys.executable, str(tool), "sine"], capture_output=True, text=True, check=True)
    step = json.loads(done.stdout)["sine"]
    assert step["reads_to_host"] == 0
    assert step["each"]["kernel gan_adam"] == 2, "one Adam kernel for G's packed parameters and one for D's"
    assert step["each"]["fill"] == 2, "one fill for G's packed gradients and one for D's"
    assert step["each"]["matmul.__call__"] >= 6 and step["operations"] == sum(step["each"].values())
    rows = len(load_dataset("sine", workdir / "data/processed/sine").rows)
    assert step["steps_per_run"] == SINE["epochs"] * -(-rows // SINE["batch_size"])  # the last batch kept
    assert step["operations_per_run"] == step["steps_per_run"] * step["operations"]


def test_the_profile_times_every_layer_and_sets_the_step_against_its_launches(workdir):  # noqa: F811
    """tools/gpu_profile.py on the host (a GPU session runs it on cuda): launch costs, the step and each layer."""
    write_params(workdir, {"sine": SINE})
    tools = Path(__file__).resolve().parents[1] / "tools"
    done = subprocess.run([sys.executable, str(tools / "gpu_profile.py"), "cpu", "--batch", "16", "sine"],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["launch_us"]["ufunc"] > 0 and "fused_kernel" not in result["launch_us"], "NumPy fuses nothing"
    step = result["sine"]
    counted = subprocess.run([sys.executable, str(tools / "count_launches.py"), "sine"], capture_output=True,
                             text=True, check=True)
    assert step["operations"] == json.loads(counted.stdout)["sine"]["operations"], "as many at batch 16 as at 32"
    assert step["launch_bound_ms"] == pytest.approx(step["operations"] * result["launch_us"]["ufunc"] / 1e3)
    layers = step["layers"]
    assert [row["layer"].split("(")[0] for row in layers["generator"]] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert len(layers["discriminator"]) == 5 and step["step_ms"] > 0
    assert all(row["forward_ms"] > 0 and row["backward_ms"] > 0 for rows in layers.values() for row in rows)


@pytest.mark.gpu  # (tools/gpu_check.sh runs the gpu tests; this one needs CuPy only)
def test_the_fused_kernels_compile_with_nvrtc():
    """Needs CuPy and NVRTC, not a GPU: the kernel bodies are valid CUDA C++ (tools/compile_kernels.py)."""
    pytest.importorskip("cupy_backends.cuda.libs.nvrtc", reason="no CuPy here (it comes with the cuda extras)")
    tool = Path(__file__).resolve().parents[1] / "tools/compile_kernels.py"
    done = subprocess.run([sys.executable, str(tool)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # float and double of each kernel: the optimisers' and the average's 3, the activations' and dropout's 6,
    # BCE's, batch norm's 3
    assert done.stdout.count("bytes of PTX") == 2 * (3 + 6 + 1 + 3), done.stdout
