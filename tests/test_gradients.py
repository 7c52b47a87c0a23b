"""Finite-difference gradient checks (central differences, float64) for every
layer, loss and a generator-through-discriminator composition."""

import numpy as np
import pytest

from gan.nn import (
    BatchNorm1d,
    Dropout,
    LeakyReLU,
    Linear,
    MinibatchDiscrimination,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    bce_with_logits,
    generator_nonsaturating,
    gradient_penalty,
    hinge_critic,
    softmax_cross_entropy,
    total_variation,
    wasserstein_critic,
    wasserstein_generator,
)
from gan.nn.gradcheck import numerical_gradient, relative_error
from gan.nn.penalty import input_gradients

F64 = np.float64
TOL = 1e-6


def check_layer(layer, x, reset=lambda: None):
    """Compare backward() with central differences of sum(forward(x) * r) for
    the input and every parameter; ``reset`` runs before each forward (it fixes
    a dropout mask)."""
    rng = np.random.default_rng(123)
    reset()
    r = rng.standard_normal(layer.forward(x).shape)

    def f():
        reset()
        return float((layer.forward(x) * r).sum())

    layer.zero_grad()
    reset()
    layer.forward(x)
    dx = layer.backward(r)
    assert relative_error(dx, numerical_gradient(f, x)) < TOL
    for name, p in layer.params.items():
        err = relative_error(layer.grads[name], numerical_gradient(f, p))
        assert err < TOL, f"{type(layer).__name__}.{name}: relative error {err:.2e}"


def batch(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


@pytest.mark.parametrize("init", ["xavier", "he", "normal"])
def test_linear(init):
    check_layer(Linear(5, 4, np.random.default_rng(0), init=init, scale=0.5, dtype=F64), batch((6, 5)))


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.2), Tanh(), Sigmoid()], ids=repr)
def test_activations(layer):
    check_layer(layer, batch((4, 7), scale=2.0))


