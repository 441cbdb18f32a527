"""Helpers shared by the training tests (imported by name: the tests folder has no packages)."""

import numpy as np

import chainrule
from chainrule.layers import Dense


def small_mlp(hidden: int = 8, out: int = 3, **kw) -> chainrule.Sequential:
    return chainrule.Sequential([Dense(hidden, activation="relu"), Dense(out, **kw)])


def weights(model) -> dict:
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
