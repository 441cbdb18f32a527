"""Files are data (issue 10): what a hostile model file or checkpoint can and cannot make the
library do. Each test is a regression test for one attack; the fuzz test is test_fuzz_files.py."""

from __future__ import annotations

import json
import math
import os
import sys
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from _files import (
    members,
    rewrite,
    saved_checkpoint,
    saved_model,
    small_model,
    st_blob,
    st_header,
    write_zip,
)

import chainrule
from chainrule.cli import main
from chainrule.datasets._fetch import _temp_in
from chainrule.io import BackupAndRestore, ModelFileError, load_model, read_checkpoint
from chainrule.io.model_file import NonFiniteWeightsWarning, describe_model_file
from chainrule.optim.schedules import LambdaSchedule, deserialize_lr

# ----------------------------------------------------------------------------- 1. code execution
CANARY = "chainrule_canary_module"


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A module that records being imported; a file naming it must never get it imported."""
    folder = tmp_path / "canary"
    folder.mkdir()
    (folder / f"{CANARY}.py").write_text(
        "import os\nos.environ['CHAINRULE_CANARY'] = 'imported'\n"
        "def boom(step):\n    os.environ['CHAINRULE_CANARY'] = 'called'\n    return 0.1\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("CHAINRULE_CANARY", raising=False)
    sys.modules.pop(CANARY, None)
    yield f"{CANARY}:boom"
    assert CANARY not in sys.modules, "a file got a module imported"
    assert "CHAINRULE_CANARY" not in os.environ


def _lambda_lr(fn: str) -> dict:
    return {"class_name": "LambdaSchedule", "config": {"fn": fn}}


def _with_lambda_everywhere(src, dst, fn: str):
    """The attack of the issue: a LambdaSchedule naming ``module:attr`` in config.json's compile
    optimizer and in optimizer.json (config and param group)."""
    m = members(src)
    cfg = json.loads(m["config.json"])
    cfg["compile"]["optimizer"] = {"class_name": "Adam",
                                   "config": {"name": "Adam", "lr": _lambda_lr(fn)}}  # fmt: skip
    opt = json.loads(m["optimizer.json"])
    opt["config"]["lr"] = _lambda_lr(fn)
    opt["param_groups"][0]["lr"] = _lambda_lr(fn)
    return rewrite(src, dst, config__json=cfg, optimizer__json=opt)


def test_load_model_never_imports_a_named_function(tmp_path, canary):
    bad = _with_lambda_everywhere(saved_model(tmp_path), tmp_path / "bad.zip", canary)
    with pytest.raises(ModelFileError, match="custom_objects"):
        load_model(bad)


def test_optimizer_json_alone_never_imports(tmp_path, canary):
    src = saved_model(tmp_path)
    opt = json.loads(members(src)["optimizer.json"])
    opt["param_groups"][0]["lr"] = _lambda_lr(canary)
    bad = rewrite(src, tmp_path / "bad.zip", optimizer__json=opt)
    with pytest.raises(ModelFileError, match="optimizer"):
        load_model(bad)
    cfg = json.loads(members(src)["config.json"])
    cfg["compile"] = None  # not compiled: the optimizer is rebuilt from optimizer.json's config
    opt["config"]["lr"] = _lambda_lr(canary)
    bad = rewrite(src, tmp_path / "bad2.zip", optimizer__json=opt, config__json=cfg)
    with pytest.raises(ModelFileError, match="custom_objects"):
        load_model(bad)


def test_cli_predict_and_info_never_import(tmp_path, canary, capsys):
    bad = _with_lambda_everywhere(saved_model(tmp_path), tmp_path / "bad.zip", canary)
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    assert main(["predict", str(bad), str(tmp_path / "x.npy")]) == 1
    assert "custom_objects" in capsys.readouterr().err
    assert main(["info", str(bad)]) == 0  # info describes, never deserialises
    assert "LambdaSchedule" not in capsys.readouterr().err


def test_checkpoint_restore_never_imports(tmp_path, canary):
    src = saved_checkpoint(tmp_path)
    bad = _with_lambda_everywhere(src, tmp_path / "bad.zip", canary)
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ModelFileError, match="custom_objects"):
        model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=1,
                  batch_size=4, verbose=0, callbacks=[BackupAndRestore(bad)])  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_from_config_paths_resolve_names_only_through_registries(canary):
    from chainrule import activations, constraints, losses, metrics, optim, regularizers
    from chainrule import initializers as init
    from chainrule.layers import deserialize

    for bad in (canary, CANARY, "__class__", "os.system", "builtins:eval", "__builtins__"):
        with pytest.raises(ValueError):
            deserialize_lr(_lambda_lr(bad))
        with pytest.raises(ValueError):
            deserialize_lr({"class_name": bad, "config": {}})
        for get in (activations.get, init.get, regularizers.get, constraints.get, losses.get,
                    metrics.get, optim.get):  # fmt: skip
            with pytest.raises(ValueError):
                get(bad)
        with pytest.raises(ValueError):
            deserialize({"class_name": bad, "config": {}})
        with pytest.raises(ValueError):
            optim.get({"name": bad})
        with pytest.raises(ValueError):
            metrics.get({"class_name": bad, "config": {}})


def test_custom_objects_is_the_way_in(tmp_path):
    def my_schedule(step):
        return 0.01 / (1 + step)

    model = small_model(compiled=False)
    model.compile(optimizer=chainrule.optim.Adam(lr=my_schedule), loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=1, verbose=0)
    path = chainrule.save_model(model, tmp_path / "m.zip", include_optimizer=True)
    with pytest.raises(ModelFileError, match="my_schedule"):
        load_model(path)
    loaded = load_model(path, custom_objects={"my_schedule": my_schedule})
    lr = loaded.optimizer.param_groups[0]["lr"]
    assert isinstance(lr, LambdaSchedule) and lr.fn is my_schedule
    with pytest.raises(TypeError, match="custom_objects"):
        load_model(path, custom_objects=["my_schedule"])
    # an old file's "module:qualname" is matched against the user's keys, never imported
    with chainrule.custom_objects.custom_object_scope({"my_schedule": my_schedule}):
        assert deserialize_lr(_lambda_lr("somewhere.else:my_schedule")).fn is my_schedule


# ----------------------------------------------------------------------------- 2. memory
def _cheap(fn, seconds: float = 2.0, megabytes: float = 64.0):
    """Run ``fn`` expecting ModelFileError, within a time and traced-memory bound."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < seconds
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.0f} MiB"
    return str(info.value)


