"""The text preprocessing a model was trained with, saved in its model file so that the command
line (``chainrule generate``, ``chainrule translate``) turns a user's text into the same token ids
and the model's ids back into text.

Stored as ``config.json``'s optional ``preprocessing`` object, for example a character-level
language model::

    {"kind": "text", "task": "language-model", "tokenizer": "char",
     "vocabulary": ["\\n", " ", "!", ..., "z"], "context_length": 128}

or a word-level translation model::

    {"kind": "text", "task": "translation", "tokenizer": "word", "lowercase": true,
     "split_punctuation": true,
     "vocabulary": ["<pad>", "<unk>", "<bos>", "<eos>", "i", ...],
     "special_tokens": {"pad": "<pad>", "unk": "<unk>", "bos": "<bos>", "eos": "<eos>"},
     "target_vocabulary": ["<pad>", "<unk>", "<bos>", "<eos>", "je", ...],
     "target_special_tokens": {"pad": "<pad>", "unk": "<unk>", "bos": "<bos>", "eos": "<eos>"},
     "context_length": 12, "target_context_length": 14}

Fields:

- ``task``: ``"language-model"`` (ids in, next-id logits out over ``vocabulary``) or
  ``"translation"`` (source ids over ``vocabulary`` in, target ids over ``target_vocabulary`` out;
  then ``target_vocabulary`` is required, and it is refused for a language model).
- ``tokenizer``: ``"char"`` (one token per character: every non-special entry is one character) or
  ``"word"`` (whitespace-separated words, see :func:`tokenize`).
- ``vocabulary`` / ``target_vocabulary``: token strings, id ``i`` ↔ entry ``i``; distinct, non-empty,
  at most :data:`MAX_VOCABULARY` entries of at most :data:`MAX_TOKEN` characters.
- ``special_tokens`` / ``target_special_tokens`` (optional): role (``pad``, ``unk``, ``bos``,
  ``eos``) → a token of the matching vocabulary. With ``unk`` an unknown word/character encodes
  to it; without, it is an error naming the unknown tokens.
- ``lowercase`` (optional, default false): lower-case the text before tokenising.
- ``split_punctuation`` (optional, word tokenizer only, default false): punctuation characters
  become tokens of their own ("hungry." → "hungry", ".").
- ``mark_spaces`` (optional, word tokenizer only, default false): the first token of every
  whitespace-separated word carries a leading ``▁`` (U+2581), as SentencePiece writes it, so
  decoding restores the spacing: with ``split_punctuation`` "J'ai faim !" ↔ "▁J", "'", "ai",
  "▁faim", "▁!" (a ``▁`` in the text is read as a space; runs of whitespace become one space).
- ``context_length``: the most input tokens the model takes at once (its positions);
  ``target_context_length`` (optional, translation only): the most target tokens.

A file is data: :func:`check_text_spec` type- and range-checks every field before anything uses it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

from .spec_fields import check_fields

MAX_VOCABULARY = 1_000_000
MAX_TOKEN = 100
MAX_CONTEXT = 1 << 20
TASKS = ("language-model", "translation")
TOKENIZERS = ("char", "word")
SPACE_MARK = "\u2581"
ROLES = ("pad", "unk", "bos", "eos")
_KEYS = (
    "kind", "task", "tokenizer", "lowercase", "split_punctuation", "mark_spaces", "vocabulary",
    "special_tokens",
    "target_vocabulary", "target_special_tokens", "context_length", "target_context_length",
)  # fmt: skip


def _size(where: str, key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_CONTEXT:
        raise ValueError(f"{where}.{key} must be an int in [1, {MAX_CONTEXT}], got {v!r:.60}")
    return v


def _vocabulary(where: str, key: str, vocab: Any, tokenizer: str, specials: dict) -> list[str]:
    if not isinstance(vocab, list) or not 1 <= len(vocab) <= MAX_VOCABULARY:
        n = len(vocab) if isinstance(vocab, list) else type(vocab).__name__
        raise ValueError(f"{where}.{key} must be a list of 1 to {MAX_VOCABULARY} strings, got {n}")
    special = set(specials.values())
    for i, tok in enumerate(vocab):
        if not isinstance(tok, str) or not 1 <= len(tok) <= MAX_TOKEN:
            raise ValueError(f"{where}.{key}[{i}] must be a string of 1 to {MAX_TOKEN} "
                             f"characters, got {tok!r:.60}")  # fmt: skip
        if tokenizer == "char" and len(tok) != 1 and tok not in special:
            raise ValueError(f"{where}.{key}[{i}]: a char vocabulary holds single characters "
                             f"(or special tokens), got {tok!r:.60}")  # fmt: skip
        if tokenizer == "word" and tok not in special and any(c.isspace() for c in tok):
            raise ValueError(f"{where}.{key}[{i}]: a word token cannot contain whitespace, got "
                             f"{tok!r:.60}")  # fmt: skip
    if len(set(vocab)) != len(vocab):
        seen: set[str] = set()
        dup = next(t for t in vocab if t in seen or seen.add(t))
        raise ValueError(f"{where}.{key} holds {dup!r:.60} more than once (entries must be unique)")
    missing = [r for r, t in specials.items() if t not in set(vocab)]
    if missing:
        raise ValueError(f"{where}: special token {missing[0]!r} = {specials[missing[0]]!r:.60} is "
                         f"not in {key}")  # fmt: skip
    return list(vocab)


def _specials(where: str, key: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}.{key} must be an object (role → token), got "  # noqa: TRY004
                         f"{type(value).__name__}")  # fmt: skip
    for role, tok in value.items():
        if role not in ROLES:
            raise ValueError(f"{where}.{key} has unknown role {str(role)!r:.60}; roles: "
                             f"{list(ROLES)}")  # fmt: skip
        if not isinstance(tok, str) or not 1 <= len(tok) <= MAX_TOKEN:
            raise ValueError(f"{where}.{key}.{role} must be a string of 1 to {MAX_TOKEN} "
                             f"characters, got {tok!r:.60}")  # fmt: skip
    if len(set(value.values())) != len(value):
        raise ValueError(f"{where}.{key}: each role needs its own token, got {value!r:.100}")
    return {r: value[r] for r in ROLES if r in value}


def check_text_spec(spec: Any, where: str = "preprocessing") -> dict:
    """A ``"kind": "text"`` preprocessing object validated; ValueError naming the field."""
    check_fields(spec, where, _KEYS)
    if spec.get("kind") != "text":
        raise ValueError(f"{where}.kind must be 'text', got {spec.get('kind')!r:.60}")
    task, tokenizer = spec.get("task"), spec.get("tokenizer")
    if task not in TASKS:
        raise ValueError(f"{where}.task must be one of {list(TASKS)}, got {task!r:.60}")
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"{where}.tokenizer must be one of {list(TOKENIZERS)}, got "
                         f"{tokenizer!r:.60}")  # fmt: skip
    for key in ("lowercase", "split_punctuation", "mark_spaces"):
        if key in spec and not isinstance(spec[key], bool):
            raise ValueError(f"{where}.{key} must be true or false, got {spec[key]!r:.60}")
        if key != "lowercase" and spec.get(key) and tokenizer != "word":
            raise ValueError(f"{where}.{key} applies to the word tokenizer only")
    out: dict[str, Any] = {"kind": "text", "task": task, "tokenizer": tokenizer}
    for key in ("lowercase", "split_punctuation", "mark_spaces"):
        if key in spec:
            out[key] = spec[key]
    specials = _specials(where, "special_tokens", spec.get("special_tokens"))
    out["vocabulary"] = _vocabulary(where, "vocabulary", spec.get("vocabulary"), tokenizer,
                                    specials)  # fmt: skip
    if specials:
        out["special_tokens"] = specials
    if task == "translation":
        if "target_vocabulary" not in spec:
            raise ValueError(f"{where}.target_vocabulary is required for task 'translation'")
        tspecials = _specials(where, "target_special_tokens", spec.get("target_special_tokens"))
        out["target_vocabulary"] = _vocabulary(where, "target_vocabulary",
                                               spec["target_vocabulary"], tokenizer, tspecials)  # fmt: skip
        if tspecials:
            out["target_special_tokens"] = tspecials
    else:
        for key in ("target_vocabulary", "target_special_tokens", "target_context_length"):
            if key in spec:
                raise ValueError(f"{where}.{key} is only for task 'translation', not {task!r}")
    if "context_length" not in spec:
        raise ValueError(f"{where}.context_length is required (the most input tokens the model "
                         f"takes)")  # fmt: skip
    out["context_length"] = _size(where, "context_length", spec["context_length"])
    if "target_context_length" in spec:
        out["target_context_length"] = _size(where, "target_context_length",
                                             spec["target_context_length"])  # fmt: skip
    return out


def text_spec(vocabulary, *, context_length: int, task: str = "language-model",
              tokenizer: str = "char", **fields) -> dict:  # fmt: skip
    """A checked text preprocessing object to attach to a model (``model.preprocessing = ...``);
    ``fields`` are the optional fields of the module docstring."""
    spec = {"kind": "text", "task": task, "tokenizer": tokenizer,
            "vocabulary": [str(t) for t in vocabulary], "context_length": context_length,
            **fields}  # fmt: skip
    return check_text_spec(spec)


# ----------------------------------------------------------------------------- using a spec
def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def tokenize(text: str, spec: dict) -> list[str]:
    """``text`` split into tokens as ``spec`` says: characters, or whitespace-separated words
    (with ``split_punctuation``, each punctuation character a token of its own; with
    ``mark_spaces``, each word's first token ``▁``-prefixed); lower-cased first with
    ``lowercase``."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    if spec.get("lowercase"):
        text = text.lower()
    if spec["tokenizer"] == "char":
        return list(text)
    if not spec.get("mark_spaces"):
        if spec.get("split_punctuation"):
            text = "".join(f" {c} " if _is_punctuation(c) else c for c in text)
        return text.split()
    tokens: list[str] = []
    for word in text.replace(SPACE_MARK, " ").split():
        if spec.get("split_punctuation"):
            pieces = "".join(f" {c} " if _is_punctuation(c) else c for c in word).split()
        else:
            pieces = [word]
        tokens.append(SPACE_MARK + pieces[0])
        tokens.extend(pieces[1:])
    return tokens


def encode(text: str, spec: dict, target: bool = False) -> np.ndarray:
    """Token ids (int64, shape ``(tokens,)``) of ``text`` over the (target) vocabulary. Tokens
    outside it map to the ``unk`` special token, or, without one, raise a ValueError naming them."""
    return encode_many([text], spec, target)[0]


def encode_many(texts, spec: dict, target: bool = False) -> list[np.ndarray]:
    """:func:`encode` for each of ``texts`` (the vocabulary is indexed once)."""
    vocab = spec["target_vocabulary" if target else "vocabulary"]
    index = {t: i for i, t in enumerate(vocab)}
    return [_encode_one(text, spec, target, index) for text in texts]


def _encode_one(text: str, spec: dict, target: bool, index: dict) -> np.ndarray:
    vocab = spec["target_vocabulary" if target else "vocabulary"]
    specials = spec.get("target_special_tokens" if target else "special_tokens", {})
    tokens = tokenize(text, spec)
    unk = index.get(specials["unk"]) if "unk" in specials else None
    unknown = sorted({t for t in tokens if t not in index})
    if unknown and unk is None:
        what = "characters" if spec["tokenizer"] == "char" else "words"
        shown = ", ".join(repr(t) for t in unknown[:20]) + (" ..." if len(unknown) > 20 else "")
        raise ValueError(f"the text holds {what} the model's vocabulary of {len(vocab)} does not "
                         f"have: {shown}")  # fmt: skip
    return np.array([index.get(t, unk) for t in tokens], dtype=np.int64)


def decode(ids, spec: dict, target: bool = False, skip_specials: bool = True) -> str:
    """The text of ``ids``: characters joined as they are, words joined by spaces (with
    ``mark_spaces``: joined as they are, each ``▁`` read as a space); the ``pad``, ``bos`` and
    ``eos`` special tokens are left out unless ``skip_specials`` is False."""
    vocab = spec["target_vocabulary" if target else "vocabulary"]
    specials = spec.get("target_special_tokens" if target else "special_tokens", {})
    ids = np.asarray(ids, dtype=np.int64).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
        raise ValueError(f"decode: ids must lie in [0, {len(vocab)}), got "
                         f"{ids.min()}..{ids.max()}")  # fmt: skip
    skip = {specials[r] for r in ("pad", "bos", "eos") if r in specials} if skip_specials else set()
    tokens = [vocab[i] for i in ids.tolist() if vocab[i] not in skip]
    if spec["tokenizer"] == "char":
        return "".join(tokens)
    if spec.get("mark_spaces"):
        return "".join(tokens).replace(SPACE_MARK, " ").strip()
    return " ".join(tokens)
