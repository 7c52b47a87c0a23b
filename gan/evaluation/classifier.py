"""The MNIST evaluator: a NumPy MLP classifier whose penultimate features and
class probabilities feed the MNIST-family metrics."""

from dataclasses import dataclass

import numpy as np

from gan.nn import Adam, Dropout, Linear, ReLU, Sequential, softmax, softmax_cross_entropy

FEATURES = 128  # width of the penultimate layer


def build_classifier(rng: np.random.Generator) -> Sequential:
    """784 -> 512 -> 128 (features) -> 10 logits, ReLU, dropout 0.3."""
    return Sequential([Linear(784, 512, rng, init="he"), ReLU(), Dropout(0.3, rng),
                       Linear(512, FEATURES, rng, init="he"), ReLU(), Dropout(0.3, rng),
                       Linear(FEATURES, 10, rng)])


def shift_images(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Each (N, 1, 28, 28) image moved by a random whole-pixel offset in
    [-max_shift, max_shift] in x and y, filled with -1 (black); data augmentation."""
    n = len(images)
    pad = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)), constant_values=-1)
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    rows = dy[:, None] + np.arange(28)[None, :]
    cols = dx[:, None] + np.arange(28)[None, :]
    return pad[np.arange(n)[:, None, None], 0, rows[:, :, None], cols[:, None, :]][:, None]


@dataclass
class Classifier:
    model: Sequential

    def features(self, images: np.ndarray, batch: int = 1000) -> np.ndarray:
        """(N, 128) penultimate activations of (N, 1, 28, 28) images in [-1, 1], eval mode."""
        self.model.eval()
        head = Sequential(self.model.layers[:-1])
        return np.concatenate([head.forward(images[i:i + batch].reshape(-1, 784))
                               for i in range(0, len(images), batch)])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) class probabilities."""
        return softmax(self.model.layers[-1].forward(self.features(images)))

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        return float((self.probabilities(images).argmax(axis=1) == labels).mean())


def train_classifier(images: np.ndarray, labels: np.ndarray, epochs: int, seed: int,
                     batch_size: int = 64, lr: float = 1e-3, log=print) -> Classifier:
    """Fit on (N, 1, 28, 28) images in [-1, 1] with shifted copies each epoch."""
    rng = np.random.default_rng(seed)
    model = build_classifier(rng)
    opt = Adam(model.parameters(), lr)
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(images))
        shifted = shift_images(images, rng).reshape(len(images), -1)
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            model.zero_grad()
            loss, grad = softmax_cross_entropy(model.forward(shifted[idx]), labels[idx])
            model.backward(grad)
            opt.step()
            total += loss * len(idx)
        log(f"evaluator epoch {epoch + 1}/{epochs}  loss {total / len(images):.4f}")
    return Classifier(model.eval())
