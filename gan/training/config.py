"""One experiment's settings from params.yaml, validated with errors naming the key."""

from dataclasses import dataclass, field, fields

from gan.errors import GanError

DATASETS = ("sine", "gmm8", "gmm25", "mnist_train", "flags_bw", "flags_rgb")
MIXTURE_DATASETS = ("gmm8", "gmm25")
POINT_DATASETS = ("sine", *MIXTURE_DATASETS)
LABELLED_DATASETS = ("mnist_train",)


@dataclass(frozen=True)
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
    dataset: str
    generator: list
    discriminator: list
    epochs: int
    batch_size: int
    seed: int = 0
    noise_size: int = 100
    noise: str = "normal"
    init: str = "xavier"
    optimizer: str = "adam"
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0
    decay: float = 0.0
    d_steps: int = 1
    label_smoothing: float = 1.0
    loss: str = "bce"
    gp_weight: float = 10.0
    sigma_start: float = 0.0
    conditional: bool = False
    grad_clip: float = 0.0
    lambda_tv: float = 0.0
    tv_kind: str = "l1"
    separate_batches: bool = True
    drop_last: bool = True
    digits: list = field(default_factory=list)
    log_every: int = 1
    snapshot_every: int = 10
    snapshot_count: int = 64

    @classmethod
    def from_params(cls, name: str, values: dict) -> "ExperimentConfig":
        where = f"experiments.{name}"
        if not isinstance(values, dict):
            raise GanError(f"params.yaml: '{where}' must be a mapping")
        known = {f.name: f for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                raise GanError(f"params.yaml: unknown key '{where}.{key}'")
            _check_type(f"{where}.{key}", value, known[key].type)
        missing = [k for k in ("dataset", "generator", "discriminator", "epochs", "batch_size") if k not in values]
        if missing:
            raise GanError(f"params.yaml: missing key '{where}.{missing[0]}'")
        config = cls(**values)
        config._check_values(where)
        return config

    def _check_values(self, where: str) -> None:
        choices = {"dataset": DATASETS, "noise": ("normal", "uniform"), "init": ("xavier", "he", "normal"),
                   "optimizer": ("adam", "sgd"), "tv_kind": ("l1", "l2"),
                   "loss": ("bce", "wgan_gp")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise GanError(f"params.yaml: '{where}.{key}' must be one of {', '.join(allowed)}, "
                               f"got {getattr(self, key)!r}")
        positive = ("epochs", "batch_size", "noise_size", "lr_d", "lr_g", "d_steps", "log_every",
                    "snapshot_every", "snapshot_count")
        for key in positive:
            if getattr(self, key) <= 0:
                raise GanError(f"params.yaml: '{where}.{key}' must be positive, got {getattr(self, key)}")
        for key in ("lambda_tv", "grad_clip", "momentum", "decay", "gp_weight", "sigma_start"):
            if getattr(self, key) < 0:
                raise GanError(f"params.yaml: '{where}.{key}' must be >= 0, got {getattr(self, key)}")
        if not 0 < self.label_smoothing <= 1:
            raise GanError(f"params.yaml: '{where}.label_smoothing' must be in (0, 1], got {self.label_smoothing}")
        if self.loss == "wgan_gp" and self.label_smoothing != 1:
            raise GanError(f"params.yaml: '{where}.label_smoothing' applies to loss bce, not wgan_gp")
        if self.lambda_tv and self.dataset in POINT_DATASETS:
            raise GanError(f"params.yaml: '{where}.lambda_tv' applies to image datasets, not {self.dataset!r}")
        if self.digits and (self.dataset != "mnist_train" or not all(0 <= d <= 9 for d in self.digits)):
            raise GanError(f"params.yaml: '{where}.digits' takes digits 0..9 and only for mnist_train")
        if self.conditional and self.dataset not in LABELLED_DATASETS:
            raise GanError(f"params.yaml: '{where}.conditional' needs a labelled dataset "
                           f"({', '.join(LABELLED_DATASETS)}), not {self.dataset!r}")


def _check_type(key: str, value, expected) -> None:
    kinds = {int: (int,), float: (int, float), str: (str,), bool: (bool,), list: (list,)}[expected]
    if isinstance(value, bool) and expected is not bool or not isinstance(value, kinds):
        raise GanError(f"params.yaml: '{key}' must be {expected.__name__}, got {value!r}")
