"""Every Python block of docs/interop.md runs as written (in a fresh folder)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "interop.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_doc_has_an_example_per_section():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs(index, tmp_path, monkeypatch, capsys):
    for mod in ("onnx", "onnxruntime", "sklearn", "tensorboardX", "torch", "safetensors"):
        if mod in BLOCKS[index]:
            pytest.importorskip(mod)
    monkeypatch.chdir(tmp_path)
    script = tmp_path / f"interop_block_{index}.py"
    script.write_text(BLOCKS[index])
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    if "# ~1e-7" in BLOCKS[index]:  # the block prints a chainrule-vs-other difference
        values = [float(line) for line in out.split()]
        assert values and max(values) < 1e-5
