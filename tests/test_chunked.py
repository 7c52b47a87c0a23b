"""Chunked elementwise updates: Adam and the weight average give the same
numbers however their arrays are cut and shared among threads."""

import numpy as np

from gan.nn import Adam, Linear, Sequential, WeightAverage, chunked


def adam_run(sizes, steps=5):
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal(n).astype(np.float32), np.zeros(n, np.float32)) for n in sizes]
    opt = Adam(params, lr=0.01, beta1=0.5)
    for _ in range(steps):
        for p, g in params:
            g[...] = rng.standard_normal(p.size) + p
        opt.step()
    return opt, [p for p, _ in params]


def test_adam_is_the_same_in_one_slice_or_many(monkeypatch):
    whole_opt, whole = adam_run([10, 3, 7])
    assert len(whole_opt._chunks.groups) == 1, "a model under two chunks stays on the calling thread"
    monkeypatch.setattr(chunked, "CHUNK", 4)
    monkeypatch.setattr(chunked, "WORKERS", 2)
    cut_opt, cut = adam_run([10, 3, 7])
    groups = cut_opt._chunks.groups
    assert len(groups) == 2 and sum(len(g) for g in groups) == 3 + 1 + 2, "slices of at most 4, on 2 workers"
    for a, b in zip(whole, cut):
        assert np.array_equal(a, b)


def test_the_average_is_the_same_in_one_slice_or_many(monkeypatch):
    def averaged():
        rng = np.random.default_rng(1)
        model = Sequential([Linear(5, 3, rng)])
        average = WeightAverage(model, decay=0.9)
        for _ in range(30):
            model.layers[0].params["W"] += rng.standard_normal((5, 3)).astype(np.float32)
            average.update()
        return average.model.layers[0].params["W"].copy(), len(average._chunks.groups)

    whole, whole_groups = averaged()
    monkeypatch.setattr(chunked, "CHUNK", 4)
    monkeypatch.setattr(chunked, "WORKERS", 2)
    cut, cut_groups = averaged()
    assert (whole_groups, cut_groups) == (1, 2)
    assert np.array_equal(whole, cut)
