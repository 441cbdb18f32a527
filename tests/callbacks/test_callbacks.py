"""Callbacks driven by real fits on a small problem."""

import csv
import sys

import numpy as np
import pytest

import chainrule
from chainrule import callbacks as cbs
from chainrule.layers import Dense
from chainrule.losses import SparseCategoricalCrossentropy


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 120)
    x = (rng.standard_normal((120, 3)) + y[:, None] * 1.5).astype(np.float32)
    return x, y


def model_(lr=0.05, opt="sgd"):
    model = chainrule.Sequential([Dense(6, activation="relu"), Dense(2)])
    model.compile(chainrule.optim.get(opt, lr=lr), SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    return model


def snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def test_early_stopping_restores_exactly_the_best_epoch(data):
    x, y = data
    model = model_(lr=0.5)  # a large rate: val_loss goes up and down
    per_epoch = []
    record = cbs.LambdaCallback(on_epoch_end=lambda e, logs: per_epoch.append(snapshot(model)))
    stop = cbs.EarlyStopping(patience=2, restore_best_weights=True)
    hist = model.fit(x[:80], y[:80], epochs=30, batch_size=8, verbose=0,
                     validation_data=(x[80:], y[80:]), callbacks=[record, stop])  # fmt: skip
    val = hist.history["val_loss"]
    best = int(np.argmin(val))
    assert stop.best_epoch == best and stop.best == val[best]
    assert len(val) == best + 3 < 30  # stopped two epochs after the best
    for k, v in per_epoch[best].items():
        np.testing.assert_array_equal(model.state_dict()[k], v)
    assert any(not np.array_equal(model.state_dict()[k], v) for k, v in per_epoch[-1].items())


def test_early_stopping_modes_and_start_epoch(data):
    x, y = data
    model = model_(lr=0.0)  # nothing changes: no improvement after the first epoch
    stop = cbs.EarlyStopping(monitor="accuracy", patience=1, start_from_epoch=3)
    assert stop.mode == "max"
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop])
    assert hist.epoch == [0, 1, 2, 3, 4] and stop.best_epoch == 3
    with pytest.raises(ValueError, match="mode"):
        cbs.EarlyStopping(mode="up")
    with pytest.warns(UserWarning, match="'val_auc' is not in the logs"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cbs.EarlyStopping(monitor="val_auc")])


def test_model_checkpoint_best_only_and_atomic(data, tmp_path, monkeypatch):
    x, y = data
    model = model_(lr=0.5)
    path = tmp_path / "best.npz"
    ckpt = cbs.ModelCheckpoint(
        path, monitor="val_loss", save_best_only=True, save_weights_only=True
    )
    saves = []
    monkeypatch.setattr(
        ckpt, "_save", lambda p, orig=ckpt._save: (saves.append(len(hist_val)), orig(p))
    )
    hist_val = []
    track = cbs.LambdaCallback(on_epoch_end=lambda e, logs: hist_val.append(logs["val_loss"]))
    model.fit(x[:80], y[:80], epochs=8, batch_size=8, verbose=0, validation_data=(x[80:], y[80:]),
              callbacks=[track, ckpt])  # fmt: skip
    improvements = [i + 1 for i, v in enumerate(hist_val) if v == min(hist_val[: i + 1])]
    assert saves == improvements and ckpt.best == min(hist_val)
    clone = model_()
    clone(x[:1])
    clone.load_weights(path)
    assert clone.evaluate(x[80:], y[80:])[0] == pytest.approx(min(hist_val), rel=1e-5)
    # a failing write leaves the previous file intact and no temporary file behind
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez", lambda f, **kw: (f.write(b"partial"), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        cbs.save_weights_npz(model, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["best.npz"]


