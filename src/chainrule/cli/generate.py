"""``chainrule generate MODEL ...``: draw from a saved generative model.

What a model file generates is said by its ``preprocessing`` object (:mod:`chainrule.io.
preprocessing`): its ``kind`` picks the generator below. Options that a kind does not use are an
error, not silently ignored.

``"generator"`` (image generators: VAE decoders, GANs; :mod:`chainrule.io.generator_spec`)::

    chainrule generate runs/mnist-vae/model.zip --n 64 --out samples.png [--nrow 8] [--seed 0]

writes a PNG grid of ``--n`` images (default 64), ``--nrow`` per row (default: the square root of
n, rounded up), and ``--out FILE.npy`` the intensities ``(n, H, W, C)`` in [0, 1] instead.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

MAX_IMAGES = 10_000


def _image_generator(model, spec: dict, args: argparse.Namespace) -> int:
    """Draw ``args.n`` images as the ``"generator"`` spec says and write ``args.out``.

    A conditional model (``num_classes`` set) takes the labels of ``args.label`` when the
    command line defines that option (a class index or name for every sample); otherwise the
    samples cycle through the classes.
    """
    import numpy as np

    from ..generative.grids import save_image_grid
    from ..generative.sampling import generate_images
    from ..io.atomic import atomic_write_bytes

    n = 64 if args.n is None else args.n
    if not 1 <= n <= MAX_IMAGES:
        raise ValueError(f"generate: --n must be in [1, {MAX_IMAGES}], got {n}")
    out = Path(args.out or "samples.png")
    if out.suffix.lower() not in (".png", ".npy"):
        raise ValueError(f"generate: --out must name a .png or .npy file, got {str(out)!r}")
    nrow = args.nrow if args.nrow is not None else math.ceil(math.sqrt(n))
    if nrow < 1:
        raise ValueError(f"generate: --nrow must be >= 1, got {nrow}")
    labels = getattr(args, "label", None)
    images = generate_images(model, spec, n, labels)
    if out.suffix.lower() == ".npy":
        import io

        buf = io.BytesIO()
        np.save(buf, images, allow_pickle=False)
        atomic_write_bytes(out, buf.getvalue())
    else:
        save_image_grid(images, out, nrow=nrow)
    h, w, c = images.shape[1:]
    print(f"wrote {out}: {n} images of {h}x{w}x{c}")
    return 0


#: preprocessing kind → (function generating from (model, spec, args), options it accepts).
GENERATORS: dict[str, tuple] = {"generator": (_image_generator, ("n", "out", "nrow", "label"))}


def add_parser(sub) -> None:
    gen = sub.add_parser(
        "generate", help="draw text or images from a saved generative model (docs/cli.md)"
    )
    gen.add_argument("model", help="a model file written by chainrule train (model.zip)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: unseeded)")
    gen.add_argument("--n", type=int, default=None, help="image generators: how many (default 64)")
    gen.add_argument("--out", default=None, metavar="FILE",
                     help="image generators: a .png grid (default samples.png) or .npy array")  # fmt: skip
    gen.add_argument("--nrow", type=int, default=None, help="image generators: images per row")
    gen.add_argument("--label", default=None, metavar="CLASS",
                     help="conditional image generators: the class to draw (an index or a class "
                     "name); default: the samples cycle through the classes")  # fmt: skip


def _check_options(kind: str, args: argparse.Namespace) -> None:
    """Refuse an option given on the command line that ``kind``'s generator does not use."""
    accepted = set(GENERATORS[kind][1])
    for other, (_fn, options) in GENERATORS.items():
        for name in options:
            if name not in accepted and getattr(args, name, None) is not None:
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"generate: {flag} does not apply to a {kind!r} model "
                                 f"(it is for {other!r} models)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ..io.model_file import load_model

    model = load_model(args.model)
    spec = getattr(model, "preprocessing", None)
    kind = spec.get("kind") if spec else None
    if kind not in GENERATORS:
        raise ValueError(
            f"{args.model} is not a generative model chainrule can sample from (its saved "
            f"preprocessing kind is {kind!r}; generate works with {sorted(GENERATORS)})"
        )
    function, _options = GENERATORS[kind]
    _check_options(kind, args)
    if args.seed is not None:
        import chainrule

        chainrule.manual_seed(args.seed)
    return function(model, spec, args) or 0
