"""Model files: bit-identical round trips for every layer type, and every broken/malicious file case."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import chainrule
from chainrule import layers as L
from chainrule.io import ModelFileError, load_model, save_model


def _x(shape, dtype=np.float32):
    return chainrule.get_generator().normal(size=shape).astype(dtype)


def _trained_bn(bn_model, x):
    """Run a training-mode pass so BatchNorm buffers differ from their initial values."""
    bn_model.train()
    bn_model(x)
    bn_model.eval()
    return bn_model


@chainrule.saving.register_keras_serializable(package="tests")
def _cube(x):
    return x * x * x


def _merge_model(name, **kwargs):
    """A functional model whose two Dense branches meet in the merge layer ``name``."""
    inp = chainrule.Input(shape=(6,))
    merged = L.get(name)(**kwargs)([L.Dense(3)(inp), L.Dense(3, activation="tanh")(inp)])
    return chainrule.Model(inp, L.Dense(2)(merged))


# name -> (factory, input shape). Every registered layer class must appear (checked below).
CASES = {
    "Dense": (lambda: L.Sequential([L.Dense(5, activation="tanh"), L.Dense(3)]), (4, 6)),
    "Activation": (lambda: L.Sequential([L.Dense(5), L.Activation("relu")]), (4, 6)),
    "Dropout": (lambda: L.Sequential([L.Dense(5), L.Dropout(0.3), L.Dense(2)]), (4, 6)),
    "BatchNorm": (lambda: L.Sequential([L.Dense(5), L.BatchNormalization(), L.Dense(2)]), (8, 6)),
    "LayerNorm": (lambda: L.Sequential([L.Dense(5), L.LayerNormalization(), L.Dense(2)]), (4, 6)),
    "Flatten": (lambda: L.Sequential([L.Flatten(), L.Dense(3)]), (4, 2, 3)),
    "Reshape": (lambda: L.Sequential([L.Reshape((3, 2)), L.Flatten(), L.Dense(2)]), (4, 6)),
    "Residual": (lambda: L.Sequential([L.Residual(L.Dense(6)), L.Dense(2)]), (4, 6)),
    "Sequential": (lambda: L.Sequential([L.Sequential([L.Dense(4)]), L.Dense(2)]), (4, 6)),
    "ReLU": (lambda: L.Sequential([L.Dense(5), L.ReLU(max_value=0.5, threshold=0.1)]), (4, 6)),
    "LeakyReLU": (lambda: L.Sequential([L.Dense(5), L.LeakyReLU(0.1)]), (4, 6)),
    "ELU": (lambda: L.Sequential([L.Dense(5), L.ELU(0.5)]), (4, 6)),
    "Softmax": (lambda: L.Sequential([L.Dense(5), L.Softmax()]), (4, 6)),
    "Identity": (lambda: L.Sequential([L.Identity(), L.Dense(2)]), (4, 6)),
    "GaussianNoise": (lambda: L.Sequential([L.GaussianNoise(0.3), L.Dense(2)]), (4, 6)),
    "InputLayer": (lambda: chainrule.Sequential([L.InputLayer(shape=(6,)), L.Dense(2)]), (4, 6)),
    "Lambda": (lambda: L.Sequential([L.Dense(5), L.Lambda(_cube)]), (4, 6)),
    **{
        name: (lambda name=name: _merge_model(name), (4, 6))
        for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
    },
    "Dot": (lambda: _merge_model("Dot", axes=1, normalize=True), (4, 6)),
    "Normalization": (
        lambda: L.Sequential([L.Normalization(mean=[1.0] * 6, variance=[4.0] * 6), L.Dense(2)]),
        (4, 6),
    ),
    "Rescaling": (lambda: L.Sequential([L.Rescaling(1 / 255, offset=-0.5), L.Dense(2)]), (4, 6)),
    **{  # vision layers: each in front of a small conv head, on (N, 8, 8, 2) images
        name: (
            lambda make=make: L.Sequential([make(), L.Conv2D(2, 3), L.Flatten(), L.Dense(2)]),
            (3, 8, 8, 2),
        )
        for name, make in {
            "Conv2D": lambda: L.Conv2D(3, 2, strides=2, padding="same", activation="relu"),
            "DepthwiseConv2D": lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
            "Conv2DTranspose": lambda: L.Conv2DTranspose(3, 3, strides=2),
            "MaxPooling2D": lambda: L.MaxPooling2D(2, 1, padding="same"),
            "AveragePooling2D": lambda: L.AveragePooling2D(3, 1, padding="same"),
            "UpSampling2D": lambda: L.UpSampling2D(2, interpolation="bilinear"),
            "ZeroPadding2D": lambda: L.ZeroPadding2D(((1, 0), (2, 1))),
            "Cropping2D": lambda: L.Cropping2D(1),
            "Resizing": lambda: L.Resizing(10, 6),
            "SpatialDropout2D": lambda: L.SpatialDropout2D(0.3),
            "RandomFlip": lambda: L.RandomFlip("horizontal"),
            "RandomTranslation": lambda: L.RandomTranslation(0.2, 0.1, fill_mode="constant"),
            "RandomRotation": lambda: L.RandomRotation(0.1),
            "RandomZoom": lambda: L.RandomZoom(0.2, fill_mode="nearest"),
            "GroupNormalization": lambda: L.GroupNormalization(
                groups=2, gamma_initializer="he_normal"
            ),
            "PReLU": lambda: L.PReLU(alpha_initializer="random_normal", shared_axes=[1, 2]),
            "UnitNormalization": lambda: L.UnitNormalization(axis=[1, 2]),
            "Permute": lambda: L.Permute((2, 1, 3)),
        }.items()
    },
    **{
        name: (lambda make=make: L.Sequential([make(), L.Flatten(), L.Dense(2)]), (3, 8, 2))
        for name, make in {
            "Conv1D": lambda: L.Conv1D(3, 3, padding="causal", dilation_rate=2),
            "MaxPooling1D": lambda: L.MaxPooling1D(2),
            "AveragePooling1D": lambda: L.AveragePooling1D(3, 2, padding="same"),
            "GlobalAveragePooling1D": lambda: L.GlobalAveragePooling1D(keepdims=True),
            "GlobalMaxPooling1D": lambda: L.GlobalMaxPooling1D(),
            "RepeatVector": lambda: L.Sequential([L.Flatten(), L.RepeatVector(3)]),
        }.items()
    },
}
CASES["GlobalAveragePooling2D"] = (
    lambda: L.Sequential([L.Reshape((2, 4, 2)), L.GlobalAveragePooling2D(), L.Dense(2)]),
    (3, 8, 2),
)
CASES["GlobalMaxPooling2D"] = (
    lambda: L.Sequential([L.Reshape((4, 2, 2)), L.GlobalMaxPooling2D(keepdims=True),
                          L.Flatten(), L.Dense(2)]), (3, 8, 2)
)  # fmt: skip


def _tokens(shape):
    """Token ids with trailing padding (0) in the second row, for the sequence layers."""
    t = chainrule.get_generator().integers(1, 9, size=shape)
    t[1, shape[1] // 2 :] = 0
    return t


def _texts(shape):
    return np.array(["the cat sat", "a cat", "", "The CAT sat on the mat"][: shape[0]])


def _seq(*layers):
    return lambda: L.Sequential([L.Embedding(10, 8, mask_zero=True), *layers])


CASES.update({
    "Embedding": (_seq(L.Flatten(), L.Dense(2)), (4, 5), _tokens),
    "Masking": (lambda: L.Sequential([L.Masking(), L.LSTM(3)]), (4, 5, 6)),
    "SimpleRNN": (_seq(L.SimpleRNN(4, activation="relu", return_sequences=True), L.Flatten()),
                  (4, 5), _tokens),
    "LSTM": (_seq(L.LSTM(4, go_backwards=True, unit_forget_bias=False)), (4, 5), _tokens),
    "GRU": (_seq(L.GRU(4, use_bias=False)), (4, 5), _tokens),
    "Bidirectional": (_seq(L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave"),
                           L.LSTM(2)), (4, 5), _tokens),
    "MultiHeadAttention": (lambda: L.Sequential([L.Lambda(_self_attention_input),
                                                 L.MultiHeadAttention(2, 3, output_shape=4)]),
                           (4, 5, 6)),
    "PositionEmbedding": (lambda: L.Sequential([L.PositionEmbedding(7), L.Dense(2)]), (4, 5, 6)),
    "SinePositionEncoding": (lambda: L.Sequential([L.Dense(4), L.SinePositionEncoding(100)]),
                             (4, 5, 6)),
    "TokenAndPositionEmbedding": (lambda: L.Sequential([L.TokenAndPositionEmbedding(10, 6, 4),
                                                        L.GRU(2)]), (4, 5), _tokens),
    "TransformerEncoder": (_seq(L.TransformerEncoder(6, 2, normalize_first=True)), (4, 5),
                           _tokens),
    "TransformerDecoder": (_seq(L.TransformerDecoder(6, 2, activation="gelu")), (4, 5), _tokens),
    "TextVectorization": (lambda: L.Sequential([
        L.TextVectorization(vocabulary=["the", "cat", "sat"], output_sequence_length=4),
        L.Embedding(5, 3), L.Flatten(), L.Dense(2)]), (4,), _texts),
})  # fmt: skip

ALIASES = {"Linear", "BatchNormalization", "LayerNormalization"}


@chainrule.saving.register_keras_serializable(package="tests")
def _self_attention_input(x):
    """[x, x]: a Sequential feeds MultiHeadAttention its query and value as one list."""
    return [x, x]


def test_every_registered_layer_has_a_round_trip_case():
    uncovered = set(L.LAYERS) - ALIASES - set(CASES)
    assert not uncovered, f"add save/load round-trip cases for {sorted(uncovered)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_is_bit_identical(name, tmp_path):
    factory, shape, *make = CASES[name]
    model = factory()
    x = make[0](shape) if make else _x(shape)
    _trained_bn(model, x)
    expected = model(x).data
    path = save_model(model, tmp_path / "m.zip")
    loaded = load_model(path)
    got = loaded(x).data
    assert got.dtype == expected.dtype == np.float32
    assert np.array_equal(got, expected)
    for (k1, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and a.dtype == b.dtype and np.array_equal(a, b)


def test_float64_model_stays_float64(tmp_path):
    model = L.Sequential([L.Dense(3, dtype="float64"), L.Dense(2, dtype="float64")])
    x = _x((2, 4), np.float64)
    expected = model(x).data
    loaded = load_model(save_model(model, tmp_path / "m.zip"))
    assert loaded(x).data.dtype == np.float64
    assert np.array_equal(loaded(x).data, expected)


# ----------------------------------------------------------------------------- broken files
@pytest.fixture
def saved(tmp_path):
    model = L.Sequential([L.Dense(4, activation="relu"), L.Dense(3)])
    model(_x((2, 5)))
    return save_model(model, tmp_path / "good.zip")


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rewrite(src, dst, **replace):
    members = _members(src)
    members.update(replace)
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            if data is not None:
                zf.writestr(name, data)
    return dst


def _edit_config(saved, dst, edit):
    config = json.loads(_members(saved)["config.json"])
    edit(config)
    return _rewrite(saved, dst, **{"config.json": json.dumps(config).encode()})


class _Trap:
    """Unpickling this creates a file: proof that code ran."""

    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_weights_holding_a_pickle_are_rejected_and_execute_nothing(saved, tmp_path):
    trap = _Trap()
    trap.marker = tmp_path / "pwned"
    payload = pickle.dumps({"layers.0.kernel": trap})
    bad = _rewrite(saved, tmp_path / "bad.zip", **{"model.safetensors": payload})
    with pytest.raises(ModelFileError, match="model.safetensors.*not a valid safetensors"):
        load_model(bad)
    assert not trap.marker.exists()


def test_unknown_layer_name(saved, tmp_path):
    def edit(c):
        c["model"]["config"]["layers"][1]["class_name"] = "os.system"

    bad = _edit_config(saved, tmp_path / "bad.zip", edit)
    with pytest.raises(ModelFileError, match=r"layers\[1\].*unknown layer class 'os.system'"):
        load_model(bad)


def test_unknown_model_class(saved, tmp_path):
    bad = _edit_config(saved, tmp_path / "b.zip", lambda c: c["model"].update(class_name="Evil"))
    with pytest.raises(ModelFileError, match="unknown layer class 'Evil'"):
        load_model(bad)


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda c: c["model"]["config"]["layers"][0]["config"].update(units=-3), "units"),
        (lambda c: c["model"]["config"]["layers"][0]["config"].update(units="8"), "units"),
        (lambda c: c["model"]["config"]["layers"][0]["config"].update(evil=1), "evil"),
        (lambda c: c["model"]["config"]["layers"][0]["config"].update(activation="nope"), "nope"),
        (lambda c: c.update(format_version=99), "format_version 99"),
        (lambda c: c.update(format="zip"), "format"),
        (lambda c: c.update(input_shape="big"), "input_shape"),
    ],
)
def test_tampered_config(saved, tmp_path, edit, pattern):
    bad = _edit_config(saved, tmp_path / "bad.zip", edit)
    with pytest.raises(ModelFileError, match=pattern):
        load_model(bad)


def test_config_that_is_not_json(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "bad.zip", **{"config.json": b"{not json"})
    with pytest.raises(ModelFileError, match="invalid JSON"):
        load_model(bad)


def test_mismatched_tensor_shape_names_the_tensor(saved, tmp_path):
    import safetensors.numpy as st

    weights = st.load(_members(saved)["model.safetensors"])
    weights["layers.1.kernel"] = np.zeros((4, 7), np.float32)
    bad = _rewrite(saved, tmp_path / "bad.zip", **{"model.safetensors": st.save(weights)})
    with pytest.raises(ModelFileError, match=r"'layers.1.kernel' has shape \(4, 7\).*\(4, 3\)"):
        load_model(bad)


def test_mismatched_dtype_and_missing_tensor(saved, tmp_path):
    import safetensors.numpy as st

    weights = st.load(_members(saved)["model.safetensors"])
    weights["layers.0.bias"] = weights["layers.0.bias"].astype(np.float64)
    bad = _rewrite(saved, tmp_path / "bad.zip", **{"model.safetensors": st.save(weights)})
    with pytest.raises(ModelFileError, match="'layers.0.bias' has dtype float64"):
        load_model(bad)
    del weights["layers.0.bias"]
    bad = _rewrite(saved, tmp_path / "bad2.zip", **{"model.safetensors": st.save(weights)})
    with pytest.raises(ModelFileError, match=r"missing \['layers.0.bias'\]"):
        load_model(bad)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_archive(saved, tmp_path, keep):
    data = saved.read_bytes()
    bad = tmp_path / "cut.zip"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="truncated|corrupted"):
        load_model(bad)


def test_corrupted_member_bytes(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    at = data.find(b"layers.0.kernel")  # inside the stored safetensors header
    data[at : at + 6] = b"XXXXXX"
    bad = tmp_path / "flip.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted|CRC|truncated"):
        load_model(bad)


@pytest.mark.parametrize(
    "name", ["../escape.json", "/abs/config.json", "run.py", "dir/config.json"]
)
def test_unexpected_members_are_rejected(saved, tmp_path, name):
    bad = _rewrite(saved, tmp_path / "bad.zip", **{name: b"print('hi')"})
    with pytest.raises(ModelFileError, match="unexpected member"):
        load_model(bad)


def test_missing_member_and_not_a_zip(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "bad.zip", **{"model.safetensors": None})
    with pytest.raises(ModelFileError, match="missing member"):
        load_model(bad)
    plain = tmp_path / "plain.zip"
    plain.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ModelFileError, match="not a chainrule file"):
        load_model(plain)
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "absent.zip")


def test_duplicate_member_is_rejected(saved, tmp_path):
    members = _members(saved)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        with pytest.warns(UserWarning):
            zf.writestr("config.json", members["config.json"])
    bad = tmp_path / "dup.zip"
    bad.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError, match="more than once"):
        load_model(bad)


def test_save_is_atomic_when_the_write_fails_midway(saved, tmp_path, monkeypatch):
    before = saved.read_bytes()
    model = L.Sequential([L.Dense(2)])
    model(_x((1, 3)))
    real = zipfile.ZipFile.writestr
    calls = []

    def flaky(self, info, data, *a, **k):
        calls.append(info)
        if len(calls) == 2:  # the first member is already in the temporary file
            raise OSError("disk full")
        return real(self, info, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", flaky)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, saved)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["good.zip"]  # no temporary file left
    assert load_model(saved) is not None


# ----------------------------------------------------------------------------- trainable models
def _data():
    x = chainrule.get_generator().normal(size=(48, 5)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def test_compiled_model_with_optimizer_state_continues_training_identically(tmp_path):
    x, y = _data()
    model = chainrule.Sequential(
        [L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dense(2)]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "m.zip", include_optimizer=True)
    loaded = chainrule.load_model(tmp_path / "m.zip")
    assert type(loaded) is type(model) and loaded.compiled
    assert loaded.optimizer.iterations == model.optimizer.iterations == 6
    assert np.array_equal(loaded.predict(x), model.predict(x))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)


def test_functional_model_round_trip(tmp_path):
    x, _ = _data()
    inp = chainrule.Input(shape=(5,))
    hidden = L.Dense(8, activation="tanh")(inp)
    model = chainrule.Model(inp, L.Dense(3)(L.LayerNormalization()(hidden)))
    expected = model.predict(x)
    loaded = chainrule.load_model(save_model(model, tmp_path / "f.zip"))
    assert type(loaded) is chainrule.Model
    assert np.array_equal(loaded.predict(x), expected)
    assert not loaded.compiled  # saved before compile: nothing invented on load


def test_optimizer_state_that_does_not_fit_is_refused(tmp_path):
    x, y = _data()
    model = chainrule.Sequential([L.Dense(4), L.Dense(2)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = save_model(model, tmp_path / "m.zip", include_optimizer=True)
    skeleton = json.loads(_members(path)["optimizer.json"])
    skeleton["param_groups"][0]["params"] = [0, 1, 2]  # claims 3 parameters, the model has 4
    bad = _rewrite(path, tmp_path / "bad.zip", **{"optimizer.json": json.dumps(skeleton).encode()})
    with pytest.raises(ModelFileError, match="optimizer state does not fit"):
        load_model(bad)
