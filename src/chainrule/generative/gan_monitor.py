"""Recognising the usual ways GAN training fails, from the numbers a run already records, so that a
run says "this failed" instead of quietly saving garbage.

``discriminator_wins``
    the discriminator separates real from generated images almost perfectly: over the last quarter
    of the epoch's steps its mean probability of "real" for generated images ``d_fake`` is below
    ``d_fake_floor`` (0.05; the generator's loss −log D(G(z)) is then above 3) and the
    generator's loss has risen over the epoch (its last-quarter mean above its first-quarter
    mean). The generator then receives little useful signal; images stop improving or degrade.
``mode_collapse``
    the generator draws few kinds of image: the judge classifier puts more than
    ``max_class_share`` (0.5) of the epoch's samples in one class, or finds fewer than half the
    classes (unconditional generators: their samples should cover every class); or, without a
    judge, the samples' mean pairwise distance is below ``min_diversity`` (0.3) of the real
    images'.
``non_finite``
    a loss became NaN or infinite (training cannot continue).

:func:`diagnose_epoch` returns the failures of one epoch as ``(kind, message)`` pairs.
"""

from __future__ import annotations

import math

import numpy as np

D_FAKE_FLOOR = 0.05
MAX_CLASS_SHARE = 0.5
MIN_DIVERSITY = 0.3

KINDS = ("discriminator_wins", "mode_collapse", "non_finite")


def mean_pairwise_distance(images: np.ndarray, n: int = 256) -> float:
    """Mean Euclidean distance between the first ``n`` images ``(N, ...)`` taken pairwise."""
    x = np.asarray(images[:n], dtype=np.float64).reshape(min(n, len(images)), -1)
    if len(x) < 2:
        raise ValueError("mean_pairwise_distance: needs at least two images")
    sq = (x * x).sum(axis=1)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2 * (x @ x.T), 0.0, None)
    m = len(x)
    return float(np.sqrt(d2)[~np.eye(m, dtype=bool)].mean())


def diagnose_epoch(
    steps: dict[str, np.ndarray],
    quality: dict | None = None,
    *,
    conditional: bool = False,
    d_fake_floor: float = D_FAKE_FLOOR,
    max_class_share: float = MAX_CLASS_SHARE,
    min_diversity: float = MIN_DIVERSITY,
) -> list[tuple[str, str]]:
    """The failures (module docstring) of one epoch.

    ``steps``: per-step arrays ``d_loss``, ``g_loss``, ``d_fake`` (``GAN.train_epoch``).
    ``quality``: the epoch's sample measurements: ``max_class_share`` and ``classes_present``
    (from a judge; with ``class_shares`` giving the class count) and/or ``diversity`` (generated
    / real mean pairwise distance).
    """
    out: list[tuple[str, str]] = []
    losses = np.concatenate([np.asarray(steps["d_loss"]), np.asarray(steps["g_loss"])])
    if not np.isfinite(losses).all():
        out.append(("non_finite", "a discriminator or generator loss became NaN or infinite"))
        return out
    d_fake, g_loss = np.asarray(steps["d_fake"]), np.asarray(steps["g_loss"])
    q = max(len(g_loss) // 4, 1)
    late_fake, early_g, late_g = d_fake[-q:].mean(), g_loss[:q].mean(), g_loss[-q:].mean()
    if late_fake < d_fake_floor and late_g > early_g:
        message = (
            f"the discriminator wins: it gives generated images a mean probability "
            f"{late_fake:.3f} of being real (< {d_fake_floor}) and the generator's loss climbed "
            f"from {early_g:.2f} to {late_g:.2f} over the epoch"
        )
        out.append(("discriminator_wins", message))
    if not quality:
        return out
    share = quality.get("max_class_share")
    if share is not None and share > max_class_share:
        message = (
            f"mode collapse: the judge puts {share:.0%} of the samples in one class "
            f"(> {max_class_share:.0%})"
        )
        out.append(("mode_collapse", message))
    present, shares = quality.get("classes_present"), quality.get("class_shares")
    if not conditional and present is not None and shares and present < len(shares) / 2:
        message = f"mode collapse: the samples cover only {int(present)} of {len(shares)} classes"
        out.append(("mode_collapse", message))
    diversity = quality.get("diversity")
    if diversity is not None and math.isfinite(diversity) and diversity < min_diversity:
        message = (
            f"mode collapse: the samples' mean pairwise distance is {diversity:.2f} of the real "
            f"images' (< {min_diversity})"
        )
        out.append(("mode_collapse", message))
    return out
