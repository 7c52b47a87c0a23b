"""What D and G minimise.  ``OBJECTIVES`` maps each ``loss`` param to its class.

An objective adds D's parameter gradients for one discriminator step and
gives G's loss with its gradient at D's input.  The trainer does the rest:
sampling, labels, instance noise and optimiser steps.  ``real`` and ``fake``
are D's inputs, (B, F) rows.  Every objective logs d_loss, g_loss, d_real
and d_fake (mean D outputs: probabilities for ``bce``, raw scores otherwise)
plus its own ``columns``, which evaluation, the figures and the report read
from here.  The values are float64 scalars left on the device
(``gan.device.logged``): the trainer reads an epoch's values at once.
"""

import numpy as np

from gan.device import array_module, logged, to_device
from gan.nn import (
    Sequential,
    bce_with_logits,
    check_penalty_critic,
    generator_nonsaturating,
    gradient_penalty,
    hinge_critic,
    sigmoid,
    wasserstein_critic,
    wasserstein_generator,
)
from gan.params import ParamsError


class Objective:
    """Base: ``columns`` it logs beyond d_loss, g_loss, d_real, d_fake."""
    columns: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config, joint: bool) -> "Objective":
        """The objective of ``config``; ``joint``: D may see real and fake rows in one pass."""
        return cls()

    @classmethod
    def describe(cls, config) -> str:
        """A few words for figure titles ('' for the standard GAN)."""
        return ""

    @classmethod
    def check_config(cls, config, where: str) -> None:
        """ParamsError for settings this objective cannot honour."""
        if config.label_smoothing != 1:
            raise ParamsError(f"'{where}.label_smoothing' applies to loss bce, not {config.loss}")

    @classmethod
    def check_critic(cls, critic: Sequential) -> None:
        """ValueError if D has a layer this objective cannot handle."""

    def discriminator_step(self, disc: Sequential, real: np.ndarray, fake: np.ndarray,
                           rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def generator_loss(self, disc: Sequential, fake: np.ndarray) -> tuple:
        """G's loss and its gradient at D's input (D's weights untouched)."""
        raise NotImplementedError


class StandardGAN(Objective):
    """Goodfellow et al. 2014 with the non-saturating G loss: D outputs a logit
    and minimises BCE against ``label_smoothing`` (reals) and 0 (fakes).
    ``joint``: one forward pass over real and fake rows, which gives the same
    gradients as two when D has no layer that mixes samples."""

    def __init__(self, label_smoothing: float = 1.0, joint: bool = True):
        self.label_smoothing, self.joint = label_smoothing, joint

    @classmethod
    def from_config(cls, config, joint):
        return cls(config.label_smoothing, joint)

    @classmethod
    def check_config(cls, config, where):
        pass

    def discriminator_step(self, disc, real, fake, rng):
        """Adds dL_D/dtheta; returns D loss, mean D(x) and mean D(G(z)) as probabilities."""
        if not self.joint:
            real_logits = disc.forward(real)
            loss_real, grad = bce_with_logits(real_logits, self.label_smoothing)
            disc.backward(grad, input_grad=False)
            fake_logits = disc.forward(fake)
            loss_fake, grad = bce_with_logits(fake_logits, 0.0)
            disc.backward(grad, input_grad=False)
            loss = loss_real + loss_fake
        else:
            xp = array_module(real)
            logits = disc.forward(xp.concatenate([real, fake]))
            n = len(real)
            targets = xp.zeros_like(logits)
            targets[:n] = self.label_smoothing
            loss, grad = bce_with_logits(logits, targets)
            disc.backward(grad * 2, input_grad=False)  # same scale as the sum of two batch means
            loss, real_logits, fake_logits = 2 * loss, logits[:n], logits[n:]
        return {"d_loss": loss, "d_real": logged(sigmoid(real_logits).mean()),
                "d_fake": logged(sigmoid(fake_logits).mean())}

    def generator_loss(self, disc, fake):
        """-mean log D(G(z))."""
        loss, grad = generator_nonsaturating(disc.forward(fake))
        return loss, disc.backward(grad, param_grads=False)


class _ScoreCritic(Objective):
    """A critic with raw scores, scored on one joint pass; G minimises -mean D(G(z))."""

    def _scores_step(self, disc, real, fake, loss_of) -> tuple[dict, np.ndarray]:
        n = len(real)
        xp = array_module(real)
        scores = disc.forward(xp.concatenate([real, fake]))
        loss, (grad_real, grad_fake) = loss_of(scores[:n], scores[n:])
        disc.backward(xp.concatenate([grad_real, grad_fake]), input_grad=False)
        return {"d_loss": loss, "d_real": logged(scores[:n].mean()), "d_fake": logged(scores[n:].mean())}, scores

    def generator_loss(self, disc, fake):
        loss, grad = wasserstein_generator(disc.forward(fake))
        return loss, disc.backward(grad, param_grads=False)


class WGANGP(_ScoreCritic):
    """Gulrajani et al. 2017: the critic minimises mean D(fake) - mean D(real)
    plus ``weight`` * mean (||grad_x D(x_mix)|| - 1)^2 at random interpolates
    x_mix = e x_real + (1 - e) x_fake, e ~ U(0, 1) per sample; G minimises
    -mean D(fake).  Logs the Wasserstein estimate mean D(real) - mean D(fake)
    and the penalty."""
    columns = ("wasserstein", "penalty")

    def __init__(self, weight: float = 10.0):
        self.weight = weight

    @classmethod
    def from_config(cls, config, joint):
        return cls(config.gp_weight)

    @classmethod
    def describe(cls, config):
        return f"WGAN-GP {config.gp_weight:g}, n_critic {config.d_steps}"

    @classmethod
    def check_critic(cls, critic):
        check_penalty_critic(critic)

    def discriminator_step(self, disc, real, fake, rng):
        values, _ = self._scores_step(disc, real, fake, wasserstein_critic)
        e = to_device(rng.random((len(real), 1), dtype=real.dtype), array_module(real))  # drawn on the host
        penalty, _ = gradient_penalty(disc, e * real + (1 - e) * fake, self.weight)
        return values | {"d_loss": values["d_loss"] + penalty, "wasserstein": -values["d_loss"], "penalty": penalty}


class Hinge(_ScoreCritic):
    """The hinge loss (Lim & Ye 2017; SAGAN): D minimises
    mean relu(1 - D(real)) + mean relu(1 + D(fake)); G minimises -mean D(fake)."""

    @classmethod
    def describe(cls, config):
        return "hinge loss" + (f", n_critic {config.d_steps}" if config.d_steps > 1 else "")

    def discriminator_step(self, disc, real, fake, rng):
        return self._scores_step(disc, real, fake, hinge_critic)[0]


OBJECTIVES: dict[str, type[Objective]] = {"bce": StandardGAN, "wgan_gp": WGANGP, "hinge": Hinge}
