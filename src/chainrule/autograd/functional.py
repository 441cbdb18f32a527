"""Higher-level derivatives of a function of tensors: ``vjp``, ``jvp``, ``jacobian``, ``hessian``,
``vhp``, ``hvp`` (the signatures and return conventions of ``torch.autograd.functional``).

``func`` takes the inputs (one tensor, or a tuple) and returns one tensor or a tuple of them. The
inputs are used through fresh aliases that require grad, so the caller's tensors need not. Results
are cut from the graph unless ``create_graph=True``. An output that does not depend on an input
gives zeros, or, with ``strict=True``, a RuntimeError.
"""

from __future__ import annotations

from ..backend import xp
from ..ops import stack
from ..tensor import Tensor
from .grad import grad


def _tuple(value, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{fn}: the {what} must be Tensors (or a tuple of them); entry {i} is a "
                f"{type(t).__name__}"
            )
    return is_tuple, items


def _prepare(inputs, create_graph: bool, fn: str) -> tuple[bool, tuple]:
    """Aliases of the inputs that require grad; with create_graph an input that already requires
    grad stays connected to its own graph (so the result can be differentiated further)."""
    is_tuple, items = _tuple(inputs, "inputs", fn)
    out = []
    for t in items:
        if t.data.dtype.kind not in "fc":
            raise TypeError(f"{fn}: inputs must be floating point, got dtype {t.data.dtype}")
        if create_graph and t.requires_grad:
            out.append(t.reshape(t.shape))  # a non-leaf alias: its gradient reaches t
        else:
            out.append(Tensor._wrap(t.data, True, None))
    return is_tuple, tuple(out)


