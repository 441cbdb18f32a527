"""Training jobs of ``chainrule train`` other than the default classification job.

The default job (``cli/train.py``) fits a Sequential classifier on an image or tabular dataset.
Other kinds of work (language models, translation, image generation) are *tasks*: a configuration
with a top-level ``task = "NAME"`` key is handed whole to the task module ``NAME`` here, which
owns its schema, its data, its model and its outputs. A task module defines

``PRESETS: dict[str, dict]``
    built-in configurations (each has ``"task": NAME``), listed by ``chainrule train --list``;
``validate(raw: dict, src: ConfigSource) -> dict``
    the checked configuration with defaults filled in; every problem is a ``ConfigError`` naming
    the key (``src.error(path, message)``). It must accept its own output again (the command-line
    overrides are re-checked), and every task configuration has the keys the overrides touch:
    ``name``, ``seed``, ``epochs``, ``out`` (optional) and an ``optimizer`` table with ``lr``;
``run(cfg, *, resume, data_dir, verbose, print_fn) -> dict``
    the whole job: writes ``cfg["out"]`` (config.toml, model file, history, report.html) and
    returns at least ``{"out": Path, "test_metrics": dict, "history": dict, "diverged": str|None}``.

Modules are imported explicitly by name (no dynamic import from a file's contents): a task name
read from a configuration only selects among the entries of :data:`TASKS`.
"""

from __future__ import annotations

from types import ModuleType

#: The task names a configuration may give, in ``chainrule train --list`` order.
TASKS: tuple[str, ...] = ("charlm", "sentiment", "translate", "vae", "gan")


def task_module(name: str) -> ModuleType:
    """The module implementing task ``name``; ValueError (listing the known tasks) otherwise."""
    # One explicit import per task, so a configuration can only choose among these.
    if name == "charlm":
        from . import charlm

        return charlm
    if name == "translate":
        from . import translate

        return translate
    if name == "sentiment":
        from . import sentiment

        return sentiment
    if name == "vae":
        from . import vae

        return vae
    if name == "gan":
        from . import gan

        return gan
    raise ValueError(f"unknown task {name!r}; known tasks: {list(TASKS)}")


def task_presets() -> dict[str, dict]:
    """Every task's built-in presets, by preset name."""
    out: dict[str, dict] = {}
    for name in TASKS:
        out.update(task_module(name).PRESETS)
    return out
