"""Optimisers against hand-computed updates, and Adam on a convex problem."""

import os
import subprocess
import sys

import numpy as np
import pytest

from gan.nn import SGD, Adam

A = np.array([2.0, 3.0])  # f(p) = 0.5 * sum(A * p^2), gradient A * p


def quadratic_steps(opt, p, g, steps):
    trajectory = []
    for _ in range(steps):
        g[...] = A * p
        opt.step()
        trajectory.append(p.copy())
    return trajectory


def test_adam_matches_the_paper_update():
    p, g = np.array([1.0, -2.0]), np.zeros(2)
    lr, b1, b2, eps = 0.1, 0.5, 0.999, 1e-8
    got = quadratic_steps(Adam([(p, g)], lr, b1, b2, eps), p, g, 3)
    q, m, v = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 4):
        grad = A * q
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        q = q - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(got[t - 1], q, rtol=1e-12)
    # first step moves each coordinate by lr against the gradient's sign
    np.testing.assert_allclose(got[0], [1.0 - 0.1, -2.0 + 0.1], rtol=1e-7)


def test_sgd_momentum_by_hand():
    p, g = np.array([1.0, -2.0]), np.zeros(2)
    got = quadratic_steps(SGD([(p, g)], lr=0.1, momentum=0.9), p, g, 2)
    # v1 = -0.1 * [2, -6] = [-0.2, 0.6]; p1 = [0.8, -1.4]
    np.testing.assert_allclose(got[0], [0.8, -1.4])
    # g1 = [1.6, -4.2]; v2 = 0.9 v1 - 0.1 g1 = [-0.34, 0.96]; p2 = [0.46, -0.44]
    np.testing.assert_allclose(got[1], [0.46, -0.44])


def test_sgd_step_decay():
    opt = SGD([(np.zeros(1), np.zeros(1))], lr=1.0, decay=0.5)
    lrs = []
    for epoch in range(3):
        opt.end_epoch(epoch)
        lrs.append(opt.lr)
    assert lrs == pytest.approx([1.0, 1 / 1.5, 1 / 1.5 / 2.0])


def test_adam_minimises_least_squares():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((30, 5)), rng.standard_normal(30)
    x, g = np.zeros(5), np.zeros(5)
    opt = Adam([(x, g)], lr=0.01)  # constant-lr Adam hovers within ~lr of the optimum
    for _ in range(4000):
        g[...] = a.T @ (a @ x - b)
        opt.step()
    np.testing.assert_allclose(x, np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-3)


def test_adam_keeps_float32():
    p, g = np.ones(3, dtype=np.float32), np.full(3, 0.5, dtype=np.float32)
    opt = Adam([(p, g)], lr=1e-3)
    opt.step()
    assert p.dtype == np.float32 and opt.m[0].dtype == np.float32


def budget_of(env: dict, cpus: set[int] | None = None) -> subprocess.CompletedProcess:
    """BUDGET, the pool's WORKERS and BLAS's threads in a fresh process after apply_budget."""
    code = ("from gan.threads import BUDGET, WORKERS, apply_budget; apply_budget(); "
            "from threadpoolctl import threadpool_info; "
            "print(BUDGET, WORKERS, sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "GAN_THREADS"} | env,
                          preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)


def test_the_thread_budget_limits_blas_and_the_pool():
    assert budget_of({"GAN_THREADS": "1"}).stdout.split() == ["1", "1", "[1]"]
    one_core = budget_of({}, {min(os.sched_getaffinity(0))})
    assert one_core.stdout.split() == ["1", "1", "[1]"], "by default, the cores the process was given"
    bad = budget_of({"GAN_THREADS": "0"})
    assert bad.returncode == 1 and bad.stderr.strip() == "error: GAN_THREADS must be a whole number of threads, " \
                                                         "at least 1, got '0'"


def spin_when_numpy_loads(env: dict) -> str:
    """OPENBLAS_THREAD_TIMEOUT as it stands when a fresh process importing a gan module first imports NumPy."""
    code = ("import os, sys\n"
            "class Watch:\n"
            "    seen = None\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'numpy' and Watch.seen is None:\n"
            "            Watch.seen = os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')\n"
            "sys.meta_path.insert(0, Watch())\n"
            "import gan.training.trainer\n"
            "print(Watch.seen)")
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=clean | env).stdout.strip()


def test_openblas_spin_time_is_set_before_numpy_loads():
    from gan.threads import BLAS_SPIN
    assert spin_when_numpy_loads({}) == BLAS_SPIN == "16"
    assert spin_when_numpy_loads({"OPENBLAS_THREAD_TIMEOUT": "20"}) == "20", "the environment's own value wins"
