"""Hostile resume states: a state edited or damaged since it was saved, or a
link in place of it or its files, is refused by name before the run changes;
`dvc repro` (resume=None) then starts afresh, `--resume` stops."""

import hashlib
import json
import math
import shutil

import numpy as np
import pytest

from gan.datasets import load_dataset
from gan.errors import GanError
from gan.training.config import read_experiment
from gan.training.resume import CannotResume, load_state, remove_state, run_origin
from gan.training.run import train_experiment
from gan.training.trainer import Trainer
from tests.conftest import interrupted_in_epoch, one_line_error
from tests.test_training import SINE, train, workdir, write_params  # noqa: F401  (workdir is a fixture)

CUT = SINE | {"epochs": 6, "snapshot_every": 2, "snapshot_count": 16}


@pytest.fixture
def state(workdir, monkeypatch):  # noqa: F811
    """.gan-state/sine/ of a run of CUT interrupted in its fifth epoch (saved after the fourth)."""
    write_params(workdir, {"sine": CUT})
    with interrupted_in_epoch(monkeypatch, 4):
        train("sine", "cut")
    return workdir / ".gan-state/sine"


def fresh_trainer() -> tuple[Trainer, dict]:
    config, family = read_experiment("sine")
    trainer = Trainer(config, load_dataset(family.name, "data/processed/sine"), "sine")
    return trainer, run_origin(trainer)


def edit_json(path, change) -> None:
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=1))


def edit_rows(folder):
    edit_json(folder / "state.json", lambda s: s["rows"][1].__setitem__(1, s["rows"][1][1] + 0.5))


def nan_seconds(folder):
    edit_json(folder / "state.json", lambda s: s.update(seconds=math.nan))


def back_to_epoch_2(folder):
    """A consistent state of epoch 2 (rows, epoch and snapshots) over the weights and random state of epoch 4."""
    edit_json(folder / "state.json", lambda s: s.update(epoch=2, rows=s["rows"][:2]))
    with np.load(folder / "snapshots.npz") as snaps:
        np.savez(folder / "snapshots.npz", epochs=snaps["epochs"][:2], samples=snaps["samples"][:2])


def shift_rng(folder):
    edit_json(folder / "state.json", lambda s: s["rng"]["state"].update(state=s["rng"]["state"]["state"] + 1))


def parts_with(change):
    """A damage that rewrites parts.npz with ``change`` made to its arrays (a dict)."""
    def damage(folder):
        with np.load(folder / "parts.npz") as parts:
            arrays = dict(parts)
        change(arrays)
        np.savez(folder / "parts.npz", **arrays)
    return damage


triple_g = parts_with(lambda arrays: arrays.update({k: v * 3 for k, v in arrays.items()
                                                    if k.startswith("generator/") and k.endswith(".W")}))


@pytest.mark.parametrize("tamper,named", [(edit_rows, "state.json"), (nan_seconds, "state.json"),
                                          (back_to_epoch_2, "state.json"), (shift_rng, "state.json"),
                                          (triple_g, "parts.npz")],
                         ids=["rows", "nan_seconds", "back_to_epoch_2", "rng", "g_times_3"])
def test_an_edited_state_is_refused(state, tamper, named):
    tamper(state)
    trainer, origin = fresh_trainer()
    with pytest.raises(CannotResume, match=f".gan-state/sine/{named}: differs from its sha256 in sha256.json"):
        load_state(state, trainer, origin)
    assert not trainer.history.rows


def test_repro_starts_afresh_from_an_edited_state_and_resume_stops(state, workdir, gan_cli, capsys):  # noqa: F811
    triple_g(state)
    code, _, err = gan_cli("train", "sine", "--out", "cut", "--resume")
    one_line_error(code, err, ".gan-state/sine/parts.npz: differs from its sha256", "train without --resume")
    train("sine", "cut")
    assert "parts.npz: differs from its sha256 in sha256.json (edited or damaged): starting afresh" \
        in capsys.readouterr().out
    train("sine", "whole")
    assert (workdir / "cut/sine/train/model.npz").read_bytes() == (workdir / "whole/sine/train/model.npz").read_bytes()


