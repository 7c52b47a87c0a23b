"""One experiment's settings (``experiments.<name>`` in params.yaml), validated
with errors naming the key."""

from dataclasses import dataclass
from pathlib import Path

from gan.datasets import FAMILIES, Family, dataset_entry
from gan.device import DEVICES
from gan.params import (
    NAME,
    NAME_RULE,
    ParamsError,
    check_name,
    in_range,
    load_params,
    naming_file,
    non_negative,
    one_of,
    param,
    parse,
    positive,
    section,
    shown,
)
from gan.training.build import spec_problem
from gan.training.objectives import OBJECTIVES


def _target(value: float) -> str | None:
    return None if 0 < value <= 1 else "must be in (0, 1]"


def _digits(digits: list) -> str | None:
    return None if all(0 <= d <= 9 for d in digits) and len(set(digits)) == len(digits) else \
        "takes distinct digits 0..9"


def _name(value: str) -> str | None:
    return None if NAME.fullmatch(value) else f"must be a dataset name ({NAME_RULE})"


MAX_NOISE_SIZE = 4096  # params.yaml uses at most 100


def _noise_size(value: int) -> str | None:
    return None if 1 <= value <= MAX_NOISE_SIZE else f"must be in 1..{MAX_NOISE_SIZE}"


@dataclass(frozen=True, kw_only=True)
class ExperimentConfig:
    """Everything ``train`` needs.  ``dataset``: an entry of the params'
    ``datasets``.  Learning rates per network; ``label_smoothing`` is the
    target for real samples (1.0 = none); ``d_steps`` discriminator steps per
    generator step; ``separate_batches`` feeds D real and generated samples as
    separate minibatches when D has a layer that mixes samples (minibatch
    discrimination, batch norm); otherwise one joint pass computes the same
    gradients faster.  ``loss``: a key of ``OBJECTIVES`` (bce, wgan_gp, hinge);
    ``gp_weight`` is WGAN-GP's penalty weight (use ``d_steps`` 5 for n_critic).
    ``sigma_start``: instance noise, the std of Gaussian noise added to every
    D input, annealed linearly to 0 over the run (0 = off).  ``conditional``:
    the one-hot label is appended to G's noise and to D's input.  ``pac``:
    packing (PacGAN, Lin et al. 2018), D judges ``pac`` samples of one kind
    concatenated into one row (1 = off).  ``ema``: decay of the moving
    average of G's weights that sampling, snapshots and evaluation use
    (0 = off, the trained weights; its warm-up is in ``WeightAverage``).
    Cadences are in epochs."""
    dataset: str = param(check=_name)
    generator: list[str] = param(check=spec_problem)
    discriminator: list[str] = param(check=spec_problem)
    epochs: int = param(check=positive)
    batch_size: int = param(check=positive)
    seed: int = param(0, non_negative)
    noise_size: int = param(100, _noise_size)
    noise: str = param("normal", one_of("normal", "uniform"))
    init: str = param("xavier", one_of("xavier", "he", "normal"))
    optimizer: str = param("adam", one_of("adam", "sgd"))
    lr_d: float = param(2e-4, positive)
    lr_g: float = param(2e-4, positive)
    beta1: float = param(0.5, in_range(0, 1, high_open=True))
    beta2: float = param(0.999, in_range(0, 1, high_open=True))
    momentum: float = param(0.0, in_range(0, 1, high_open=True))
    decay: float = param(0.0, non_negative)
    d_steps: int = param(1, positive)
    label_smoothing: float = param(1.0, _target)
    loss: str = param("bce", one_of(*OBJECTIVES))
    gp_weight: float = param(10.0, non_negative)
    sigma_start: float = param(0.0, non_negative)
    conditional: bool = param(False)
    lambda_tv: float = param(0.0, non_negative)
    tv_kind: str = param("l1", one_of("l1", "l2"))
    separate_batches: bool = param(True)
    pac: int = param(1, in_range(1, 16))
    ema: float = param(0.0, in_range(0, 1, high_open=True))
    drop_last: bool = param(True)
    digits: list[int] = param([], _digits)
    log_every: int = param(1, positive)
    snapshot_every: int = param(10, positive)
    snapshot_count: int = param(64, in_range(1, 1024))

    @classmethod
    def from_params(cls, name: str, values: dict) -> "ExperimentConfig":
        """The checked settings ``values`` of ``experiments.<name>`` (without its dataset's family rules)."""
        return parse(cls, values, f"experiments.{name}")

    def check_values(self, where: str) -> None:
        """Rules that span keys."""
        OBJECTIVES[self.loss].check_config(self, where)
        if self.batch_size % self.pac or (self.pac > 1 and not self.drop_last):
            raise ParamsError(f"'{where}.pac' {self.pac} needs batch_size a multiple of it and drop_last true")

    def check_family(self, family: Family, where: str) -> None:
        """Rules that depend on the dataset's family."""
        if self.lambda_tv and family.kind != "images":
            raise ParamsError(f"'{where}.lambda_tv' applies to image datasets, not {self.dataset!r}")
        for key in ("digits", "conditional"):
            if getattr(self, key) and not family.labelled:
                raise ParamsError(f"'{where}.{key}' needs a labelled dataset, not {self.dataset!r} "
                                  f"(a {family.name} dataset)")


def experiment_config(name: str, params: dict) -> tuple[ExperimentConfig, Family]:
    """The checked settings of ``experiments.<name>`` in the loaded ``params``,
    and the family of its dataset (one of the params' ``datasets``).  Its
    ``device`` is not a setting of the model: ``experiment_device`` reads it."""
    where = f"experiments.{check_name(name, 'experiments')}"
    values = section(params, where)
    config = parse(ExperimentConfig, {k: v for k, v in values.items() if k != "device"}, where)
    family = FAMILIES[dataset_entry(params, config.dataset, f"{where}.dataset").family]
    config.check_family(family, where)
    return config, family


def experiment_device(name: str, params: dict) -> tuple[str, str]:
    """Where ``experiments.<name>`` trains: its own ``device``, else the
    params' top-level ``device``, else 'cpu'; and the key that said so."""
    own = section(params, f"experiments.{check_name(name, 'experiments')}")
    where, device = ((f"experiments.{name}.device", own["device"]) if "device" in own
                     else ("device", params.get("device", "cpu")))
    if device not in DEVICES:
        raise ParamsError(f"'{where}' must be one of {', '.join(DEVICES)}, got {shown(device)}")
    return device, where


def read_experiment(name: str, params_file: str | Path = "params.yaml") -> tuple[ExperimentConfig, Family]:
    """``experiment_config`` of the params file ``params_file``, errors naming it."""
    with naming_file(params_file):
        return experiment_config(name, load_params(params_file))


def read_device(name: str, params_file: str | Path = "params.yaml") -> tuple[str, str]:
    """``experiment_device`` of the params file ``params_file``, errors naming it."""
    with naming_file(params_file):
        return experiment_device(name, load_params(params_file))
