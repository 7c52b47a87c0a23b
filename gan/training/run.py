"""Train one experiment of params.yaml and write its outputs into its results folder."""

from pathlib import Path

import numpy as np
from tqdm import tqdm

from gan.data.cache import to_pixels
from gan.datasets import load_dataset
from gan.files import atomic_dir, write_text
from gan.image_grid import save_grid
from gan.params import naming_file
from gan.training.config import read_experiment
from gan.training.trainer import Diverged, History, Trainer


def _write_outputs(folder: Path, trainer: Trainer) -> None:
    """The model (``GAN.save``), snapshots.npz and, for images, one PNG grid per snapshot."""
    history: History = trainer.history
    trainer.gan.save(folder)
    snapshots = np.stack(history.snapshots)
    np.savez(folder / "snapshots.npz", epochs=np.array(history.snapshot_epochs), samples=snapshots)
    if trainer.data.space.images:
        (folder / "snapshots").mkdir()
        for epoch, samples in zip(history.snapshot_epochs, snapshots):
            save_grid(to_pixels(samples), folder / "snapshots" / f"epoch_{epoch:05d}.png")


def write_log(path: Path, history: History) -> None:
    """Tab-separated per-epoch log with a header row (``dvc plots`` reads it)."""
    lines = ["\t".join(history.columns)] + ["\t".join(f"{v:.6g}" for v in row) for row in history.rows]
    write_text(path, "\n".join(lines) + "\n")


def train_experiment(name: str, params_file: str | Path, cache: str | Path, out: str | Path) -> str:
    """Train ``experiments.<name>`` of ``params_file`` on the dataset cache in
    the folder ``cache``; write ``out``/train/ (model.npz, config.json,
    snapshots) and ``out``/log.tsv.  On divergence those are left as they
    were: the run's last finite state and log go to ``out``/train-diverged/
    and Diverged is raised.  On Ctrl-C nothing is written."""
    config, family = read_experiment(name, params_file)
    out = Path(out)
    with naming_file(params_file):
        trainer = Trainer(config, load_dataset(family.name, cache, config.digits), name)
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
