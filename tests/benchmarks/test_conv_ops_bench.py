"""The LeNet-5 conv/pool benchmark compares equal work: both chainrule doors produce PyTorch's
weight and bias gradients for the same step; the driver runs end to end on a tiny configuration."""

from __future__ import annotations

import numpy as np

from benchmarks import conv_ops


def test_every_contender_computes_the_same_gradients():
    expected = [t.numpy() for t in conv_ops._torch_step(4)()]
    torch_door = [np.asarray(a) for a in conv_ops._chainrule_step(4, "torchdoor")()]
    keras_door = [np.asarray(a) for a in conv_ops._chainrule_step(4, "kerasdoor")()]
    # the Keras door's kernels are (kh, kw, in, out): back to PyTorch's (out, in, kh, kw)
    keras_door = [a.transpose(3, 2, 0, 1) if a.ndim == 4 else a for a in keras_door]
    for got in (torch_door, keras_door):
        for a, b in zip(got, expected):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_driver_prints_a_table(capsys):
    names = "chainrule-kerasdoor,chainrule-torchdoor"  # PyTorch's import would cost seconds
    args = ["--rounds", "1", "--steps", "1", "--batch", "2", "--threads", "1"]
    result = conv_ops.main([*args, "--contenders", names])
    assert set(result) == set(names.split(","))
    out = capsys.readouterr().out
    assert "samples/s" in out and "chainrule-kerasdoor" in out


def test_profile_lists_the_op_phases(capsys):
    conv_ops.profile("chainrule-kerasdoor", batch=2, steps=1, threads=1)
    out = capsys.readouterr().out
    assert "Conv.backward" in out and "MaxPool.forward" in out
