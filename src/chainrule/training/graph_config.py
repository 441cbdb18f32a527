"""Functional models as JSON: the layers (by config) plus the graph connections.

Config layout::

    {"name": ..., "layers": [{"class_name", "config"}, ...],
     "inputs": [{"name", "shape", "dtype"}, ...],
     "nodes": [{"layer": i, "inputs": [ref, ...] | ref, "list_input": bool, "kwargs": {...}}, ...],
     "outputs": [ref, ...], "multi_input": bool, "multi_output": bool, "output_names": [...]}

where a ``ref`` is ``["input", k]`` (the k-th Input) or ``["node", j, t]`` (output t of node j).
Shared layers appear once in ``layers`` and in several nodes.
"""

from __future__ import annotations

import json

from ..layers.base import deserialize, serialize
from .functional import Input


def graph_to_config(model) -> dict:
    ins, outs, nodes = model._graph
    layer_index = {id(layer): i for i, layer in enumerate(model.layers)}
    node_index = {id(node): j for j, node in enumerate(nodes)}
    input_index = {id(s): k for k, s in enumerate(ins)}

    def ref(sym):
        if id(sym) in input_index:
            return ["input", input_index[id(sym)]]
        return ["node", node_index[id(sym.node)], sym.index]

    entries = []
    for layer in model.layers:
        if not hasattr(layer, "get_config"):
            raise NotImplementedError(f"{type(layer).__name__} has no get_config; cannot serialise")
        entries.append(serialize(layer))
    node_entries = []
    for node in nodes:
        listed = isinstance(node.inputs, (list, tuple))
        node_entries.append({
            "layer": layer_index[id(node.layer)],
            "inputs": [ref(s) for s in node.flat_inputs] if listed else ref(node.inputs),
            "list_input": listed,
            "kwargs": node.kwargs,
        })  # fmt: skip
    config = {
        "name": model.name,
        "layers": entries,
        "inputs": [
            {"name": n, "shape": list(s.shape[1:]), "dtype": s.dtype.name}
            for n, s in zip(model.input_names, ins)
        ],
        "nodes": node_entries,
        "outputs": [ref(o) for o in outs],
        "multi_input": model._multi_in,
        "multi_output": model._multi_out,
        "output_names": list(model.output_names),
    }
    json.dumps(config)  # fail here, with the offending value, rather than in a writer
    return config


def graph_from_config(config: dict, cls):
    """Rebuild the model: fresh layers from their configs, called along the recorded graph."""
    try:
        layers = [deserialize(entry) for entry in config["layers"]]
        ins = [Input(tuple(i["shape"]), name=i["name"], dtype=i["dtype"]) for i in config["inputs"]]
        produced: list = []

        def resolve(r):
            if r[0] == "input":
                return ins[r[1]]
            out = produced[r[1]]
            return out[r[2]] if isinstance(out, (list, tuple)) else out

        for node in config["nodes"]:
            refs = node["inputs"]
            arg = [resolve(r) for r in refs] if node["list_input"] else resolve(refs)
            produced.append(layers[node["layer"]](arg, **node.get("kwargs", {})))
        outs = [resolve(r) for r in config["outputs"]]
    except (KeyError, IndexError, TypeError) as e:
        raise ValueError(f"Model.from_config: malformed functional config ({e!r})") from None
    inputs = ins if config.get("multi_input") else ins[0]
    if config.get("multi_output"):
        names = config.get("output_names")
        outputs = dict(zip(names, outs)) if names and len(names) == len(outs) else outs
    else:
        outputs = outs[0]
    model = cls(inputs, outputs, name=config.get("name"))
    return model
