"""The functional API: ``Input`` placeholders and the layer graph they record.

``inp = Input(shape=(784,))`` makes a :class:`SymbolicTensor` (batch axis None). Calling any layer
(or model) on symbolic tensors does not compute anything on data: ``Module.__call__`` hands the call
to :meth:`SymbolicTensor.call_layer`, which builds the layer on a zero batch of one sample (in
evaluation mode, without a graph) to learn the output shape, and records a :class:`Node`
(layer, its symbolic inputs, keyword arguments, its symbolic outputs). ``Model(inputs, outputs)``
then orders the nodes that lead from the inputs to the outputs and replays them on real tensors.
A layer called twice (a shared layer) appears in two nodes and owns one set of weights.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..function import no_grad
from ..tensor import Tensor

_input_ids = itertools.count()


class Node:
    """One layer call in the graph: ``outputs = layer(inputs, **kwargs)``.

    ``inputs`` keeps the call's structure: one SymbolicTensor, or a list/tuple of them.
    """

    def __init__(self, layer, inputs, kwargs: dict, outputs: list[SymbolicTensor]):
        self.layer = layer
        self.inputs = inputs
        self.kwargs = kwargs
        self.outputs = outputs

    @property
    def flat_inputs(self) -> list[SymbolicTensor]:
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


class SymbolicTensor:
    """A placeholder for a batch of data in a graph: a shape (batch axis None), a dtype, a producer.

    ``node`` is the Node that produced it (None for an Input); ``index`` is its position among that
    node's outputs.
    """

    _symbolic = True

    def __init__(self, shape: tuple, dtype, node: Node | None = None, index: int = 0, name=None):
        self.shape = tuple(shape)
        # Keras's dtype "string" (an input of texts for a TextVectorization): NumPy's str
        self.dtype = np.dtype(str) if dtype in ("string", "str", str) else np.dtype(dtype)
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        who = self.name or (type(self.node.layer).__name__ if self.node else "?")
        return f"SymbolicTensor(shape={self.shape}, dtype={self.dtype}, from={who})"

    def _zeros(self, probe: int) -> Tensor:
        """A one-sample batch of zeros; unknown (None) sizes become ``probe``."""
        return Tensor(np.zeros(probe_shape(self.shape, probe), dtype=self.dtype))

    def call_layer(self, layer, args: tuple, kwargs: dict):
        """Record ``layer(*args, **kwargs)`` as a Node and return its symbolic output(s)."""
        if len(args) != 1:
            raise TypeError(
                f"functional API: {type(layer).__name__} must be called with one argument (a "
                f"symbolic tensor or a list of them), got {len(args)}"
            )
        inputs = args[0]
        if isinstance(inputs, dict):
            raise TypeError(
                f"functional API: pass {type(layer).__name__} a list of symbolic tensors, not a dict"
            )
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        for s in flat:
            if not isinstance(s, SymbolicTensor):
                raise TypeError(
                    f"functional API: {type(layer).__name__} got a mix of symbolic and concrete "
                    f"inputs ({type(s).__name__}); call layers on Input(...) results only"
                )
        shapes, container = _output_shapes(layer, inputs, flat, kwargs)
        node = Node(layer, inputs, dict(kwargs), [])
        for i, (shape, dtype) in enumerate(shapes):
            node.outputs.append(SymbolicTensor((None, *shape), dtype, node, i))
        return container(node.outputs) if container else node.outputs[0]


#: Sizes tried for the unknown (None) sizes of a graph's inputs, in pairs: an output size that
#: differs between the two runs of a pair is unknown too. Later pairs serve layers that refuse the
#: first (a positional embedding shorter than 16, a kernel wider than 3).
PROBES = ((16, 32), (3, 5), (1, 2), (64, 128))


def probe_shape(shape: tuple, probe: int) -> tuple:
    """``(1, *shape[1:])`` with every unknown size set to ``probe``."""
    return (1, *(probe if n is None else n for n in tuple(shape)[1:]))


def _run_probe(layer, inputs, flat, kwargs, probe: int) -> list:
    dummy = [s._zeros(probe) for s in flat]
    dummy_in = type(inputs)(dummy) if isinstance(inputs, (list, tuple)) else dummy[0]
    was_training = layer.training
    layer.eval()
    try:
        with no_grad():
            return layer(dummy_in, **kwargs)
    finally:
        layer.train(was_training)


def _output_shapes(layer, inputs, flat, kwargs) -> tuple:
    """``([(shape without batch axis, dtype), ...], container)`` of ``layer``'s outputs, found by
    running it on zeros; ``container`` is the list/tuple type of a multi-output layer (False for
    one output). Unknown input sizes are probed with two values (:data:`PROBES`)."""
    unknown = any(n is None for s in flat for n in s.shape[1:])
    first_error = None
    for pair in PROBES if unknown else ((1, 1),):
        try:
            runs = [_run_probe(layer, inputs, flat, kwargs, pair[0])]
        except (ValueError, TypeError) as e:
            first_error = first_error or e
            continue
        if unknown:
            try:
                runs.append(_run_probe(layer, inputs, flat, kwargs, pair[1]))
            except (ValueError, TypeError) as e:  # ran at one length, not another
                shapes = [s.shape for s in flat]
                raise type(e)(f"functional API: {_label(layer)} needs a known size where its "
                              f"input shape(s) {shapes} have None: {e}") from e  # fmt: skip
        outs = [list(o) if isinstance(o, (list, tuple)) else [o] for o in runs]
        shapes = []
        for i, o in enumerate(outs[0]):
            other = outs[-1][i].shape[1:]
            if len(other) != len(o.shape[1:]):
                raise ValueError(f"functional API: {_label(layer)}'s output rank depends on the "
                                 "unknown input sizes")  # fmt: skip
            shape = tuple(a if a == b else None for a, b in zip(o.shape[1:], other))
            shapes.append((shape, o.dtype))
        container = type(runs[0]) if isinstance(runs[0], (list, tuple)) else False
        return shapes, container
    shapes = [s.shape for s in flat]
    msg = f"functional API: calling {_label(layer)} on input shape(s) {shapes}: {first_error}"
    raise type(first_error)(msg) from first_error


def _label(layer) -> str:
    name = getattr(layer, "name", None)
    return f"{type(layer).__name__} {name!r}" if name else type(layer).__name__


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name: str | None = None, tensor=None, optional: bool = False) -> SymbolicTensor:  # fmt: skip
    """A graph input for samples of ``shape`` (no batch axis): ``Input(shape=(784,))``.

    Keras 3's signature; ``batch_shape`` (batch axis first) may replace ``shape``; ``dtype``
    defaults to float32. ``batch_size`` is accepted and ignored (batches may have any size);
    ``sparse``/``ragged``/``tensor``/``optional`` other than their defaults raise.
    """
    if sparse or ragged or tensor is not None or optional:
        raise ValueError("Input: sparse, ragged, tensor= and optional inputs are not supported")
    if batch_shape is not None:
        if shape is not None:
            raise ValueError("Input: give shape or batch_shape, not both")
        shape = tuple(batch_shape)[1:]
    if shape is None:
        raise ValueError("Input: shape is required, e.g. Input(shape=(784,))")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(None if n is None else int(n) for n in shape)
    except (TypeError, ValueError):
        raise TypeError(f"Input: shape must be a tuple of ints, got {shape!r}") from None
    if any(n is not None and n <= 0 for n in shape):
        raise ValueError(f"Input: every size in shape must be positive, got {shape}")
    dtype = "float32" if dtype is None else dtype
    return SymbolicTensor((None, *shape), dtype, None, 0, name or f"input_{next(_input_ids)}")


def topological_nodes(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> list[Node]:
    """The nodes needed to compute ``outputs`` from ``inputs``, each after the nodes it reads.

    Raises ValueError when an output depends on an Input that is not among ``inputs``.
    """
    input_ids = {id(s) for s in inputs}
    order: list[Node] = []
    done: set[int] = set()
    stack: list[tuple[SymbolicTensor, bool]] = [(o, False) for o in reversed(outputs)]
    while stack:
        sym, expanded = stack.pop()
        node = sym.node
        if node is None:
            if id(sym) not in input_ids:
                raise ValueError(
                    f"Model: the outputs depend on input {sym.name!r} (shape {sym.shape}), which "
                    "is not in the model's inputs"
                )
            continue
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((sym, True))
        for s in reversed(node.flat_inputs):
            if id(s) not in input_ids and (s.node is None or id(s.node) not in done):
                stack.append((s, False))
    return order


def run_graph(nodes: list[Node], inputs: list[SymbolicTensor], outputs, values: list) -> list:
    """Replay ``nodes`` on concrete tensors ``values`` (one per input); returns the outputs."""
    env = {id(s): v for s, v in zip(inputs, values)}
    for node in nodes:
        ins = node.inputs
        if isinstance(ins, (list, tuple)):
            arg = [env[id(s)] for s in ins]
        else:
            arg = env[id(ins)]
        out = node.layer(arg, **node.kwargs)
        if len(node.outputs) == 1 and not isinstance(out, (list, tuple)):
            env[id(node.outputs[0])] = out
        else:
            for s, o in zip(node.outputs, out):
                env[id(s)] = o
    return [env[id(o)] for o in outputs]
