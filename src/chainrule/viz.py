"""Pictures of what the engine built: the computation graph behind a tensor, and a model's layers.

``graph(tensor)`` walks the recorded graph (op nodes and the leaf tensors they read) and returns a
:class:`Graph`: its ``source`` is Graphviz DOT text (always available); ``render("g.svg")`` draws it
with Graphviz's ``dot`` program when that is installed. Take the graph *before* ``backward()`` (which
frees the recorded nodes unless ``retain_graph=True``): the Graph keeps the structure, and its text
shows the leaves' gradient norms once backward has run.

``plot_model(model, "model.png")`` (also ``model.plot(...)``) draws the layers with their output
shapes and parameter counts: with Graphviz when ``dot`` is installed, otherwise with matplotlib, so
it always works; a ``.dot`` path writes the DOT text.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

__all__ = ["Graph", "dot_available", "graph", "plot_model"]

_RENDER_FORMATS = ("png", "svg", "pdf")


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape) -> str:
    return str(tuple(shape))


def _render(source: str, path: str | os.PathLike) -> Path:
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in _RENDER_FORMATS:
        raise ValueError(f"render: unsupported format {fmt!r}; use one of {_RENDER_FORMATS}")
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "render: Graphviz's 'dot' program is not installed (e.g. apt install graphviz); "
            "the DOT text is in .source"
        )
    done = subprocess.run(
        [exe, f"-T{fmt}"], input=source.encode(), capture_output=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"render: dot failed: {done.stderr.decode(errors='replace').strip()}")
    from .io.atomic import atomic_write_bytes

    return atomic_write_bytes(path, done.stdout)


class Graph:
    """The recorded graph behind a tensor: op nodes (name, output shape and dtype) and leaves
    (parameters by name, other inputs by shape). ``source`` / ``str()``: DOT text;
    ``render(path)``: PNG/SVG/PDF through Graphviz."""

    def __init__(self, root, names: dict[int, str]):
        if root._fn is not None and root._fn.freed:
            raise ValueError(
                "graph: this tensor's graph was freed by backward(); take the graph before "
                "backward, or call backward(retain_graph=True)"
            )
        self.root = root
        self.names = names
        self.ops: list[tuple[int, str, tuple, str]] = []  # (id, op name, out shape, dtype)
        self.leaves: list[tuple[int, object]] = []  # (id, tensor)
        self.edges: list[tuple[int, int]] = []  # (from, to)
        self._walk()

    def _walk(self) -> None:
        seen_fn: set[int] = set()
        seen_leaf: set[int] = set()
        stack = [self.root]
        root_fn = self.root._fn
        if root_fn is None:
            self.leaves.append((id(self.root), self.root))
            return
        while stack:
            t = stack.pop()
            fn = t._fn
            if fn is None or id(fn) in seen_fn:
                continue
            seen_fn.add(id(fn))
            if fn.freed:
                raise ValueError(
                    f"graph: the node {type(fn).__name__} was freed by an earlier backward(); "
                    "take the graph before backward, or use backward(retain_graph=True)"
                )
            self.ops.append((id(fn), type(fn).__name__, tuple(t.shape), str(t.dtype)))
            for p in fn.parents:
                if p._fn is None:
                    if id(p) not in seen_leaf:
                        seen_leaf.add(id(p))
                        self.leaves.append((id(p), p))
                    self.edges.append((id(p), id(fn)))
                else:
                    self.edges.append((id(p._fn), id(fn)))
                    stack.append(p)

    @property
    def source(self) -> str:
        """Graphviz DOT text; leaves with a gradient show its L2 norm."""
        num: dict[int, int] = {}

        def key(i: int) -> str:
            return f"n{num.setdefault(i, len(num))}"

        lines = [
            "digraph chainrule {",
            "  rankdir=BT;",
            '  node [fontname="Helvetica", fontsize=10];',
        ]
        for nid, t in self.leaves:
            name = self.names.get(id(t))
            kind = name or ("input" if not t.requires_grad else "tensor")
            label = f"{kind}\n{_shape(t.shape)} {t.dtype}"
            if t.grad is not None:
                g = np.asarray(t.grad, dtype=np.float64)
                label += f"\n‖grad‖ = {math.sqrt(float(np.vdot(g, g))):.4g}"
            colour = "lightblue" if name or t.requires_grad else "lightgrey"
            lines.append(
                f"  {key(nid)} [label={_quote(label)}, shape=ellipse, style=filled, "
                f'fillcolor="{colour}"];'
            )
        root_id = id(self.root._fn) if self.root._fn is not None else None
        for nid, op, shape, dtype in self.ops:
            label = f"{op}\n{_shape(shape)} {dtype}"
            colour = "lightsalmon" if nid == root_id else "white"
            if nid == root_id and self.root.grad is not None:
                g = np.asarray(self.root.grad, dtype=np.float64)
                label += f"\n‖grad‖ = {math.sqrt(float(np.vdot(g, g))):.4g}"
            lines.append(
                f"  {key(nid)} [label={_quote(label)}, shape=box, style=filled, "
                f'fillcolor="{colour}"];'
            )
        for a, b in self.edges:
            lines.append(f"  {key(a)} -> {key(b)};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.source

    def save(self, path: str | os.PathLike) -> Path:
        """Write the DOT text to ``path``."""
        from .io.atomic import atomic_write_text

        return atomic_write_text(path, self.source)

    def render(self, path: str | os.PathLike) -> Path:
        """Draw the graph to ``path`` (.png, .svg or .pdf) with Graphviz's ``dot``."""
        return _render(self.source, path)