def test_model_checkpoint_every_epoch_with_pattern(data, tmp_path):
    x, y = data
    model = model_()
    ckpt = cbs.ModelCheckpoint(
        str(tmp_path / "w{epoch:02d}-{loss:.2f}.npz"), save_weights_only=True
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("w01-") and names[1].startswith("w02-")
    with pytest.raises(ValueError, match="val_acc"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[cbs.ModelCheckpoint(str(tmp_path / "{val_acc}.npz"))])  # fmt: skip


def test_learning_rate_scheduler_and_plateau(data):
    x, y = data
    model = model_(lr=0.1)
    sched = cbs.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    hist = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    assert hist.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    model = model_(lr=0.0)  # frozen: loss never improves
    model.optimizer.lr = 0.0
    plateau = cbs.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_lr=0.0)
    model.optimizer.lr = 1e-12  # tiny: the loss is constant to float32 precision
    hist = model.fit(x, y, epochs=6, verbose=0, callbacks=[plateau])
    assert hist.history["lr"] == pytest.approx([1e-12, 1e-12, 0.5e-12, 0.5e-12, 0.25e-12, 0.25e-12])
    with pytest.raises(ValueError, match="schedule returned"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[cbs.LearningRateScheduler(lambda e, lr: float("nan"))])  # fmt: skip


def test_csv_logger(data, tmp_path):
    x, y = data
    model = model_()
    path = tmp_path / "log.csv"
    hist = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25,
                     callbacks=[cbs.CSVLogger(path)])  # fmt: skip
    rows = list(csv.DictReader(path.open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(hist.history["val_loss"])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cbs.CSVLogger(path, append=True)])
    assert len(list(csv.DictReader(path.open()))) == 4


def test_terminate_on_nan_names_batch_and_term(data, capsys):
    x, y = data
    a, b = chainrule.Input(shape=(3,)), chainrule.Input(shape=(3,))
    body = Dense(4, name="body")
    out_a, out_b = (
        Dense(2, name="out_a")(body(a)),
        Dense(1, name="out_b")(Dense(2, name="pre_b")(b)),
    )
    model = chainrule.Model([a, b], [out_a, out_b])
    model.compile("sgd", [SparseCategoricalCrossentropy(from_logits=True), "mse"])

    def poison(batch, logs):
        if batch == 2:
            model.layers[-1].kernel.data[:] = np.nan  # breaks out_b only

    stop = cbs.TerminateOnNaN()
    hist = model.fit([x, x], [y, np.zeros(120, np.float32)], epochs=3, batch_size=10, verbose=0,
                     callbacks=[cbs.LambdaCallback(on_train_batch_end=poison), stop])  # fmt: skip
    assert hist.epoch == [0] and model.optimizer.iterations == 4
    assert "batch 3 of epoch 0" in stop.message and "'out_b_loss' is nan" in stop.message
    assert "out_a_loss" not in stop.message and stop.message in capsys.readouterr().out


def test_lambda_callback_and_order(data):
    x, y = data
    events = []
    cb = cbs.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda e, logs: events.append(f"epoch{e}"),
        on_batch_end=lambda b, logs: events.append(f"b{b}"),
        on_epoch_end=lambda e, logs: events.append(f"end{e}:{sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
    )
    model_().fit(x, y, epochs=2, batch_size=60, verbose=0, callbacks=[cb])
    assert events == ["train_begin", "epoch0", "b0", "b1", "end0:['accuracy', 'loss']", "epoch1",
                      "b0", "b1", "end1:['accuracy', 'loss']", "train_end"]  # fmt: skip
    with pytest.raises(ValueError, match="unknown hook"):
        cbs.LambdaCallback(on_epoch_ending=print)
    with pytest.raises(TypeError, match="Callback instances"):
        model_().fit(x, y, verbose=0, callbacks=[print])


def test_progress_output(data, capsys, monkeypatch):
    x, y = data
    model = model_()
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[1].startswith("Epoch 2/2") and "loss: " in out[1]
    model.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out
    # one tqdm bar, left showing the epoch's summary; no second summary line
    assert "Epoch 1/1: 100%" in out and "4/4" in out and "loss: " in out
    assert "Epoch 1/1 -" not in out
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and out[1].startswith("Epoch 1/1 -")


def test_model_checkpoint_full_model_uses_model_save(data, tmp_path):
    x, y = data
    model = model_()
    path = tmp_path / "model.crm"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cbs.ModelCheckpoint(path, monitor="loss",
                                                                          save_best_only=True)])  # fmt: skip
    loaded = chainrule.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
