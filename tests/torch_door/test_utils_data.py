"""chainrule.utils.data against torch.utils.data: defaults, batches, shuffling, splits."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    random_split,
)

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64) % 3


def test_defaults_yield_single_sample_batches_in_order_like_torch():
    ours = list(DataLoader(TensorDataset(cr.tensor(X), cr.tensor(Y))))
    theirs = list(
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y))
        )
    )
    assert len(ours) == len(theirs) == 10
    for (xo, yo), (xt, yt) in zip(ours, theirs):
        assert isinstance(xo, cr.Tensor) and xo.shape == tuple(xt.shape) and yo.dtype == cr.int64
        np.testing.assert_array_equal(xo.numpy(), xt.numpy())


def test_batches_drop_last_shuffle_and_reproducibility():
    ds = TensorDataset(cr.tensor(X), cr.tensor(Y))
    assert ds[3][0].tolist() == [6.0, 7.0] and len(ds) == 10
    loader = DataLoader(ds, batch_size=4)
    sizes = [len(x) for x, _ in loader]
    assert sizes == [4, 4, 2] and len(loader) == 3
    assert [len(x) for x, _ in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    cr.manual_seed(0)
    first = [y.tolist() for _, y in DataLoader(ds, batch_size=5, shuffle=True)]
    cr.manual_seed(0)
    again = DataLoader(ds, batch_size=5, shuffle=True)
    epoch1 = [y.tolist() for _, y in again]
    epoch2 = [y.tolist() for _, y in again]
    assert first == epoch1 and epoch1 != epoch2  # same seed, same order; a new order each epoch
    seen = sorted(int(i) for x, _ in DataLoader(ds, batch_size=3, shuffle=True)
                  for i in x[:, 0].numpy() / 2)  # fmt: skip
    assert seen == list(range(10))
    g1 = [y.tolist() for _, y in DataLoader(ds, 4, shuffle=True,
                                            generator=cr.Generator().manual_seed(1))]  # fmt: skip
    g2 = [y.tolist() for _, y in DataLoader(ds, 4, shuffle=True,
                                            generator=cr.Generator().manual_seed(1))]  # fmt: skip
    assert g1 == g2


class Squares(Dataset):
    """A map-style dataset written the PyTorch way: samples are (float, int, dict)."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full(3, i, np.float32), i * i, {"id": i, "half": i / 2}


def test_custom_dataset_collates_like_torch_default_collate():
    batch = next(iter(DataLoader(Squares(), batch_size=4)))
    assert isinstance(batch, list) and len(batch) == 3
    x, sq, meta = batch
    assert x.shape == (4, 3) and x.dtype == cr.float32
    assert sq.dtype == cr.int64 and sq.tolist() == [0, 1, 4, 9]
    assert meta["id"].tolist() == [0, 1, 2, 3] and meta["half"].dtype == cr.float64
    custom = DataLoader(Squares(), batch_size=3, collate_fn=lambda b: len(b))
    assert list(custom) == [3, 3, 1]
    single = next(iter(DataLoader(Squares(), batch_size=None)))
    assert isinstance(single[0], cr.Tensor) and single[1] == 0
    by_sampler = DataLoader(Squares(), batch_sampler=BatchSampler(SequentialSampler(range(7)), 2,
                                                                  drop_last=True))  # fmt: skip
    assert [b[1].tolist() for b in by_sampler] == [[0, 1], [4, 9], [16, 25]]
    assert len(list(RandomSampler(range(5), replacement=True, num_samples=8))) == 8


def test_random_split_and_subset():
    ds = TensorDataset(cr.tensor(X), cr.tensor(Y))
    a, b = random_split(ds, [7, 3], generator=cr.Generator().manual_seed(42))
    assert len(a) == 7 and len(b) == 3 and isinstance(a, Subset)
    assert sorted(a.indices + b.indices) == list(range(10))
    c, d, e = random_split(ds, [0.5, 0.3, 0.2])
    assert (len(c), len(d), len(e)) == (5, 3, 2)
    xs = np.concatenate([x.numpy() for x, _ in DataLoader(a, batch_size=3)])
    np.testing.assert_array_equal(xs, X[a.indices])
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
