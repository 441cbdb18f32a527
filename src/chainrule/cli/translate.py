"""``chainrule translate MODEL "I am hungry." [...]``: translate sentences with a saved translator.

The model file must hold a translation model with its text preprocessing (``task =
"translation"``), as ``chainrule train eng-fra`` writes it. Each sentence is translated on its own
line; with ``--beam N`` (N > 1) by beam search with length normalisation, else greedily.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    tr = sub.add_parser("translate", help="translate sentences with a saved translation model")
    tr.add_argument("model", help="a translation model file written by chainrule (model.zip)")
    tr.add_argument("sentences", nargs="+", help="the sentences to translate")
    tr.add_argument("--beam", type=int, default=4, metavar="N",
                    help="beam size (1 = greedy decoding; default 4)")  # fmt: skip
    tr.add_argument("--max-len", type=int, default=None, metavar="N",
                    help="most tokens per translation (default: as many as the model's target "
                    "positions allow)")  # fmt: skip
    tr.add_argument("--length-penalty", type=float, default=1.0, metavar="A",
                    help="beam scores are log p / length**A (default 1.0; 0 = raw log p)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ..io.model_file import load_model
    from ..translation import Translator
    from . import safe_text

    if args.beam < 1:
        raise ValueError(f"--beam must be >= 1, got {args.beam}")
    if args.max_len is not None and args.max_len < 1:
        raise ValueError(f"--max-len must be >= 1, got {args.max_len}")
    model = load_model(args.model)
    try:
        translator = Translator(model)
    except ValueError as exc:
        raise ValueError(f"{args.model}: {exc}") from None
    outputs = translator.translate(args.sentences, beam_size=args.beam, max_len=args.max_len,
                                   length_penalty=args.length_penalty)  # fmt: skip
    for text in outputs:
        print(safe_text(text, 2000))
    return 0
