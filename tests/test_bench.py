"""The benchmark measures the right things: its loop reference computes the
layer's gradient, its FLOP count matches a hand count, and its JSON is consistent."""

import json

import numpy as np
import pytest

from gan.bench import minibatch_loop_reference, step_flops
from gan.bench_device import device_bench, torch_network
from gan.data.download import DataSource, download
from gan.data.flatten import flatten_folder
from gan.data.pad import PadOptions, pad_folder
from gan.datasets import Dataset, SampleSpace
from gan.nn import Dropout, MinibatchDiscrimination
from gan.training.config import ExperimentConfig
from gan.training.trainer import Trainer
from tests.conftest import ROOT, run
from tests.test_device import NETWORKS


def test_loop_reference_matches_the_layer():
    rng = np.random.default_rng(0)
    layer = MinibatchDiscrimination(6, kernels=5, kernel_dim=3, rng=rng, scale=0.5, dtype=np.float64)
    x, dy = rng.standard_normal((7, 6)), rng.standard_normal((7, 11))
    layer.forward(x)
    np.testing.assert_allclose(minibatch_loop_reference(layer, x, dy), layer.backward(dy), rtol=1e-12)


def test_step_flops_by_hand():
    config = ExperimentConfig.from_params("tiny", {
        "dataset": "flags_bw", "generator": ["linear 3", "relu", "linear out"],
        "discriminator": ["linear 5", "relu", "linear out"], "noise_size": 2, "epochs": 1, "batch_size": 10})
    data = Dataset(np.zeros((20, 4), dtype=np.float32), SampleSpace("flags", (1, 2, 2)))
    trainer = Trainer(config, data, "tiny")
    # multiply-adds per row: G 2*3 + 3*4 = 18 (first 6), D 4*5 + 5*1 = 25 (first 20)
    # D step: G forward 10*18; D on 20 rows: forward 25, weight grads 25, input grads 25 - 20
    # G step: D forward and input grads on 10 rows 2*25; G weight grads 18, input grads 18 - 6
    macs = 10 * 18 + 20 * (25 + 25 + 5) + 10 * 2 * 25 + 10 * (18 + 12)
    assert step_flops(trainer, 10) == 2 * macs == 4160


def test_step_flops_by_hand_with_convolutions():
    config = ExperimentConfig.from_params("tiny", {
        "dataset": "flags_bw", "generator": ["linear 8", "reshape 2 2 2", "convt 1 4 2 1", "flatten"],
        "discriminator": ["reshape 1 4 4", "conv 3 4 2 1", "flatten", "linear out"], "noise_size": 2,
        "epochs": 1, "batch_size": 10})
    trainer = Trainer(config, Dataset(np.zeros((20, 16), dtype=np.float32), SampleSpace("flags", (1, 4, 4))), "tiny")
    trainer.step([trainer.data.rows[:10]])  # the convolutions learn their image sizes in forward
    # per row: G linear 2*8 = 16, convt (2*1*4*4 = 32 weights) x 2x2 input pixels = 128 -> 144 (first 16)
    #          D conv (3*1*4*4 = 48 weights) x 2x2 output pixels = 192, linear 12 -> 204 (first 192)
    macs = 10 * 144 + 20 * (204 + 204 + 12) + 10 * 2 * 204 + 10 * (144 + 128)
    assert step_flops(trainer, 10) == 2 * macs


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    """The bench experiments' caches, built from the embedded sample as the data stages do."""
    root = tmp_path_factory.mktemp("data")
    for name, strip in (("mnist-jpg-sample", 1), ("flags-w20", 1)):
        download(DataSource(source=str(ROOT / f"data/sample/{name}.zip"), strip_components=strip), root / name)
    flatten_folder(root / "mnist-jpg-sample" / "MNIST - JPG - training", root / "processed" / "mnist_train")
    pad_folder(root / "flags-w20", root / "flags_rgb", PadOptions(), "RGB")
    flatten_folder(root / "flags_rgb", root / "processed" / "flags_rgb")
    return root / "processed"


