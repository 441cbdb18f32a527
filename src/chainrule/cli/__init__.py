"""The ``chainrule`` command line (docs/cli.md).

::

    chainrule                                   # = chainrule train digits-mlp
    chainrule train [PRESET] [--config FILE.toml] [--epochs N] [--lr X] [--seed S] [--out DIR]
                    [--resume] [--data-dir DIR] [--quiet] [--distributed]
    chainrule train --list                      # the presets
    chainrule predict MODEL INPUT.npy [--out preds.npy]
    chainrule info MODEL
    chainrule lab NAME|all [--out DIR] [--quick] # reproduce a classic claim (docs/labs.md)
    chainrule translate MODEL "I am hungry." [--beam N] [--max-len N] [--length-penalty A]

Errors in the configuration, the data or a model file print one line naming what is wrong and
exit with status 2 (configuration/usage) or 1 (everything else). A training run whose loss became
NaN or infinite (stopped by TerminateOnNaN, or non-finite at the end) writes all its files, says so
and exits with status 3.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence

COMMANDS = ("train", "predict", "info", "lab", "generate", "translate")


def _parser() -> argparse.ArgumentParser:
    from .presets import DEFAULT_PRESET, PLANNED, all_presets

    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, inspect and run chainrule models. With no command: train digits-mlp.",
    )
    sub = parser.add_subparsers(dest="command")
    epilog = (
        "presets: " + ", ".join(all_presets()) + "; planned (need layers not in chainrule yet): "
    )
    epilog += ", ".join(PLANNED)
    train = sub.add_parser("train", help="train a preset or a TOML configuration", epilog=epilog)
    train.add_argument("preset", nargs="?", help=f"a preset name (default {DEFAULT_PRESET})")
    train.add_argument("--config", metavar="FILE.toml", help="a TOML run configuration")
    train.add_argument("--epochs", type=int, help="override the number of epochs")
    train.add_argument("--lr", type=float, help="override the optimizer's learning rate")
    train.add_argument("--seed", type=int, help="override the random seed")
    train.add_argument("--out", metavar="DIR", help="output folder (default runs/<name>/)")
    train.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint.zip")
    train.add_argument("--data-dir", metavar="DIR", help="dataset folder (default $CHAINRULE_DATA)")
    train.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")
    # --threads (issue 19): BLAS threads for this run; default: the environment decides
    train.add_argument("--threads", type=int, metavar="N", help="BLAS threads (threadpoolctl)")
    train.add_argument("--list", action="store_true", help="list the presets and exit")
    train.add_argument("--distributed", action="store_true",
                       help="data-parallel over the ranks of an MPI job (mpiexec -n 4 chainrule "
                       "train ... --distributed); see docs/distributed.md")  # fmt: skip
    predict = sub.add_parser("predict", help="run a saved model on an .npy array or image files")
    predict.add_argument("model", help="a model file written by chainrule (model.zip)")
    predict.add_argument("input", nargs="+",
                         help="an .npy array of inputs, shape (N, ...), or image files (PNG, JPEG"
                         " ...: needs Pillow) prepared as the model's saved preprocessing says")  # fmt: skip
    predict.add_argument("--out", metavar="FILE.npy", help="write the outputs (N, ...) here")
    predict.add_argument("--batch-size", type=int, default=256)
    predict.add_argument("--text", action="store_true",
                         help="the inputs are sentences, for a model that takes text (its first "
                         "layer a TextVectorization, e.g. chainrule train sst2-cnn)")  # fmt: skip
    info = sub.add_parser("info", help="describe a saved model file")
    info.add_argument("model", help="a model file written by chainrule (model.zip)")
    _add_lab_parser(sub)  # -- the lab command (issue 15)
    from . import generate

    generate.add_parser(sub)
    from . import translate

    translate.add_parser(sub)
    return parser


# ---------------------------------------------------------------- chainrule lab (issue 15)
def _add_lab_parser(sub) -> None:
    from ..labs import LABS

    lab = sub.add_parser("lab", help="run a lab reproducing a classic claim (docs/labs.md)",
                         epilog="labs: " + ", ".join(LABS))  # fmt: skip
    lab.add_argument("name", help="a lab name, or 'all'")
    lab.add_argument("--out", metavar="DIR", help="output folder (default labs/; one per lab)")
    lab.add_argument("--quick", action="store_true", help="the reduced version (what CI runs)")


def _lab(args) -> int:
    """Run the lab(s); prints each verdict. Status 0 whether or not a claim held (a verdict is a
    measurement, not a failure)."""
    import time
    from pathlib import Path

    from ..labs import LABS, run_lab

    names = list(LABS) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in LABS:
        raise ValueError(f"unknown lab {args.name!r}; the labs are: all, {', '.join(LABS)}")
    root = Path(args.out) if args.out else Path("labs")
    start = time.perf_counter()
    results = []
    for name in names:
        print(f"== lab {name}{' (quick)' if args.quick else ''}", flush=True)
        result = run_lab(name, root / name, quick=args.quick)
        results.append(result)
        print(f"   {result.verdict}: {result.detail}")
        print(f"   report: {result.out_dir / 'report.html'} ({result.seconds:.1f} s)", flush=True)
    if len(results) > 1:
        held = sum(r.holds for r in results)
        print(f"{held} of {len(results)} claims held; {time.perf_counter() - start:.1f} s in all")
    return 0


# ---------------------------------------------------------------- end of the lab command


def _list_presets() -> None:
    from .presets import PLANNED, all_presets

    for name, cfg in all_presets().items():
        if "task" in cfg:  # a task preset says what it is in its "describe" entry
            what = f"{cfg['task']}: {cfg.get('describe', '')}"
        else:
            what = " → ".join(entry["type"] for entry in cfg["model"]["layers"])
        print(f"{name:18s} {cfg['data']['name']:14s} {cfg['epochs']:3d} epochs  {what}")
    for name, why in PLANNED.items():
        print(f"{name:18s} (not available: {why})")


def _predict(args) -> None:
    import numpy as np

    from ..io.atomic import atomic_write_with
    from ..io.model_file import load_model

    model = load_model(args.model)
    if args.text:
        return _predict_texts(model, args)
    if len(args.input) > 1 or not args.input[0].lower().endswith(".npy"):
        return _predict_images(model, args)
    args.input = args.input[0]
    try:
        x = np.load(args.input, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"input file {args.input} does not exist") from None
    except (ValueError, EOFError, OSError) as exc:
        raise ValueError(f"{args.input}: not a valid .npy array file ({exc})") from None
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{args.input}: expected one .npy array, got an .npz archive")
    outputs = model.predict(x, batch_size=args.batch_size)
    if args.out:
        atomic_write_with(args.out, lambda f: np.save(f, outputs, allow_pickle=False))
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        classes = outputs.argmax(axis=1)
        shown = " ".join(str(c) for c in classes[:20]) + (" ..." if len(classes) > 20 else "")
        print(f"{len(classes)} predictions (class index): {shown}")
    else:
        print(f"outputs of shape {outputs.shape}: {np.array2string(outputs.ravel()[:10])}")
    if args.out:
        print(f"wrote outputs {outputs.shape} {outputs.dtype} to {args.out}")


def _predict_texts(model, args) -> None:
    """Classify sentences with a model whose first layer turns text into token ids."""
    import numpy as np

    takes = getattr(model, "_keeps_int_inputs", list)()
    if takes != ["text"]:
        raise ValueError(f"{args.model} does not take text (its first layer is not a "
                         "TextVectorization); give an .npy array or image files instead")  # fmt: skip
    outputs = model.predict(np.array(args.input), batch_size=args.batch_size, verbose=0)
    for text, out in zip(args.input, outputs):
        if out.shape == (1,):
            print(f"P(positive) = {float(out[0]):.4f}  {safe_text(text)}")
        else:
            print(f"class {int(np.argmax(out))} (p = {float(np.max(out)):.4f})  {safe_text(text)}")


def _predict_images(model, args) -> None:
    """Classify image files with the preprocessing saved in the model file."""
    import numpy as np

    from ..io.image_preprocessing import load_images

    spec = getattr(model, "preprocessing", None)
    if spec is None:
        raise ValueError(
            f"{args.model} stores no image preprocessing (it was not trained on images by "
            "chainrule train); give an .npy array of prepared inputs instead"
        )
    if spec.get("kind") != "image":
        hint = " (draw from it with chainrule generate)" if spec.get("kind") == "generator" else ""
        raise ValueError(
            f"{args.model} is a {spec.get('kind')!r} model, not an image classifier: predict reads "
            f"image files only for models saved with an 'image' preprocessing{hint}"
        )
    x = load_images(args.input, spec)
    probs = model.predict(x, batch_size=args.batch_size)
    if args.out:
        from ..io.atomic import atomic_write_with

        atomic_write_with(args.out, lambda f: np.save(f, probs, allow_pickle=False))
    names = spec.get("class_names")
    for path, p in zip(args.input, probs):
        k = int(np.argmax(p))
        label = names[k] if names and k < len(names) else str(k)
        print(f"{safe_text(path)}: {safe_text(label)} (class {k}, p={float(p[k]):.3f})")
    if args.out:
        print(f"wrote outputs {probs.shape} {probs.dtype} to {args.out}")


def safe_text(value, limit: int = 200) -> str:
    """``str(value)`` fit for a terminal: control characters (escape sequences, newlines, carriage
    returns, bidi overrides ...) shown as ``\\x1b``-style escapes, and at most ``limit`` characters.

    Everything ``chainrule info`` prints from a file goes through this, so a file cannot fake
    output lines or send commands to the terminal."""
    text = value if isinstance(value, str) else str(value)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")  # fmt: skip
        else:
            out.append(ch)
    text = "".join(out)
    return text if len(text) <= limit else text[:limit] + "..."


def _graph_inputs(inputs) -> str | None:
    """``inputs NAME (None, d…), …`` from a functional model's config, or None."""
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, dict) for i in inputs):
        return None
    parts = []
    for spec in inputs[:16]:
        dims = spec.get("shape")
        dims = (None, *dims) if isinstance(dims, list) else "?"
        parts.append(f"{safe_text(spec.get('name'), 40)} {safe_text(dims, 80)}")
    return "inputs " + ", ".join(parts) + (", ..." if len(inputs) > 16 else "")


