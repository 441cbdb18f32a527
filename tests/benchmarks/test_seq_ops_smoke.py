"""The sequence-op benchmark times the same work in both libraries, and its command line runs."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from benchmarks import seq_ops


@pytest.mark.parametrize("case", seq_ops.CASES)
def test_both_libraries_compute_the_same_gradient(case):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the full-size step, on a shared machine: one thread is steadiest
    try:
        with threadpool_limits(1):
            ours = np.asarray(seq_ops.chainrule_step(case)())
            theirs = seq_ops.torch_step(case)().numpy()
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5)


def test_worker_and_bad_case():
    assert seq_ops.worker("chainrule", "attention", iters=1, threads=1) > 0
    with pytest.raises(SystemExit):
        seq_ops.main(["--cases", "gpt"])
