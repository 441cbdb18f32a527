"""Drawing images from a saved generator, as its ``"generator"`` preprocessing object
(:mod:`chainrule.io.generator_spec`) says: latents from the prior, labels for conditional models,
outputs mapped to pixel intensities in [0, 1] and laid out ``(N, H, W, C)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_SAMPLES = 100_000


def draw_latents(spec: dict, n: int) -> np.ndarray:
    """``(n, latent_dim)`` float32 from the spec's prior, through chainrule's generator."""
    from ..random import get_generator

    rng = get_generator()
    shape = (n, spec["latent_dim"])
    if spec["prior"] == "normal":
        return rng.standard_normal(shape, dtype=np.float32)
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def resolve_labels(spec: dict, labels, n: int) -> np.ndarray | None:
    """int64 ``(n,)`` class indices for a conditional generator, or None for an unconditional one.

    ``labels``: None (conditional models then cycle through the classes 0, 1, …, K-1, 0, …), one
    label for every sample, or ``n`` labels; a label is a class index or one of the spec's
    ``class_names``. ValueError for a label out of range, an unknown name, or labels given to an
    unconditional model.
    """
    k = spec["num_classes"]
    if k is None:
        if labels is not None:
            raise ValueError("this generator is unconditional (num_classes is null); it takes no "
                             "labels")  # fmt: skip
        return None
    if labels is None:
        return np.arange(n, dtype=np.int64) % k
    items = list(labels) if isinstance(labels, (list, tuple, np.ndarray)) else [labels]
    if len(items) not in (1, n):
        raise ValueError(f"give one label or {n} labels (one per sample), got {len(items)}")
    names = spec.get("class_names") or []
    out = []
    for item in items:
        if isinstance(item, str) and item in names:
            out.append(names.index(item))
            continue
        try:
            idx = int(item) if not isinstance(item, (bool, float)) else None
        except ValueError:
            idx = None
        if idx is None or not 0 <= idx < k:
            known = f" or one of {names}" if names else ""
            raise ValueError(f"label {item!r:.60} is not a class index in [0, {k - 1}]{known}")
        out.append(idx)
    return np.resize(np.asarray(out, dtype=np.int64), n)


def to_intensities(outputs, spec: dict, n: int) -> np.ndarray:
    """A generator's raw outputs → float32 ``(n, H, W, C)`` pixel intensities in [0, 1]."""
    a = np.asarray(getattr(outputs, "data", outputs), dtype=np.float32)
    h, w, c = spec["height"], spec["width"], spec["channels"]
    if a.size != n * h * w * c:
        raise ValueError(
            f"the generator's output has shape {a.shape}; its preprocessing spec says {n} images "
            f"of {h}x{w}x{c} ({spec['layout']})"
        )
    if spec["layout"] == "channels_first":
        a = a.reshape(n, c, h, w).transpose(0, 2, 3, 1)
    else:
        a = a.reshape(n, h, w, c)
    if spec["output"] == "bernoulli-logits":
        a = 0.5 * (1.0 + np.tanh(0.5 * a))  # sigmoid without overflow
    elif spec["output"] == "tanh":
        a = (a + 1.0) * 0.5
    return np.clip(a, 0.0, 1.0).astype(np.float32, copy=False)


def generate_images(
    model,
    spec: dict,
    n: int,
    labels: int | str | Sequence | None = None,
    *,
    z: np.ndarray | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """``n`` images from ``model`` as float32 ``(n, H, W, C)`` intensities in [0, 1].

    ``labels``: for a conditional model (``num_classes`` set), see :func:`resolve_labels`; they
    enter the model as ``[z, labels]`` in the spec's ``label_input`` form. ``z``: latents
    ``(n, latent_dim)`` to decode instead of drawing from the prior. The model runs in inference
    mode without recording a graph (its training mode is restored afterwards).
    """
    from ..function import no_grad
    from ..io.generator_spec import check_generator_spec

    spec = check_generator_spec(spec)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"generate_images: n must be an int in [1, {MAX_SAMPLES}], got {n!r:.40}")
    y = resolve_labels(spec, labels, n)
    if z is None:
        z = draw_latents(spec, n)
    else:
        z = np.asarray(getattr(z, "data", z), dtype=np.float32)
        if z.shape != (n, spec["latent_dim"]):
            raise ValueError(f"generate_images: z must have shape {(n, spec['latent_dim'])}, got "
                             f"{z.shape}")  # fmt: skip
    if y is not None and spec["label_input"] == "one_hot":
        y_in = np.eye(spec["num_classes"], dtype=np.float32)[y]
    else:
        y_in = y
    was_training = getattr(model, "training", False)
    model.eval()
    chunks = []
    try:
        with no_grad():
            for i in range(0, n, batch_size):
                zb = z[i : i + batch_size]
                out = model(zb) if y_in is None else model([zb, y_in[i : i + batch_size]])
                chunks.append(to_intensities(out, spec, len(zb)))
    finally:
        model.train(was_training)
    return np.concatenate(chunks)
