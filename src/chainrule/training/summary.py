"""``model.summary()``: a table of layers, output shapes and parameter counts, then the totals."""

from __future__ import annotations


def _shape(layer) -> str:
    shape = getattr(layer, "output_shape", None)
    if shape is None:
        return "?" if not getattr(layer, "built", False) else "multiple"
    return str((None, *tuple(shape)[1:]))


def _count(params) -> int:
    return int(sum(p.data.size for p in params))


def _layers(model) -> list:
    layers = getattr(model, "layers", None)
    if layers is None:  # subclassed: the direct sub-modules
        from ..nn.module import Module

        layers = [v for _, v in model._children() if isinstance(v, Module)]
    return layers


def _rows(model) -> list[tuple[str, str, str, str]]:
    """(key, 'name (Type)', output shape, parameter count) for each input and layer."""
    rows = []
    graph = getattr(model, "_graph", None)
    if graph is not None:
        outputs = {}
        for node in graph[2]:
            outputs.setdefault(id(node.layer), [s.shape for s in node.outputs])
        for s in graph[0]:
            rows.append((f"in:{s.name}", f"{s.name} (Input)", str(s.shape), "0"))
    for layer in _layers(model):
        name = getattr(layer, "name", None) or type(layer).__name__.lower()
        if graph is not None:
            shapes = outputs[id(layer)]
            shape = str(shapes[0]) if len(shapes) == 1 else ", ".join(map(str, shapes))
        else:
            shape = _shape(layer)
        rows.append((f"layer:{id(layer)}", f"{name} ({type(layer).__name__})", shape,
                     f"{_count(layer.parameters()):,}"))  # fmt: skip
    return rows


def layer_rows(model) -> list[tuple[str, str, str]]:
    """(key, 'name (Type)', 'output (None, 10) · 650 params') per input and layer, for diagrams
    (``chainrule.viz.plot_model``); keys are ``in:<name>`` / ``layer:<id>``."""
    return [(k, title, f"output {shape} · {n} params") for k, title, shape, n in _rows(model)]


def summary(model, print_fn=print) -> str:
    """Rows: layer name (type), output shape (batch axis None), parameters. Shared layers appear
    once; totals split trainable / non-trainable. Returns the text it printed."""
    rows = [r[1:] for r in _rows(model)]
    params = model.parameters()
    trainable = _count(p for p in params if p.requires_grad)
    total = _count(params)
    headers = ("Layer (type)", "Output Shape", "Param #")
    widths = (
        [max(len(headers[i]), *(len(r[i]) for r in rows)) + 2 for i in range(3)]
        if rows
        else [len(h) + 2 for h in headers]
    )
    line = "-" * sum(widths)
    title = f'Model: "{model.name}"' if model.name else f"Model: {type(model).__name__}"
    out = [title, line, "".join(h.ljust(w) for h, w in zip(headers, widths)), "=" * sum(widths)]
    out += ["".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    out += [
        "=" * sum(widths),
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        line,
    ]
    text = "\n".join(out)
    print_fn(text)
    return text
