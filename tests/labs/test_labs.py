"""The labs in their quick form: each writes its plots and report, and the verdicts the issue names
are asserted (hand-worked numbers = engine; sigmoid ratio orders of magnitude below the residual
stack's; too high a learning rate fails)."""

import math

import pytest

from chainrule.cli import main
from chainrule.labs import LABS, run_lab
from chainrule.labs.backprop_by_hand import PUBLISHED, W0, by_hand, engine_grads

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _check_files(result):
    report = (result.out_dir / "report.html").read_text()
    assert ("claim holds here" if result.holds else "does not hold here") in report
    pngs = [f for f in result.files if f.suffix == ".png"]
    assert pngs and all(_png(p) and p.name in report for p in pngs)
    return report


def test_backprop_by_hand_equals_engine(tmp_path):
    v, _, g = by_hand(W0)
    e, ge = engine_grads(W0)
    assert abs(e - v["E"]) < 1e-12
    assert max(abs(g[k] - ge[k]) for k in W0) < 1e-12
    assert abs(v["E"] - PUBLISHED["E"]) < 5e-10 and abs(v["w5+"] - PUBLISHED["w5+"]) < 5e-9
    result = run_lab("backprop-by-hand", tmp_path, quick=True, verbose=False)
    assert result.holds and result.numbers["max_diff_fd"] < 1e-8
    report = _check_files(result)
    assert "δ_o1" in report and "0.298371109" in report
    # a wrong weight update would be caught: perturb one hand value and the check fails
    bad = dict(W0, w5=W0["w5"] + 1e-6)
    assert max(abs(by_hand(bad)[2][k] - ge[k]) for k in W0) > 1e-9


def test_vanishing_gradient_sigmoid_vs_residual(tmp_path):
    result = run_lab("vanishing-gradient", tmp_path, quick=True, verbose=False)
    ratios = result.numbers["ratio_init"]
    assert ratios["sigmoid"] < 1e-2 * ratios["relu + skip"]
    assert result.numbers["orders_init"] >= 2 and result.holds
    _check_files(result)


def test_learning_rate_too_high_fails(tmp_path):
    result = run_lab("learning-rate", tmp_path, quick=True, verbose=False)
    final = result.numbers["final_loss"]
    assert result.numbers["high_diverged"]
    assert not math.isfinite(final["too high"]) or final["too high"] > final["good"]
    assert final["too low"] > final["good"]
    assert 0 < result.numbers["suggestion"] < 100
    _check_files(result)


@pytest.mark.parametrize("name", ["momentum", "regularization", "batch-size", "activations",
                                  "perceptron"])  # fmt: skip
def test_other_labs_run_and_report(tmp_path, name):
    result = run_lab(name, tmp_path, quick=True, verbose=False)
    assert isinstance(result.holds, bool) and result.detail
    _check_files(result)


def test_perceptron_verdict(tmp_path):
    result = run_lab("perceptron", tmp_path, quick=True, verbose=False)
    assert result.holds
    assert result.numbers["xor_perceptron_acc"] <= 0.75 and result.numbers["xor_net_acc"] == 1.0


def test_cli_lab(tmp_path, capsys):
    assert main(["lab", "backprop-by-hand", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "claim holds here" in out and (tmp_path / "backprop-by-hand" / "report.html").exists()
    assert "∂E/∂w5" in out  # the worked table is printed
    assert main(["lab", "no-such-lab", "--out", str(tmp_path)]) == 1
    assert "the labs are: all, " + ", ".join(LABS) in capsys.readouterr().err
