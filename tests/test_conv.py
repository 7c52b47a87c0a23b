"""Conv2d, ConvTranspose2d, BatchNorm2d, Reshape/Flatten: float64 finite
differences over several stride/padding settings, the adjoint identity
<conv(x), y> = <x, convT(y)>, and conv against its definition written as loops."""

import numpy as np
import pytest

from gan.nn import BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, Reshape, Sequential
from gan.nn.conv import BufferPool, Windows
from tests.test_gradients import F64, batch, check_layer

CONV = [(3, 1, 0), (3, 1, 1), (4, 2, 1), (3, 2, 0), (5, 3, 2)]           # kernel, stride, padding
CONVT = [(3, 1, 0, 0), (4, 2, 1, 0), (3, 2, 1, 1), (4, 2, 1, 1), (5, 3, 2, 2)]  # + output padding


def conv(kernel, stride, padding, seed=0):
    return Conv2d(3, 4, kernel, np.random.default_rng(seed), stride, padding, scale=0.5, dtype=F64)


@pytest.mark.parametrize("kernel,stride,padding", CONV)
def test_conv2d_gradients(kernel, stride, padding):
    layer = conv(kernel, stride, padding)
    layer.params["b"][:] = [0.1, -0.2, 0.3, 0.0]
    check_layer(layer, batch((2, 3, 7, 6)))


@pytest.mark.parametrize("kernel,stride,padding,output_padding", CONVT)
def test_conv_transpose2d_gradients(kernel, stride, padding, output_padding):
    layer = ConvTranspose2d(3, 2, kernel, np.random.default_rng(1), stride, padding, output_padding,
                            scale=0.5, dtype=F64)
    layer.params["b"][:] = [0.3, -0.1]
    x = batch((2, 3, 4, 5))
    assert layer.forward(x).shape == (2, 2, layer.output_size(4), layer.output_size(5))
    check_layer(layer, x)


@pytest.mark.parametrize("kernel,stride,padding", CONV)
def test_conv_transpose_is_the_adjoint_of_conv(kernel, stride, padding):
    forward = conv(kernel, stride, padding, seed=2)
    forward.params["b"][:] = 0
    x = batch((2, 3, 9, 9))
    y = batch((2, 4) + forward.forward(x).shape[2:], seed=3)
    extra = (9 + 2 * padding - kernel) % stride  # rows the convolution's last window leaves out
    adjoint = ConvTranspose2d(4, 3, kernel, np.random.default_rng(0), stride, padding, extra, dtype=F64)
    adjoint.params["W"][...] = forward.params["W"]
    back = adjoint.forward(y)
    assert back.shape == x.shape
    assert np.vdot(forward.forward(x), y) == pytest.approx(np.vdot(x, back), rel=1e-12)


@pytest.mark.parametrize("kernel,stride,padding", [(3, 2, 1), (4, 2, 1), (3, 1, 1)],
                         ids=["one copy per offset", "one strided copy, s=2", "one strided copy, s=1"])
def test_conv2d_matches_the_definition(kernel, stride, padding):
    layer = conv(kernel, stride, padding, seed=4)
    layer.params["b"][:] = [1.0, 2.0, 3.0, 4.0]
    x = batch((2, 3, 6, 5))
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    w, b = layer.params["W"], layer.params["b"]
    out = layer.forward(x)
    expected = np.zeros((2, 4) + out.shape[2:])
    for n in range(2):
        for o in range(4):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    window = padded[n, :, stride * i:stride * i + kernel, stride * j:stride * j + kernel]
                    expected[n, o, i, j] = b[o] + (window * w[o]).sum()
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("kernel,stride,padding", CONV)
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, padding):
    x = batch((2, 3, 7, 6))
    windows = Windows(x.shape, kernel, stride, padding)
    cols = windows.im2col(x, BufferPool())
    assert cols.shape == (3 * kernel * kernel, 2 * windows.length)
    r = batch(cols.shape, seed=5)
    assert np.vdot(cols, r) == pytest.approx(np.vdot(x, windows.col2im(r, BufferPool())), rel=1e-12)


