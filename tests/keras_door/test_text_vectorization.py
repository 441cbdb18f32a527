"""TextVectorization: Keras's standardisation, split, reserved ids, adapt, output modes, saving."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers


def test_adapt_ids_padding_and_oov():
    tv = layers.TextVectorization(max_tokens=6, output_sequence_length=5)
    tv.adapt(["The cat sat.", "the dog sat!", "A cat"])
    assert tv.get_vocabulary() == ["", "[UNK]", "cat", "sat", "the", "a"]  # 'dog' cut by max
    assert tv.vocabulary_size() == 6
    assert tv.get_vocabulary(include_special_tokens=False) == ["cat", "sat", "the", "a"]
    out = tv(np.array(["the CAT, ate", "sat " * 7]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[4, 2, 1, 0, 0], [3, 3, 3, 3, 3]])
    ragged = layers.TextVectorization(vocabulary=["a", "b"])  # pads to the longest
    np.testing.assert_array_equal(ragged([["a b a"], ["zz"]]).numpy(), [[2, 3, 2], [1, 0, 0]])


def test_standardize_split_and_output_modes():
    tv = layers.TextVectorization(standardize="lower", split="character", vocabulary=list("ab"))
    np.testing.assert_array_equal(tv(["Ab!"]).numpy(), [[2, 3, 1]])
    hot = layers.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"])
    np.testing.assert_array_equal(hot(["a c a", "b"]).numpy(), [[1, 1, 0], [0, 0, 1]])
    assert hot.get_vocabulary() == ["[UNK]", "a", "b"]
    count = layers.TextVectorization(output_mode="count", vocabulary=["a", "b"])
    np.testing.assert_array_equal(count(["a c a"]).numpy(), [[1, 2, 0]])
    custom = layers.TextVectorization(standardize=str.upper, vocabulary=["A"])
    np.testing.assert_array_equal(custom(["a"]).numpy(), [[2]])
    with pytest.raises(ValueError, match="cannot save a custom standardize"):
        custom.get_config()


def test_errors():
    with pytest.raises(ValueError, match="no vocabulary yet"):
        layers.TextVectorization()(["a"])
    with pytest.raises(ValueError, match="max_tokens must be an int"):
        layers.TextVectorization(max_tokens=1)
    with pytest.raises(ValueError, match="'tf_idf' is not provided"):
        layers.TextVectorization(output_mode="tf_idf")
    with pytest.raises(ValueError, match="words must be distinct"):
        layers.TextVectorization(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="exceeds max_tokens=3"):
        layers.TextVectorization(max_tokens=3, vocabulary=["a", "b"])
    with pytest.raises(ValueError, match=r"strings \(N,\) or \(N, 1\)"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_in_a_model_trains_and_round_trips_config():
    keras.utils.set_random_seed(0)
    texts = np.array(["good movie", "bad movie", "good fun", "bad plot", "great good", "awful bad"])
    y = np.array([1, 0, 1, 0, 1, 0], np.float32)
    tv = layers.TextVectorization(output_sequence_length=3)
    tv.adapt(texts)
    ids = tv(texts).numpy()
    model = keras.Sequential([layers.Embedding(tv.vocabulary_size(), 8, mask_zero=True),
                              layers.GRU(4), layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(ids, y, epochs=30, verbose=0)
    assert ((model.predict(ids, verbose=0)[:, 0] > 0.5) == y).all()
    back = layers.TextVectorization.from_config(tv.get_config())
    np.testing.assert_array_equal(back(texts).numpy(), ids)
