"""``chainrule train --threads N`` sets the BLAS threads before training starts."""

from __future__ import annotations

import pytest

import chainrule
from chainrule import cli

pytest.importorskip("threadpoolctl")


@pytest.fixture
def restore_threads():
    before = chainrule.get_num_threads()
    yield
    chainrule.set_num_threads(before)


def test_threads_are_set_before_training(monkeypatch, restore_threads):
    seen = {}

    def fake_run_train(*args, **kwargs):
        seen["threads"] = chainrule.get_num_threads()
        return {}

    monkeypatch.setattr("chainrule.cli.train.run_train", fake_run_train)
    assert cli.main(["train", "mnist-mlp", "--threads", "1", "--quiet"]) == 0
    assert seen["threads"] == 1


def test_without_the_option_the_environment_decides(monkeypatch, restore_threads):
    chainrule.set_num_threads(2)
    seen = {}

    def fake_run_train(*args, **kwargs):
        seen["threads"] = chainrule.get_num_threads()
        return {}

    monkeypatch.setattr("chainrule.cli.train.run_train", fake_run_train)
    assert cli.main(["train", "mnist-mlp", "--quiet"]) == 0
    assert seen["threads"] == 2


def test_bad_thread_count_is_a_clear_error(capsys, restore_threads):
    assert cli.main(["train", "mnist-mlp", "--threads", "0"]) == 1
    assert "n must be >= 1, got 0" in capsys.readouterr().err
