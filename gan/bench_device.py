"""``gan bench --device``: the lab's training step on a device (a GPU through
CuPy, or the CPU) against PyTorch eager running the same networks, in one run.

Two steps are timed, each with a synchronising timer after ``STEP_WARMUP``
untimed steps: the seed's MNIST MLP GAN (experiment ``mnist`` without its
packing and weight average) at ``MLP_BATCHES`` and the DCGAN of
``mnist_dcgan`` (without its weight average) at ``DCGAN_BATCHES``.  Where
PyTorch imports, ``torch_step`` times PyTorch modules built from the lab's
own networks (same layers, shapes, batch-norm momentum, Adam settings and
D passes), and each figure gets its ratio ours / PyTorch in samples per
second (above 1: the lab is faster)."""

import dataclasses
import time

import numpy as np

from gan.bench import STEP_WARMUP, load_experiment
from gan.device import synchronize, to_host
from gan.nn import (
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
)
from gan.training.trainer import Trainer

MLP_BATCHES = (64, 128, 1024)
DCGAN_BATCHES = (64, 128)


def _per_step_seconds(step, repeats: int, sync, warmup: int = STEP_WARMUP) -> float:
    """Median seconds of ``step()`` over ``repeats`` synchronised runs of 10 steps each, after ``warmup`` steps."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(10):
            step()
        sync()
        times.append((time.perf_counter() - start) / 10)
    return float(np.median(times))


def lab_step(trainer: Trainer, batch: int, repeats: int, warmup: int = STEP_WARMUP) -> float:
    """Seconds per training step of ``trainer`` at ``batch`` rows, on its device."""
    reals = [trainer.rows[i * batch:(i + 1) * batch] for i in range(trainer.config.d_steps)]
    return _per_step_seconds(lambda: trainer.step(reals), repeats, lambda: synchronize(trainer.gan.xp), warmup)


def torch_network(network: Sequential):
    """A torch.nn.Sequential computing what the lab's ``network`` computes, its weights copied."""
    import torch
    from torch import nn

    def with_weights(module, layer, weight):
        module.weight.data = torch.tensor(to_host(weight))
        module.bias.data = torch.tensor(to_host(layer.params["b"]))
        return module

    def counterpart(layer):
        w = layer.params.get("W")
        if isinstance(layer, Linear):
            return with_weights(nn.Linear(*w.shape), layer, w.T)
        if isinstance(layer, Conv2d):  # W: (out, in, k, k), as torch's
            return with_weights(nn.Conv2d(w.shape[1], w.shape[0], layer.kernel, layer.stride, layer.padding), layer, w)
        if isinstance(layer, ConvTranspose2d):  # W: (in, out, k, k), as torch's
            return with_weights(nn.ConvTranspose2d(w.shape[0], w.shape[1], layer.kernel, layer.stride, layer.padding,
                                                   layer.output_padding), layer, w)
        if isinstance(layer, BatchNorm1d):  # the lab's momentum is Keras's; torch's is 1 - it
            kind = nn.BatchNorm2d if isinstance(layer, BatchNorm2d) else nn.BatchNorm1d
            return kind(layer.params["gamma"].size, eps=layer.eps, momentum=1 - layer.momentum)
        if isinstance(layer, Flatten):
            return nn.Flatten()
        if isinstance(layer, Reshape):
            return nn.Unflatten(1, layer.shape)
        if isinstance(layer, LeakyReLU):
            return nn.LeakyReLU(layer.alpha)
        if isinstance(layer, Dropout):
            return nn.Dropout(layer.p)
        if type(layer) in (ReLU, Tanh, Sigmoid):
            return {ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid}[type(layer)]()
        raise ValueError(f"no PyTorch counterpart for {type(layer).__name__}")

    return nn.Sequential(*(counterpart(layer) for layer in network.layers))


def torch_step(trainer: Trainer, batch: int, repeats: int, device: str, warmup: int = STEP_WARMUP) -> float:
    """Seconds per step of PyTorch eager on the networks, optimiser settings
    and D passes of ``trainer`` (BCE with logits, label smoothing, one joint D
    pass or separate ones), on ``device`` ('cpu' or 'cuda')."""
    import torch
    cfg = trainer.config
    where = torch.device(device)
    g, d = (torch_network(n).to(where) for n in (trainer.gan.generator, trainer.gan.discriminator))
    opt_g = torch.optim.Adam(g.parameters(), cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(d.parameters(), cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real = torch.tensor(trainer.data.rows[:batch], device=where)
    smooth, ones, zeros = (torch.full((batch, 1), v, device=where) for v in (cfg.label_smoothing, 1.0, 0.0))
    joint = trainer.objective.joint

    def step():
        fake = g(torch.randn(batch, cfg.noise_size, device=where))
        if joint:
            logits = d(torch.cat([real, fake.detach()]))
            loss_d = 2 * bce(logits, torch.cat([smooth, zeros]))
        else:
            loss_d = bce(d(real), smooth) + bce(d(fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = bce(d(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return _per_step_seconds(step, repeats, sync, warmup)


def _torch_or_why() -> str | None:
    """None when PyTorch imports, else why not."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def device_bench(params_file, data_root, device: str, xp, repeats: int = 10, log=print,
                 warmup: int = STEP_WARMUP) -> dict:
    """Samples/s of the MLP and DCGAN steps on ``device`` (array module
    ``xp``), with PyTorch eager's on the same device where it imports."""
    result = {"device": device}
    missing = _torch_or_why()
    if missing:
        result["torch"] = f"not measured: {missing}"
    for key, name, batches in (("mlp_step", "mnist", MLP_BATCHES), ("dcgan_step", "mnist_dcgan", DCGAN_BATCHES)):
        config, data = load_experiment(params_file, data_root, name)
        runs = []
        for batch in batches:
            log(f"{name} step at batch {batch} on {device} ...")
            seed_config = dataclasses.replace(config, batch_size=batch, pac=1, ema=0.0)
            trainer = Trainer(seed_config, data, name, xp)
            ours = batch / lab_step(trainer, batch, repeats, warmup)
            run = {"batch": batch, "samples_per_s": ours}
            if not missing:
                theirs = batch / torch_step(trainer, batch, repeats, device, warmup)
                run |= {"torch_samples_per_s": theirs, "ratio_to_torch": ours / theirs}
            runs.append(run)
        result[key] = runs
    return result
