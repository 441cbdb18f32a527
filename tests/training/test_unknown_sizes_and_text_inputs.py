"""Inputs with unknown sizes (``Input(shape=(None,))``) and inputs of text
(``Input(shape=(), dtype="string")`` or a Sequential starting with TextVectorization): graphs,
summaries, fit/predict and model files, as Keras 3 users write them."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers

TEXTS = np.array(["a gripping film", "dull and slow", "great acting", "boring plot"] * 8)
LABELS = np.array([1, 0, 1, 0] * 8, dtype=np.float32)


def _kim_cnn(inputs, ids, vocab: int):
    x = layers.Embedding(vocab, 8)(ids)
    pooled = [layers.GlobalMaxPooling1D()(layers.Conv1D(4, k, activation="relu")(x))
              for k in (2, 3)]  # fmt: skip
    out = layers.Dense(1, activation="sigmoid")(layers.Concatenate()(pooled))
    return keras.Model(inputs, out)


def test_functional_graph_keeps_unknown_sizes_and_runs_at_any_length():
    ids = keras.Input(shape=(None,), dtype="int64")
    model = _kim_cnn(ids, ids, 20)
    shapes = [n.outputs[0].shape for n in model._graph[2]]
    assert shapes[:2] == [(None, None, 8), (None, None, 4)]
    assert shapes[-1] == (None, 1)
    for length in (3, 7, 40):
        assert model.predict(np.ones((2, length), dtype=np.int64), verbose=0).shape == (2, 1)
    text = model.summary(print_fn=lambda *a, **k: None)
    assert "(None, None, 8)" in text


def test_layers_that_need_a_known_size_say_so():
    with pytest.raises(ValueError, match=r"Dense '.*' needs a known size where its input shape"):
        layers.Dense(3)(keras.Input(shape=(None,)))
    with pytest.raises(ValueError, match=r"need a known size where input shape \(None, None\)"):
        keras.Sequential([keras.Input(shape=(None,)), layers.Dense(3)])


def test_sequential_with_unknown_length_summarises_none_and_round_trips(tmp_path):
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int64"), layers.Embedding(10, 4),
                              layers.Conv1D(3, 5), layers.GlobalMaxPooling1D()])  # fmt: skip
    assert model.layers[1].output_shape == (None, None, 3)
    x = np.arange(1, 9).reshape(1, 8)
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")  # the dry run must not use length 1
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_text_in_text_out_models_fit_predict_and_round_trip(style, tmp_path):
    keras.utils.set_random_seed(0)
    tv = layers.TextVectorization(max_tokens=50, output_sequence_length=6)
    tv.adapt(TEXTS)
    if style == "functional":
        inputs = keras.Input(shape=(), dtype="string")
        model = _kim_cnn(inputs, tv(inputs), tv.vocabulary_size())
    else:
        model = keras.Sequential([tv, layers.Embedding(tv.vocabulary_size(), 8),
                                  layers.GlobalAveragePooling1D(),
                                  layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(TEXTS, LABELS, epochs=15, batch_size=8, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    probs = model.predict(np.array(["great film", "slow plot"]), verbose=0)
    assert probs[0, 0] > 0.5 > probs[1, 0]
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back.predict(np.array(["great film", "slow plot"]), verbose=0),
                               probs, rtol=1e-6)  # fmt: skip
    assert back.evaluate(TEXTS, LABELS, verbose=0)[1] == 1.0


def test_numbers_into_a_text_model_are_refused_clearly():
    inputs = keras.Input(shape=(), dtype="string")
    tv = layers.TextVectorization(max_tokens=10, output_sequence_length=3)
    tv.adapt(TEXTS)
    model = keras.Model(inputs, layers.Embedding(12, 2)(tv(inputs)))
    with pytest.raises((ValueError, TypeError), match="TextVectorization"):
        model.predict(np.zeros((2, 3)), verbose=0)
