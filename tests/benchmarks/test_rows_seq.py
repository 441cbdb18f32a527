"""The sequence-model row trains the same models on the same data in both libraries, runs in the
harness (one process per contender) and its profiler accounts for the whole step."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import chainrule
from benchmarks import harness, profile_seq, rows_seq


@pytest.mark.parametrize("model", rows_seq.MODELS)
def test_both_libraries_train_the_same_model(model):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            steps = {lib: rows_seq.build_step(lib, model) for lib in (chainrule, torch)}
            losses = {lib: [float(steps[lib]().item()) for _ in range(3)] for lib in steps}
    finally:
        torch.set_num_threads(threads)
    ours, theirs = losses[chainrule], losses[torch]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert ours[-1] < ours[0]  # Adam is training: the same weights, data and updates


def test_bad_model_is_refused():
    with pytest.raises(ValueError, match="model must be one of"):
        rows_seq.build_step(chainrule, "rnn")


def test_harness_row_runs_each_library_in_its_own_process():
    cfg = {"model": "charlstm", "steps": 1, "warmup": 0}
    res = harness.compare("rows_seq", cfg, rounds=1, threads=1)
    assert set(res["results"]) == {"chainrule", "torch"} and not res["errors"]
    recs = res["records"]
    assert "torch" not in recs["chainrule"][0]["env"]["versions"]
    for rs in recs.values():
        assert rs[0]["metrics"]["tokens_per_s"] > 0 and rs[0]["metrics"]["tokens_per_cpu_s"] > 0
    assert harness.ratio(res, "chainrule", "torch")["median"] > 0


def test_profile_accounts_for_the_whole_step(capsys):
    with threadpool_limits(1):
        rows = profile_seq.profile("charlstm", 1, use_cprofile=False)
    assert "LSTMSequence.backward" in rows or "RecurrentSequence.backward" in rows
    assert rows["optimizer.step"] > 0
    parts = sum(v for k, v in rows.items() if k != "whole step")
    assert parts == pytest.approx(rows["whole step"])
    assert "whole step" in capsys.readouterr().out