@pytest.mark.parametrize(
    "field, value",
    [("units", 2**26), ("units", 2**40), ("input_dim", 2**30), ("units", 10**30)],
)
def test_config_declaring_huge_layers_is_refused_before_allocating(tmp_path, field, value):
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    cfg["model"]["config"]["layers"][0]["config"][field] = value
    bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg)
    msg = _cheap(lambda: load_model(bad))
    assert "bad.zip" in msg


@pytest.mark.parametrize("shape", [[None, 2**40], [None, 2**20, 2**20], [None] + [2] * 40])
def test_huge_declared_input_shape_is_refused(tmp_path, shape):
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    cfg["input_shape"] = shape
    bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg)
    assert "input_shape" in _cheap(lambda: load_model(bad))
    _cheap(lambda: describe_model_file(bad))


def test_extra_layers_beyond_the_weights_are_refused(tmp_path):
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    layer = cfg["model"]["config"]["layers"][1]
    cfg["model"]["config"]["layers"] += [dict(layer, config=dict(layer["config"], units=4096,
                                                                   input_dim=2, name=f"x{i}"))
                                         for i in range(64)]  # fmt: skip
    bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg)
    _cheap(lambda: load_model(bad))


def test_unbuilt_model_cannot_defer_a_huge_allocation_to_predict(tmp_path):
    """No input_shape and no weights: the layers would build (and allocate) at the first call,
    outside any check against the file. Refused at load."""
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    cfg["input_shape"] = None
    for layer in cfg["model"]["config"]["layers"]:
        layer["config"].pop("input_dim", None)
        layer["config"]["units"] = 2**26
    bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg, model__safetensors=st_blob({}, b""),
                  optimizer__json=None, optimizer__safetensors=None)  # fmt: skip
    assert "not built" in _cheap(lambda: load_model(bad))


