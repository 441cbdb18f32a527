"""Checkpoints: exact resume after a real SIGKILL, and atomic writes under kills and failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import layers as L
from chainrule.io import BackupAndRestore, ModelFileError, read_checkpoint
from chainrule.io.checkpoint import save_checkpoint

WORKER = Path(__file__).with_name("_worker.py")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def _start(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(predicate, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early: {proc.communicate()[1].decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker made no progress")
        time.sleep(0.005)


def _progress(marker: Path) -> tuple[int, int]:
    try:
        epoch, batch = marker.read_text().split()
    except (FileNotFoundError, ValueError):
        return (-1, -1)
    return int(epoch), int(batch)


def _weights(path: Path) -> dict:
    import safetensors.numpy as st

    return st.load_file(str(path))


def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path):
    ref_out = tmp_path / "reference.safetensors"
    ref = _start("train", tmp_path / "ref_ckpt.zip", ref_out, tmp_path / "ref_marker")
    # The interrupted run: 9 batches per epoch, a checkpoint every 3 (and at epoch ends); it stalls
    # after batch 5 of epoch 1 and is killed there, so its last checkpoint is (epoch 1, batch 3).
    ckpt, out, marker = tmp_path / "ckpt.zip", tmp_path / "resumed.safetensors", tmp_path / "m"
    victim = _start("train", ckpt, out, marker, "1,5")
    _wait_for(lambda: _progress(marker) == (1, 5), victim)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL
    assert not out.exists()
    state = read_checkpoint(ckpt)["training"]["train_state"]
    assert (state["epoch"], state["batch"]) == (1, 3)
    assert ref.wait(timeout=120) == 0, ref.communicate()[1].decode()[-2000:]

    resumed = _start("train", ckpt, out, tmp_path / "m2")
    assert resumed.wait(timeout=120) == 0, resumed.communicate()[1].decode()[-2000:]
    first_batch_after_resume = _progress(tmp_path / "m2")
    assert first_batch_after_resume[0] == 2  # it ran on to the end from the checkpoint
    expected, got = _weights(ref_out), _weights(out)
    assert expected.keys() == got.keys()
    for name in expected:
        assert expected[name].dtype == got[name].dtype
        assert np.array_equal(expected[name], got[name]), f"{name} differs after resume"


def test_sigkill_during_checkpoint_writes_leaves_a_valid_checkpoint(tmp_path):
    ckpt, marker = tmp_path / "hammer.zip", tmp_path / "ready"
    last_seen = -1
    for delay in (0.0, 0.013, 0.031, 0.057):
        marker.unlink(missing_ok=True)
        proc = _start("hammer", ckpt, marker)
        _wait_for(marker.exists, proc)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        ckpt_data = read_checkpoint(ckpt)  # complete and consistent, never a torn write
        i = ckpt_data["training"]["train_state"]["batch"]
        for name, arr in ckpt_data["weights"].items():
            assert np.all(arr == i), f"{name} mixes checkpoint {i} with another"
        last_seen = max(last_seen, i)
    assert last_seen >= 0


def _small_model():
    model = chainrule.Sequential([L.Dense(4, activation="relu"), L.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 3), np.float32)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=1, batch_size=4, verbose=0)
    return model


def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    model = _small_model()
    path = tmp_path / "ckpt.zip"
    save_checkpoint(model, path, {"train_state": {"epoch": 0, "batch": 1, "order": None}})
    before = path.read_bytes()
    real = zipfile.ZipFile.writestr

    def failing(self, info, data, *a, **k):
        if str(getattr(info, "filename", info)).startswith("training"):
            raise OSError("injected failure while writing")
        return real(self, info, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="injected"):
        save_checkpoint(model, path, {"train_state": {"epoch": 0, "batch": 2, "order": None}})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert read_checkpoint(path)["training"]["train_state"]["batch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.zip"]


def test_in_process_interruption_resumes_exactly(tmp_path):
    """Same guarantee without subprocesses, at several interruption points (epoch ends included)."""
    x = chainrule.get_generator().normal(size=(90, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def make():
        chainrule.manual_seed(7)
        m = chainrule.Sequential([L.Dense(8, activation="relu"), L.Dropout(0.3), L.Dense(2)])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    class Stop(chainrule.callbacks.Callback):
        def __init__(self, at):
            super().__init__()
            self.n, self.at = 0, at

        def on_train_batch_end(self, batch, logs=None):
            self.n += 1
            if self.n == self.at:
                raise KeyboardInterrupt

    ref = make()
    ref_hist = ref.fit(x, y, epochs=3, batch_size=16, verbose=0)
    for at in (4, 6, 8):  # 6 batches per epoch: mid-epoch, epoch end, next epoch
        path = tmp_path / f"c{at}.zip"
        m = make()
        with pytest.raises(KeyboardInterrupt):
            m.fit(x, y, epochs=3, batch_size=16, verbose=0,
                  callbacks=[BackupAndRestore(path, save_freq=4), Stop(at)])  # fmt: skip
        m = make()
        cb = BackupAndRestore(path, save_freq=4)
        hist = m.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
        assert cb.restored_from is not None
        for a, b in zip(ref.get_weights(), m.get_weights()):
            assert np.array_equal(a, b)
        assert hist.epoch == ref_hist.epoch == [0, 1, 2]
        assert np.array_equal(m.optimizer.state_dict()["iterations"], ref.optimizer.iterations)


def test_checkpoint_for_another_model_is_refused_before_anything_changes(tmp_path):
    model = _small_model()
    path = tmp_path / "ckpt.zip"
    save_checkpoint(model, path, {"train_state": {"epoch": 0, "batch": 1, "order": None}})
    other = chainrule.Sequential([L.Dense(5, activation="relu"), L.Dense(2)])
    other.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 3), np.float32)
    other.fit(x, np.zeros((8, 2), np.float32), epochs=1, batch_size=8, verbose=0)
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ModelFileError, match="layers.0.kernel"):
        other.fit(x, np.zeros((8, 2), np.float32), epochs=1, verbose=0,
                  callbacks=[BackupAndRestore(path)])  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))


def test_save_freq_is_validated():
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore("x.zip", save_freq=0)


def test_a_checkpoint_is_also_a_model_file(tmp_path):
    model = _small_model()
    path = tmp_path / "ckpt.zip"
    save_checkpoint(model, path, {"train_state": {"epoch": 0, "batch": 1, "order": None}})
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(chainrule.load_model(path).predict(x), model.predict(x))
    with pytest.raises(ModelFileError, match="no train_state"):
        save_checkpoint(model, path, {"rng": None})
        read_checkpoint(path)