def test_leaky_relu_values_and_alpha_range():
    x = np.array([[-2.0, -0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(LeakyReLU(0.25).forward(x), [[-0.5, 0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(LeakyReLU(1.0).forward(x), x)
    with pytest.raises(ValueError, match="alpha must be in \\[0, 1\\], got 1.5"):
        LeakyReLU(1.5)


def test_dropout_with_fixed_mask():
    layer = Dropout(0.3, np.random.default_rng(0))

    def fix_mask():
        layer.rng = np.random.default_rng(42)

    check_layer(layer, batch((8, 5)), reset=fix_mask)
    assert (layer.forward(batch((8, 5))) == 0).any(), "the mask dropped nothing"


def test_dropout_eval_is_identity():
    layer = Dropout(0.5, np.random.default_rng(0))
    layer.training = False
    x = batch((3, 4))
    assert np.array_equal(layer.forward(x), x)


def test_batchnorm_train_mode():
    layer = BatchNorm1d(4, dtype=F64)
    layer.params["gamma"][:] = [0.5, 1.5, -1.0, 2.0]
    layer.params["beta"][:] = [0.1, -0.2, 0.3, 0.0]
    check_layer(layer, batch((6, 4), scale=3.0) + 1.0)


def test_batchnorm_eval_mode_uses_running_statistics():
    layer = BatchNorm1d(3, momentum=0.5, dtype=F64)
    x = batch((10, 3), scale=2.0) + 5.0
    layer.forward(x)
    expected_mean, expected_var = 0.5 * x.mean(0), 0.5 + 0.5 * x.var(0)
    np.testing.assert_allclose(layer.buffers["running_mean"], expected_mean)
    np.testing.assert_allclose(layer.buffers["running_var"], expected_var)
    layer.training = False
    y = layer.forward(x)
    np.testing.assert_allclose(y, (x - expected_mean) / np.sqrt(expected_var + layer.eps))
    check_layer(layer, x)


def test_minibatch_discrimination():
    rng = np.random.default_rng(1)
    layer = MinibatchDiscrimination(5, kernels=3, kernel_dim=2, rng=rng, scale=0.5, dtype=F64)
    x = batch((6, 5))
    y = layer.forward(x)
    assert y.shape == (6, 5 + 3)
    assert np.array_equal(y[:, :5], x)
    check_layer(layer, x)


def test_minibatch_discrimination_matches_definition():
    """o[i, b] = sum_j exp(-||M_ib - M_jb||_1), computed with explicit loops."""
    layer = MinibatchDiscrimination(4, kernels=3, kernel_dim=5, rng=np.random.default_rng(2),
                                    scale=0.3, dtype=F64)
    x = batch((5, 4))
    m = (x @ layer.params["T"]).reshape(5, 3, 5)
    expected = np.array([[sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(5))
                          for b in range(3)] for i in range(5)])
    np.testing.assert_allclose(layer.forward(x)[:, 4:], expected, rtol=1e-12)


def test_sequential():
    rng = np.random.default_rng(3)
    model = Sequential([Linear(4, 6, rng, dtype=F64), LeakyReLU(0.1), Linear(6, 3, rng, dtype=F64), Tanh()])
    check_layer(model, batch((5, 4)))


def check_loss(loss, x):
    def f():
        return loss(x)[0]
    _, grad = loss(x)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    assert relative_error(grad, numerical_gradient(f, x)) < TOL


@pytest.mark.parametrize("target", [0.0, 0.9, 1.0])
def test_bce_with_logits(target):
    check_loss(lambda z: bce_with_logits(z, target), batch((7, 1), scale=3.0))


def test_bce_with_array_targets():
    targets = np.random.default_rng(5).uniform(size=(6, 1))
    check_loss(lambda z: bce_with_logits(z, targets), batch((6, 1), scale=2.0))


def test_softmax_cross_entropy():
    labels = np.array([0, 2, 1, 2, 3])
    check_loss(lambda z: softmax_cross_entropy(z, labels), batch((5, 4), scale=3.0))
    value, _ = softmax_cross_entropy(np.array([[1000.0, -1000.0], [0.0, 0.0]]), np.array([1, 0]))
    assert value == pytest.approx((2000 + np.log(2)) / 2)


def test_generator_nonsaturating():
    check_loss(generator_nonsaturating, batch((5, 1), scale=2.0))


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_total_variation(kind):
    check_loss(lambda x: total_variation(x, kind), batch((2, 3, 4, 5)))


def test_total_variation_value_by_hand():
    image = np.array([[[[0.0, 1.0], [3.0, 1.0]]]])  # one 1x2x2 image
    # vertical |3-0| + |1-1|, horizontal |1-0| + |1-3|
    assert total_variation(image, "l1")[0] == 3 + 0 + 1 + 2
    assert total_variation(image, "l2")[0] == 9 + 0 + 1 + 4
    assert total_variation(np.ones((3, 2, 4, 4)))[0] == 0


def test_wasserstein_losses():
    real, fake = batch((4, 1)), batch((6, 1), seed=1)

    def critic():
        return wasserstein_critic(real, fake)[0]

    _, (grad_real, grad_fake) = wasserstein_critic(real, fake)
    assert relative_error(grad_real, numerical_gradient(critic, real)) < TOL
    assert relative_error(grad_fake, numerical_gradient(critic, fake)) < TOL
    check_loss(wasserstein_generator, fake)


def test_hinge_critic_loss():
    """Scores spread around the margins +-1, none on a kink (where the loss has no derivative)."""
    real = np.array([[1.7], [0.4], [-0.3], [1.2]])
    fake = np.array([[-1.6], [-0.5], [0.8], [-1.3], [0.1], [-0.9]])

    def critic():
        return hinge_critic(real, fake)[0]

    _, (grad_real, grad_fake) = hinge_critic(real, fake)
    assert relative_error(grad_real, numerical_gradient(critic, real)) < TOL
    assert relative_error(grad_fake, numerical_gradient(critic, fake)) < TOL
    assert grad_real[0, 0] == 0 and grad_fake[0, 0] == 0, "a met margin passes no gradient"


def test_generator_gradient_through_discriminator():
    """dL_G/dW_G via D.backward(param_grads=False) then G.backward, against
    central differences; D's weight gradients must stay untouched."""
    rng = np.random.default_rng(4)
    gen = Sequential([Linear(3, 8, rng, dtype=F64), ReLU(), Linear(8, 6, rng, dtype=F64), Tanh()])
    disc = Sequential([Linear(6, 8, rng, dtype=F64), LeakyReLU(0.2),
                       MinibatchDiscrimination(8, 3, 2, rng, scale=0.5, dtype=F64),
                       Linear(11, 1, rng, dtype=F64)])
    z = batch((5, 3), seed=9)

    def loss():
        return generator_nonsaturating(disc.forward(gen.forward(z)))[0]

    gen.zero_grad()
    disc.zero_grad()
    _, dlogits = generator_nonsaturating(disc.forward(gen.forward(z)))
    gen.backward(disc.backward(dlogits, param_grads=False))
    for layer in gen.layers:
        for name, p in layer.params.items():
            assert relative_error(layer.grads[name], numerical_gradient(loss, p)) < TOL
    assert all(not g.any() for _, g in disc.parameters())


def test_first_layer_can_skip_its_input_gradient():
    rng = np.random.default_rng(6)
    model = Sequential([Linear(5, 4, rng, dtype=F64), ReLU(), Linear(4, 2, rng, dtype=F64)])
    x, dy = batch((3, 5)), batch((3, 2), seed=1)
    model.forward(x)
    model.zero_grad()
    full = model.backward(dy)
    expected = [g.copy() for _, g in model.parameters()]
    model.zero_grad()
    assert full is not None and model.backward(dy, input_grad=False) is None
    assert all(np.array_equal(g, e) for (_, g), e in zip(model.parameters(), expected))


def penalty_critic(seed=7):
    rng = np.random.default_rng(seed)
    return Sequential([Linear(5, 8, rng, dtype=F64, init="normal", scale=0.7), LeakyReLU(0.2),
                       Linear(8, 6, rng, dtype=F64, init="normal", scale=0.7), ReLU(),
                       Linear(6, 1, rng, dtype=F64, init="normal", scale=0.7)])


def test_input_gradients_match_finite_differences():
    critic, x = penalty_critic(), batch((4, 5))
    g, _ = input_gradients(critic, x)
    for n in range(len(x)):
        row = x[n:n + 1].copy()
        assert relative_error(g[n], numerical_gradient(lambda row=row: float(critic.forward(row)[0, 0]), row)[0]) < TOL


def test_gradient_penalty_parameter_gradient_is_exact():
    """Double back-propagation: d/dW of 10 * mean (||dD/dx|| - 1)^2 against
    central differences of the penalty itself; the biases get no gradient."""
    critic, x = penalty_critic(), batch((6, 5), seed=2)

    critic.zero_grad()
    value, mean_norm = gradient_penalty(critic, x, 10.0)
    g, _ = input_gradients(critic, x)
    norms = np.linalg.norm(g, axis=1)
    assert value == pytest.approx(10 * np.mean((norms - 1) ** 2)) and mean_norm == pytest.approx(norms.mean())
    analytic = [{name: g.copy() for name, g in layer.grads.items()} for layer in critic.layers]
    for layer, grads in zip(critic.layers, analytic):  # (the numerical calls keep adding into layer.grads)
        for name, p in layer.params.items():
            grad = grads[name]
            err = relative_error(grad, numerical_gradient(lambda: gradient_penalty(critic, x, 10.0)[0], p))
            assert err < TOL, f"{name}: relative error {err:.2e}"
            assert (name == "b") == (not grad.any()), "W gets a gradient, b none"


def test_gradient_penalty_adds_to_existing_gradients():
    """Penalty then an ordinary backward = the sum of the two alone (the
    Linear fast path that writes instead of adding must not fire)."""
    critic, x = penalty_critic(), batch((3, 5))

    def grads_after(*passes):
        critic.zero_grad()
        for run_pass in passes:
            run_pass()
        return [g.copy() for _, g in critic.parameters()]

    def penalty():
        gradient_penalty(critic, x, 1.0)

    def ordinary():
        critic.forward(x)
        critic.backward(np.ones((3, 1)))

    both, alone = grads_after(penalty, ordinary), zip(grads_after(penalty), grads_after(ordinary))
    assert all(np.allclose(g, a + b) for g, (a, b) in zip(both, alone))


def test_gradient_penalty_refuses_unsupported_layers():
    rng = np.random.default_rng(0)
    critic = Sequential([Linear(4, 4, rng, dtype=F64), BatchNorm1d(4, dtype=F64), Linear(4, 1, rng, dtype=F64)])
    with pytest.raises(ValueError, match="layer 1 \\(BatchNorm1d\\)"):
        gradient_penalty(critic, batch((3, 4)), 10.0)
