"""The CNN training-step benchmark runs end to end on a tiny configuration, and every contender's
step really trains (the loss falls on its fixed batch)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import cnn_models


@pytest.mark.parametrize("contender", ["chainrule-keras", "chainrule-torch"])
@pytest.mark.parametrize("model", cnn_models.MODELS)
def test_steps_train(contender, model):
    step = cnn_models._step(contender, model, 16)
    value = lambda loss: float(np.asarray(loss.item() if hasattr(loss, "item") else loss))
    first = value(step())
    for _ in range(15):
        last = value(step())
    assert last < first


def test_driver_prints_a_table(capsys):
    args = ["--rounds", "1", "--steps", "1", "--batch", "2", "--threads", "1", "--models", "lenet5"]
    result = cnn_models.main([*args, "--contenders", "chainrule-keras,chainrule-torch"])
    assert set(result["lenet5"]) == {"chainrule-keras", "chainrule-torch"}
    assert "samples/s" in capsys.readouterr().out
