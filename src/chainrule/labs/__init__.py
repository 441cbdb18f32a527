"""Labs that reproduce the classic claims about backpropagation, each with plots, a report.html and
a verdict computed from the run (``chainrule lab NAME|all [--out DIR] [--quick]``; docs/labs.md).

Each lab module has ``NAME``, ``CLAIM`` and ``run(out_dir, quick=False, verbose=True) ->
LabResult``.
"""

from __future__ import annotations

from pathlib import Path

from ._report import LabReport, LabResult

#: lab name → module (in the order ``chainrule lab all`` runs them)
LABS = {
    "backprop-by-hand": "backprop_by_hand",
    "learning-rate": "learning_rate",
    "vanishing-gradient": "vanishing_gradient",
    "momentum": "momentum",
    "regularization": "regularization",
    "batch-size": "batch_size",
    "activations": "activations",
    "perceptron": "perceptron",
}


def run_lab(name: str, out_dir=None, quick: bool = False, verbose: bool = True) -> LabResult:
    """Run one lab; its files go to ``out_dir`` (default ``labs/<name>``)."""
    if name not in LABS:
        raise ValueError(f"unknown lab {name!r}; the labs are: {', '.join(LABS)}")
    from . import (  # imported here: a lab's imports cost time only when it runs
        activations,
        backprop_by_hand,
        batch_size,
        learning_rate,
        momentum,
        perceptron,
        regularization,
        vanishing_gradient,
    )

    module = {
        "activations": activations,
        "backprop_by_hand": backprop_by_hand,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "momentum": momentum,
        "perceptron": perceptron,
        "regularization": regularization,
        "vanishing_gradient": vanishing_gradient,
    }[LABS[name]]
    out = Path(out_dir) if out_dir is not None else Path("labs") / name
    return module.run(out, quick=quick, verbose=verbose)


__all__ = ["LABS", "LabReport", "LabResult", "run_lab"]