def test_zip_bombs_and_lying_sizes_are_refused(tmp_path):
    src = saved_model(tmp_path)
    m = members(src)
    # a deflated member that inflates to 1 GiB (ratio ~1000)
    big = tmp_path / "bomb.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", m["config.json"])
        with zf.open("model.safetensors", "w", force_zip64=True) as f:
            chunk = b"\0" * 2**20
            for _ in range(8):
                f.write(chunk)
    assert "compressed" in _cheap(lambda: load_model(big))
    # a JSON member over the JSON limit
    huge_json = write_zip(tmp_path / "j.zip", {**m, "config.json": b" " * (9 * 2**20)})
    assert "limit" in _cheap(lambda: load_model(huge_json), megabytes=80)
    # more members than a chainrule file can have, and duplicates
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(20_000):
            zf.writestr("config.json", b"")
    assert "members" in _cheap(lambda: load_model(many))
    dup = tmp_path / "dup.zip"
    with zipfile.ZipFile(dup, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zf.writestr("config.json", m["config.json"])
        zf.writestr("model.safetensors", m["model.safetensors"])
        zf.writestr("config.json", m["config.json"])
    assert "more than once" in _cheap(lambda: load_model(dup))


def test_load_weights_refuses_an_npz_bomb(tmp_path):
    model = small_model()
    bomb = tmp_path / "w.npz"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("layers.0.kernel.npy", "w") as f,
    ):
        f.write(b"\0" * 2**24)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="larger"):
        model.load_weights(bomb)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_zip_entry_declaring_more_than_the_file_holds(tmp_path):
    src = saved_model(tmp_path)
    raw = bytearray(src.read_bytes())
    # patch the central-directory uncompressed size of model.safetensors to 1 GiB
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"model.safetensors"))
    raw[cd + 24 : cd + 28] = (2**30).to_bytes(4, "little")
    bad = tmp_path / "lie.zip"
    bad.write_bytes(bytes(raw))
    _cheap(lambda: load_model(bad))


def test_safetensors_header_lies_are_refused(tmp_path):
    src = saved_model(tmp_path)
    header, body = st_header(members(src)["model.safetensors"])
    name = "layers.0.kernel"
    for change in (
        {"shape": [2**20, 2**20]},
        {"data_offsets": [0, 2**40]},
        {"dtype": "F8_E4M3"},
        {"shape": [-1, 4]},
        {"data_offsets": [8, 4]},
    ):
        h = json.loads(json.dumps(header))
        h[name].update(change)
        bad = rewrite(src, tmp_path / "bad.zip", model__safetensors=st_blob(h, body))
        _cheap(lambda b=bad: load_model(b))
        _cheap(lambda b=bad: describe_model_file(b))
    huge_len = (2**62).to_bytes(8, "little") + b"{}"
    bad = rewrite(src, tmp_path / "bad.zip", model__safetensors=huge_len)
    _cheap(lambda: load_model(bad))


@pytest.mark.parametrize(
    "text",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"format": 1e400}',
        b'{"format": NaN}',
        b'{"format": -Infinity}',
        b'{"format": ' + b"9" * 5000 + b"}",
        b'{"format": "chainrule-model", "format": "x"}',
        b'{"format": "' + b"x" * 100_000 + b'"}',
        b"\xff\xfe{}",
    ],
)
def test_hostile_json_gives_the_model_file_error(tmp_path, text):
    src = saved_model(tmp_path)
    for member in ("config.json", "optimizer.json"):
        bad = rewrite(src, tmp_path / "bad.zip", **{member.replace(".", "__"): text})
        msg = _cheap(lambda b=bad: load_model(b))
        assert member in msg


