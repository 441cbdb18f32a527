"""The wire format of :meth:`Communicator.broadcast_object` / ``allgather_object``: JSON with
tagged entries for what JSON lacks (tuples, non-string dict keys, non-finite floats, NumPy arrays).

Nothing is unpickled: decoding builds only None, bools, ints, floats, strings, lists, tuples,
dicts and numeric NumPy arrays, so a message can never make a rank import or call anything.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np


def encode(obj) -> bytes:
    """``obj`` as bytes; TypeError naming the first value of a kind the format does not carry."""
    return json.dumps(_enc(obj), separators=(",", ":")).encode()


def decode(data: bytes):
    return _dec(json.loads(data.decode()))


def _enc(o):
    if o is None or isinstance(o, (bool, str)):
        return o
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, (int, np.integer)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        f = float(o)
        return f if math.isfinite(f) else {"__float__": repr(f)}
    if isinstance(o, np.ndarray):
        if o.dtype.kind not in "biufc":
            raise TypeError(f"distributed codec: cannot send an array of dtype {o.dtype}")
        data = base64.b64encode(np.ascontiguousarray(o).tobytes()).decode()
        return {"__array__": [o.dtype.str, list(o.shape), data]}
    if isinstance(o, tuple):
        return {"__tuple__": [_enc(v) for v in o]}
    if isinstance(o, list):
        return [_enc(v) for v in o]
    if isinstance(o, dict):
        return {"__dict__": [[_enc(k), _enc(v)] for k, v in o.items()]}
    raise TypeError(f"distributed codec: cannot send a {type(o).__name__}")


def _dec(o):
    if isinstance(o, list):
        return [_dec(v) for v in o]
    if not isinstance(o, dict):
        return o
    ((tag, value),) = o.items()
    if tag == "__float__":
        return float(value)
    if tag == "__tuple__":
        return tuple(_dec(v) for v in value)
    if tag == "__dict__":
        return {_dec(k): _dec(v) for k, v in value}
    if tag == "__array__":
        dtype, shape, data = value
        dtype = np.dtype(dtype)
        if dtype.kind not in "biufc":
            raise ValueError(f"distributed codec: refusing an array of dtype {dtype}")
        return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape).copy()
    raise ValueError(f"distributed codec: unknown tag {tag!r}")
