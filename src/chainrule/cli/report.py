"""``report.html``: the one-page summary of a training run.

The report sits in the run's output folder next to its images: one PNG per metric
(``curve_loss.png``, ``curve_accuracy.png``, …, training, validation and test curves together),
referenced by relative ``<img src>`` so the folder can be moved or zipped as a whole. The page holds
the final test metrics, the curves, optional images (a generative model's sample grids), the
confusion matrix (rows: true class, columns: predicted class), the model summary and the
configuration used. Plotting needs matplotlib (``pip install chainrule[plot]``); it draws on an Agg
canvas without touching pyplot's global state.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write_bytes, atomic_write_text


def _figure_class():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "the training report draws its curves with matplotlib: pip install chainrule[plot]"
        ) from exc
    return Figure, FigureCanvasAgg


def plot_curves(history: dict[str, Sequence[float]], out_dir: str | Path) -> list[Path]:
    """One PNG per metric in ``history`` (``val_`` and ``test_`` series drawn with their training
    series).

    Returns the written paths, in metric order (``loss`` first).
    """
    out_dir = Path(out_dir)
    figure, canvas_cls = _figure_class()
    from matplotlib import ticker

    paired = ("val_", "test_")
    bases = [k for k in history if not k.startswith(paired)]
    for prefix in paired:
        n = len(prefix)
        bases += [k[n:] for k in history if k.startswith(prefix) and k[n:] not in bases]
    paths = []
    for base in bases:
        fig = figure(figsize=(5.0, 3.2), dpi=100)
        canvas_cls(fig)
        ax = fig.add_subplot(1, 1, 1)
        for key, label in (
            (base, "train"),
            (f"val_{base}", "validation"),
            (f"test_{base}", "test"),
        ):
            values = history.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, marker="o", markersize=3, label=label)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(base)
        ax.set_title(base)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in base)
        path = atomic_write_bytes(out_dir / f"curve_{safe}.png", buf.getvalue())
        paths.append(path)
    return paths


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: entry [t, p] = examples of class t predicted as p."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"confusion_matrix: {y_true.shape[0]} labels but {y_pred.shape[0]} predictions"
        )
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def _confusion_html(matrix: np.ndarray, names: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(str(n))}</th>" for n in names)
    rows = []
    peak = max(int(matrix.max()), 1)
    for i, row in enumerate(matrix):
        cells = []
        for j, v in enumerate(row):
            shade = 255 - int(155 * v / peak)
            colour = f"rgb({shade},{shade},255)" if i == j else f"rgb(255,{shade},{shade})"
            style = f' style="background:{colour}"' if v else ""
            cells.append(f"<td{style}>{int(v)}</td>")
        rows.append(f"<tr><th>{html.escape(str(names[i]))}</th>{''.join(cells)}</tr>")
    return (
        '<table class="cm"><tr><th>true \\ predicted</th>'
        + head
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
img { max-width: 48%; margin: 0.3em; }
img.wide { max-width: 100%; }
.verdict { padding: 0.6em 1em; border-radius: 4px; font-weight: bold; }
.holds { background: #e3f6e3; } .fails { background: #fbe4e4; }
"""


def html_page(title: str, body: Sequence[str]) -> str:
    """A complete HTML page in the reports' style: ``title`` (escaped) as heading, then ``body``
    (HTML fragments, already escaped by the caller)."""
    esc = html.escape
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    return "\n".join([*head, *body, "</body></html>"]) + "\n"


def html_table(headers: Sequence[str], rows: Sequence[Sequence], caption: str | None = None) -> str:
    """An HTML table; cells are escaped, floats shown with 4 significant digits."""
    esc = html.escape

    def cell(v) -> str:
        if isinstance(v, float):
            return esc(f"{v:.4g}")
        return esc(str(v))

    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table>{cap}<tr>{head}</tr>{body}</table>"


def write_report(
    out_dir: str | Path,
    *,
    title: str,
    history: dict[str, Sequence[float]],
    test_metrics: dict[str, float],
    summary: str,
    config_text: str,
    confusion: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    images: Sequence[tuple[str, str]] | None = None,
) -> Path:
    """Write ``report.html`` and its curve images into ``out_dir``; returns the report's path.

    ``confusion`` is ``(K, K)`` counts (true × predicted); ``class_names`` has K entries.
    ``images``: ``(file name, caption)`` pairs of pictures already in ``out_dir`` (sample grids of
    a generative model, say), shown full width under "Images" in the given order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    curves = plot_curves(history, out_dir) if history else []
    esc = html.escape
    metric_rows = "".join(
        f"<tr><th>{esc(k)}</th><td>{v:.4f}</td></tr>" for k, v in test_metrics.items()
    )
    parts = [
        "<h2>Test metrics</h2>",
        f'<table class="metrics">{metric_rows}</table>',
        "<h2>Training curves</h2>",
        "".join(f'<img src="{esc(p.name)}" alt="{esc(p.stem)}">' for p in curves)
        or "<p>No history recorded.</p>",
    ]
    if images:
        parts.append("<h2>Images</h2>")
        for name, caption in images:
            src = Path(name).name  # a file next to the report, never a path out of the folder
            parts.append(
                f'<figure><img class="wide" src="{esc(src)}" alt="{esc(caption)}">'
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
    if confusion is not None:
        names = list(class_names) if class_names is not None else list(range(len(confusion)))
        parts += ["<h2>Confusion matrix (test set)</h2>", _confusion_html(confusion, names)]
    parts += [
        "<h2>Model</h2>",
        f"<pre>{esc(summary)}</pre>",
        "<h2>Configuration</h2>",
        f"<pre>{esc(config_text)}</pre>",
    ]
    return atomic_write_text(out_dir / "report.html", html_page(title, parts))
