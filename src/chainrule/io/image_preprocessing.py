"""The image preprocessing a model was trained with, saved in its model file so that
``chainrule predict MODEL image.png`` prepares the user's own pictures the same way.

Stored as ``config.json``'s optional ``preprocessing`` object::

    {"kind": "image", "height": 28, "width": 28, "channels": 1, "scale": 0.00392156862745098,
     "white_on_black": true, "class_names": ["0", ..., "9"]}

meaning: resize to (height, width), grayscale (channels 1), pixel values (0–255) times ``scale``,
and ``white_on_black`` (the training images show a light figure on a dark ground, as MNIST and
Fashion-MNIST do, so a picture with a light background is inverted first). A file is data:
:func:`check_preprocessing` type- and range-checks every field before anything uses it.
"""

from __future__ import annotations

import math
from typing import Any

from .spec_fields import check_fields

MAX_SIDE = 4096
MAX_CLASSES = 100_000
MAX_NAME = 200
_KEYS = ("kind", "height", "width", "channels", "scale", "white_on_black", "class_names")


def check_image_spec(spec: Any, where: str = "preprocessing") -> dict:
    """An ``"kind": "image"`` preprocessing object validated; ValueError naming the field."""
    check_fields(spec, where, _KEYS)
    if spec.get("kind") != "image":
        raise ValueError(f"{where}.kind must be 'image', got {spec.get('kind')!r:.60}")
    for key in ("height", "width"):
        v = spec.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_SIDE:
            raise ValueError(f"{where}.{key} must be an int in [1, {MAX_SIDE}], got {v!r:.60}")
    if spec.get("channels") not in (1, 3) or isinstance(spec.get("channels"), bool):
        raise ValueError(f"{where}.channels must be 1 or 3, got {spec.get('channels')!r:.60}")
    scale = spec.get("scale")
    if (
        not isinstance(scale, (int, float))
        or isinstance(scale, bool)
        or not math.isfinite(scale)
        or not 0 < scale <= 1
    ):
        raise ValueError(f"{where}.scale must be a number in (0, 1], got {scale!r:.60}")
    if not isinstance(spec.get("white_on_black"), bool):
        raise ValueError(f"{where}.white_on_black must be true or false")  # noqa: TRY004
    names = spec.get("class_names")
    if names is not None and (
        not isinstance(names, list)
        or len(names) > MAX_CLASSES
        or not all(isinstance(n, str) and len(n) <= MAX_NAME for n in names)
    ):
        raise ValueError(
            f"{where}.class_names must be a list of at most {MAX_CLASSES} strings of at most "
            f"{MAX_NAME} characters"
        )
    return {k: spec[k] for k in _KEYS if k in spec}


def image_spec(height: int, width: int, *, channels: int = 1, scale: float = 1 / 255,
               white_on_black: bool = True, class_names=None) -> dict:  # fmt: skip
    """A checked preprocessing object to attach to a model (``model.preprocessing = ...``)."""
    spec = {"kind": "image", "height": height, "width": width, "channels": channels,
            "scale": float(scale), "white_on_black": bool(white_on_black)}  # fmt: skip
    if class_names is not None:
        spec["class_names"] = [str(n) for n in class_names]
    return check_image_spec(spec)


def load_images(paths: list, spec: dict):
    """Image files → float32 array (N, height, width) for channels 1 (else (N, H, W, 3)), prepared
    as ``spec`` says. Needs Pillow (``pip install chainrule[image]``)."""
    import numpy as np

    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise ImportError(
            "reading image files needs Pillow: pip install 'chainrule[image]' (or pip install "
            "pillow)"
        ) from None
    out = []
    for p in paths:
        try:
            with Image.open(p) as im:
                im = ImageOps.exif_transpose(im)
                im = im.convert("L" if spec["channels"] == 1 else "RGB")
                im = im.resize((spec["width"], spec["height"]), Image.BILINEAR)
                a = np.asarray(im, dtype=np.float32)
        except FileNotFoundError:
            raise FileNotFoundError(f"image file {p} does not exist") from None
        except OSError as exc:
            raise ValueError(f"{p}: not a readable image file ({exc})") from None
        if spec["white_on_black"]:
            # the border says which is the background: a light border means dark-on-light
            border = np.concatenate(
                [a[0].ravel(), a[-1].ravel(), a[:, 0].ravel(), a[:, -1].ravel()]
            )
            if border.mean() > 127.5:
                a = 255.0 - a
        out.append(a * np.float32(spec["scale"]))
    return np.stack(out).astype(np.float32)
