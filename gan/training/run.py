"""Train one experiment of params.yaml and write its outputs into its results folder."""

import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gan.data.cache import to_pixels
from gan.datasets import load_dataset
from gan.device import device_module
from gan.files import atomic_dir, write_text
from gan.image_grid import save_grid
from gan.params import naming_file
from gan.training.config import read_device, read_experiment
from gan.training.resume import (
    STATE_ROOT,
    CannotResume,
    check_state_folder,
    load_state,
    remove_state,
    run_origin,
    save_state,
)
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


def _start(trainer: Trainer, state: Path, resume: bool | None, origin: dict, log) -> float:
    """Restore ``state`` into ``trainer`` (of ``run_origin`` ``origin``) as
    ``resume`` asks (True: must, None: when it matches, False: never); the
    seconds already spent."""
    check_state_folder(state)
    if resume is False or not (state / "state.json").is_file():
        if resume:
            raise CannotResume(f"experiments.{trainer.name}: no interrupted run to resume ({state}/ is absent)")
        return 0.0
    try:
        seconds = load_state(state, trainer, origin)
    except CannotResume as exc:
        if resume:
            raise CannotResume(f"{exc}; train without --resume to start afresh") from None
        log(f"{exc}: starting afresh")
        return 0.0
    log(f"{trainer.name}: resuming at epoch {len(trainer.history.rows)} from {state}/")
    return seconds


def train_experiment(name: str, params_file: str | Path, cache: str | Path, out: str | Path,
                     resume: bool | None = None, state_root: str | Path = STATE_ROOT, device: str | None = None) -> str:
    """Train ``experiments.<name>`` of ``params_file`` on the dataset cache in
    the folder ``cache``; write ``out``/train/ (model.npz, config.json,
    snapshots) and ``out``/log.tsv, training on ``device`` (default: the
    experiment's ``device`` in the params, see ``read_device``).

    The resume state is saved at every snapshot to ``state_root``/<name>/ and
    removed at the end.  ``resume``: True continues that interrupted run (an
    error if it is absent or had other settings), None continues it when it
    matches and starts afresh otherwise, False always starts afresh.

    On divergence the outputs are left as they were: the run's last finite
    state and log go to ``out``/train-diverged/ and Diverged is raised.  On
    Ctrl-C only the resume state stays."""
    config, family = read_experiment(name, params_file)
    device, where = (device, "--device") if device else read_device(name, params_file)
    xp = device_module(device, where)
    out, state = Path(out), Path(state_root) / name
    with naming_file(params_file):
        trainer = Trainer(config, load_dataset(family.name, cache, config.digits), name, xp)
    origin = run_origin(trainer)
    seconds = _start(trainer, state, resume, origin, tqdm.write)
    done = len(trainer.history.rows)
    with tqdm(total=config.epochs, initial=done, desc=name, unit="epoch", disable=None, leave=False) as bar:
        def progress(epoch, row):
            bar.set_postfix(D=f"{row[1]:.3f}", G=f"{row[2]:.3f}", refresh=False)
            bar.update()
        try:
            trainer.fit(progress, tqdm.write, lambda spent: save_state(state, trainer, spent, origin), seconds)
        except Diverged as exc:
            remove_state(state)
            kept = out / "train-diverged"
            with atomic_dir(kept) as folder:
                _write_outputs(folder, trainer)
                write_log(folder / "log.tsv", trainer.history)
            raise Diverged(f"{exc}; this run's last finite state (epoch {trainer.last_finite_epoch}) and log "
                           f"are in {kept}/; {out / 'train'}/ and {out / 'log.tsv'} were not replaced") from None
        except KeyboardInterrupt:
            if (state / "state.json").is_file():
                tqdm.write(f"{name}: `gan train {name} --resume` (or `dvc repro`) continues from {state}/",
                           file=sys.stderr)
            raise
    with atomic_dir(out / "train") as folder:
        _write_outputs(folder, trainer)
    write_log(out / "log.tsv", trainer.history)
    remove_state(state)
    resumed = f" (resumed at epoch {done})" if done else ""
    return f"{out}: {config.epochs} epochs in {trainer.history.rows[-1][-1]:.1f} s{resumed}"
