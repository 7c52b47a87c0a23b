"""Training: loss goes the right way, runs are deterministic, params are
validated, divergence is caught and interrupts leave outputs intact."""

import json
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from gan.data.flatten import flatten_folder
from gan.data.toy import sine_points, write_points
from gan.datasets import load_dataset
from gan.errors import GanError
from gan.sampling import draw_samples, write_samples
from gan.training import run as run_module
from gan.training.config import ExperimentConfig, read_experiment
from gan.training.run import train_experiment
from gan.training.trainer import Diverged, Trainer
from tests.conftest import one_line_error

DATASETS = {"sine": {"family": "sine", "reference": "sine"}, "flags_rgb": {"family": "flags", "reference": "flags_rgb"},
            "mnist_train": {"family": "digits", "reference": "mnist_train"}}

SINE = {"dataset": "sine", "generator": ["linear 16", "relu", "linear 32", "relu", "linear out"],
        "discriminator": ["linear 64", "relu", "linear 64", "relu", "linear out"], "noise_size": 2,
        "lr_d": 0.002, "lr_g": 0.002, "beta1": 0.5, "batch_size": 32, "epochs": 40, "seed": 0,
        "snapshot_every": 40, "snapshot_count": 512}

TINY_FLAGS = {"dataset": "flags_rgb", "generator": ["linear 16", "relu", "linear out", "tanh"],
              "discriminator": ["linear 16", "leaky_relu 0.2", "dropout 0.3", "minibatch 4 3", "linear out"],
              "noise_size": 8, "lr_d": 0.001, "lr_g": 0.001, "label_smoothing": 0.9, "lambda_tv": 0.001,
              "batch_size": 8, "epochs": 3, "seed": 3, "snapshot_every": 2, "snapshot_count": 4}


def sine_mae(points: np.ndarray) -> float:
    return float(np.abs(points[:, 1] - np.sin(points[:, 0])).mean())


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A project-like folder with a sine cache and a tiny RGB 'flags' cache."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    write_points(sine_points(2048, rng), tmp_path / "data/processed/sine", "sine")
    (tmp_path / "flags").mkdir()
    for i in range(24):
        Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(tmp_path / "flags" / f"f{i:02d}.png")
    flatten_folder(tmp_path / "flags", tmp_path / "data/processed/flags_rgb", workers=1)
    for digit in range(3):  # a tiny labelled "MNIST": 3 classes of 6x6 grey images
        (tmp_path / "digits" / str(digit)).mkdir(parents=True)
        for i in range(8):
            Image.fromarray(rng.integers(0, 256, (6, 6), dtype=np.uint8)).save(tmp_path / f"digits/{digit}/{i}.png")
    flatten_folder(tmp_path / "digits", tmp_path / "data/processed/mnist_train", workers=1)
    return tmp_path


def write_params(folder, experiments):
    (folder / "params.yaml").write_text(yaml.safe_dump({"datasets": DATASETS, "experiments": experiments}))


def train(name: str, root: str = "results") -> str:
    """``train_experiment`` with the lab's layout: data/processed/<dataset> into ROOT/<name>."""
    config, _ = read_experiment(name)
    return train_experiment(name, "params.yaml", f"data/processed/{config.dataset}", f"{root}/{name}")


def test_sine_gets_closer_to_the_curve(workdir):
    config = ExperimentConfig.from_params("sine", SINE)
    trainer = Trainer(config, load_dataset("sine", "data/processed/sine"), "sine")
    trainer.fit(log=lambda line: None)
    untrained, trained = (sine_mae(s) for s in trainer.history.snapshots)
    assert trained < 0.5 * untrained, (untrained, trained)
    assert len(trainer.history.rows) == 40 and trainer.history.snapshot_epochs == [0, 40]


def test_same_params_give_identical_model_files(workdir):
    write_params(workdir, {"tiny": TINY_FLAGS, "other_seed": TINY_FLAGS | {"seed": 4}})
    train("tiny", "a")
    train("tiny", "b")
    train("other_seed", "c")
    a, b, c = (np.load(workdir / d / name / "train" / "model.npz")
               for d, name in (("a", "tiny"), ("b", "tiny"), ("c", "other_seed")))
    assert a.files == b.files and len(a.files) > 10
    assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert not all(np.array_equal(a[k], c[k]) for k in a.files)
    log = (workdir / "a/tiny/log.tsv").read_text().splitlines()
    assert log[0].split("\t") == ["epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds"] and len(log) == 4
    assert sorted(p.name for p in (workdir / "a/tiny/train/snapshots").iterdir()) == [
        "epoch_00000.png", "epoch_00002.png", "epoch_00003.png"]


