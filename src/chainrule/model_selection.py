"""k-fold cross-validation with a fresh model per fold.

Folds come from the library generator (``chainrule.manual_seed``) or from ``seed``, so the same
seed gives the same folds. Stratified folds keep each class's share in every fold: each class's
samples are shuffled and dealt to the folds in turn.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .random import get_generator


def kfold_indices(
    n: int, k: int = 5, labels=None, shuffle: bool = True, seed: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train_indices, test_indices) pairs; every sample is in exactly one test fold.

    ``labels`` (n,) makes the folds stratified. ``seed`` None draws from the library generator.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"kfold: k must be an int >= 2, got {k!r}")
    if k > n:
        raise ValueError(f"kfold: k={k} folds need at least {k} samples, got {n}")
    gen = np.random.default_rng(seed) if seed is not None else get_generator()
    fold_of = np.empty(n, dtype=np.int64)
    if labels is None:
        order = gen.permutation(n) if shuffle else np.arange(n)
        fold_of[order] = np.arange(n) % k
    else:
        labels = np.asarray(labels)
        if labels.ndim > 1:  # one-hot
            labels = labels.reshape(n, -1).argmax(axis=1)
        if len(labels) != n:
            raise ValueError(f"kfold: {len(labels)} labels for {n} samples")
        offset = 0
        for cls in np.unique(labels):
            members = np.flatnonzero(labels == cls)
            if shuffle:
                members = members[gen.permutation(len(members))]
            fold_of[members] = (offset + np.arange(len(members))) % k
            offset += len(members)  # continue dealing where the last class stopped
    folds = []
    for f in range(k):
        test = np.flatnonzero(fold_of == f)
        train = np.flatnonzero(fold_of != f)
        folds.append((train, test))
    return folds


def _take(data, idx):
    if isinstance(data, dict):
        return {k: np.asarray(v)[idx] for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [np.asarray(v)[idx] for v in data]
    return np.asarray(data)[idx]


def cross_validate(
    build_model: Callable[[], object],
    x,
    y,
    k: int = 5,
    stratified: bool = True,
    fit_kwargs: dict | None = None,
    evaluate_kwargs: dict | None = None,
    seed: int | None = None,
) -> dict:
    """Train ``build_model()`` (a fresh, compiled model) on k-1 folds, evaluate on the held-out fold.

    ``x`` is an array (or list/dict of arrays), ``y`` labels or targets. Returns::

        {"folds": [{"loss": .., "accuracy": ..}, ...],   # one dict per fold
         "mean": {...}, "std": {...},                     # over folds (population std)
         "indices": [test_indices, ...]}
    """
    y_arr = np.asarray(y[0] if isinstance(y, (list, tuple)) else y)
    n = len(y_arr)
    labels = y_arr if stratified else None
    if (
        stratified
        and y_arr.dtype.kind == "f"
        and y_arr.ndim == 1
        and not np.all(y_arr == np.round(y_arr))
    ):
        raise ValueError(
            "cross_validate: stratified folds need class labels; pass stratified=False"
        )
    folds = kfold_indices(n, k, labels, True, seed)
    results, indices = [], []
    for train_idx, test_idx in folds:
        model = build_model()
        if not getattr(model, "compiled", False):
            raise ValueError("cross_validate: build_model() must return a compiled model")
        model.fit(_take(x, train_idx), _take(y, train_idx), **{"verbose": 0, **(fit_kwargs or {})})
        scores = model.evaluate(
            _take(x, test_idx), _take(y, test_idx), return_dict=True, **(evaluate_kwargs or {})
        )
        results.append({k_: float(v) for k_, v in scores.items()})
        indices.append(test_idx)
    keys = list(results[0])
    mean = {key: float(np.mean([r[key] for r in results])) for key in keys}
    std = {key: float(np.std([r[key] for r in results])) for key in keys}
    return {"folds": results, "mean": mean, "std": std, "indices": indices}
