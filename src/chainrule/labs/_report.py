"""What every lab shares: a report (numbers, plots, a verdict computed from the run) written as
``report.html`` next to its PNGs, and the result the CLI prints.

The page is built with the training report's helpers (:mod:`chainrule.cli.report`) and the figures
with :mod:`chainrule.plotting` (Agg canvas, no pyplot).
"""

from __future__ import annotations

import html
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..cli.report import html_page, html_table
from ..io.atomic import atomic_write_text
from ..plotting import new_figure, save_png


@dataclass
class LabResult:
    """``holds``: whether the lab's claim held in this run; ``detail``: by how much (one line);
    ``numbers``: the measured values the verdict was computed from; ``files``: what was written."""

    name: str
    claim: str
    holds: bool
    detail: str
    numbers: dict = field(default_factory=dict)
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        return "claim holds here" if self.holds else "claim does not hold here"


class LabReport:
    """Collects a lab's sections, then writes ``report.html`` with :meth:`finish`.

    ``log`` lines go to stdout when ``verbose`` (the CLI shows progress and, for
    backprop-by-hand, the worked table).
    """

    def __init__(self, name: str, title: str, claim: str, out_dir, quick: bool, verbose: bool):
        self.name, self.title, self.claim, self.quick = name, title, claim, quick
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.verbose = verbose
        self.body: list[str] = []
        self.files: list[Path] = []
        self.numbers: dict = {}
        self._start = time.perf_counter()

    def log(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def text(self, text: str) -> None:
        """A paragraph of plain text (escaped)."""
        self.body.append(f"<p>{html.escape(text)}</p>")

    def heading(self, text: str) -> None:
        self.body.append(f"<h2>{html.escape(text)}</h2>")

    def pre(self, text: str) -> None:
        self.body.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, headers, rows, caption: str | None = None) -> None:
        self.body.append(html_table(headers, rows, caption))

    def figure(self, width: float, height: float):
        """A new matplotlib Figure to draw into (then :meth:`save`)."""
        return new_figure(width, height)

    def save(self, fig, filename: str, caption: str, wide: bool = True) -> Path:
        with warnings.catch_warnings():  # figures drawn on a bare add_axes canvas need none
            warnings.simplefilter("ignore", UserWarning)
            fig.tight_layout()
        path = save_png(fig, self.out_dir / filename)
        self.files.append(path)
        cls = ' class="wide"' if wide else ""
        self.body.append(
            f'<figure><img{cls} src="{html.escape(path.name)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        return path

    def finish(self, holds: bool, detail: str) -> LabResult:
        seconds = time.perf_counter() - self._start
        cls = "holds" if holds else "fails"
        word = "holds here" if holds else "does not hold here"
        mode = " (quick run)" if self.quick else ""
        head = [
            f"<p><b>Claim.</b> {html.escape(self.claim)}</p>",
            f'<p class="verdict {cls}">Verdict: the claim {word}{mode}. {html.escape(detail)}</p>',
        ]
        flag = " --quick" if self.quick else ""
        tail = [
            f"<p><small>chainrule lab {html.escape(self.name)}{flag}: {seconds:.1f} s.</small></p>"
        ]
        page = html_page(f"Lab: {self.title}", head + self.body + tail)
        report = atomic_write_text(self.out_dir / "report.html", page)
        self.files.append(report)
        return LabResult(self.name, self.claim, bool(holds), detail, dict(self.numbers),
                         self.out_dir, list(self.files), seconds)  # fmt: skip
