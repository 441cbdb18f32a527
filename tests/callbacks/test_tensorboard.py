"""TensorBoard callback: event files read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

import chainrule as cr
from chainrule import layers
from chainrule.callbacks import TensorBoard


def _read(run_dir):
    acc = event_accumulator.EventAccumulator(
        str(run_dir), size_guidance={"scalars": 0, "histograms": 0, "images": 0}
    )
    acc.Reload()
    return acc


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _model():
    cr.manual_seed(0)
    m = cr.models.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_epoch_scalars_train_and_validation(tmp_path):
    x, y = _data()
    m = _model()
    hist = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                 callbacks=[TensorBoard(tmp_path, write_graph=False)])  # fmt: skip
    train = _read(tmp_path / "train")
    tags = train.Tags()["scalars"]
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(tags)
    assert not any(t.startswith("batch_") for t in tags)  # update_freq="epoch"
    loss = train.Scalars("epoch_loss")
    assert [e.step for e in loss] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in loss], hist.history["loss"], rtol=1e-6)
    val = _read(tmp_path / "validation")
    np.testing.assert_allclose(
        [e.value for e in val.Scalars("epoch_loss")], hist.history["val_loss"], rtol=1e-6
    )
    assert train.Scalars("epoch_learning_rate")[0].value == pytest.approx(0.001)


@pytest.mark.parametrize(("freq", "expected"), [("batch", [1, 2, 3, 4, 5, 6, 7, 8]), (3, [3, 6])])
def test_batch_scalars(tmp_path, freq, expected):
    x, y = _data()
    _model().fit(x, y, epochs=2, batch_size=16, verbose=0,
                 callbacks=[TensorBoard(tmp_path, update_freq=freq,
                                        write_graph=False)])  # fmt: skip
    steps = [e.step for e in _read(tmp_path / "train").Scalars("batch_loss")]
    assert steps == expected


def test_histograms_of_weights_and_gradients(tmp_path):
    x, y = _data()
    m = _model()
    m.fit(x, y, epochs=3, batch_size=64, verbose=0,
          callbacks=[TensorBoard(tmp_path, histogram_freq=2, write_graph=False,
                                 write_images=True)])  # fmt: skip
    acc = _read(tmp_path / "train")
    hist_tags = set(acc.Tags()["histograms"])
    names = [n.replace(".", "/") for n, _ in m.named_parameters()]
    assert set(names) <= hist_tags
    assert {f"{n}/gradient" for n in names} <= hist_tags
    kernel = names[0]
    events = acc.Histograms(kernel)
    assert [e.step for e in events] == [0, 2]
    final = m.layers[0].kernel.numpy()
    h = events[-1].histogram_value
    assert h.num == final.size
    assert h.min == pytest.approx(final.min()) and h.max == pytest.approx(final.max())
    assert h.sum == pytest.approx(final.sum(), rel=1e-4, abs=1e-4)
    g = acc.Histograms(f"{kernel}/gradient")[-1].histogram_value
    assert g.num == final.size and g.max > g.min  # a real gradient, not zeros
    assert f"{kernel}/image" in {t.rsplit("/", 1)[0] for t in acc.Tags()["images"]} | set(
        acc.Tags()["images"]
    )


def test_graph_written_through_onnx(tmp_path):
    pytest.importorskip("onnx")
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    acc = _read(tmp_path / "train")
    assert acc.Tags()["graph"]
    ops = {n.op for n in acc.Graph().node}
    assert "MatMul" in ops and "Softmax" in ops


def test_add_image_for_generative_models(tmp_path):
    tb = TensorBoard(tmp_path)
    rng = np.random.default_rng(0)
    tb.add_image("samples", rng.random((4, 8, 8, 1)).astype(np.float32), step=5, dataformats="NHWC")
    tb.add_image("one", (rng.random((6, 7)) * 255).astype(np.uint8), step=6, dataformats="HW")
    with pytest.raises(ValueError, match="dataformats"):
        tb.add_image("bad", np.zeros((2, 3)), dataformats="HWC")
    tb.on_train_end()  # closes the writers
    acc = _read(tmp_path / "train")
    img = acc.Images("samples")[0]
    assert img.step == 5 and img.encoded_image_string[:4] == b"\x89PNG"
    assert acc.Images("one")[0].width == 7


def test_argument_checks():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(profile_batch=2)
    assert TensorBoard.rank_zero_only is True
