"""The CNN rows (benchmarks/cnn.py) on tiny configurations: every contender really trains, the
harness runs them in processes of their own and prints the ratios, and the CNN profile accounts
for the whole step."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import cnn, profile_step
from benchmarks.__main__ import main, parse_args


def _loss(contender, net, x, y) -> float:
    if contender == "chainrule-keras":
        return float(net.evaluate(x, y, verbose=0))
    import chainrule as lib
    from chainrule import nn

    with lib.no_grad():
        net.eval()
        xt = lib.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        out = float(nn.CrossEntropyLoss()(net(xt), lib.from_numpy(y)).item())
        net.train()
    return out


@pytest.mark.parametrize("contender", ["chainrule-keras", "chainrule-torch"])
@pytest.mark.parametrize("model", cnn.MODELS)
def test_contenders_train(contender, model):
    x, y = cnn.images(32)
    train, hooks = cnn.trainer(contender, model, 16, x, y)
    first = _loss(contender, hooks["model"], x, y)
    train(8)
    assert _loss(contender, hooks["model"], x, y) < first


def test_run_reports_throughput():
    rec = cnn.run("chainrule-torch", {"model": "lenet5", "batch": 8, "samples": 16, "epochs": 1})
    assert rec["metrics"]["samples_per_s"] > 0 and rec["metrics"]["samples_per_cpu_s"] > 0


def test_main_prints_cnn_ratios(capsys):
    argv = ["--rows", "cnn", "--cnn-models", "lenet5", "--cnn-samples", "16", "--repeats", "1",
            "--epochs", "1", "--contenders", "chainrule-keras,chainrule-torch,torch"]  # fmt: skip
    report = main(argv)
    out = capsys.readouterr().out
    assert "CNN training at batch 128" in out and "chainrule-torch / torch" in out
    assert set(report["rows"]["cnn lenet5"]["results"]) == {"chainrule-keras", "chainrule-torch",
                                                            "torch"}  # fmt: skip
    with pytest.raises(SystemExit):
        parse_args(["--cnn-models", "alexnet"])


def test_cnn_profile_accounts_for_the_whole_step():
    res = profile_step.cnn_profile("chainrule-torch", "lenet5", 8, 2, 1)
    assert res["parts"]["Conv.forward"] > 0 and res["parts"]["optimizer step"] > 0
    assert res["step"] == pytest.approx(sum(res["parts"].values()) + res["rest"])
