"""An exponential moving average of a model's weights (Yazici et al. 2019):
a gradient-free copy whose parameters follow the trained model's."""

import copy

import numpy as np

from gan.device import array_module
from gan.nn.chunked import ChunkedUpdate
from gan.nn.kernel import Kernel
from gan.nn.sequential import Sequential


class WeightAverage:
    """``model``: a copy of ``source`` whose parameters become, after each
    ``update``, a_t = d_t a_{t-1} + (1 - d_t) p_t with d_t = min(decay,
    (1 + t) / (10 + t)) (t updates so far), so early averages are not pinned
    to the initial weights: for t below (10 decay - 1) / (1 - decay) (8,991
    at 0.999) d_t is the warm-up term and the average spans about the last
    t / 9 updates, whatever ``decay`` is.  Buffers (batch-norm running
    statistics) are copied from ``source``.  The update is written
    a += (1 - d_t)(p - a) and runs chunk by chunk (``gan.nn.chunked``)."""

    def __init__(self, source: Sequential, decay: float):
        if not 0 < decay < 1:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        self.source, self.decay, self.t = source, decay, 0
        self.model = copy.deepcopy(source).to(array_module(*[p for p, _ in source.parameters()]))  # packed again
        self._chunks = ChunkedUpdate([(layer.params[k], source_layer.params[k])
                                      for layer, source_layer in zip(self.model.layers, source.layers)
                                      for k in layer.params])
        self._buffers = [(layer.buffers[k], source_layer.buffers[k])
                         for layer, source_layer in zip(self.model.layers, source.layers) for k in layer.buffers]

    def update(self) -> None:
        d = min(self.decay, (1 + self.t) / (10 + self.t))
        self._chunks.run(_average_update, AVERAGE_KERNEL, weight=1 - d)
        for average, buffer in self._buffers:
            average[...] = buffer
        self.t += 1

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"t": np.int64(self.t)} | self.model.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        if "t" not in state:
            raise ValueError("weight average state has no 't'")
        self.model.load_state_dict({k: v for k, v in state.items() if k != "t"})
        self.t = int(state["t"])


def _average_update(slices, scratch, weight) -> None:
    """a += weight (p - a) on (a, p) slices, in place."""
    for average, param in slices:
        tmp = scratch[:average.size]
        array_module(average).subtract(param, average, out=tmp)
        tmp *= weight
        average += tmp


AVERAGE_KERNEL = Kernel("average", ("a", "p"), ("a",), "T weight", "a += weight * (p - a);")
