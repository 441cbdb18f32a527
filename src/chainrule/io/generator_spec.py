"""What an image generator's inputs and outputs mean, saved in its model file so that
``chainrule generate MODEL --n 64 --out samples.png`` can draw from it without knowing how it was
trained. Shared by every generator kind (VAE decoders, GAN generators, conditional models).

Stored as ``config.json``'s optional ``preprocessing`` object::

    {"kind": "generator", "latent_dim": 20, "prior": "normal",
     "height": 28, "width": 28, "channels": 1, "layout": "channels_last",
     "output": "bernoulli-logits", "num_classes": null, "label_input": null,
     "class_names": null}

Fields (all but ``class_names`` required):

``latent_dim``
    int in [1, 65536]: the model's first input is ``z`` of shape ``(N, latent_dim)``, float32.
``prior``
    how ``z`` is drawn: ``"normal"`` (standard normal, VAEs and most GANs) or ``"uniform"``
    (uniform on [-1, 1)).
``height``, ``width``, ``channels``
    the image each sample is: ints in [1, 4096]; channels 1 (grayscale) or 3 (RGB).
``layout``
    how the model's output is laid out: ``"channels_last"`` (``(N, H, W, C)``, Keras door) or
    ``"channels_first"`` (``(N, C, H, W)``, PyTorch door). A flat output ``(N, H*W*C)`` (or
    ``(N, H, W)`` for one channel) is accepted and read in that order.
``output``
    how an output value becomes a pixel intensity in [0, 1]: ``"bernoulli-logits"`` (the logits
    of a Bernoulli decoder; intensity = sigmoid, the Bernoulli mean), ``"sigmoid"`` (already in
    [0, 1]) or ``"tanh"`` (in [-1, 1]; intensity = (v + 1) / 2).
``num_classes``
    null for an unconditional model. An int in [2, 100000] for a conditional one: the model is
    then called with a list ``[z, labels]`` of two inputs, ``labels`` as ``label_input`` says.
``label_input``
    null for an unconditional model, else how a class label enters the model: ``"index"`` (int64
    class indices, shape ``(N,)``) or ``"one_hot"`` (float32 one-hot rows, ``(N, num_classes)``).
``class_names``
    optional: ``num_classes`` strings naming the classes (so ``--label`` may be given by name).

A file is data: :func:`check_generator_spec` type- and range-checks every field (and refuses
unknown ones) before anything uses it.
"""

from __future__ import annotations

from typing import Any

from .spec_fields import check_fields

MAX_SIDE = 4096
MAX_LATENT = 65536
MAX_CLASSES = 100_000
MAX_NAME = 200
PRIORS = ("normal", "uniform")
LAYOUTS = ("channels_last", "channels_first")
OUTPUTS = ("bernoulli-logits", "sigmoid", "tanh")
LABEL_INPUTS = ("index", "one_hot")
_KEYS = ("kind", "latent_dim", "prior", "height", "width", "channels", "layout", "output",
         "num_classes", "label_input", "class_names")  # fmt: skip
_REQUIRED = _KEYS[:-1]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _choice(spec: dict, key: str, options: tuple, where: str) -> None:
    v = spec.get(key)
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{where}.{key} must be one of {list(options)}, got {v!r:.60}")


def check_generator_spec(spec: Any, where: str = "preprocessing") -> dict:
    """A ``"kind": "generator"`` preprocessing object validated; ValueError naming the field."""
    check_fields(spec, where, _KEYS)
    missing = [k for k in _REQUIRED if k not in spec]
    if missing:
        raise ValueError(f"{where} lacks the field {missing[0]!r}")
    if spec["kind"] != "generator":
        raise ValueError(f"{where}.kind must be 'generator', got {spec['kind']!r:.60}")
    for key, low, high in (("latent_dim", 1, MAX_LATENT), ("height", 1, MAX_SIDE),
                           ("width", 1, MAX_SIDE)):  # fmt: skip
        v = spec[key]
        if not _is_int(v) or not low <= v <= high:
            raise ValueError(f"{where}.{key} must be an int in [{low}, {high}], got {v!r:.60}")
    if not _is_int(spec["channels"]) or spec["channels"] not in (1, 3):
        raise ValueError(f"{where}.channels must be 1 or 3, got {spec['channels']!r:.60}")
    _choice(spec, "prior", PRIORS, where)
    _choice(spec, "layout", LAYOUTS, where)
    _choice(spec, "output", OUTPUTS, where)
    k = spec["num_classes"]
    if k is None:
        if spec["label_input"] is not None:
            raise ValueError(f"{where}.label_input must be null when num_classes is null")
        if spec.get("class_names") is not None:
            raise ValueError(f"{where}.class_names must be null when num_classes is null")
    else:
        if not _is_int(k) or not 2 <= k <= MAX_CLASSES:
            raise ValueError(
                f"{where}.num_classes must be null or an int in [2, {MAX_CLASSES}], got {k!r:.60}"
            )
        _choice(spec, "label_input", LABEL_INPUTS, where)
        names = spec.get("class_names")
        if names is not None and (
            not isinstance(names, list)
            or len(names) != k
            or not all(isinstance(n, str) and len(n) <= MAX_NAME for n in names)
        ):
            raise ValueError(
                f"{where}.class_names must be null or a list of num_classes ({k}) strings of at "
                f"most {MAX_NAME} characters"
            )
    return {key: spec[key] for key in _KEYS if key in spec}


def generator_spec(
    latent_dim: int,
    height: int,
    width: int,
    *,
    channels: int = 1,
    layout: str = "channels_last",
    output: str = "bernoulli-logits",
    prior: str = "normal",
    num_classes: int | None = None,
    label_input: str | None = None,
    class_names=None,
) -> dict:
    """A checked ``"generator"`` preprocessing object to attach to a model
    (``decoder.preprocessing = generator_spec(20, 28, 28)``). ``label_input`` defaults to
    ``"index"`` when ``num_classes`` is given."""
    if num_classes is not None and label_input is None:
        label_input = "index"
    spec = {"kind": "generator", "latent_dim": latent_dim, "prior": prior, "height": height,
            "width": width, "channels": channels, "layout": layout, "output": output,
            "num_classes": num_classes, "label_input": label_input}  # fmt: skip
    if class_names is not None:
        spec["class_names"] = [str(n) for n in class_names]
    return check_generator_spec(spec)
