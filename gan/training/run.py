"""Train one experiment from params.yaml and write its outputs under results/<name>/."""

import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gan.data.cache import to_pixels
from gan.errors import GanError
from gan.files import atomic_dir, atomic_file, read_json, write_json
from gan.images import save_grid
from gan.nn import load_checkpoint, save_checkpoint
from gan.params import load_params, naming_file, parse, section
from gan.training.config import ExperimentConfig
from gan.training.datasets import TrainingData, load_training_data
from gan.training.trainer import GAN, Diverged, History, Trainer, build_gan


def experiment_config(name: str, params_file: str | Path = "params.yaml") -> ExperimentConfig:
    with naming_file(params_file):
        return ExperimentConfig.from_params(name, section(load_params(params_file), f"experiments.{name}"))


def _write_outputs(folder: Path, trainer: Trainer) -> None:
    """model.npz, config.json, snapshots.npz and, for images, one PNG grid per snapshot."""
    history: History = trainer.history
    save_checkpoint(folder / "model.npz", trainer.gan.parts())
    write_json(folder / "config.json", asdict(trainer.config))
    snapshots = np.stack(history.snapshots)
    np.savez(folder / "snapshots.npz", epochs=np.array(history.snapshot_epochs), samples=snapshots)
    if trainer.data.image_shape is not None:
        (folder / "snapshots").mkdir()
        for epoch, samples in zip(history.snapshot_epochs, snapshots):
            save_grid(to_pixels(samples), folder / "snapshots" / f"epoch_{epoch:05d}.png")


def write_log(path: Path, history: History) -> None:
    """Tab-separated per-epoch log with a header row (``dvc plots`` reads it)."""
    with atomic_file(path) as tmp:
        lines = ["\t".join(history.columns)] + ["\t".join(f"{v:.6g}" for v in row) for row in history.rows]
        tmp.write_text("\n".join(lines) + "\n")


def train_experiment(name: str, params_file: str | Path = "params.yaml", out_root: str | Path = "results") -> str:
    """Train ``experiments.<name>`` and write results/<name>/train/ and
    results/<name>/log.tsv.  On divergence those are left as they were: the
    run's last finite state and log go to results/<name>/train-diverged/ and
    Diverged is raised.  On Ctrl-C nothing is written."""
    config = experiment_config(name, params_file)
    with naming_file(params_file):
        trainer = Trainer(config, load_training_data(config.dataset, config.digits), name)
    out = Path(out_root) / name
    with tqdm(total=config.epochs, desc=name, unit="epoch", disable=None, leave=False) as bar:
        def progress(epoch, row):
            bar.set_postfix(D=f"{row[1]:.3f}", G=f"{row[2]:.3f}", refresh=False)
            bar.update()
        try:
            trainer.fit(progress, log=tqdm.write)
        except Diverged as exc:
            kept = out / "train-diverged"
            with atomic_dir(kept) as folder:
                _write_outputs(folder, trainer)
                write_log(folder / "log.tsv", trainer.history)
            raise Diverged(f"{exc}; this run's last finite state (epoch {trainer.last_finite_epoch}) and log "
                           f"are in {kept}/; {out / 'train'}/ and {out / 'log.tsv'} were not replaced") from None
    with atomic_dir(out / "train") as folder:
        _write_outputs(folder, trainer)
    write_log(out / "log.tsv", trainer.history)
    seconds = trainer.history.rows[-1][-1]
    return f"{out}: {config.epochs} epochs in {seconds:.1f} s"


def load_trained(name: str, out_root: str | Path = "results") -> tuple[ExperimentConfig, GAN, TrainingData]:
    """Rebuild a trained experiment from results/<name>/train (config.json and model.npz)."""
    folder = Path(out_root) / name / "train"
    model = folder / "model.npz"
    if not model.is_file():
        raise GanError(f"{folder}: no trained model; run 'gan train {name}' first")
    with naming_file(folder / "config.json"):
        config = parse(ExperimentConfig, read_json(folder / "config.json", "experiment config"), "config")
        data = load_training_data(config.dataset, config.digits)
        gan = build_gan(config, data.rows.shape[1], np.random.default_rng(0), name, data.classes)
    try:
        load_checkpoint(model, gan.parts())
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise GanError(f"{model}: not a readable model of this experiment ({exc})") from None
    return config, gan, data
