"""save_image_grid: layouts, tiling, padding, value ranges, PNG decoding round trip."""

import numpy as np
import pytest

from chainrule.generative.grids import encode_png, image_grid, save_image_grid


def _read_png(path):
    from matplotlib.image import imread  # decodes PNG with its own reader

    return np.round(imread(path) * 255).astype(np.uint8)


def test_grid_tiles_row_major_with_padding(tmp_path):
    imgs = np.stack([np.full((3, 2), i / 4, np.float32) for i in range(5)])  # (5, 3, 2)
    g = image_grid(imgs, nrow=2, padding=1, pad_value=1.0)
    assert g.shape == (3 * 4 + 1, 2 * 3 + 1) and g.dtype == np.uint8
    assert (g[0] == 255).all() and (g[:, 0] == 255).all()
    expected = np.round(255 * np.arange(5) / 4).astype(np.uint8)
    for i in range(5):
        r, c = divmod(i, 2)
        cell = g[1 + r * 4 : 1 + r * 4 + 3, 1 + c * 3 : 1 + c * 3 + 2]
        assert (cell == expected[i]).all(), i
    # the missing sixth cell is padding
    assert (g[9:12, 4:6] == 255).all()


def test_layouts_agree_and_png_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((6, 5, 4, 3)).astype(np.float32)
    a = image_grid(x, nrow=3)
    b = image_grid(x.transpose(0, 3, 1, 2), nrow=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2 * 7 + 2, 3 * 6 + 2, 3)
    gray = rng.random((4, 7, 9))
    np.testing.assert_array_equal(image_grid(gray), image_grid(gray[:, None]))
    np.testing.assert_array_equal(image_grid(gray), image_grid(gray[..., None]))
    p = save_image_grid(x, tmp_path / "g.png", nrow=3)
    np.testing.assert_array_equal(_read_png(p)[..., :3], a)
    pg = save_image_grid(gray, tmp_path / "gray.png", nrow=2, scale=2)
    back = _read_png(pg)
    expect = image_grid(gray, 2, scale=2)
    np.testing.assert_array_equal(back if back.ndim == 2 else back[..., 0], expect)


def test_value_range_clips_and_maps():
    x = np.array([[[-1.0, 0.0, 1.0, 3.0]]])
    g = image_grid(x, padding=0, value_range=(-1, 1))
    np.testing.assert_array_equal(g, [[0, 128, 255, 255]])
    np.testing.assert_array_equal(image_grid(np.array([[[7, 200]]], np.uint8), padding=0),
                                  [[7, 200]])  # fmt: skip


@pytest.mark.parametrize(
    ("images", "kwargs", "match"),
    [
        (np.zeros((2, 3)), {}, "shape"),
        (np.zeros((2, 4, 5, 5)), {}, "shape"),
        (np.zeros((0, 3, 3)), {}, "1 to"),
        (np.zeros((1, 3, 3)), {"nrow": 0}, "nrow"),
        (np.zeros((1, 3, 3)), {"padding": -1}, "padding"),
        (np.zeros((1, 3, 3)), {"value_range": (1, 1)}, "value_range"),
    ],
)
def test_bad_input(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_grid(images, **kwargs)


def test_encode_png_checks_input():
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((2, 2), np.float32))
    assert encode_png(np.zeros((2, 2), np.uint8)).startswith(b"\x89PNG")