# ----------------------------------------------------------------------------- 3. taxonomy
@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c["model"]["config"].update(layers=5),
        lambda c: c["model"]["config"]["layers"].append(7),
        lambda c: c["model"].update(config=[]),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(activation={"a": 1}),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(
            activation={"class_name": "softmax", "config": {"axis": 2**70}}
        ),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(
            activation={"class_name": {"class_name": "relu"}}
        ),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(kernel_initializer=[1]),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(
            kernel_regularizer={"class_name": "l2", "config": {"l2": "x"}}
        ),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(
            kernel_constraint={"class_name": "max_norm", "config": [1]}
        ),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(dtype={"names": ["a"]}),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(units=1e300),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(name=["x"]),
        lambda c: c["compile"].update(loss={"class_name": "mse", "config": {"reduction": 5}}),
        lambda c: c["compile"].update(loss=[[["mse"]]]),
        lambda c: c["compile"].update(
            metrics={"class_name": "AUC", "config": {"num_thresholds": -1}}
        ),
        lambda c: c["compile"].update(metrics=[{"class_name": "__class__"}]),
        lambda c: c["compile"].update(optimizer={"class_name": "Adam", "config": {"name": 3}}),
        lambda c: c["compile"].update(optimizer={"name": "Adam", "betas": 3}),
        lambda c: c["compile"].update(optimizer={"name": "Adam", "lr": 2**1000}),
        lambda c: c["compile"].update(
            optimizer={
                "name": "Adam",
                "lr": {"class_name": "StepDecay", "config": {"step_size": -1}},
            }
        ),
        lambda c: c.update(compile=[]),
        lambda c: c.update(input_shape={"a": 1}),
        lambda c: c.update(format_version=2**1000),
    ],
)
def test_malformed_configs_give_the_model_file_error(tmp_path, edit):
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    edit(cfg)
    bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg)
    with pytest.raises(ModelFileError, match="bad.zip"):
        load_model(bad)


def test_functional_graph_references_are_checked(tmp_path):
    from chainrule import layers as L

    inp = chainrule.Input((3,))
    out = L.Dense(2)(L.Dense(4)(inp))
    model = chainrule.Model(inp, out)
    src = chainrule.save_model(model, tmp_path / "f.zip")
    base = json.loads(members(src)["config.json"])
    for edit in (
        lambda g: g["nodes"][1].update(inputs=["node", -1, 0]),
        lambda g: g["nodes"][0].update(inputs=["node", 1, 0]),
        lambda g: g["nodes"][0].update(layer=9),
        lambda g: g["nodes"][0].update(kwargs={"training": [1]}),
        lambda g: g["nodes"][0].update(kwargs={"bogus": 1}),
        lambda g: g["outputs"].append(["input", 5]),
        lambda g: g["inputs"][0].update(shape=[2**40]),
        lambda g: g["inputs"][0].update(dtype="object"),
    ):
        cfg = json.loads(json.dumps(base))
        edit(cfg["model"]["config"])
        bad = rewrite(src, tmp_path / "bad.zip", config__json=cfg)
        with pytest.raises(ModelFileError, match="bad.zip"):
            load_model(bad)


def test_multi_input_functional_model_still_round_trips(tmp_path):
    from chainrule import layers as L

    a, b = chainrule.Input((3,), name="a"), chainrule.Input((2,), name="b")
    model = chainrule.Model([a, b], [L.Dense(4)(a), L.Dense(1)(b)])
    xs = [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]
    loaded = load_model(chainrule.save_model(model, tmp_path / "f.zip"))
    for got, want in zip(loaded.predict(xs), model.predict(xs)):
        assert np.array_equal(got, want)