def test_im2col_columns_hold_the_windows():
    """Column (n, i, j) of the flat layout is the window of output pixel (i, j); the
    wasted columns past OW are cropped by ``outputs`` and zero after ``spread``."""
    x = batch((2, 3, 7, 6))
    windows = Windows(x.shape, 3, 2, 1)
    cols = windows.im2col(x, BufferPool())
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.stack([padded[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].reshape(2, -1).T
                         for i in range(windows.oh) for j in range(windows.ow)], axis=-1)  # (C*k*k, N, OH*OW)
    got = windows.outputs(cols).transpose(1, 0, 2, 3).reshape(len(cols), 2, -1)
    np.testing.assert_array_equal(got, expected)
    y = batch((2, 5, windows.oh, windows.ow), seed=1)
    rows = windows.spread(y, BufferPool(), "y")
    np.testing.assert_array_equal(windows.outputs(rows), y)
    assert np.count_nonzero(rows) == y.size


def test_a_kernel_larger_than_the_padded_image_is_refused():
    with pytest.raises(ValueError, match="5x5 kernel does not fit a 3x4 image with padding 0"):
        Windows((1, 1, 3, 4), 5, 1, 0)


def test_im2col_buffers_are_reused_and_bounded():
    """A GAN step alternates D's joint batch and G's batch: two buffers per role, reused."""
    layer = conv(4, 2, 1)
    layer.forward(batch((4, 3, 8, 8)))
    joint = layer._cols
    layer.forward(batch((2, 3, 8, 8)))
    single = layer._cols
    layer.forward(batch((4, 3, 8, 8), seed=1))
    assert layer._cols is joint and layer._cols.shape == (3 * 4 * 4, 4 * layer.windows.length)
    layer.forward(batch((2, 3, 8, 8), seed=1))
    assert layer._cols is single
    layer.forward(batch((3, 3, 8, 8)))
    for arrays in layer._pool.roles.values():
        assert len(arrays) == 2 and joint.shape not in {shape for shape, _ in arrays}


def test_batchnorm2d_per_channel():
    layer = BatchNorm2d(3, dtype=F64)
    layer.params["gamma"][:] = [0.5, 1.5, -1.0]
    layer.params["beta"][:] = [0.1, -0.2, 0.3]
    x = batch((4, 3, 3, 2), scale=2.0) + np.array([1.0, -2.0, 5.0])[None, :, None, None]
    y = layer.forward(x)
    np.testing.assert_allclose(((y - layer.params["beta"][None, :, None, None]) /
                                layer.params["gamma"][None, :, None, None]).mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.2 * x.mean(axis=(0, 2, 3)))
    check_layer(layer, x)
    layer.training = False
    check_layer(layer, x)


def test_reshape_and_flatten():
    x = batch((2, 12))
    check_layer(Reshape(3, 2, 2), x)
    assert Reshape(3, 2, 2).forward(x).shape == (2, 3, 2, 2)
    check_layer(Flatten(), batch((2, 3, 2, 2)))
    assert Flatten().forward(batch((2, 3, 2, 2))).shape == (2, 12)


def test_a_small_conv_network_end_to_end():
    """Reshape -> Conv2d -> LeakyReLU -> ConvTranspose2d -> BatchNorm2d -> Flatten -> Linear:
    the channel-major views flowing between layers give exact gradients."""
    rng = np.random.default_rng(7)
    model = Sequential([Reshape(2, 6, 6), Conv2d(2, 3, 4, rng, 2, 1, scale=0.5, dtype=F64), LeakyReLU(0.2),
                        ConvTranspose2d(3, 2, 4, rng, 2, 1, scale=0.5, dtype=F64), BatchNorm2d(2, dtype=F64),
                        Flatten(), Linear(72, 3, rng, dtype=F64)])
    check_layer(model, batch((3, 72)))


def test_leading_reshape_and_first_conv_skip_input_gradients():
    rng = np.random.default_rng(8)
    model = Sequential([Reshape(1, 4, 4), Conv2d(1, 2, 3, rng, 1, 1, dtype=F64), Flatten(),
                        Linear(32, 1, rng, dtype=F64)])
    x, dy = batch((2, 16)), batch((2, 1), seed=1)
    model.forward(x)
    model.zero_grad()
    assert model.backward(dy).shape == (2, 16)
    full = [g.copy() for _, g in model.parameters()]
    model.zero_grad()
    assert model.backward(dy, input_grad=False) is None
    assert all(np.array_equal(g, f) for (_, g), f in zip(model.parameters(), full))
