"""chainrule.set_num_threads / get_num_threads: BLAS threads through threadpoolctl."""

from __future__ import annotations

import subprocess
import sys

import pytest

import chainrule

pytest.importorskip("threadpoolctl")


@pytest.fixture
def restore_threads():
    before = chainrule.get_num_threads()
    yield
    chainrule.set_num_threads(before)


def test_set_then_get(restore_threads):
    from threadpoolctl import threadpool_info

    chainrule.set_num_threads(1)
    assert chainrule.get_num_threads() == 1
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    chainrule.set_num_threads(2)
    assert chainrule.get_num_threads() == 2


def test_products_agree_across_thread_counts(restore_threads):
    import numpy as np

    a = np.random.default_rng(0).random((256, 128), dtype=np.float32)
    results = []
    for n in (2, 1):
        chainrule.set_num_threads(n)
        results.append((chainrule.Tensor(a) @ chainrule.Tensor(a.T)).data)
    assert results[1].dtype == np.float32
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


@pytest.mark.parametrize("bad", [1.5, "2", None, True])
def test_non_integers_are_refused_without_change(bad, restore_threads):
    before = chainrule.get_num_threads()
    with pytest.raises(TypeError, match="set_num_threads"):
        chainrule.set_num_threads(bad)
    assert chainrule.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -3])
def test_non_positive_counts_are_refused(bad, restore_threads):
    before = chainrule.get_num_threads()
    with pytest.raises(ValueError, match=f"got {bad}"):
        chainrule.set_num_threads(bad)
    assert chainrule.get_num_threads() == before


def test_numpy_integers_are_accepted(restore_threads):
    import numpy as np

    chainrule.set_num_threads(np.int64(1))
    assert chainrule.get_num_threads() == 1


def test_missing_threadpoolctl_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"chainrule\[threads\]"):
        chainrule.set_num_threads(1)
    with pytest.raises(ImportError, match=r"chainrule\[threads\]"):
        chainrule.get_num_threads()


def test_import_leaves_the_environment_alone():
    code = ("import sys, chainrule; print('threadpoolctl' in sys.modules, "
            "chainrule.get_num_threads())")  # fmt: skip
    env_threads = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, env={**__import__("os").environ,
                                                  "OPENBLAS_NUM_THREADS": "1"})  # fmt: skip
    # importing chainrule loads no threadpoolctl, and the environment's setting stands
    assert env_threads.stdout.split() == ["False", "1"]