def _info(args) -> None:
    from ..io.model_file import describe_model_file

    s = safe_text
    d = describe_model_file(args.model)
    cfg = d["config"]
    print(f"{s(args.model)}: chainrule model file, format {cfg['format_version']}, "
          f"written by chainrule {s(cfg.get('chainrule_version'))}, {d['file_bytes']:,} bytes")  # fmt: skip
    model = cfg["model"]
    mcfg = model.get("config", {})
    shape = cfg.get("input_shape")
    if shape:
        shown = f"input shape {s(tuple(shape))}"
    else:  # several inputs: a functional graph's config lists them
        shown = _graph_inputs(mcfg.get("inputs")) or "input shape unknown"
    print(f"model: {s(model['class_name'])} '{s(mcfg.get('name'))}', {shown}")
    layers = mcfg.get("layers", [])
    for i, layer in enumerate(layers if isinstance(layers, list) else []):
        c = layer.get("config", {})
        details = ", ".join(
            f"{k}={s(c[k], 60)}" for k in ("units", "activation", "rate", "target_shape") if k in c
        )
        print(f"  [{i}] {s(layer['class_name']):12s} {s(c.get('name', ''))} {details}")
    print(f"tensors ({d['parameters']:,} values):")
    for name, (shape, dtype) in sorted(d["tensors"].items()):
        print(f"  {s(name):32s} {s(shape)!s:14s} {s(dtype)}")
    compiled = cfg.get("compile")
    if compiled:
        opt = compiled.get("optimizer")
        opt = opt.get("class_name") if isinstance(opt, dict) else opt
        print(f"compiled: optimizer {s(opt)}, loss {s(compiled.get('loss'))}, "
              f"metrics {s(compiled.get('metrics'))}")  # fmt: skip
    print(f"optimizer state: {'included' if d['has_optimizer'] else 'not included'}")
    if d["is_checkpoint"]:
        print("this is a training checkpoint: chainrule train --resume continues from it")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chainrule`` console script; returns the exit status."""
    from ..datasets import DatasetError
    from ..io.container import ModelFileError
    from .config import ConfigError

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv.insert(0, "train")
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            if args.list:
                _list_presets()
                return 0
            from .train import run_train

            if args.threads is not None:  # --threads (issue 19), before any training
                from ..threads import set_num_threads

                set_num_threads(args.threads)
            result = run_train(args.preset, args.config, epochs=args.epochs, lr=args.lr,
                               seed=args.seed, out=args.out, resume=args.resume,
                               data_dir=args.data_dir, verbose=2 if args.quiet else 1,
                               distributed=args.distributed)  # fmt: skip
            if result.get("diverged"):
                return 3
        elif args.command == "predict":
            _predict(args)
        elif args.command == "lab":
            return _lab(args)
        elif args.command == "generate":
            from . import generate

            return generate.run(args)
        elif args.command == "translate":
            from . import translate

            return translate.run(args)
        else:
            _info(args)
    except ConfigError as exc:
        print(f"chainrule {args.command}: configuration error: {safe_text(exc, 2000)}",
              file=sys.stderr)  # fmt: skip
        return 2
    except (ModelFileError, DatasetError, OSError, ImportError, ValueError, TypeError) as exc:
        print(f"chainrule {args.command}: error: {safe_text(exc, 2000)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
