"""Sentence pairs: the ≤ N-word filter, the split by source sentence, length-bucketed batches,
and the English–French split on the real file."""

import numpy as np
import pytest

from chainrule.data.translation import filter_pairs, length_batches, split_pairs_by_source

SRC = [f"sentence {i % 37}" + " x" * (i % 5) for i in range(300)]
TGT = [f"phrase {i}" for i in range(300)]


def test_split_is_deterministic_and_keeps_sources_whole():
    (a, b), (c, d) = split_pairs_by_source(SRC, TGT, 0.2, seed=3)
    (a2, _), (_, d2) = split_pairs_by_source(SRC, TGT, 0.2, seed=3)
    assert a.tolist() == a2.tolist() and d.tolist() == d2.tolist()
    assert not set(a.tolist()) & set(c.tolist())  # no test source seen in training
    assert len(a) + len(c) == len(SRC)
    assert len(set(c.tolist())) == round(len(set(SRC)) * 0.2)
    pairs = set(zip(SRC, TGT))
    assert set(zip(a.tolist(), b.tolist())) | set(zip(c.tolist(), d.tolist())) == pairs
    # the chosen sources depend on the set of sources and the seed, not on the order of pairs
    order = np.random.default_rng(0).permutation(len(SRC))
    (_, _), (c3, _) = split_pairs_by_source([SRC[i] for i in order], [TGT[i] for i in order], 0.2,
                                            seed=3)  # fmt: skip
    assert set(c3.tolist()) == set(c.tolist())
    (_, _), (c4, _) = split_pairs_by_source(SRC, TGT, 0.2, seed=4)
    assert set(c4.tolist()) != set(c.tolist())


def test_filter_and_split_errors():
    src, tgt = filter_pairs(["a b c", "a b", "a"], ["x", "x y z", "x"], max_words=2)
    assert src.tolist() == ["a"] and tgt.tolist() == ["x"]
    with pytest.raises(ValueError, match="aligned"):
        filter_pairs(["a"], [], 2)
    with pytest.raises(ValueError, match="max_words"):
        filter_pairs(["a"], ["b"], 0)
    with pytest.raises(ValueError, match="test_fraction"):
        split_pairs_by_source(SRC, TGT, 1.5)
    with pytest.raises(ValueError, match="cannot be split"):
        split_pairs_by_source(["a", "a"], ["x", "y"], 0.5)


def test_length_batches_cover_every_index_once_and_bucket():
    lengths = np.random.default_rng(1).integers(1, 30, size=1000)
    batches = length_batches(lengths, 32, np.random.default_rng(2), pool=10)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 5  # sorted within pools: similar lengths per batch (random ones spread ~27)
    again = length_batches(lengths, 32, np.random.default_rng(2), pool=10)
    assert all((x == y).all() for x, y in zip(batches, again))
    with pytest.raises(ValueError, match="batch_size"):
        length_batches(lengths, 0)


def test_eng_fra_split_on_the_real_file(data_dir):
    from chainrule.datasets import load_eng_fra_split

    (en, fr), (en_test, fr_test) = load_eng_fra_split(data_dir=data_dir)
    assert (len(en), len(en_test)) == (121_494, 6_401)
    assert len(set(en_test.tolist())) == 4_396
    assert not set(en.tolist()) & set(en_test.tolist())
    assert max(len(s.split()) for s in [*en, *fr, *en_test, *fr_test]) <= 10
    (_, _), (again, _) = load_eng_fra_split(data_dir=data_dir)
    assert again.tolist() == en_test.tolist()
