"""The GAN training loop: k discriminator steps, one generator step, per batch."""

import time
from dataclasses import dataclass, field

import numpy as np

from gan.errors import GanError
from gan.nn import (
    SGD,
    Adam,
    BatchNorm1d,
    MinibatchDiscrimination,
    Sequential,
    bce_with_logits,
    generator_nonsaturating,
    sigmoid,
    total_variation,
)
from gan.training.build import build_network
from gan.training.config import ExperimentConfig
from gan.training.datasets import TrainingData

LOG_COLUMNS = ("epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds")


class Diverged(GanError):
    """A loss or parameter stopped being finite."""


@dataclass
class GAN:
    """Generator, discriminator and their optimisers, built from a config."""
    generator: Sequential
    discriminator: Sequential
    opt_g: object
    opt_d: object

    def parts(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminator,
                "opt_g": self.opt_g, "opt_d": self.opt_d}


def build_gan(config: ExperimentConfig, features: int, rng: np.random.Generator, name: str = "experiment") -> GAN:
    gen = build_network(config.generator, config.noise_size, features, rng, config.init,
                        f"experiments.{name}.generator")
    disc = build_network(config.discriminator, features, 1, rng, config.init, f"experiments.{name}.discriminator")

    def optimiser(model, lr):
        if config.optimizer == "sgd":
            return SGD(model.parameters(), lr, momentum=config.momentum, decay=config.decay)
        return Adam(model.parameters(), lr, config.beta1, config.beta2)

    return GAN(gen, disc, optimiser(gen, config.lr_g), optimiser(disc, config.lr_d))


def sample_noise(config: ExperimentConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, noise_size) float32 from N(0, 1) or U(-1, 1)."""
    if config.noise == "uniform":
        return rng.uniform(-1, 1, (n, config.noise_size)).astype(np.float32)
    return rng.standard_normal((n, config.noise_size), dtype=np.float32)


def clip_gradients(model: Sequential, max_norm: float) -> None:
    """Scale all of ``model``'s gradients so their global L2 norm is at most ``max_norm``."""
    grads = [g for _, g in model.parameters()]
    norm = np.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm


@dataclass
class History:
    """Per-epoch means of the logged values."""
    rows: list[tuple] = field(default_factory=list)
    snapshots: list[np.ndarray] = field(default_factory=list)
    snapshot_epochs: list[int] = field(default_factory=list)


