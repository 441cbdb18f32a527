"""Smoke tests of the benchmark harness on tiny configurations (seconds in all).

They check that every contender trains the very same model (so the timings compare equal work),
that the harness runs each contender in processes of its own, alternating, with per-round ratios,
that missing peers are skipped with a reason, and that ``python -m benchmarks`` runs end to end.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from benchmarks import harness
from benchmarks.__main__ import main, parse_args
from benchmarks.common import init_mlp, load_data, mnist_shaped
from benchmarks.contenders import TRAINERS
from benchmarks.mlp import training_flops

TINY = {"sizes": [20, 16, 3], "batch": 32, "samples": 128, "epochs": 2}


def _first_kernel(trainer) -> np.ndarray:
    """The first layer's (in, out) weight matrix of any contender, as NumPy."""
    if hasattr(trainer, "torch"):
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
    for name in ("chainrule-fit", "chainrule-loop", "torch", "sklearn", "numpy"):
        trainer = TRAINERS[name](sizes, 32, x, y, lr=0.1)
        trainer.train(2)
        kernels[name] = np.asarray(_first_kernel(trainer))
        assert kernels[name].dtype == np.float32, name
    ref = kernels.pop("torch")
    assert not np.allclose(ref, start)  # training moved the weights
    for name, k in kernels.items():
        np.testing.assert_allclose(k, ref, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_keras_contenders_train_the_same_model(backend, tmp_path):
    python = harness.bench_python()
    if python is None:
        pytest.skip("no benchmark venv (benchmarks/setup_peers.sh)")
    spec = harness.Contender(
        f"keras-{backend}", ("keras", backend), "bench", {"KERAS_BACKEND": backend}
    )
    if harness.skip_reason(spec):
        pytest.skip(harness.skip_reason(spec))
    out = tmp_path / "k.npy"
    code = ("import sys, numpy as np\nfrom benchmarks.common import mnist_shaped\n"
            "from benchmarks.contenders import TRAINERS\n"
            "x, y = mnist_shaped(96, features=300, classes=3)\n"
            f"t = TRAINERS['keras-{backend}']([300, 256, 8, 3], 32, x, y, lr=0.1)\n"
            f"t.train(2)\nnp.save({str(out)!r}, t.kernels()[0])\n")  # fmt: skip
    subprocess.run([python, "-c", code], env=harness.worker_env(spec), cwd=harness.ROOT,
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    x, y = mnist_shaped(96, features=300, classes=3)
    ref = TRAINERS["torch"]([300, 256, 8, 3], 32, x, y, lr=0.1)
    ref.train(2)
    np.testing.assert_allclose(np.load(out), _first_kernel(ref), rtol=1e-4, atol=1e-5)


def test_compare_runs_each_contender_in_its_own_process_alternating():
    res = harness.compare("mlp", TINY, ["chainrule-fit", "numpy"], rounds=2, threads=1)
    assert set(res["results"]) == {"chainrule-fit", "numpy"} and not res["errors"]
    recs = res["records"]
    pids = {r["pid"] for rs in recs.values() for r in rs}
    assert len(pids) == 4  # four processes
    first, second = recs["chainrule-fit"], recs["numpy"]
    assert first[0]["started"] < second[0]["started"]  # round 1: A B
    assert second[1]["started"] < first[1]["started"]  # round 2: B A
    assert "chainrule" not in second[0]["env"]["versions"]  # numpy's never loaded chainrule
    assert first[0]["env"]["threads"] == 1
    for name, rs in recs.items():
        assert all(r["metrics"]["samples_per_s"] > 0 for r in rs), name
        assert rs[0]["env"]["threadpools"], name  # BLAS and its kernel recorded
    r = harness.ratio(res, "chainrule-fit", "numpy")
    assert len(r["values"]) == 2 and r["min"] <= r["median"] <= r["max"]
    expected = [a["metrics"]["samples_per_s"] / b["metrics"]["samples_per_s"]
                for a, b in zip(first, second)]  # fmt: skip
    np.testing.assert_allclose(r["values"], expected)


def test_ratio_is_oriented_so_above_one_means_chainrule_better():
    rec = lambda v: {"metrics": {"m": v}}
    res = {"metrics": {"m": {"higher_is_better": False}},
           "records": {"ours": [rec(1.0), rec(2.0)], "peer": [rec(4.0), rec(3.0)]}}  # fmt: skip
    assert harness.ratio(res, "ours", "peer")["values"] == [4.0, 1.5]
    res["metrics"]["m"]["higher_is_better"] = True
    assert harness.ratio(res, "ours", "peer")["values"] == [0.25, 2.0 / 3.0]
    assert harness.ratio(res, "ours", "absent") is None


def test_missing_peer_is_skipped_with_the_setup_hint(monkeypatch):
    monkeypatch.setenv("BENCH_PYTHON", "/nonexistent/python")
    spec = harness.Contender("keras-jax", ("keras", "jax"), "bench")
    assert harness.skip_reason(spec) == (
        "skipped: keras not installed (run benchmarks/setup_peers.sh)"
    )
    missing = harness.Contender("x", ("no_such_module_here",))
    assert harness.skip_reason(missing).startswith("skipped: no_such_module_here not installed")
    res = harness.compare("mlp", TINY, ["keras-jax", "numpy"], rounds=1, threads=1)
    assert res["skipped"]["keras-jax"].startswith("skipped: keras not installed")
    assert set(res["results"]) == {"numpy"}


def test_failing_worker_is_reported_not_raised():
    cfg = {**TINY, "data": "xor"}  # XOR has 2 features, the network 20 inputs: the worker raises
    res = harness.compare("mlp", cfg, ["numpy"], rounds=2, threads=1)
    assert "numpy" in res["errors"] and "does not fit sizes" in res["errors"]["numpy"]
    assert res["results"] == {}


def test_single_library_rows_run():
    start = harness.compare("startup", {}, ["chainrule"], rounds=1)
    assert 0 < start["results"]["chainrule"]["import_s"]["median"] < 60
    assert start["results"]["chainrule"]["rss_mb"]["median"] > 0
    ov = harness.compare("overhead", {"chain": 50, "repeats": 2}, ["chainrule"], rounds=1)
    assert ov["results"]["chainrule"]["us_per_op"]["median"] > 0
    g = harness.compare("gemm", {"n": 64, "repeats": 2, "seconds": 0.001}, ["numpy"], rounds=1)
    assert g["results"]["numpy"]["gflops"]["median"] > 0
    xor = {"sizes": [2, 8, 2], "batch": 4, "data": "xor", "epochs": 1, "per_call": 3}
    res = harness.compare("mlp", xor, ["chainrule-fit"], rounds=1)
    assert res["records"]["chainrule-fit"][0]["samples"] == 4


def test_suite_main_prints_ratios_and_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    main(["--quick", "--rows", "mlp,memory", "--contenders", "chainrule-fit,torch",
          "--samples", "128", "--epochs", "1", "--repeats", "2", "--threads", "1",
          "--json", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert "chainrule-fit / torch" in text and "Peak RSS" in text and "openblas" in text
    saved = json.loads(out.read_text())
    row = saved["rows"]["mlp batch 128"]
    assert set(row["results"]) == {"chainrule-fit", "torch"}
    assert saved["machine"]["cores"] >= 1 and saved["config"]["threads"] == 1


def test_load_data_shapes():
    x, y = load_data("xor")
    assert x.shape == (4, 2) and list(y) == [0, 1, 1, 0]
    x, y = load_data("iris")
    assert x.shape == (150, 4) and x.dtype == np.float32 and abs(float(x.mean())) < 1e-5
    x, y = load_data("digits")
    assert x.shape == (1797, 64) and 0 <= x.min() and x.max() <= 1 and y.max() == 9
    with pytest.raises(ValueError, match="nope"):
        load_data("nope")


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


def test_training_flops_counts_six_per_weight_and_sample():
    assert training_flops([784, 512, 512, 10], 100) == 6 * 100 * (784 * 512 + 512 * 512 + 512 * 10)


def test_phase_breakdown_reports_every_phase():
    from benchmarks.phases import breakdown

    r = breakdown(batch=8, steps=2, repeats=1, sizes=[12, 8, 3])
    assert {"gemm", "forward", "backward", "optimizer", "fit"} <= set(r)
    assert all(v > 0 for v in r.values())


def test_worker_environment_has_no_stray_pythonpath_entries():
    env = harness.worker_env(harness.Contender("x"))
    assert env["PYTHONPATH"].split(os.pathsep)[0] == os.path.join(harness.ROOT, "src")


def test_step_profile_accounts_for_the_whole_step(capsys):
    from benchmarks.profile_step import report

    r = report(batch=8, steps=2, repeats=1)
    assert len(r["gemms"]) == 8 and all(a > 0 and o > 0 for _, _, a, o in r["gemms"])
    parts = r["gemm_alloc"] + r["elementwise_sum"] + r["rest"]
    assert abs(parts - r["fit"]) < 1e-9 and r["numpy_floor"] > 0
    assert "Model.fit step" in capsys.readouterr().out


def test_chainrule_names_select_each_others_rows():
    from benchmarks.__main__ import _chosen

    assert _chosen("startup", ["chainrule-fit", "torch"]) == ["chainrule", "torch"]
    assert _chosen("mlp", ["chainrule"]) == ["chainrule-fit", "chainrule-loop"]
    assert _chosen("mlp", ["chainrule-loop"]) == ["chainrule-loop"]
    assert _chosen("gemm", None) is None


def test_reference_keras_runs_an_example_under_real_keras(keras_jax):
    """benchmarks/reference_keras.py: the convnet example's own code on Keras-JAX, one tiny epoch."""
    python, env, cwd = keras_jax
    done = subprocess.run(
        [python, "-m", "benchmarks.reference_keras", "examples/keras/mnist_convnet.py",
         "--epochs", "1", "--subset", "512", "--test-subset", "256", "--verbose", "0"],
        env=env, cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "under keras 3." in done.stdout and "(jax backend)" in done.stdout
    assert "Test accuracy: 0." in done.stdout