@pytest.mark.parametrize("change,message", [
    ({"learning_rate": 0.1}, "unknown key 'experiments.x.learning_rate'"),
    ({"epochs": "ten"}, "'experiments.x.epochs' must be int"),
    ({"lr_g": -1.0}, "'experiments.x.lr_g' must be positive"),
    ({"noise_size": 5000}, "'experiments.x.noise_size' must be in 1..4096, got 5000"),
    ({"noise": "cauchy"}, "'experiments.x.noise' must be one of normal, uniform"),
    ({"dataset": "cifar"}, "'experiments.x.dataset' must be one of the datasets \\(flags_rgb, mnist_train, sine\\), "
                           "got 'cifar'"),
    ({"label_smoothing": 1.5}, "label_smoothing' must be in"),
    ({"separate_batches": "yes"}, "'experiments.x.separate_batches' must be bool"),
    ({"loss": "softplus"}, "'experiments.x.loss' must be one of bce, wgan_gp, hinge"),
    ({"loss": "wgan_gp"}, "'experiments.x.label_smoothing' applies to loss bce, not wgan_gp"),
    ({"sigma_start": -0.1}, "'experiments.x.sigma_start' must be >= 0"),
    ({"conditional": True}, "'experiments.x.conditional' needs a labelled dataset, not 'flags_rgb' "
                            "\\(a flags dataset\\)"),
    ({"digits": [1]}, "'experiments.x.digits' needs a labelled dataset, not 'flags_rgb'"),
])
def test_bad_params_are_named(workdir, change, message):
    write_params(workdir, {"x": TINY_FLAGS | change})
    with pytest.raises(GanError, match=message):
        read_experiment("x")


def test_tv_loss_needs_images(workdir):
    write_params(workdir, {"x": SINE | {"lambda_tv": 0.001}})
    with pytest.raises(GanError, match="'experiments.x.lambda_tv' applies to image datasets, not 'sine'"):
        read_experiment("x")


def test_wgan_gp_critic_layers_are_checked(workdir):
    critic = ["linear 16", "leaky_relu 0.2", "dropout 0.3", "linear out"]
    write_params(workdir, {"w": TINY_FLAGS | {"loss": "wgan_gp", "label_smoothing": 1.0, "discriminator": critic}})
    with pytest.raises(GanError, match=r"'experiments.w.discriminator' with loss wgan_gp: layer 2 \(Dropout\)"):
        train("w")


def test_sampling_a_trained_experiment(workdir):
    write_params(workdir, {"tiny": TINY_FLAGS})
    train("tiny")
    first, again = draw_samples("results/tiny/train", 5, seed=1), draw_samples("results/tiny/train", 5, seed=1)
    assert first.shape == (5, 3, 6, 6) and np.array_equal(first, again)
    assert not np.array_equal(first, draw_samples("results/tiny/train", 5, seed=2))
    write_samples("results/tiny/train", "grid.png", count=4)
    with Image.open("grid.png") as grid:
        assert grid.size == (4 * (2 * 6 + 1),) * 2  # 2x2 tiles of 6 px, 1 px gap, zoom 4
    write_samples("results/tiny/train", "s.npy", count=3)
    assert np.load("s.npy").shape == (3, 3, 6, 6)
    with pytest.raises(GanError, match="results/tiny/train: not a conditional model"):
        draw_samples("results/tiny/train", 3, label=1)
    with pytest.raises(GanError, match="out.txt: choose a .png"):
        write_samples("results/tiny/train", "out.txt")


def test_conditional_training_and_sampling_by_label(workdir):
    cgan = TINY_FLAGS | {"dataset": "mnist_train", "conditional": True, "lambda_tv": 0.0}
    write_params(workdir, {"cgan": cgan})
    train("cgan")
    snapshots = np.load(workdir / "results/cgan/train/snapshots.npz")["samples"]
    assert snapshots.shape == (3, 4, 1, 6, 6)
    zeros, twos = (draw_samples("results/cgan/train", 6, seed=1, label=digit) for digit in (0, 2))
    assert zeros.shape == (6, 1, 6, 6) and not np.allclose(zeros, twos), "the label must change the output"
    with pytest.raises(GanError, match="label 3 is outside 0..2"):
        draw_samples("results/cgan/train", 2, label=3)


def test_missing_key_and_bad_layer_specs(workdir):
    with pytest.raises(GanError, match="missing key 'experiments.x.epochs'"):
        ExperimentConfig.from_params("x", {k: v for k, v in TINY_FLAGS.items() if k != "epochs"})
    write_params(workdir, {"bad_layer": TINY_FLAGS | {"generator": ["linear 16", "swish", "linear out"]},
                           "bad_width": TINY_FLAGS | {"discriminator": ["linear 16", "relu", "linear 2"]}})
    with pytest.raises(GanError, match=r"'experiments.bad_layer.generator' item 1, 'swish', is not a layer spec"):
        train("bad_layer")
    with pytest.raises(GanError, match="'experiments.bad_width.discriminator' ends with 2 features, needs 1"):
        train("bad_width")
    with pytest.raises(GanError, match="missing key 'experiments.nothing'"):
        train("nothing")


