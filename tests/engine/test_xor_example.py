"""The README's XOR example runs, stays float32, and reaches 100% accuracy."""

import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xor.py"


def test_xor_example_learns_xor(capsys):
    env = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert ((env["p"].numpy() > 0.5) == env["y"].numpy()).all()
    assert env["loss"].item() < 0.05
    assert all(t.data.dtype == np.float32 for t in (env["W1"], env["b1"], env["W2"], env["b2"]))
    assert "accuracy 100%" in capsys.readouterr().out


def test_snippet_fits_in_15_lines():
    body = EXAMPLE.read_text().split('"""', 2)[2].strip().splitlines()
    assert len(body) <= 15
