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
import sys
from pathlib import Path


def _printable(piece: str) -> str:
    """A generated token fit for a terminal: newlines and tabs as they are, other control
    characters (escape sequences from a tampered vocabulary) shown escaped."""
    from . import safe_text

    return "".join(c if c in "\n\t" else safe_text(c) for c in piece)


def _text(model, spec: dict, args: argparse.Namespace) -> int:
    """Continue ``--prompt`` with ``--max-new-tokens`` tokens, printing each as it is drawn."""
    from ..data.generation import generate_text
    from ..data.sampling import check_sampling_options
    from ..io.text_preprocessing import encode

    if spec.get("task") != "language-model":
        raise ValueError(f"{args.model} is a {spec.get('task')!r:.40} model; generate continues "
                         "text with language models (use chainrule translate for translation)")  # fmt: skip
    prompt = "\n" if args.prompt is None else args.prompt
    n = 300 if args.max_new_tokens is None else args.max_new_tokens
    temperature = 1.0 if args.temperature is None else args.temperature
    # every problem is reported before anything is printed
    if n < 0:
        raise ValueError(f"--max-new-tokens must be >= 0, got {n}")
    check_sampling_options(temperature, args.top_k, args.top_p, "--temperature/--top-k/--top-p")
    if encode(prompt, spec).size == 0:  # unknown characters raise here, naming them
        raise ValueError("--prompt is empty; give at least one character to start from")
    out = sys.stdout

    def show(piece: str) -> None:
        out.write(_printable(piece))
        out.flush()

    show(prompt)
    generate_text(model, spec, prompt, n, temperature=temperature, top_k=args.top_k,
                  top_p=args.top_p, on_token=show)  # fmt: skip
    out.write("\n")
    out.flush()
    return 0


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
GENERATORS: dict[str, tuple] = {
    "text": (_text, ("prompt", "max_new_tokens", "temperature", "top_k", "top_p")),
    "generator": (_image_generator, ("n", "out", "nrow", "label")),
}


def add_parser(sub) -> None:
    gen = sub.add_parser(
        "generate", help="draw text or images from a saved generative model (docs/cli.md)"
    )
    gen.add_argument("model", help="a model file written by chainrule train (model.zip)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: unseeded)")
    # text models (preprocessing kind "text", task "language-model")
    gen.add_argument("--prompt", help="text models: the text to continue (default a newline)")
    gen.add_argument("--max-new-tokens", type=int, metavar="N",
                     help="text models: how many tokens to generate (default 300)")  # fmt: skip
    gen.add_argument("--temperature", type=float, metavar="T",
                     help="text models: divide the logits by T (default 1; 0 = greedy)")  # fmt: skip
    gen.add_argument("--top-k", type=int, metavar="K",
                     help="text models: sample among the K most probable tokens only")  # fmt: skip
    gen.add_argument("--top-p", type=float, metavar="P",
                     help="text models: sample among the smallest set of most probable tokens "
                     "whose probabilities sum to at least P")  # fmt: skip
    gen.add_argument("--n", type=int, default=None, help="image generators: how many (default 64)")
    gen.add_argument("--out", default=None, metavar="FILE",
                     help="image generators: a .png grid (default samples.png) or .npy array")  # fmt: skip
    gen.add_argument("--nrow", type=int, default=None, help="image generators: images per row")
    gen.add_argument("--label", default=None, metavar="CLASS",
                     help="conditional image generators: the class to draw (an index or a class "
                     "name); default: the samples cycle through the classes")  # fmt: skip


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
    function, options = GENERATORS[kind]
    foreign = sorted({o for _, opts in GENERATORS.values() for o in opts} - set(options))
    given = [o for o in foreign if getattr(args, o, None) is not None]
    if given:
        flags = ", ".join("--" + o.replace("_", "-") for o in given)
        raise ValueError(f"{flags}: not an option for {kind!r} models (they take "
                         f"{', '.join('--' + o.replace('_', '-') for o in options) or 'none'})")  # fmt: skip
    if args.seed is not None:
        import chainrule

        chainrule.manual_seed(args.seed)
    return function(model, spec, args) or 0
