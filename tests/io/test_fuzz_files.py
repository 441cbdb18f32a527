"""Seeded fuzzing of model files and checkpoints (issue 10, item 3): thousands of mutations of
valid config.json / optimizer.json / training.json members, safetensors headers and raw archive
bytes. Whatever the mutation, loading, describing, reading a checkpoint and restoring one either
succeed or raise ModelFileError — never a KeyError, TypeError, RecursionError, OverflowError ...
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from _files import members, saved_checkpoint, small_model, st_blob, st_header, write_zip

from chainrule.io import BackupAndRestore, ModelFileError, load_model
from chainrule.io.model_file import describe_model_file

SEED = 20261130
MUTATIONS = 1000

NASTY = [
    None, True, False, -1, 0, 1, 3, 2**31, 2**63, 2**64 + 1, -(2**63), 10**30, 1e308, -0.0, 0.5,
    -1e-300, "", "x" * 300, "\x1b]0;t\x07\n", "nan", "inf", "-inf", "__class__", "os:system",
    "builtins:eval", "LambdaSchedule", "Dense", "float64", "object", "S1", "<f4", [], {},
    [[[[[]]]]], [0] * 40, [None, 2**30], [-1, 2], {"__array__": "nope"}, {"__array__": 3},
    {"__items__": [[1, 2]]}, {"__items__": 5}, {"__items__": [[[1], 2]]},
    {"class_name": "LambdaSchedule", "config": {"fn": "os:system"}},
    {"class_name": "Dense", "config": {"units": 2**26}}, {"class_name": 5},
    {"class_name": "relu", "config": {"x": 1}}, {"name": "Adam", "lr": -1},
]  # fmt: skip
RAW = [b"1e400", b"NaN", b"-Infinity", b"9" * 400, b"[" * 200 + b"]" * 200, b'"\\ud800"', b"{"]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _mutate_tree(obj, rng: random.Random):
    obj = json.loads(json.dumps(obj))
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        paths = list(_paths(obj))
        path = rng.choice(paths)
        if not path:
            continue
        parent = obj
        for p in path[:-1]:
            parent = parent[p]
        key = path[-1]
        op = rng.random()
        if op < 0.55:
            parent[key] = json.loads(json.dumps(rng.choice(NASTY)))
        elif op < 0.7:
            del parent[key]
        elif op < 0.8 and isinstance(parent, dict):
            parent[rng.choice(["extra", "__array__", "__items__", "class_name", "config", "lr",
                               "order", "shape", "dtype"])] = rng.choice(NASTY)  # fmt: skip
        elif op < 0.9:
            parent[key] = [parent[key]] * rng.choice((0, 2, 50))
        else:
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = rng.choice((-value, value * 2**40, str(value), value + 0.5))
            elif isinstance(value, str):
                parent[key] = rng.choice((value.upper(), value + "x", value[:1], 7))
            else:
                parent[key] = rng.choice(NASTY)
    return obj


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    op = rng.random()
    if op < 0.3 and b:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif op < 0.5:
        b = b[: rng.randrange(len(b) + 1)]
    elif op < 0.8:
        raw = rng.choice(RAW)
        at = rng.randrange(len(b) + 1)
        b[at:at] = raw
    else:  # replace a number with an out-of-range literal
        text = b.decode("latin-1")
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if digits:
            i = rng.choice(digits)
            b[i : i + 1] = rng.choice(RAW[:4])
    return bytes(b)


def _mutated_members(base: dict[str, bytes], rng: random.Random) -> tuple[str, dict[str, bytes]]:
    """(the member mutated, the archive's members after the mutation)."""
    items = dict(base)
    target = rng.choice(["config.json", "config.json", "optimizer.json", "training.json",
                         "model.safetensors", "optimizer.safetensors", "training.safetensors",
                         "drop"])  # fmt: skip
    if target == "drop":
        items.pop(rng.choice(sorted(items)))
        return target, items
    if target.endswith(".json"):
        data = items[target]
        if rng.random() < 0.75:
            data = json.dumps(_mutate_tree(json.loads(data), rng)).encode()
        if rng.random() < 0.3:
            data = _mutate_bytes(data, rng)
        items[target] = data
        return target, items
    header, body = st_header(items[target])
    if rng.random() < 0.8:
        items[target] = st_blob(_mutate_tree(header, rng), body)
    else:
        items[target] = _mutate_bytes(items[target][:64], rng) + items[target][64:]
    return target, items


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):  # thousands of small files: keep them in memory
        folder = Path(tempfile.mkdtemp(prefix="chainrule-fuzz-", dir=shm))
    else:
        folder = tmp_path_factory.mktemp("fuzz")
    order = np.random.default_rng(0).permutation(8)
    path = saved_checkpoint(folder, batch=1, order=order)
    yield folder, members(path)
    shutil.rmtree(folder, ignore_errors=True)


def _only_model_file_errors(fn, what: str):
    try:
        fn()
    except ModelFileError:
        pass
    except Exception as exc:
        raise AssertionError(f"{what}: {type(exc).__name__} escaped: {exc}") from exc


def test_fuzzed_files_raise_only_model_file_error(base):
    folder, items = base
    rng = random.Random(SEED)
    model = small_model()
    callback = BackupAndRestore(folder / "x.zip")
    callback.set_model(model)
    callback.set_params({"epochs": 2, "steps": 2, "batch_size": 4, "samples": 8})
    x = np.ones((2, 3), np.float32)
    outcomes = {"ok": 0, "error": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(MUTATIONS):
            target, mutated = _mutated_members(items, rng)
            path = write_zip(folder / "f.zip", mutated)
            if i % 10 == 0:  # raw archive bytes too
                raw = bytearray(path.read_bytes())
                for _ in range(rng.randint(1, 8)):
                    raw[rng.randrange(len(raw))] = rng.randrange(256)
                path.write_bytes(bytes(raw))
                target = "archive"
            what = f"mutation {i} of {target}"
            if not target.startswith("training"):  # load_model ignores the training members
                try:
                    loaded = load_model(path)
                    if i % 10 == 0:
                        loaded.predict(x, batch_size=2)
                    outcomes["ok"] += 1
                except ModelFileError:
                    outcomes["error"] += 1
                except Exception as exc:
                    raise AssertionError(f"{what}: {type(exc).__name__} escaped: {exc}") from exc
            if target in ("config.json", "model.safetensors", "archive", "drop"):
                _only_model_file_errors(lambda p=path: describe_model_file(p), what + " (info)")
            callback.path = path
            _only_model_file_errors(callback.on_train_begin, what + " (restore)")
            model.resume_state = None
    assert outcomes["error"] > MUTATIONS // 3 and outcomes["ok"] > 0, outcomes
