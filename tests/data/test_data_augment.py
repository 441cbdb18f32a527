"""Batch image augmentation: flips, shifts and crops in NHWC, NCHW and NHW layouts."""

import numpy as np
import pytest

from chainrule.data import random_crop, random_flip_horizontal, random_shift


def _batch(n=6, h=5, w=7, c=3, dtype=np.float32):
    return np.random.default_rng(0).integers(1, 255, size=(n, h, w, c)).astype(dtype)


def test_flip_all_none_and_some():
    x = _batch()
    np.testing.assert_array_equal(random_flip_horizontal(x, p=1.0), x[:, :, ::-1, :])
    np.testing.assert_array_equal(random_flip_horizontal(x, p=0.0), x)
    out = random_flip_horizontal(x, p=0.5, rng=np.random.default_rng(1))
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)]
    kept = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    assert out.dtype == x.dtype and not np.shares_memory(out, x)
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(random_flip_horizontal(nchw, 1.0, "NCHW"), nchw[..., ::-1])


def _windows(padded, h, w):
    return [
        padded[dy : dy + h, dx : dx + w]
        for dy in range(padded.shape[0] - h + 1)
        for dx in range(padded.shape[1] - w + 1)
    ]


def test_shift_is_a_zero_filled_translation():
    x = _batch(n=8)
    out = random_shift(x, max_shift=2, rng=np.random.default_rng(3))
    assert out.shape == x.shape and out.dtype == x.dtype
    for o, img in zip(out, x):
        padded = np.pad(img, [(2, 2), (2, 2), (0, 0)])
        assert any(np.array_equal(o, win) for win in _windows(padded, 5, 7))
    assert not np.array_equal(out, x)  # 8 images all unshifted would be a broken draw
    np.testing.assert_array_equal(random_shift(x, 0), x)


def test_crop_size_and_layouts_agree():
    x = _batch(n=4, h=8, w=8, c=2)
    out = random_crop(x, (6, 5), rng=np.random.default_rng(4))
    assert out.shape == (4, 6, 5, 2)
    for o, img in zip(out, x):
        assert any(np.array_equal(o, win) for win in _windows(img, 6, 5))
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    out_nchw = random_crop(nchw, (6, 5), padding=1, layout="NCHW", rng=np.random.default_rng(9))
    out_nhwc = random_crop(x, (6, 5), padding=1, layout="NHWC", rng=np.random.default_rng(9))
    assert out_nchw.shape == (4, 2, 6, 5) and out_nchw.flags.c_contiguous
    np.testing.assert_array_equal(out_nchw, out_nhwc.transpose(0, 3, 1, 2))
    gray = x[..., 0]
    out_nhw = random_shift(gray, 1, layout="NHW", rng=np.random.default_rng(2))
    assert out_nhw.shape == gray.shape


def test_uses_library_generator_by_default():
    import chainrule

    x = _batch()
    chainrule.manual_seed(11)
    a = random_shift(x, 2)
    chainrule.manual_seed(11)
    np.testing.assert_array_equal(random_shift(x, 2), a)


def test_augment_errors():
    x = _batch()
    with pytest.raises(ValueError, match=r"layout NHWC expects a 4-D batch, got shape \(5, 7, 3\)"):
        random_flip_horizontal(x[0])
    with pytest.raises(ValueError, match="layout must be one of"):
        random_shift(x, 1, layout="HWC")
    with pytest.raises(ValueError, match=r"crop size \(9, 9\) does not fit"):
        random_crop(x, (9, 9))
    with pytest.raises(ValueError, match="p must be in"):
        random_flip_horizontal(x, p=1.5)
