"""Vocabularies, padding and language-model batches."""

import numpy as np
import pytest

from chainrule.data import (
    CharVocab,
    DataLoader,
    TensorDataset,
    WordVocab,
    lm_sequences,
    pad_sequences,
    sample_lm_batch,
    split_text,
)
from chainrule.datasets import load_sst2, load_tiny_shakespeare


def test_char_vocab_round_trips_shakespeare(data_dir):
    text = load_tiny_shakespeare(data_dir=data_dir)
    train, val = split_text(text, 0.1)
    assert train + val == text and len(val) == 111_539
    vocab = CharVocab(text)
    assert len(vocab) == 65  # the well-known tiny-shakespeare character set
    ids = vocab.encode(text)
    assert ids.shape == (len(text),) and ids.dtype == np.int64
    assert ids.min() == 0 and ids.max() == 64
    assert vocab.decode(ids) == text
    assert vocab.itos[ids[0]] == "F"


def test_char_vocab_unknown_characters():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"\['z'\] are not in the vocabulary of 3 characters"):
        vocab.encode("abz")
    with_unk = CharVocab("abc", unk=True)
    assert with_unk.encode("azc").tolist() == [1, 0, 3]
    assert with_unk.decode([1, 0, 3]) == "a<unk>c"
    assert CharVocab("héllo✓").decode(CharVocab("héllo✓").encode("✓hé")) == "✓hé"
    assert CharVocab("").encode("").shape == (0,)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        vocab.decode([5])


def test_word_vocab_specials_frequency_and_limits():
    sentences = ["the cat sat", "the dog sat", "the cat ran", "a bird"]
    vocab = WordVocab.build(sentences)
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.itos[4:7] == ["the", "cat", "sat"]  # by frequency, ties alphabetical
    assert len(vocab) == 4 + 7
    frequent = WordVocab.build(sentences, min_freq=2)
    assert frequent.itos[4:] == ["the", "cat", "sat"]
    small = WordVocab.build(sentences, max_size=6)
    assert len(small) == 6 and small.itos[4:] == ["the", "cat"]
    with pytest.raises(ValueError, match="max_size=3 cannot hold"):
        WordVocab.build(sentences, max_size=3)


def test_word_vocab_round_trip_and_unknowns():
    sentences = ["the cat sat on the mat", "a dog ran"]
    vocab = WordVocab.build(sentences)
    for s in sentences:
        ids = vocab.encode(s, add_bos=True, add_eos=True)
        assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and ids.dtype == np.int64
        assert vocab.decode(ids) == s
    ids = vocab.encode("the zebra sat")
    assert ids[1] == vocab.unk_id and vocab.decode(ids) == "the <unk> sat"
    assert vocab.decode(vocab.encode("a dog", add_eos=True), skip_specials=False) == "a dog <eos>"


def test_pad_sequences_pre_and_post():
    seqs = [[5, 6, 7, 8], [9], []]
    out = pad_sequences(seqs, 3)
    assert out.tolist() == [[5, 6, 7], [9, 0, 0], [0, 0, 0]] and out.dtype == np.int64
    pre = pad_sequences(seqs, 3, pad_id=-1, padding="pre", truncating="pre")
    assert pre.tolist() == [[6, 7, 8], [-1, -1, 9], [-1, -1, -1]]
    vocab = WordVocab.build(["x y z"])
    batch = vocab.encode_batch(["x y z w", "y"], 3)
    assert batch.tolist() == [[4, 5, 6], [5, 0, 0]]
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences(seqs, 3, padding="left")


def test_lm_sequences_are_next_token_targets():
    ids = np.arange(23)
    x, y = lm_sequences(ids, seq_len=5)
    assert x.shape == y.shape == (4, 5)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[:, 0], [0, 5, 10, 15])
    xo, _ = lm_sequences(ids, seq_len=5, stride=2)
    assert xo.shape == (9, 5) and xo[1, 0] == 2
    loader = DataLoader(TensorDataset(x, y), 2, shuffle=True, seed=0)
    for xb, yb in loader:
        np.testing.assert_array_equal(yb[:, :-1], xb[:, 1:])
    with pytest.raises(ValueError, match="at least seq_len"):
        lm_sequences(ids[:3], seq_len=5)


def test_sample_lm_batch():
    ids = np.arange(100) * 3
    xb, yb = sample_lm_batch(ids, batch_size=8, seq_len=10, rng=np.random.default_rng(0))
    assert xb.shape == yb.shape == (8, 10)
    np.testing.assert_array_equal(yb, xb + 3)
    np.testing.assert_array_equal(np.diff(xb, axis=1), 3)  # contiguous windows
    assert yb.max() <= 297


def test_word_vocab_on_sst2(data_dir):
    (x_train, _), _, (x_test, _) = load_sst2(data_dir=data_dir)
    vocab = WordVocab.build(x_train, min_freq=2, max_size=10_000)
    assert len(vocab) == 10_000
    assert vocab.itos[4] in {"the", ","}  # the most frequent tokens of English text
    ids = vocab.encode_batch(x_test, 40, add_bos=True)
    assert ids.shape == (872, 40) and (ids[:, 0] == vocab.bos_id).all()
    covered = [s for s in x_test if all(w in vocab.stoi for w in s.split())]
    assert len(covered) > 200  # enough fully-known sentences for the round trip to mean something
    for s in covered:
        assert vocab.decode(vocab.encode(s)) == " ".join(s.split())
