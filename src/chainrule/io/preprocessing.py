"""The optional ``preprocessing`` object of a model file's config.json: what a model's inputs
and outputs mean, so that the command line can prepare a user's raw inputs (image files, text)
and present the outputs the way the model was trained.

Each kind of object has its own module with a checker; a file is data, so :func:`check_preprocessing`
type- and range-checks every field (by the checker its ``kind`` selects) before anything uses it.

- ``"image"``: image classifiers (:mod:`chainrule.io.image_preprocessing`);
- ``"text"``: language and translation models: tokenizer, vocabularies, context length
  (:mod:`chainrule.io.text_preprocessing`).
- ``"generator"``: image generators, VAE decoders and GANs (:mod:`chainrule.io.generator_spec`).

Every checker starts with :func:`chainrule.io.spec_fields.check_fields` (an object naming only its
kind's fields).
"""

from __future__ import annotations

from typing import Any

from .generator_spec import check_generator_spec
from .image_preprocessing import check_image_spec
from .text_preprocessing import check_text_spec

#: ``kind`` → checker ``(spec, where) -> spec``; a kind not listed here is refused.
CHECKERS = {"image": check_image_spec, "text": check_text_spec, "generator": check_generator_spec}


def check_preprocessing(spec: Any, where: str = "preprocessing") -> dict | None:
    """``spec`` validated (None passes); ValueError naming the field at fault otherwise."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be an object or null, got {type(spec).__name__}")  # noqa: TRY004
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in CHECKERS:
        raise ValueError(f"{where}.kind must be one of {sorted(CHECKERS)}, got {kind!r:.60}")
    return CHECKERS[kind](spec, where)
