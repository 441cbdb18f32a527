"""``chainrule generate MODEL ...``: draw from a saved generative model.

What a model file generates is said by its ``preprocessing`` object (:mod:`chainrule.io.
preprocessing`): its ``kind`` picks the generator below. Options that a kind does not use are an
error, not silently ignored.
"""

from __future__ import annotations

import argparse

#: preprocessing kind → (function generating from (model, spec, args), options it accepts).
GENERATORS: dict[str, tuple] = {}


def add_parser(sub) -> None:
    gen = sub.add_parser(
        "generate", help="draw text or images from a saved generative model (docs/cli.md)"
    )
    gen.add_argument("model", help="a model file written by chainrule train (model.zip)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: unseeded)")


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
    if args.seed is not None:
        import chainrule

        chainrule.manual_seed(args.seed)
    return function(model, spec, args) or 0
