"""A GAN built from an experiment's settings: both networks, their
optimisers and the sample space G generates into; saved and loaded as
``model.npz`` plus ``config.json``, which together are enough to sample."""

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from gan.datasets import SampleSpace
from gan.device import array_module, to_device, to_host
from gan.errors import GanError
from gan.files import read_json, write_json
from gan.nn import SGD, Adam, Sequential, WeightAverage, load_checkpoint, save_checkpoint
from gan.params import ParamsError, naming_file, parse
from gan.training.build import build_network
from gan.training.config import ExperimentConfig
from gan.training.objectives import OBJECTIVES


def with_labels(rows: np.ndarray, labels: np.ndarray | None, classes: int) -> np.ndarray:
    """(B, F) rows with the one-hot (B, classes) labels appended; rows unchanged when labels is None.
    The labels may be on the host when the rows are on a device."""
    if labels is None:
        return rows
    xp = array_module(rows)
    return xp.concatenate([rows, xp.eye(classes, dtype=rows.dtype)[to_device(labels, xp)]], axis=1)


def sample_noise(config: ExperimentConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, noise_size) float32 from N(0, 1) or U(-1, 1)."""
    if config.noise == "uniform":
        return rng.uniform(-1, 1, (n, config.noise_size)).astype(np.float32)
    return rng.standard_normal((n, config.noise_size), dtype=np.float32)


@dataclass
class GAN:
    """Generator, discriminator and their optimisers.  ``classes`` > 0 makes
    it conditional: G and D also take a one-hot label.  ``average``: the
    moving average of G's weights (``ema`` > 0), which ``sample`` uses.
    ``xp``: the array module the networks live on (numpy, or a GPU's:
    ``gan.device``); noise and labels may come from the host."""
    config: ExperimentConfig
    space: SampleSpace
    generator: Sequential
    discriminator: Sequential
    opt_g: object
    opt_d: object
    classes: int = 0
    average: WeightAverage | None = None
    xp: object = np

    def parts(self) -> dict:
        parts = {"generator": self.generator, "discriminator": self.discriminator,
                 "opt_g": self.opt_g, "opt_d": self.opt_d}
        return parts | ({"generator_ema": self.average} if self.average else {})

    @property
    def sampler(self) -> Sequential:
        """The generator samples come from: the weight average when there is one."""
        return self.average.model if self.average else self.generator

    def generate(self, noise: np.ndarray, labels: np.ndarray | None = None,
                 network: Sequential | None = None) -> np.ndarray:
        """G's (or ``network``'s) output rows for (B, noise_size) noise and,
        when conditional, (B,) labels."""
        if (labels is None) != (self.classes == 0):
            raise ValueError("a conditional generator needs labels, an unconditional one takes none")
        return (network or self.generator).forward(with_labels(to_device(noise, self.xp), labels, self.classes))

    def sample(self, noise: np.ndarray, labels: np.ndarray | None = None, chunk: int = 1024,
               network: Sequential | None = None) -> np.ndarray:
        """float32 samples on the host in data units for (N, noise_size) ``noise`` (and
        (N,) ``labels``): ``network`` (default ``sampler``) in eval mode,
        ``chunk`` rows at a time so memory stays bounded; its mode is restored."""
        network = network or self.sampler
        training = network.training
        network.eval()
        try:
            parts = [self.generate(noise[i:i + chunk], None if labels is None else labels[i:i + chunk], network)
                     for i in range(0, len(noise), chunk)]
        finally:
            network.train(training)
        return self.space.to_data(to_host(self.xp.concatenate(parts))).astype(np.float32)

    def draw(self, count: int, rng: np.random.Generator, labels: np.ndarray | None = None) -> np.ndarray:
        """``sample`` of ``count`` fresh noise rows from ``rng``."""
        return self.sample(sample_noise(self.config, count, rng), labels)

    def save(self, folder: Path) -> None:
        """model.npz (networks and optimiser states) and config.json (settings and sample space)."""
        save_checkpoint(folder / "model.npz", self.parts())
        write_json(folder / "config.json", {"experiment": asdict(self.config), "samples": self.space.to_dict()})


def build_gan(config: ExperimentConfig, space: SampleSpace, rng: np.random.Generator,
              name: str = "experiment", xp=np) -> GAN:
    """G: noise (+ one-hot label) -> ``space.features``; D: ``pac`` times
    features (+ label) -> 1; built on the host, then moved to the array
    module ``xp`` before the optimisers and the average are made."""
    where = f"experiments.{name}"
    classes = space.classes if config.conditional else 0
    gen = build_network(config.generator, config.noise_size + classes, space.features, rng, config.init,
                        f"{where}.generator")
    d_features = (space.features + classes) * config.pac
    try:
        disc = build_network(config.discriminator, d_features, 1, rng, config.init, f"{where}.discriminator")
    except ParamsError as exc:
        if config.pac == 1 or not _fits(config.discriminator, d_features // config.pac, config.init):
            raise
        raise ParamsError(f"{exc} (pac {config.pac}: D's input is {config.pac} samples side by side, {d_features} "
                          f"features; a convolutional D reshapes them to {config.pac} x the channels)") from None
    try:
        OBJECTIVES[config.loss].check_critic(disc)
    except ValueError as exc:
        raise ParamsError(f"'{where}.discriminator' with loss {config.loss}: {exc}") from None

    gen.to(xp), disc.to(xp)

    def optimiser(model, lr):
        if config.optimizer == "sgd":
            return SGD(model.parameters(), lr, momentum=config.momentum, decay=config.decay)
        return Adam(model.parameters(), lr, config.beta1, config.beta2)

    average = WeightAverage(gen, config.ema) if config.ema else None
    return GAN(config, space, gen, disc, optimiser(gen, config.lr_g), optimiser(disc, config.lr_d), classes, average,
               xp)


def _fits(specs: list[str], in_features: int, init: str) -> bool:
    """Whether ``specs`` build a D on ``in_features`` (what a failing packed D would see unpacked)."""
    try:
        build_network(specs, in_features, 1, np.random.default_rng(0), init, "unpacked")
    except ParamsError:
        return False
    return True


def read_model_config(folder: str | Path) -> tuple[ExperimentConfig, SampleSpace]:
    """The settings and sample space of the model saved in ``folder``."""
    path = Path(folder) / "config.json"
    with naming_file(path):
        saved = read_json(path, "model config")
        if not isinstance(saved, dict) or not {"experiment", "samples"} <= saved.keys():
            raise GanError(f"{path}: not a model config (needs 'experiment' and 'samples')")
        return parse(ExperimentConfig, saved["experiment"], "experiment"), SampleSpace.from_dict(saved["samples"])


def load_gan(folder: str | Path, xp=np) -> GAN:
    """The GAN saved in ``folder`` (a ``train/`` output), from its files alone,
    on the array module ``xp``: a model trained on a GPU loads on the CPU too."""
    folder = Path(folder)
    model = folder / "model.npz"
    if not model.is_file():
        raise GanError(f"{folder}: no trained model (model.npz); train it first")
    config, space = read_model_config(folder)
    with naming_file(folder / "config.json"):
        gan = build_gan(config, space, np.random.default_rng(0), xp=xp)
    try:
        load_checkpoint(model, gan.parts())
    except (OSError, ValueError) as exc:
        raise GanError(f"{model}: not a readable model of this experiment ({exc})") from None
    return gan