def test_optimizer_state_shapes_and_types_are_checked(tmp_path):
    src = saved_model(tmp_path)
    m = members(src)
    opt = json.loads(m["optimizer.json"])
    for edit in (
        lambda o: o.update(iterations=-1),
        lambda o: o.update(iterations=1.5),
        lambda o: o.update(param_groups={"a": 1}),
        lambda o: o["param_groups"][0].update(params=["x"]),
        lambda o: o.update(state={"__items__": [[99, {}]]}),
        lambda o: o.update(state={"__items__": [[[1], {}]]}),
        lambda o: o.update(state={"__items__": [[0, {"exp_avg": 1}]]}),
        lambda o: o["state"]["__items__"][0][1].update(exp_avg={"__array__": "state.1.exp_avg"}),
    ):
        o = json.loads(json.dumps(opt))
        edit(o)
        bad = rewrite(src, tmp_path / "bad.zip", optimizer__json=o)
        with pytest.raises(ModelFileError, match="optimizer"):
            load_model(bad)
    # optimizer.safetensors without its partner
    bad = rewrite(src, tmp_path / "bad.zip", optimizer__json=None)
    with pytest.raises(ModelFileError, match="together"):
        load_model(bad)


# ----------------------------------------------------------------------------- 4. checkpoints
def _fit_with(path, model=None, **kw):
    model = model or small_model()
    return model, model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32),
                            epochs=kw.pop("epochs", 2), batch_size=4, verbose=0,
                            callbacks=[BackupAndRestore(path)], **kw)  # fmt: skip


@pytest.mark.parametrize(
    "state, match",
    [
        ({"epoch": -1, "batch": 0}, "epoch"),
        ({"epoch": -(10**6), "batch": 0}, "epoch"),
        ({"epoch": 0, "batch": 1e9}, "batch"),
        ({"epoch": 0, "batch": 10**9}, "batch"),
        ({"epoch": 0, "batch": True}, "batch"),
        ({"epoch": 1.5, "batch": 0}, "epoch"),
        ({"epoch": 99, "batch": 0}, "epoch"),
        ({"epoch": 0, "batch": 0, "order": [0, 0, 0, 0, 0, 0, 0, 0]}, "order"),
        ({"epoch": 0, "batch": 0, "order": "x"}, "order"),
        ({"epoch": 0, "batch": 0, "order": {"__array__": "missing"}}, "missing"),
        ({"epoch": 0}, "train_state"),
    ],
)
def test_bad_train_state_is_refused_and_nothing_restored(tmp_path, state, match):
    src = saved_checkpoint(tmp_path)
    tr = json.loads(members(src)["training.json"])
    tr["train_state"] = state
    bad = rewrite(src, tmp_path / "bad.zip", training__json=tr)
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    opt_before = model.optimizer.iterations
    rng_before = chainrule.random.get_state()
    with pytest.raises(ModelFileError, match=match):
        _fit_with(bad, model)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.iterations == opt_before
    assert chainrule.random.get_state() == rng_before


def test_all_zero_or_short_sample_order_is_refused(tmp_path):
    for order in (np.zeros(8, np.int64), np.arange(7, dtype=np.int64), np.arange(9)):
        src = saved_checkpoint(tmp_path, batch=1, order=order)
        with pytest.raises(ModelFileError, match="order"):
            _fit_with(src)


def test_half_failing_restore_changes_nothing(tmp_path):
    """An optimizer state that fails late (a wrong buffer shape) must leave the weights, the
    optimizer and the generator as they were."""
    src = saved_checkpoint(tmp_path)
    m = members(src)
    opt = json.loads(m["optimizer.json"])
    opt["state"]["__items__"][-1][1]["exp_avg"] = {"__array__": "state.0.exp_avg"}  # wrong shape
    bad = rewrite(src, tmp_path / "bad.zip", optimizer__json=opt)
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    opt_state = model.optimizer.state_dict()
    with pytest.raises(ModelFileError, match="optimizer"):
        _fit_with(bad, model)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    after = model.optimizer.state_dict()
    assert after["iterations"] == opt_state["iterations"]
    for i, bufs in opt_state["state"].items():
        assert all(np.array_equal(bufs[k], after["state"][i][k]) for k in bufs)
    # the same for an optimizer never built before the restore
    fresh = small_model(trained=False)
    with pytest.raises(ModelFileError):
        _fit_with(bad, fresh)
    assert not fresh.optimizer.built