def test_bench_prints_consistent_json(caches):
    result = run(["gan", "bench", "--data", str(caches), "--repeats", "3", "--flatten-images", "300"], ROOT)
    bench = json.loads(result.stdout)
    sgemm = bench["sgemm_gflops"]
    steps = bench["mnist_step"] + [bench["flags_rgb_step"], bench["flags_rgb_tv_mbd_step"],
                                   bench["mnist_dcgan_step"]]
    assert [s["batch"] for s in steps] == [128, 32, 32, 32, 64]
    for s in steps:
        assert s["gflops"] == pytest.approx(s["gflop_per_step"] * 1e3 / s["step_ms"])
        assert s["ratio_to_sgemm"] == pytest.approx(s["gflops"] / sgemm)
        assert s["step_ms_min"] <= s["step_ms"] <= s["step_ms_max"]
    # mnist packs 2 samples per D row: D sees 64 rows of 1568 at batch 128
    g, d, b, rows = 100 * 256 + 256 * 512 + 512 * 1024 + 1024 * 784, 1568 * 1024 + 1024 * 512 + 512 * 256 + 256, 128, 64
    macs = b * g + 2 * rows * (3 * d - 1568 * 1024) + rows * 2 * d + b * (2 * g - 100 * 256)
    assert bench["mnist_step"][0]["gflop_per_step"] == pytest.approx(2 * macs / 1e9)
    # G: 100*3136 + (64*32*16)*7*7 + (32*16)*14*14; D: (32*16)*14*14 + (32*64*16)*7*7 + 3136 (see step_flops)
    g, d, b = 313_600 + 1_605_632 + 100_352, 100_352 + 1_605_632 + 3_136, 64
    macs = b * g + 2 * b * (3 * d - 100_352) + b * 2 * d + b * (2 * g - 313_600)
    assert bench["mnist_dcgan_step"]["gflop_per_step"] == pytest.approx(2 * macs / 1e9)
    assert bench["flatten"]["images"] == 300 and bench["flatten"]["all_cores"]["images_per_s"] > 0
    mbd = bench["minibatch_discrimination"]
    assert mbd["speedup"] == pytest.approx(mbd["loop_ms"] / mbd["layer_ms"])
    spin = bench["blas_spin"]
    assert spin["openblas_thread_timeout"] == {"openblas": "28", "lab": "16"}
    for name, batch in (("flags_rgb", 32), ("mnist", 128)):
        assert spin[name]["batch"] == batch
        assert spin[name]["speedup"] == pytest.approx(spin[name]["openblas_spin_ms"] / spin[name]["lab_spin_ms"])


def test_the_device_bench_times_both_steps_with_the_ratio_to_torch(caches, monkeypatch):
    monkeypatch.setattr("gan.bench_device.MLP_BATCHES", (8, 16))  # (64, 128, 1024) in the real bench
    monkeypatch.setattr("gan.bench_device.DCGAN_BATCHES", (8,))
    result = device_bench(ROOT / "params.yaml", caches, "cpu", np, repeats=1, log=lambda line: None, warmup=1)
    assert [step["batch"] for step in result["mlp_step"]] == [8, 16]
    assert [step["batch"] for step in result["dcgan_step"]] == [8]
    for step in result["mlp_step"] + result["dcgan_step"]:
        assert step["samples_per_s"] > 0
        if "torch" not in result:
            assert step["ratio_to_torch"] == pytest.approx(step["samples_per_s"] / step["torch_samples_per_s"])
    assert "torch" not in result or result["torch"].startswith("not measured: ")


@pytest.mark.parametrize("name", ["mlp", "dcgan_g", "dcgan_d"])  # the layers of the benched networks
def test_the_torch_networks_compute_what_the_lab_computes(name):
    torch = pytest.importorskip("torch", reason="PyTorch is optional: the device bench's comparison only")
    build, shape = NETWORKS[name]
    ours = build().eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    theirs = torch_network(ours).eval()
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.tensor(x)).numpy(), ours.forward(x), rtol=1e-4, atol=1e-5)
    ours.train(), theirs.train()
    if any(isinstance(layer, Dropout) for layer in ours.layers):
        return  # the masks differ
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.tensor(x)).numpy(), ours.forward(x), rtol=1e-4, atol=1e-5)
