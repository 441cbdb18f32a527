"""The examples of docs/autograd.md run as written (in order, in one namespace)."""

import re
import textwrap
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "autograd.md"


def test_every_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 8
    namespace: dict = {}
    for i, block in enumerate(blocks):
        code = compile(textwrap.dedent(block), f"docs/autograd.md block {i}", "exec")
        exec(code, namespace)  # noqa: S102  (our own documentation)