def test_bad_rng_and_history_are_refused(tmp_path):
    src = saved_checkpoint(tmp_path)
    tr = json.loads(members(src)["training.json"])
    for edit in (
        lambda t: t.update(rng={"bit_generator": "MT19937"}),
        lambda t: t["rng"].update(state={"state": -1, "inc": 2**200}),
        lambda t: t.update(rng=None),
        lambda t: t.update(history={"loss": [1, "x"]}),
        lambda t: t.update(history=[1]),
        lambda t: t.update(epochs=[-1]),
        lambda t: t.update(extra=1),
    ):
        t = json.loads(json.dumps(tr))
        edit(t)
        bad = rewrite(src, tmp_path / "bad.zip", training__json=t)
        with pytest.raises(ModelFileError, match="training.json"):
            read_checkpoint(bad)


# ----------------------------------------------------------------------------- 5. info output
def test_info_escapes_control_characters(tmp_path, capsys):
    src = saved_model(tmp_path)
    cfg = json.loads(members(src)["config.json"])
    evil = "\x1b]0;pwned\x07\n[fake] all good\r\u202e\x9b2J"
    cfg["chainrule_version"] = evil
    cfg["model"]["config"]["name"] = evil
    cfg["model"]["config"]["layers"][0]["config"]["name"] = evil
    cfg["compile"]["loss"] = evil
    header, body = st_header(members(src)["model.safetensors"])
    header[evil] = {"dtype": "F32", "shape": [0], "data_offsets": [len(body), len(body)]}
    bad = rewrite(
        src, tmp_path / "bad.zip", config__json=cfg, model__safetensors=st_blob(header, body)
    )
    assert main(["info", str(bad)]) == 0
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x1b\x07\r\u202e\x9b")
    assert not any(line.startswith("[fake]") for line in out.splitlines())
    assert "\\x1b]0;pwned" in out
    # error messages are escaped too
    cfg["model"]["class_name"] = evil
    bad = rewrite(src, tmp_path / "bad2.zip", config__json=cfg)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == 1


# ----------------------------------------------------------------------------- 6. NaN weights
def test_nan_weights_warn_on_load_and_in_predict(tmp_path):
    model = small_model()
    model.layers[1].bias.data[0] = np.nan
    path = chainrule.save_model(model, tmp_path / "m.zip")
    with pytest.warns(NonFiniteWeightsWarning, match=r"layers\.1\.bias"):
        loaded = load_model(path)
    with pytest.warns(NonFiniteWeightsWarning, match=r"layers\.1\.bias"):
        loaded.predict(np.ones((2, 3), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(chainrule.save_model(small_model(), tmp_path / "ok.zip")).predict(
            np.ones((2, 3), np.float32)
        )


# ----------------------------------------------------------------------------- 7. NaN histories
def test_checkpoint_with_nan_history_saves_and_resumes(tmp_path):
    model = small_model(compiled=False)
    model.compile(optimizer=chainrule.optim.SGD(lr=1e30), loss="mse")
    path = tmp_path / "ckpt.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, hist = _fit_with(path, model, epochs=2)
    assert any(math.isnan(v) for v in hist.history["loss"])
    text = members(path)["training.json"].decode()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert '"nan"' in text
    restored = read_checkpoint(path)["training"]["history"]["loss"]
    assert math.isnan(restored[-1])


# ----------------------------------------------------------------------------- 9. umask
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        model = small_model()
        p = chainrule.save_model(model, tmp_path / "m.zip")
        t = chainrule.io.atomic_write_text(tmp_path / "t.txt", "x")
        w = tmp_path / "w.npz"
        model.save_weights(w)
        fd, d = _temp_in(tmp_path, "download")  # a dataset download's file
        os.close(fd)
    finally:
        os.umask(old)
    for f in (p, t, w, d):
        assert f.stat().st_mode & 0o777 == mode, f
    os.chmod(p, 0o640)  # an existing file keeps its own mode when replaced
    chainrule.save_model(model, p)
    assert p.stat().st_mode & 0o777 == 0o640
