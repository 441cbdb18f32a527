"""The check every ``preprocessing`` kind's checker starts with (io/preprocessing.py): the object
is a JSON object and names only the fields its kind defines."""

from __future__ import annotations

from typing import Any


def check_fields(spec: Any, where: str, keys: tuple[str, ...]) -> None:
    """ValueError unless ``spec`` is a dict whose keys are all in ``keys``."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be an object, got {type(spec).__name__}")  # noqa: TRY004
    unknown = sorted(str(k) for k in set(spec) - set(keys))
    if unknown:
        raise ValueError(f"{where} has unknown field {unknown[0]!r:.60}")
