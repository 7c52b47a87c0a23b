"""The GAN training loop: k discriminator steps, one generator step, per batch."""

import time
from dataclasses import dataclass, field

import numpy as np

from gan.datasets import Dataset
from gan.device import to_device, to_host
from gan.errors import GanError
from gan.nn import BatchNorm1d, MinibatchDiscrimination, total_variation
from gan.params import ParamsError
from gan.training.config import ExperimentConfig
from gan.training.model import build_gan, sample_noise, with_labels
from gan.training.objectives import OBJECTIVES


class Diverged(GanError):
    """A loss or parameter stopped being finite."""


@dataclass
class History:
    """Per-epoch means of the logged values (one row per epoch, ``columns`` order)."""
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    snapshots: list[np.ndarray] = field(default_factory=list)
    snapshot_epochs: list[int] = field(default_factory=list)


class Trainer:
    """Runs ``config`` on ``data``.  All randomness comes from one Generator
    seeded with ``config.seed``: init, shuffling, noise, labels of generated
    samples, instance noise, dropout masks, interpolation weights."""

    def __init__(self, config: ExperimentConfig, data: Dataset, name: str = "experiment", xp=np):
        self.config, self.data, self.name = config, data, name
        if config.conditional and data.labels is None:
            raise GanError(f"experiments.{name}: conditional needs labelled data, {config.dataset} has none")
        n = len(data.rows)
        if (n // config.batch_size if config.drop_last else -(-n // config.batch_size)) < config.d_steps:
            raise ParamsError(f"'experiments.{name}.batch_size' {config.batch_size} leaves fewer than "
                              f"d_steps={config.d_steps} batches per epoch in {n} samples")
        self.rng = np.random.default_rng(config.seed)
        self.gan = build_gan(config, data.space, self.rng, name, xp)
        self.rows = to_device(data.rows, xp)  # the data goes to the device once
        self.labels = None if data.labels is None else to_device(data.labels, xp)
        self.fixed_noise = sample_noise(config, config.snapshot_count, self.rng)
        self.fixed_labels = np.arange(config.snapshot_count) % self.gan.classes if config.conditional else None
        # Only layers that mix samples make separate real/fake passes differ from one joint pass.
        batch_coupled = any(isinstance(layer, (MinibatchDiscrimination, BatchNorm1d))
                            for layer in self.gan.discriminator.layers)
        self.objective = OBJECTIVES[config.loss].from_config(config, not (config.separate_batches and batch_coupled))
        self.logged = ("d_loss", "g_loss", "d_real", "d_fake", *self.objective.columns,
                       *(("noise_sigma",) if config.sigma_start else ()))
        self.history = History(("epoch", *self.logged, "seconds"))
        self.sigma = config.sigma_start
        self.last_finite: dict = {}
        self.last_finite_epoch = 0

    # --- one step -------------------------------------------------------------------
    def _d_input(self, rows: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        """What D sees: rows plus instance noise of the current sigma, then
        the one-hot label; packed ``pac`` rows to one, (B / pac, pac * F)."""
        if self.sigma:
            noise = self.rng.standard_normal(rows.shape, dtype=np.float32)  # drawn on the host
            rows = rows + np.float32(self.sigma) * to_device(noise, self.gan.xp)
        rows = with_labels(rows, labels, self.gan.classes)
        return rows.reshape(len(rows) // self.config.pac, -1)

    def d_gradients(self, real, real_labels, fake, fake_labels) -> dict:
        """D's parameter gradients for one update (zeroed first); returns the objective's logged values."""
        disc = self.gan.discriminator
        disc.zero_grad()
        return self.objective.discriminator_step(disc, self._d_input(real, real_labels),
                                                 self._d_input(fake, fake_labels), self.rng)

    def g_gradients(self, fake: np.ndarray, labels: np.ndarray | None):
        """G's parameter gradients through D (plus TV), zeroed first; returns G's loss.
        ``fake`` must be the generator's latest forward output (its caches are reused)."""
        gen, cfg = self.gan.generator, self.config
        gen.zero_grad()
        loss, d_input_grad = self.objective.generator_loss(self.gan.discriminator, self._d_input(fake, labels))
        dfake = d_input_grad.reshape(len(fake), -1)[:, :fake.shape[1]]  # unpacked; the label columns are not G's
        if cfg.lambda_tv:
            images = fake.reshape(-1, *self.data.space.shape)
            tv, dtv = total_variation(images, cfg.tv_kind)
            loss += cfg.lambda_tv * tv
            dfake += cfg.lambda_tv * dtv.reshape(fake.shape)
        gen.backward(dfake, input_grad=False)
        return loss

    # --- loop -------------------------------------------------------------------------
    def batches(self) -> list[np.ndarray]:
        """One epoch of minibatch row indices in a fresh random order."""
        n, size = len(self.data.rows), self.config.batch_size
        order = to_device(self.rng.permutation(n), self.gan.xp)
        stop = n - n % size if self.config.drop_last else n
        return [order[i:i + size] for i in range(0, stop, size)]

    def step(self, reals: list[np.ndarray], labels: list[np.ndarray] | None = None) -> dict:
        """One training step: a D update per real batch in ``reals`` (d_steps
        of them, with their ``labels`` when conditional), then one G update on
        the last generated batch.  Returns the values named in ``self.logged``
        but noise_sigma (D's from the last update), float64 scalars still on
        the device."""
        cfg, classes = self.config, self.gan.classes
        for i, real in enumerate(reals):
            fake_labels = self.rng.integers(0, classes, len(real)) if classes else None
            fake = self.gan.generate(sample_noise(cfg, len(real), self.rng), fake_labels)
            values = self.d_gradients(real, labels[i] if classes else None, fake, fake_labels)
            self.gan.opt_d.step()
        values["g_loss"] = self.g_gradients(fake, fake_labels)
        self.gan.opt_g.step()
        if self.gan.average:
            self.gan.average.update()
        return values

    def train_epoch(self, epoch: int) -> tuple[float, ...]:
        """Every real batch once, d_steps per step; returns the epoch means of
        the ``self.logged`` values.  The values stay on the device until the
        epoch ends (one read), where the losses are checked step by step."""
        cfg, xp = self.config, self.gan.xp
        batches = self.batches()
        starts = range(0, len(batches) - cfg.d_steps + 1, cfg.d_steps)
        on_device = [k for k in self.logged if k != "noise_sigma"]
        steps, sigmas = [], []
        for step, start in enumerate(starts):
            self.sigma = cfg.sigma_start * (1 - (epoch + step / len(starts)) / cfg.epochs)
            chosen = batches[start:start + cfg.d_steps]
            values = self.step([self.rows[i] for i in chosen],
                               [self.labels[i] for i in chosen] if self.gan.classes else None)
            steps += [values[k] for k in on_device]
            sigmas.append(self.sigma)
        table = to_host(xp.stack(steps)).reshape(len(starts), len(on_device))
        sums = np.zeros(len(self.logged))
        for step, (row, sigma) in enumerate(zip(table, sigmas)):
            values = dict(zip(on_device, row)) | {"noise_sigma": sigma}
            if not (np.isfinite(values["d_loss"]) and np.isfinite(values["g_loss"])):
                self._diverged(epoch, step + 1, f"D loss {values['d_loss']}, G loss {values['g_loss']}")
            sums += [values[k] for k in self.logged]
        for opt in (self.gan.opt_d, self.gan.opt_g):
            opt.end_epoch(epoch)
        return tuple(sums / len(starts))

    def _diverged(self, epoch: int, step: int, what: str) -> None:
        where = f"epoch {epoch + 1}, step {step}" if step else f"the end of epoch {epoch + 1}"
        raise Diverged(f"experiments.{self.name} diverged at {where}: {what}")

    def fit(self, progress=None, log=print, on_snapshot=None, seconds_before: float = 0.0) -> History:
        """Train the epochs of ``config.epochs`` not yet in the history;
        ``progress(epoch, row)`` is called after every epoch, ``log(line)``
        every ``log_every`` epochs and ``on_snapshot(seconds)`` after every
        snapshot but the first.  ``seconds_before``: time an interrupted run
        spent, which the logged seconds continue from.

        Every step's losses are checked at the end of its epoch and the
        parameters at every snapshot, where the state is also remembered;
        on NaN/Inf the last finite state is restored and Diverged is raised."""
        cfg, start = self.config, time.perf_counter() - seconds_before
        if not self.history.rows:
            self._checkpoint(0)
        for epoch in range(len(self.history.rows), cfg.epochs):
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # the guard reports NaN/Inf itself
                    values = self.train_epoch(epoch)
                row = (epoch + 1, *values, time.perf_counter() - start)
                self.history.rows.append(row)
                if (epoch + 1) % cfg.snapshot_every == 0 or epoch + 1 == cfg.epochs:
                    self._checkpoint(epoch + 1)
                    if on_snapshot:
                        on_snapshot(row[-1])
            except Diverged:
                self.restore_last_finite()
                raise
            if progress:
                progress(epoch, row)
            if (epoch + 1) % cfg.log_every == 0 or epoch + 1 == cfg.epochs:
                shown = "  ".join(f"{k} {v:.4g}" for k, v in zip(self.logged, values))
                log(f"{self.name} epoch {epoch + 1}/{cfg.epochs}  {shown}  {row[-1]:.1f} s")
        return self.history

    def restore(self, rows: list[tuple], snapshot_epochs: list[int], snapshots: list[np.ndarray]) -> None:
        """Continue an interrupted run whose parameters, optimisers and random
        state are already loaded: its log ``rows`` and snapshots so far."""
        self.history.rows[:] = rows
        self.history.snapshot_epochs[:], self.history.snapshots[:] = snapshot_epochs, snapshots
        self._remember_finite(len(rows))

    def _checkpoint(self, epoch: int) -> None:
        """Check parameters, remember them as the last finite state, snapshot."""
        xp = self.gan.xp
        if not xp.stack([xp.isfinite(p).all() for model in (self.gan.generator, self.gan.discriminator)
                         for p, _ in model.parameters()]).all():  # one read from a device
            self._diverged(epoch - 1, 0, "a parameter is NaN or Inf")
        self._remember_finite(epoch)
        self.history.snapshots.append(self.gan.sample(self.fixed_noise, self.fixed_labels))
        self.history.snapshot_epochs.append(epoch)

    def _remember_finite(self, epoch: int) -> None:
        self.last_finite = {name: {k: v.copy() for k, v in part.state_dict().items()}
                            for name, part in self.gan.parts().items()}
        self.last_finite_epoch = epoch

    def restore_last_finite(self) -> None:
        for name, part in self.gan.parts().items():
            part.load_state_dict(self.last_finite[name])
