"""One experiment's settings (``experiments.<name>`` in params.yaml), validated
with errors naming the key."""

from dataclasses import dataclass

from gan.params import ParamsError, in_range, non_negative, one_of, param, parse, positive
from gan.training.build import spec_problem

DATASETS = ("sine", "gmm8", "gmm25", "mnist_train", "flags_bw", "flags_rgb")
MIXTURE_DATASETS = ("gmm8", "gmm25")
POINT_DATASETS = ("sine", *MIXTURE_DATASETS)
LABELLED_DATASETS = ("mnist_train",)


def _target(value: float) -> str | None:
    return None if 0 < value <= 1 else "must be in (0, 1]"


def _digits(digits: list) -> str | None:
    return None if all(0 <= d <= 9 for d in digits) and len(set(digits)) == len(digits) else \
        "takes distinct digits 0..9"


@dataclass(frozen=True, kw_only=True)
class ExperimentConfig:
    """Everything ``train`` needs.  Learning rates per network; ``label_smoothing``
    is the target for real samples (1.0 = none); ``d_steps`` discriminator
    steps per generator step; ``grad_clip`` a global gradient-norm limit per
    network (0 = off); ``separate_batches`` feeds D real and generated samples
    as separate minibatches when D has a layer that mixes samples (minibatch
    discrimination, batch norm); otherwise one joint pass computes the same
    gradients faster.  ``loss``: ``bce`` (the standard GAN on logits) or
    ``wgan_gp`` (critic with gradient penalty of weight ``gp_weight``; use
    ``d_steps`` 5 for n_critic).  ``sigma_start``: instance noise, the std of
    Gaussian noise added to every D input, annealed linearly to 0 over the
    run (0 = off).  ``conditional``: the one-hot label is appended to G's noise
    and to D's input.  Cadences are in epochs."""
    dataset: str = param(check=one_of(*DATASETS))
    generator: list[str] = param(check=spec_problem)
    discriminator: list[str] = param(check=spec_problem)
    epochs: int = param(check=positive)
    batch_size: int = param(check=positive)
    seed: int = param(0, non_negative)
    noise_size: int = param(100, positive)
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
    loss: str = param("bce", one_of("bce", "wgan_gp"))
    gp_weight: float = param(10.0, non_negative)
    sigma_start: float = param(0.0, non_negative)
    conditional: bool = param(False)
    grad_clip: float = param(0.0, non_negative)
    lambda_tv: float = param(0.0, non_negative)
    tv_kind: str = param("l1", one_of("l1", "l2"))
    separate_batches: bool = param(True)
    drop_last: bool = param(True)
    digits: list[int] = param([], _digits)
    log_every: int = param(1, positive)
    snapshot_every: int = param(10, positive)
    snapshot_count: int = param(64, in_range(1, 1024))

    @classmethod
    def from_params(cls, name: str, values: dict) -> "ExperimentConfig":
        """The checked settings of ``experiments.<name>``."""
        return parse(cls, values, f"experiments.{name}")

    def check_values(self, where: str) -> None:
        """Rules that span keys."""
        if self.loss == "wgan_gp" and self.label_smoothing != 1:
            raise ParamsError(f"'{where}.label_smoothing' applies to loss bce, not wgan_gp")
        if self.lambda_tv and self.dataset in POINT_DATASETS:
            raise ParamsError(f"'{where}.lambda_tv' applies to image datasets, not {self.dataset!r}")
        if self.digits and self.dataset not in LABELLED_DATASETS:
            raise ParamsError(f"'{where}.digits' applies to labelled datasets "
                              f"({', '.join(LABELLED_DATASETS)}), not {self.dataset!r}")
        if self.conditional and self.dataset not in LABELLED_DATASETS:
            raise ParamsError(f"'{where}.conditional' needs a labelled dataset "
                              f"({', '.join(LABELLED_DATASETS)}), not {self.dataset!r}")
