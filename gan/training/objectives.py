"""What D and G minimise: the standard GAN on logits, or WGAN-GP.

An objective adds D's parameter gradients for one discriminator step and
gives G's loss with its gradient at D's input.  The trainer does the rest:
sampling, labels, instance noise, clipping and optimiser steps.  ``real`` and
``fake`` are D's inputs, (B, F) rows."""

import numpy as np

from gan.nn import (
    Sequential,
    bce_with_logits,
    generator_nonsaturating,
    gradient_penalty,
    sigmoid,
    wasserstein_critic,
    wasserstein_generator,
)


class StandardGAN:
    """Goodfellow et al. 2014 with the non-saturating G loss: D outputs a logit
    and minimises BCE against ``label_smoothing`` (reals) and 0 (fakes).
    ``joint``: one forward pass over real and fake rows, which gives the same
    gradients as two when D has no layer that mixes samples."""
    columns = ()

    def __init__(self, label_smoothing: float, joint: bool):
        self.label_smoothing, self.joint = label_smoothing, joint

    def discriminator_step(self, disc: Sequential, real: np.ndarray, fake: np.ndarray,
                           rng: np.random.Generator) -> dict[str, float]:
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
            logits = disc.forward(np.concatenate([real, fake]))
            n = len(real)
            targets = np.zeros_like(logits)
            targets[:n] = self.label_smoothing
            loss, grad = bce_with_logits(logits, targets)
            disc.backward(grad * 2, input_grad=False)  # same scale as the sum of two batch means
            loss, real_logits, fake_logits = 2 * loss, logits[:n], logits[n:]
        return {"d_loss": loss, "d_real": float(sigmoid(real_logits).mean()),
                "d_fake": float(sigmoid(fake_logits).mean())}

    def generator_loss(self, disc: Sequential, fake: np.ndarray) -> tuple[float, np.ndarray]:
        """-mean log D(G(z)) and its gradient at D's input (D's weights untouched)."""
        loss, grad = generator_nonsaturating(disc.forward(fake))
        return loss, disc.backward(grad, param_grads=False)


class WGANGP:
    """Gulrajani et al. 2017: the critic minimises mean D(fake) - mean D(real)
    plus ``weight`` * mean (||grad_x D(x_mix)|| - 1)^2 at random interpolates
    x_mix = e x_real + (1 - e) x_fake, e ~ U(0, 1) per sample; G minimises
    -mean D(fake).  Logs the Wasserstein estimate mean D(real) - mean D(fake)
    and the penalty."""
    columns = ("wasserstein", "penalty")

    def __init__(self, weight: float):
        self.weight = weight

    def discriminator_step(self, disc, real, fake, rng):
        n = len(real)
        scores = disc.forward(np.concatenate([real, fake]))
        loss, (grad_real, grad_fake) = wasserstein_critic(scores[:n], scores[n:])
        disc.backward(np.concatenate([grad_real, grad_fake]), input_grad=False)
        e = rng.random((n, 1), dtype=real.dtype)
        penalty, _ = gradient_penalty(disc, e * real + (1 - e) * fake, self.weight)
        return {"d_loss": loss + penalty, "d_real": float(scores[:n].mean()), "d_fake": float(scores[n:].mean()),
                "wasserstein": -loss, "penalty": penalty}

    def generator_loss(self, disc, fake):
        loss, grad = wasserstein_generator(disc.forward(fake))
        return loss, disc.backward(grad, param_grads=False)