class Trainer:
    """Runs ``config`` on ``data``.  All randomness comes from one Generator
    seeded with ``config.seed``: init, shuffling, noise, dropout masks."""

    def __init__(self, config: ExperimentConfig, data: TrainingData, name: str = "experiment"):
        self.config, self.data, self.name = config, data, name
        self.rng = np.random.default_rng(config.seed)
        self.gan = build_gan(config, data.rows.shape[1], self.rng, name)
        self.fixed_noise = sample_noise(config, config.snapshot_count, self.rng)
        # Only layers that mix samples make separate real/fake passes differ from one joint pass.
        self.batch_coupled = any(isinstance(layer, (MinibatchDiscrimination, BatchNorm1d))
                                 for layer in self.gan.discriminator.layers)
        self.history = History()
        self.last_finite: dict = {}
        self.last_finite_epoch = 0

    # --- one step -------------------------------------------------------------------
    def _d_step(self, real: np.ndarray, fake: np.ndarray) -> tuple[float, float, float]:
        """One discriminator update; returns (loss, mean D(x), mean D(G(z)))."""
        disc, cfg = self.gan.discriminator, self.config
        disc.zero_grad()
        if cfg.separate_batches and self.batch_coupled:
            real_logits = disc.forward(real)
            loss_real, grad = bce_with_logits(real_logits, cfg.label_smoothing)
            disc.backward(grad, input_grad=False)
            fake_logits = disc.forward(fake)
            loss_fake, grad = bce_with_logits(fake_logits, 0.0)
            disc.backward(grad, input_grad=False)
            loss = loss_real + loss_fake
        else:
            logits = disc.forward(np.concatenate([real, fake]))
            n = len(real)
            targets = np.zeros_like(logits)
            targets[:n] = cfg.label_smoothing
            loss, grad = bce_with_logits(logits, targets)
            disc.backward(grad * 2, input_grad=False)  # same scale as the sum of two batch means
            loss, real_logits, fake_logits = 2 * loss, logits[:n], logits[n:]
        if cfg.grad_clip:
            clip_gradients(disc, cfg.grad_clip)
        self.gan.opt_d.step()
        return loss, float(sigmoid(real_logits).mean()), float(sigmoid(fake_logits).mean())

    def _g_step(self, fake: np.ndarray) -> float:
        """One generator update through the discriminator; ``fake`` must be
        the generator's latest forward output (its caches are reused)."""
        gen, disc, cfg = self.gan.generator, self.gan.discriminator, self.config
        gen.zero_grad()
        loss, grad = generator_nonsaturating(disc.forward(fake))
        dfake = disc.backward(grad, param_grads=False)
        if cfg.lambda_tv:
            images = fake.reshape(-1, *self.data.image_shape)
            tv, dtv = total_variation(images, cfg.tv_kind)
            loss += cfg.lambda_tv * tv
            dfake += cfg.lambda_tv * dtv.reshape(fake.shape)
        gen.backward(dfake, input_grad=False)
        if cfg.grad_clip:
            clip_gradients(gen, cfg.grad_clip)
        self.gan.opt_g.step()
        return loss

    # --- loop -------------------------------------------------------------------------
    def batches(self) -> list[np.ndarray]:
        """One epoch of real minibatches in a fresh random order."""
        rows, size = self.data.rows, self.config.batch_size
        order = self.rng.permutation(len(rows))
        stop = len(rows) - len(rows) % size if self.config.drop_last else len(rows)
        return [rows[order[i:i + size]] for i in range(0, stop, size)]

    def step(self, reals: list[np.ndarray]) -> tuple[float, float, float, float]:
        """One training step: a D update per real batch in ``reals`` (d_steps
        of them), then one G update on the last generated batch.  Returns
        (D loss, G loss, mean D(x), mean D(G(z)))."""
        gen, cfg = self.gan.generator, self.config
        for real in reals:
            fake = gen.forward(sample_noise(cfg, len(real), self.rng))
            d_loss, d_real, d_fake = self._d_step(real, fake)
        return d_loss, self._g_step(fake), d_real, d_fake

    def train_epoch(self, epoch: int) -> tuple[float, ...]:
        """Every real batch once, d_steps per step; returns the epoch means."""
        cfg = self.config
        batches = self.batches()
        if len(batches) < cfg.d_steps:
            raise GanError(f"experiments.{self.name}: batch_size {cfg.batch_size} leaves fewer than "
                           f"d_steps={cfg.d_steps} batches per epoch in {len(self.data.rows)} samples")
        sums, steps = np.zeros(4), 0
        for start in range(0, len(batches) - cfg.d_steps + 1, cfg.d_steps):
            d_loss, g_loss, d_real, d_fake = self.step(batches[start:start + cfg.d_steps])
            steps += 1
            if not (np.isfinite(d_loss) and np.isfinite(g_loss)):
                self._diverged(epoch, steps, f"D loss {d_loss}, G loss {g_loss}")
            sums += (d_loss, g_loss, d_real, d_fake)
        for opt in (self.gan.opt_d, self.gan.opt_g):
            opt.end_epoch(epoch)
        return tuple(sums / steps)

    def _diverged(self, epoch: int, step: int, what: str) -> None:
        where = f"epoch {epoch + 1}, step {step}" if step else f"the end of epoch {epoch + 1}"
        raise Diverged(f"experiments.{self.name} diverged at {where}: {what}")

    def fit(self, progress=None, log=print) -> History:
        """Train for ``config.epochs``; ``progress(epoch, row)`` is called after
        every epoch and ``log(line)`` every ``log_every`` epochs.

        Losses are checked every step and parameters at every snapshot, where
        the state is also remembered; on NaN/Inf the last finite state is
        restored and Diverged is raised."""
        cfg, start = self.config, time.perf_counter()
        self._checkpoint(0)
        for epoch in range(cfg.epochs):
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # the guard reports NaN/Inf itself
                    values = self.train_epoch(epoch)
                row = (epoch + 1, *values, time.perf_counter() - start)
                self.history.rows.append(row)
                if (epoch + 1) % cfg.snapshot_every == 0 or epoch + 1 == cfg.epochs:
                    self._checkpoint(epoch + 1)
            except Diverged:
                self.restore_last_finite()
                raise
            if progress:
                progress(epoch, row)
            if (epoch + 1) % cfg.log_every == 0 or epoch + 1 == cfg.epochs:
                log(f"{self.name} epoch {epoch + 1}/{cfg.epochs}  D {row[1]:.4f}  G {row[2]:.4f}  "
                    f"D(x) {row[3]:.3f}  D(G(z)) {row[4]:.3f}  {row[5]:.1f} s")
        return self.history

    def _checkpoint(self, epoch: int) -> None:
        """Check parameters, remember them as the last finite state, snapshot."""
        if not all(np.isfinite(p).all() for model in (self.gan.generator, self.gan.discriminator)
                   for p, _ in model.parameters()):
            self._diverged(epoch - 1, 0, "a parameter is NaN or Inf")
        self.last_finite = {name: {k: v.copy() for k, v in part.state_dict().items()}
                            for name, part in self.gan.parts().items()}
        self.last_finite_epoch = epoch
        gen = self.gan.generator
        gen.eval()
        samples = gen.forward(self.fixed_noise)
        gen.train()
        self.history.snapshots.append(self.data.to_data_units(samples).astype(np.float32))
        self.history.snapshot_epochs.append(epoch)

    def restore_last_finite(self) -> None:
        for name, part in self.gan.parts().items():
            part.load_state_dict(self.last_finite[name])