def test_divergence_keeps_the_good_model_and_this_runs_last_finite_state(workdir):
    write_params(workdir, {"boom": TINY_FLAGS | {"epochs": 2}})
    train("boom")
    good = (workdir / "results/boom/train/model.npz").read_bytes()
    good_log = (workdir / "results/boom/log.tsv").read_text()
    write_params(workdir, {"boom": TINY_FLAGS | {"lr_g": 1e30, "lr_d": 1e30, "epochs": 5, "snapshot_every": 1}})
    with pytest.raises(Diverged, match=r"experiments.boom diverged at (epoch \d+, step \d+|the end of epoch \d+): .*; "
                                       r"this run's last finite state \(epoch \d\) and log are in "
                                       r"results/boom/train-diverged/; results/boom/train/ and results/boom/log.tsv "
                                       r"were not replaced"):
        train("boom")
    assert (workdir / "results/boom/train/model.npz").read_bytes() == good
    assert (workdir / "results/boom/log.tsv").read_text() == good_log
    model = np.load(workdir / "results/boom/train-diverged/model.npz")
    assert all(np.isfinite(model[k]).all() for k in model.files)
    kept = np.load(workdir / "results/boom/train/model.npz")
    assert not np.array_equal(model["generator/0.W"], kept["generator/0.W"])
    assert (workdir / "results/boom/train-diverged/log.tsv").is_file()


def test_a_loss_gone_nan_is_named_by_its_step_and_the_last_finite_state_comes_back(workdir, monkeypatch):
    """The losses stay on the device through an epoch and are checked at its end, step by step."""
    config = ExperimentConfig.from_params("sine", SINE | {"epochs": 3, "snapshot_every": 1})
    trainer = Trainer(config, load_dataset("sine", "data/processed/sine"), "sine")
    steps, real_step = [], Trainer.step

    def poisoned(self, reals, labels=None):
        values = real_step(self, reals, labels)
        steps.append(len(steps) + 1)
        if len(steps) in (64 + 5, 64 + 9):  # epoch 2 (64 steps an epoch), steps 5 and 9
            values["g_loss"] = np.float64("inf")
        return values
    monkeypatch.setattr(Trainer, "step", poisoned)
    with pytest.raises(Diverged, match=r"^experiments.sine diverged at epoch 2, step 5: D loss [-0-9.e]+, G loss inf$"):
        trainer.fit(log=lambda line: None)
    assert len(steps) == 2 * 64, "the epoch runs to its end before its losses are read"
    assert trainer.last_finite_epoch == 1 and len(trainer.history.rows) == 1
    remembered = trainer.last_finite["generator"]
    for key, value in trainer.gan.generator.state_dict().items():
        np.testing.assert_array_equal(value, remembered[key])


def test_interrupt_leaves_previous_outputs(workdir, monkeypatch):
    write_params(workdir, {"tiny": TINY_FLAGS})
    train("tiny")
    before = (workdir / "results/tiny/train/model.npz").read_bytes()

    def interrupted(self, epoch):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module.Trainer, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train("tiny")
    assert (workdir / "results/tiny/train/model.npz").read_bytes() == before
    assert sorted(p.name for p in (workdir / "results/tiny").iterdir()) == ["log.tsv", "train"]


def test_sampling_errors_are_one_line(workdir, gan_cli):
    write_params(workdir, {"tiny": TINY_FLAGS})
    train("tiny")
    one_line_error(*gan_cli("sample", "tiny", "a.png", "--seed", "-1")[::2], "--seed", "-1 is not in the range x>=0")
    one_line_error(*gan_cli("sample", "tiny", "a.png", "--count", "5000")[::2],
                   "a.png: a PNG grid shows at most 1024 samples")
    (workdir / "plain.txt").write_text("a file, not a folder")
    one_line_error(*gan_cli("sample", "tiny", "plain.txt/a.png")[::2], "plain.txt")
    model = workdir / "results/tiny/train/model.npz"
    good = model.read_bytes()
    model.write_bytes(good[: len(good) // 2])
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "results/tiny/train/model.npz: not a readable model")
    model.write_bytes(good)
    config = workdir / "results/tiny/train/config.json"
    config.write_text(config.read_text()[:-20])
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "results/tiny/train/config.json: not a readable")
    config.write_text('{"dataset": "flags_rgb", "epochs": -1}')
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "config.json: not a model config")
    config.write_text('{"experiment": {"dataset": "flags_rgb", "epochs": -1}, "samples": {}}')
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "config.json: 'experiment.epochs' must be positive")
    assert not (workdir / "a.png").exists()