def graph(tensor, params=None) -> Graph:
    """The computation graph behind ``tensor``.

    ``params``: a Module (its parameters are labelled with their dotted names) or a dict
    name → Tensor. Returns a :class:`Graph`.
    """
    from .tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expects a Tensor, got {type(tensor).__name__}")
    names: dict[int, str] = {}
    if params is not None:
        items = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
        for name, p in items:
            names[id(p)] = name
    return Graph(tensor, names)


# ---------------------------------------------------------------------------- model diagrams
def _model_nodes(model):
    """(nodes, edges): nodes are (key, title, detail) for inputs and layers; edges (key, key)."""
    from .training.summary import layer_rows

    nodes = layer_rows(model)
    edges = []
    graph_def = getattr(model, "_graph", None)
    if graph_def is not None:
        for node in graph_def[2]:
            ins = node.inputs
            flat = []
            stack = [ins]
            while stack:
                v = stack.pop()
                if isinstance(v, (list, tuple)):
                    stack.extend(v)
                elif isinstance(v, dict):
                    stack.extend(v.values())
                elif hasattr(v, "node"):
                    flat.append(v)
            for s in flat:
                src = f"in:{s.name}" if s.node is None else f"layer:{id(s.node.layer)}"
                edge = (src, f"layer:{id(node.layer)}")
                if edge not in edges:
                    edges.append(edge)
    else:
        edges = [(nodes[i][0], nodes[i + 1][0]) for i in range(len(nodes) - 1)]
    return nodes, edges


def model_dot(model) -> str:
    """DOT text of a model's layers (name and type, output shape, parameter count)."""
    nodes, edges = _model_nodes(model)
    lines = ["digraph model {", "  rankdir=TB;",
             '  node [shape=record, fontname="Helvetica", fontsize=10];']  # fmt: skip
    keys = {key: f"n{i}" for i, (key, _, _) in enumerate(nodes)}
    for key, title, detail in nodes:
        lines.append(f"  {keys[key]} [label={_quote(title + chr(10) + detail)}, shape=box];")
    for a, b in edges:
        if a in keys and b in keys:
            lines.append(f"  {keys[a]} -> {keys[b]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, path: str | os.PathLike = "model.png", engine: str = "auto") -> Path:
    """Draw ``model``'s layers (name, type, output shape, parameters) to ``path``.

    ``engine``: ``"graphviz"`` (needs ``dot``), ``"matplotlib"``, or ``"auto"`` (Graphviz when
    installed). A ``.dot`` path writes the DOT text. Build the model first (call it once or fit)
    so the output shapes are known; unknown ones show as ``?``.
    """
    if engine not in ("auto", "graphviz", "matplotlib"):
        raise ValueError(f"plot_model: engine must be auto, graphviz or matplotlib, got {engine!r}")
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "dot":
        from .io.atomic import atomic_write_text

        return atomic_write_text(path, model_dot(model))
    if fmt not in _RENDER_FORMATS:
        raise ValueError(f"plot_model: unsupported file type {fmt!r}; use .png, .svg, .pdf, .dot")
    if engine == "graphviz" or (engine == "auto" and dot_available()):
        return _render(model_dot(model), path)
    return _plot_model_matplotlib(model, path)


def _plot_model_matplotlib(model, path: Path) -> Path:
    from .plotting import new_figure, save_png

    nodes, edges = _model_nodes(model)
    order = {key: i for i, (key, _, _) in enumerate(nodes)}
    n = len(nodes)
    fig = new_figure(4.2, 0.9 * n + 0.4)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, n - 0.5)
    ax.invert_yaxis()
    ax.axis("off")
    for i, (_, title, detail) in enumerate(nodes):
        ax.text(0.5, i, f"{title}\n{detail}", ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.3"})  # fmt: skip
    for a, b in edges:
        if a in order and b in order:
            ia, ib = order[a], order[b]
            bend = 0.0 if ib == ia + 1 else 0.4
            ax.annotate("", xy=(0.5, ib - 0.3), xytext=(0.5, ia + 0.3),
                        arrowprops={"arrowstyle": "->", "color": "0.4",
                                    "connectionstyle": f"arc3,rad={bend}"})  # fmt: skip
    suffix = path.suffix.lstrip(".").lower()
    if suffix == "png":
        return save_png(fig, path)
    import io as _io

    from .io.atomic import atomic_write_bytes

    buf = _io.BytesIO()
    fig.savefig(buf, format=suffix, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())
