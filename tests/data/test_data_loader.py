"""DataLoader: coverage, batch shapes, seeded reproducible shuffling and resumable state."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.data import DataLoader, Subset, TensorDataset


def _data(n):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 50),
    batch_size=st.one_of(st.none(), st.integers(1, 60)),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
)
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, drop_last):
    x, y = _data(n)
    loader = DataLoader(
        TensorDataset(x, y), batch_size, shuffle=shuffle, drop_last=drop_last, seed=1
    )
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], np.int64)
        size = n if batch_size is None else batch_size
        expected = n - n % size if drop_last else n
        assert len(seen) == expected
        assert len(np.unique(seen)) == expected  # no duplicates
        if not drop_last:
            assert sorted(seen.tolist()) == list(range(n))
        for xb, yb in batches:
            assert xb.shape == (len(yb), 3) and xb.dtype == np.float32
            np.testing.assert_array_equal(xb[:, 0], yb * 3)  # fields stay aligned
            assert len(yb) <= size and (not drop_last or len(yb) == size)


def test_full_batch_and_stochastic():
    x, y = _data(10)
    ((xb, _yb),) = list(DataLoader(TensorDataset(x, y), batch_size=None))
    assert xb.shape == (10, 3) and np.shares_memory(xb, x)  # no copy without shuffling
    batches = list(DataLoader(TensorDataset(x, y), batch_size=1, shuffle=True, seed=0))
    assert len(batches) == 10 and all(b[0].shape == (1, 3) for b in batches)
    assert sorted(int(b[1][0]) for b in batches) == list(range(10))


def test_new_order_each_epoch_same_sequence_for_same_seed():
    x, y = _data(100)
    a = DataLoader(TensorDataset(x, y), 10, shuffle=True, seed=7)
    b = DataLoader(TensorDataset(x, y), 10, shuffle=True, seed=7)
    orders_a = [np.concatenate([yb for _, yb in a]) for _ in range(3)]
    orders_b = [np.concatenate([yb for _, yb in b]) for _ in range(3)]
    for oa, ob in zip(orders_a, orders_b):
        np.testing.assert_array_equal(oa, ob)
    assert not np.array_equal(orders_a[0], orders_a[1])
    assert not np.array_equal(orders_a[0], np.arange(100))
    c = DataLoader(TensorDataset(x, y), 10, shuffle=True, seed=8)
    assert not np.array_equal(np.concatenate([yb for _, yb in c]), orders_a[0])


def test_seed_none_follows_manual_seed():
    x, y = _data(50)
    chainrule.manual_seed(123)
    first = np.concatenate([yb for _, yb in DataLoader((x, y), 8, shuffle=True)])
    chainrule.manual_seed(123)
    again = np.concatenate([yb for _, yb in DataLoader((x, y), 8, shuffle=True)])
    np.testing.assert_array_equal(first, again)
    chainrule.manual_seed(124)
    other = np.concatenate([yb for _, yb in DataLoader((x, y), 8, shuffle=True)])
    assert not np.array_equal(first, other)


def test_unshuffled_loader_leaves_library_stream_alone():
    x, y = _data(10)
    chainrule.manual_seed(0)
    expected = chainrule.random.get_generator().random()
    chainrule.manual_seed(0)
    list(DataLoader((x, y), 3))
    assert chainrule.random.get_generator().random() == expected


def test_list_of_samples_is_a_dataset():
    samples = [(np.full(2, i, dtype=np.float32), i) for i in range(5)]
    xb, yb = next(iter(DataLoader(samples, 5)))
    assert xb.shape == (5, 2) and yb.tolist() == [0, 1, 2, 3, 4]


def test_never_touches_numpy_global_random():
    state = np.random.get_state()[1].copy()
    x, y = _data(30)
    for _ in DataLoader((x, y), 4, shuffle=True):
        pass
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_state_dict_resumes_mid_epoch_exactly():
    x, y = _data(40)
    loader = DataLoader((x, y), 6, shuffle=True, seed=3)
    list(loader)  # epoch 0
    it = iter(loader)
    head = [next(it)[1] for _ in range(3)]
    state = json.loads(json.dumps(loader.state_dict()))  # checkpoints store it as JSON
    assert state["epoch"] == 1 and state["batches_done"] == 3
    rest = [yb for _, yb in it]
    following = np.concatenate([yb for _, yb in loader])

    resumed = DataLoader((x, y), 6, shuffle=True, seed=99)
    resumed.load_state_dict(state)
    rest_again = [yb for _, yb in resumed]
    assert len(rest_again) == len(rest)
    for a, b in zip(rest, rest_again):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in resumed]), following)
    assert sorted(np.concatenate(head + rest).tolist()) == list(range(40))


def test_state_dict_after_last_batch_points_to_next_epoch():
    x, y = _data(12)
    loader = DataLoader((x, y), 4, shuffle=True, seed=5)
    it = iter(loader)
    for _ in range(3):
        next(it)
    state = loader.state_dict()
    assert state["epoch"] == 1 and state["batches_done"] == 0
    twin = DataLoader((x, y), 4, shuffle=True, seed=5)
    list(twin)
    np.testing.assert_array_equal(
        np.concatenate([b for _, b in twin]),
        np.concatenate([b for _, b in _resumed(state, x, y)]),
    )


def _resumed(state, x, y):
    loader = DataLoader((x, y), 4, shuffle=True)
    loader.load_state_dict(state)
    return loader


class _PlainDataset:
    """Only __len__/__getitem__: the loader must collate sample by sample."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full((2,), i, dtype=np.float32), i


def test_generic_dataset_and_subset_and_transform():
    batches = list(DataLoader(_PlainDataset(), 3))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0][0].shape == (3, 2)
    x, y = _data(10)
    sub = Subset(TensorDataset(x, y), np.array([9, 2, 4]))
    ((_xb, yb),) = list(DataLoader(sub, None))
    assert yb.tolist() == [9, 2, 4]
    doubled = list(DataLoader((x, y), 5, transform=lambda b: (b[0] * 2, b[1])))
    np.testing.assert_array_equal(doubled[0][0], x[:5] * 2)


def test_bad_arguments_raise_clear_errors():
    x, y = _data(5)
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 3\).*\(4,\)"):
        TensorDataset(x, y[:4])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader((x, y), 0)
    with pytest.raises(TypeError, match="seed must be an int"):
        DataLoader((x, y), 2, seed=1.5)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(object(), 2)
    loader = DataLoader((x, y), 2, shuffle=True, seed=0)
    before = loader.state_dict()
    with pytest.raises(ValueError, match="batches_done=9"):
        loader.load_state_dict({**before, "batches_done": 9})
    assert loader.state_dict() == before  # nothing changed


def test_strings_and_tensors_are_accepted():
    texts = ["a b", "c", "d e f"]
    ds = TensorDataset(texts, chainrule.tensor([1.0, 2.0, 3.0]))
    xb, yb = next(iter(DataLoader(ds, 2)))
    assert xb.dtype == object and xb.tolist() == ["a b", "c"]
    assert yb.dtype == np.float32