def _outputs(func, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    return _tuple(func(*inputs), "outputs of the user-provided function", fn)


def _grads(outs, ins, seeds, create_graph, strict, fn, retain_graph=True) -> tuple:
    """Gradients of the outputs (seeded) with respect to ``ins``, zeros where unused."""
    live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    if not live:
        res = (None,) * len(ins)
    else:
        res = grad([o for o, _ in live], list(ins), [s for _, s in live], retain_graph=retain_graph,
                   create_graph=create_graph, allow_unused=True)  # fmt: skip
    out = []
    for i, (x, g) in enumerate(zip(ins, res)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."
                )
            g = Tensor._wrap(xp(x.data).zeros_like(x.data))
        out.append(g)
    return tuple(out)


def _result(items: tuple, is_tuple: bool, create_graph: bool):
    items = tuple(t if create_graph else t.detach() for t in items)
    return items if is_tuple else items[0]


def _vectors(v, outs: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if len(outs) != 1 or outs[0].data.size != 1:
            raise RuntimeError(
                f"{fn}: The vector v can only be None if the {what} is a single Tensor with a "
                "single element."
            )
        return (Tensor._wrap(xp(outs[0].data).ones_like(outs[0].data)),)
    _, vs = _tuple(v, "v", fn)
    if len(vs) != len(outs):
        raise RuntimeError(f"{fn}: v has {len(vs)} entries, expected {len(outs)}")
    for i, (a, b) in enumerate(zip(vs, outs)):
        if a.shape != b.shape:
            raise RuntimeError(
                f"{fn}: entry {i} of v has shape {tuple(a.shape)}, expected {tuple(b.shape)}"
            )
    return vs


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·J)``: the vector-Jacobian product, one entry per input."""
    is_tuple, ins = _prepare(inputs, create_graph, "vjp")
    out_tuple, outs = _outputs(func, ins, "vjp")
    vs = _vectors(v, outs, "vjp", "user-provided function returns")
    grads = _grads(outs, ins, vs, create_graph, strict, "vjp")
    return _result(outs, out_tuple, create_graph), _result(grads, is_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J·v)``: the Jacobian-vector product, one entry per output (the double
    backward trick: J·v is the gradient, with respect to u, of uᵀJ·v)."""
    _, ins = _prepare(inputs, create_graph, "jvp")
    if v is None:
        if len(ins) != 1 or ins[0].data.size != 1:
            raise RuntimeError(
                "jvp: The vector v can only be None if the input to the user-provided function "
                "is a single Tensor with a single element."
            )
        vs = (Tensor._wrap(xp(ins[0].data).ones_like(ins[0].data)),)
    else:
        vs = _vectors(v, ins, "jvp", "input")
    out_tuple, outs = _outputs(func, ins, "jvp")
    us = tuple(Tensor._wrap(xp(o.data).zeros_like(o.data), True, None) for o in outs)
    g = _grads(outs, ins, us, True, strict, "jvp")
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
    if pairs:
        jv = grad([p for p, _ in pairs], list(us), [q for _, q in pairs],
                  create_graph=create_graph, allow_unused=True)  # fmt: skip
    else:
        jv = (None,) * len(us)
    res = []
    for i, (u, r) in enumerate(zip(us, jv)):
        if r is None:
            if strict:
                raise RuntimeError(
                    f"jvp: output {i} of the user-provided function is independent of the "
                    "inputs. This is not allowed in strict mode."
                )
            r = Tensor._wrap(xp(u.data).zeros_like(u.data))
        res.append(r)
    return _result(outs, out_tuple, create_graph), _result(tuple(res), out_tuple, create_graph)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):  # fmt: skip
    """The Jacobian of ``func`` at ``inputs``: entry [i][j] has shape ``out_i.shape +
    in_j.shape`` (a bare Tensor when both are single tensors; a tuple per output or per input
    otherwise, as PyTorch). One backward pass per output element (reverse mode)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    is_tuple, ins = _prepare(inputs, create_graph, "jacobian")
    out_tuple, outs = _outputs(func, ins, "jacobian")
    table = []
    for out in outs:
        flat = out.reshape(-1)
        rows = [[] for _ in ins]
        for k in range(flat.shape[0]):
            if flat.requires_grad:
                g = _grads([flat[k]], ins, [None], create_graph, strict, "jacobian")
            else:
                g = _grads([], ins, [], create_graph, strict, "jacobian")
            for j, gj in enumerate(g):
                rows[j].append(gj)
        per_input = []
        for x, r in zip(ins, rows):
            if r:
                block = (
                    stack(r)
                    if create_graph
                    else Tensor._wrap(xp(x.data).stack([t.data for t in r]))
                )
            else:
                block = Tensor._wrap(xp(x.data).zeros((0,) + x.shape, dtype=x.data.dtype))
            per_input.append(block.reshape(tuple(out.shape) + tuple(x.shape)))
        table.append(_result(tuple(per_input), is_tuple, create_graph))
    return tuple(table) if out_tuple else table[0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):  # fmt: skip
    """The Hessian of a scalar ``func``: entry [i][j] has shape ``in_i.shape + in_j.shape``."""
    is_tuple, ins = _tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out_tuple, outs = _outputs(func, xs, "hessian")
        if out_tuple or outs[0].data.size != 1:
            raise RuntimeError(
                "hessian: The function given to hessian should return a single Tensor with a "
                "single element"
            )
        return _grads(outs, xs, [None], True, strict, "hessian")

    return jacobian(gradient if is_tuple else lambda x: gradient(x)[0], inputs if is_tuple else ins[0],
                    create_graph=create_graph, strict=strict)  # fmt: skip


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·H)`` for a scalar ``func``."""
    is_tuple, ins = _prepare(inputs, create_graph, "vhp")
    out_tuple, outs = _outputs(func, ins, "vhp")
    if out_tuple or outs[0].data.size != 1:
        raise RuntimeError(
            "vhp: The function given to vhp should return a single Tensor with a single element"
        )
    if v is None:
        if len(ins) != 1 or ins[0].data.size != 1:
            raise RuntimeError(
                "vhp: The vector v can only be None if the input to the user-provided function "
                "is a single Tensor with a single element."
            )
        vs = (Tensor._wrap(xp(ins[0].data).ones_like(ins[0].data)),)
    else:
        vs = _vectors(v, ins, "vhp", "input")
    g = _grads(outs, ins, [None], True, strict, "vhp")
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
    if pairs:
        res = _grads([p for p, _ in pairs], ins, [q for _, q in pairs], create_graph, strict, "vhp")
    else:
        res = _grads([], ins, [], create_graph, strict, "vhp")
    return _result(outs, False, create_graph), _result(res, is_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H·v)`` for a scalar ``func``. The Hessian of a twice continuously
    differentiable function is symmetric, so H·v is computed as vᵀ·H (one double backward)."""
    try:
        return vhp(func, inputs, v, create_graph, strict)
    except RuntimeError as err:
        raise RuntimeError(str(err).replace("vhp", "hvp")) from None
