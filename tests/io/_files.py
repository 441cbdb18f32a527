"""Helpers for the untrusted-file tests: small saved models and checkpoints, and rewriting their
members (the way an attacker would)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

import chainrule
from chainrule import layers as L
from chainrule.io.checkpoint import save_checkpoint


def small_model(compiled: bool = True, trained: bool = True):
    chainrule.manual_seed(0)
    model = chainrule.Sequential([L.Dense(4, activation="relu"),
                                  L.Dense(2)])  # fmt: skip
    if compiled:
        model.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 3), np.float32)
    if compiled and trained:
        model.fit(x, np.zeros((8, 2), np.float32), epochs=1, batch_size=4, verbose=0)
    else:
        model(x)
    return model


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path, items: dict[str, bytes], deflate_tensors: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items.items():
            method = (
                zipfile.ZIP_DEFLATED
                if name.endswith(".json") or deflate_tensors
                else zipfile.ZIP_STORED
            )
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compress_type=method)
    return Path(path)


def rewrite(src, dst, **changes) -> Path:
    """Copy the archive at ``src`` to ``dst`` replacing members (bytes, or a JSON-able object for
    *.json names; None removes the member)."""
    items = members(src)
    for key, value in changes.items():
        name = key.replace("__", ".")
        if value is None:
            items.pop(name, None)
        elif isinstance(value, (bytes, bytearray)):
            items[name] = bytes(value)
        else:
            items[name] = json.dumps(value).encode()
    return write_zip(dst, items)


def saved_model(tmp_path, include_optimizer: bool = True) -> Path:
    return chainrule.save_model(
        small_model(), tmp_path / "m.zip", include_optimizer=include_optimizer
    )


def saved_checkpoint(tmp_path, batch: int = 1, order=None) -> Path:
    model = small_model()
    return save_checkpoint(
        model, tmp_path / "ckpt.zip", {"train_state": {"epoch": 0, "batch": batch, "order": order}}
    )


def st_header(blob: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def st_blob(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body