def test_a_trained_model_folder_alone_is_enough_to_sample(workdir, tmp_path_factory, monkeypatch, gan_cli):
    """results/NAME/train/ copied into an empty folder, with no params.yaml
    and no data/: `gan sample` still draws the same samples."""
    write_params(workdir, {"tiny": TINY_FLAGS, "cgan": TINY_FLAGS | {"dataset": "mnist_train", "conditional": True,
                                                                     "lambda_tv": 0.0},
                           "sine": SINE | {"epochs": 2}})
    for name in ("tiny", "cgan", "sine"):
        train(name)
    expected = draw_samples("results/tiny/train", 9, seed=5)
    alone = tmp_path_factory.mktemp("alone")
    for name in ("tiny", "cgan", "sine"):
        shutil.copytree(workdir / "results" / name / "train", alone / "results" / name / "train")
    monkeypatch.chdir(alone)
    assert gan_cli("sample", "tiny", "tiny.npy", "--count", "9", "--seed", "5")[0] == 0
    np.testing.assert_array_equal(np.load(alone / "tiny.npy"), expected)
    assert gan_cli("sample", "cgan", "twos.png", "--label", "2", "--count", "16")[0] == 0
    with Image.open(alone / "twos.png") as grid:
        assert grid.mode == "L" and grid.size == (4 * (4 * 6 + 3),) * 2
    assert gan_cli("sample", "sine", "points.npy", "--count", "100")[0] == 0
    points = np.load(alone / "points.npy")
    assert points.shape == (100, 2) and 1 < points[:, 0].mean() < 5, "points come back in data units (x around pi)"
    assert sorted(p.name for p in alone.iterdir()) == ["points.npy", "results", "tiny.npy", "twos.png"]


def test_the_gan_commands_run_an_experiment_end_to_end(workdir, gan_cli):
    """gan train, evaluator, evaluate and report over the same library the stages use."""
    params = {"datasets": DATASETS, "experiments": {"tiny": TINY_FLAGS, "sine": SINE | {"epochs": 2, "ema": 0.9}},
              "evaluator": {"epochs": 1, "seed": 0}, "evaluate": {"samples": 50, "seed": 0}}
    (workdir / "mine.yaml").write_text(yaml.safe_dump(params))
    for args in (["train", "tiny"], ["train", "sine"], ["evaluator", "flags_rgb"], ["evaluator", "sine"],
                 ["evaluate", "tiny"], ["evaluate", "sine"], ["report", "--to", "rep"]):
        code, out, err = gan_cli(*args, "--params", "mine.yaml", "--out", "res")
        assert code == 0, (args, err)
    metrics = json.loads((workdir / "res/tiny/metrics.json").read_text())
    assert {"tv_ratio", "distinct_modes", "d_loss", "train_seconds"} <= metrics.keys()
    report = (workdir / "rep/report.md").read_text()
    assert "## flags" in report and "## sine" in report and "| tiny |" in report
    copies = json.loads((workdir / "res/evaluator/flags_rgb/training.json").read_text())
    assert copies["nn_copy_rate"] == 1.0 and copies["precision"] == 1.0 and copies["tv_ratio"] == pytest.approx(1)
    assert "| *training data (flags_rgb)* | " in report.split("## flags")[1].split("##")[0]
    sine = json.loads((workdir / "res/sine/metrics.json").read_text())
    assert sine["without_ema"].keys() == {"sine_mae", "x_ks"}
    assert sine["without_ema"] != {k: sine[k] for k in ("sine_mae", "x_ks")}, "two different generators"
    assert f"| sine | 0.9 | sine_mae | {sine['sine_mae']:.4g} | {sine['without_ema']['sine_mae']:.4g} |" in report
    assert "without_ema" not in (workdir / "res/tiny/metrics.json").read_text()
    budget = report.split("## Budget")[1].split("##")[0]
    seconds = [json.loads((workdir / f"res/{n}/metrics.json").read_text())["train_seconds"] for n in ("tiny", "sine")]
    assert "| tiny | 3 |" in budget and "| sine | 2 |" in budget and f"| **total** | | {sum(seconds):.0f} (" in budget
    assert "](../res/tiny/figures/samples.png)" in report
    assert (workdir / "rep/losses/flags.tsv").read_text().startswith("experiment\tnetwork\tepoch\tloss\ntiny\tD\t1\t")
    (workdir / "res/evaluator/sine/training.json").unlink()  # a reference without its training-data row
    code, _, err = gan_cli("report", "--to", "rep2", "--params", "mine.yaml", "--out", "res")
    one_line_error(code, err, "res/evaluator/sine/training.json", "gan evaluator sine")
    assert not (workdir / "rep2").exists()
