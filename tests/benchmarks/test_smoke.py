"""Smoke tests of the benchmark suite on a tiny configuration (a few seconds in all).

They check that every contender trains the very same model (so the timings compare equal work),
that ``python -m benchmarks`` runs each row end to end and writes its JSON and PNGs, and that bad
options are refused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.__main__ import main, parse_args
from benchmarks.common import init_mlp, interleaved, mnist_shaped
from benchmarks.contenders import available
from benchmarks.mlp import training_flops


def _first_kernel(trainer) -> np.ndarray:
    """The first layer's (in, out) weight matrix of any contender, as NumPy."""
    if (
        hasattr(trainer, "model")
        and hasattr(trainer.model, "parameters")
        and hasattr(trainer, "torch")
    ):
        return trainer.model[0].weight.detach().numpy().T
    if hasattr(trainer, "clf"):
        return trainer.clf.coefs_[0]
    if hasattr(trainer, "kernels"):
        return trainer.kernels()[0]
    first = trainer.params[0]
    return first[0] if isinstance(first, tuple) else first.data


def test_contenders_train_the_same_model():
    # 300·256 weights: more than one block of the blocked momentum update (2**16 elements)
    sizes = [300, 256, 8, 3]
    x, y = mnist_shaped(96, features=300, classes=3)
    start = init_mlp(sizes)[0][0]
    kernels = {}
    for name, cls in available().items():
        trainer = cls(sizes, 32, x, y, lr=0.1)
        trainer.epoch()
        trainer.epoch()
        kernels[name] = np.asarray(_first_kernel(trainer))
        assert kernels[name].dtype == np.float32, name
    ref = kernels.pop("torch")
    assert not np.allclose(ref, start)  # training moved the weights
    for name, k in kernels.items():
        np.testing.assert_allclose(k, ref, rtol=1e-4, atol=1e-5, err_msg=name)


def test_training_flops_counts_six_per_weight_and_sample():
    assert training_flops([784, 512, 512, 10], 100) == 6 * 100 * (784 * 512 + 512 * 512 + 512 * 10)


def test_interleaved_reports_medians_per_contender():
    calls = []
    res = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3, warmup=1,
                      settle=0.0)  # fmt: skip
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then a rotating start
    assert set(res) == {"a", "b"} and len(res["a"]["times"]) == 3
    assert res["a"]["median"] >= res["a"]["min"] >= 0


def test_suite_runs_every_row_tiny(tmp_path):
    out = tmp_path / "r.json"
    report = main(["--quick", "--rows", "mlp,gflops,overhead,memory,scaling", "--samples", "128",
                   "--batch-sizes", "32,64", "--repeats", "1", "--contenders", "numpy,chainrule-loop",
                   "--settle", "0", "--json", str(out), "--plots", str(tmp_path / "plots")])  # fmt: skip
    saved = json.loads(out.read_text())
    assert saved["mlp"].keys() == {"32", "64"}
    for batch in ("32", "64"):
        for name in ("numpy", "chainrule-loop"):
            assert saved["mlp"][batch][name]["samples_per_s"] > 0
    assert saved["gemm"]["numpy"] > 0
    assert saved["overhead"]["chainrule_us"] > 0
    assert (
        saved["memory"]["chainrule-loop"]["peak_mb"]
        >= saved["memory"]["chainrule-loop"]["baseline_mb"]
        > 0
    )
    for key in ("batch", "width", "depth"):
        png = tmp_path / "plots" / f"scaling_{key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["machine"]["threads"] >= 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--rows", "mlp,nope"],
        ["--batch-sizes", "32,x"],
        ["--batch-sizes", "0"],
        ["--repeats", "0"],
        ["--contenders", "numpy,nope"],
    ],
)
def test_bad_options_are_refused(argv):
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_unknown_contender_is_named():
    with pytest.raises(ValueError, match="nope"):
        available(["numpy", "nope"])


def test_phase_breakdown_reports_every_phase():
    from benchmarks.phases import breakdown

    r = breakdown(batch=8, steps=2, repeats=1, sizes=[12, 8, 3])
    assert set(r) == {"gemm", "forward", "backward", "optimizer", "fit"}
    assert all(v > 0 for v in r.values())