def reseal(folder) -> None:
    """Write the digest of the state as it is now: what a state damaged before it was sealed looks like."""
    (folder / "sha256.json").write_text(json.dumps({name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                                                    for name in ("state.json", "parts.npz", "snapshots.npz")}))


@pytest.mark.parametrize("damage,message", [
    (lambda folder: (folder / "parts.npz").write_bytes(b"PK\x03\x04 not a zip"), "not a readable .npz file"),
    (parts_with(lambda arrays: arrays.update({"opt_g/t": np.zeros(3)})),
     "'opt_g/t' is float64 of shape (3,), expected int64"),
    (parts_with(lambda arrays: arrays.pop("opt_d/t")), "missing ['opt_d/t']"),
], ids=["not_a_zip", "optimiser_t_shape", "optimiser_t_missing"])
def test_a_damaged_sealed_state_is_one_line_naming_the_file(state, gan_cli, damage, message):
    damage(state)
    reseal(state)
    code, _, err = gan_cli("train", "sine", "--out", "cut", "--resume")
    one_line_error(code, err, ".gan-state/sine/parts.npz: unreadable resume state", message)


def test_a_state_folder_that_is_a_link_is_refused_before_it_is_read(state, workdir, gan_cli):  # noqa: F811
    outside = workdir / "outside"
    shutil.move(state, outside)
    state.symlink_to(outside, target_is_directory=True)
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    for flags in (["--resume"], []):  # without --resume the run would save its state through the link
        code, _, err = gan_cli("train", "sine", "--out", "cut", *flags)
        one_line_error(code, err, ".gan-state/sine: the resume state folder is a link")
    with pytest.raises(GanError, match=".gan-state/sine: the resume state folder is a link"):
        train("sine", "cut")  # as dvc repro does: resume when the state matches
    assert not (workdir / "cut/sine/train").exists()
    remove_state(state)
    assert state.is_symlink() and {p.name: p.read_bytes() for p in outside.iterdir()} == before


def test_a_state_file_that_is_a_link_is_refused(state, workdir):  # noqa: F811
    shutil.copy(state / "parts.npz", workdir / "parts.npz")
    (state / "parts.npz").unlink()
    (state / "parts.npz").symlink_to(workdir / "parts.npz")  # same bytes: the digest alone would pass it
    trainer, origin = fresh_trainer()
    with pytest.raises(CannotResume, match="sine/parts.npz: missing, a link or not a regular file"):
        load_state(state, trainer, origin)
    with pytest.raises(GanError, match="parts.npz: missing, a link or not a regular file; train without --resume"):
        train_experiment("sine", "params.yaml", "data/processed/sine", "cut/sine", resume=True)


def text_in_a_row(folder):
    edit_json(folder / "state.json", lambda s: s["rows"][1].__setitem__(2, "x"))


def short_snapshots(folder):
    with np.load(folder / "snapshots.npz") as snaps:
        np.savez(folder / "snapshots.npz", epochs=snaps["epochs"], samples=snaps["samples"][:, :3])


@pytest.mark.parametrize("damage,message", [
    (nan_seconds, "inconsistent resume state"),
    (text_in_a_row, "a log row must be"),
    (short_snapshots, "inconsistent resume state"),
], ids=["nan_seconds", "text_in_a_row", "short_snapshots"])
def test_a_resealed_state_is_still_checked_value_by_value(state, damage, message):
    """The digest has no key: what a resealed state holds is checked before the trainer changes
    (a resealed back_to_epoch_2 is consistent in itself; only the digest catches it)."""
    damage(state)
    reseal(state)
    trainer, origin = fresh_trainer()
    with pytest.raises(CannotResume, match=message):
        load_state(state, trainer, origin)
    assert not trainer.history.rows
