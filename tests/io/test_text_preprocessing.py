"""The "text" preprocessing kind: strict checking of untrusted specs, tokenising, encoding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.io.preprocessing import check_preprocessing
from chainrule.io.text_preprocessing import (
    MAX_TOKEN,
    MAX_VOCABULARY,
    check_text_spec,
    decode,
    encode,
    text_spec,
    tokenize,
)


def char_spec(**extra):
    return {"kind": "text", "task": "language-model", "tokenizer": "char",
            "vocabulary": list("\n !:ADEMOR"), "context_length": 64, **extra}  # fmt: skip


def translation_spec(**extra):
    specials = {"pad": "<pad>", "unk": "<unk>", "bos": "<bos>", "eos": "<eos>"}
    return {"kind": "text", "task": "translation", "tokenizer": "word", "lowercase": True,
            "split_punctuation": True,
            "vocabulary": ["<pad>", "<unk>", "<bos>", "<eos>", "i", "am", "hungry", "."],
            "special_tokens": specials,
            "target_vocabulary": ["<pad>", "<unk>", "<bos>", "<eos>", "j'ai", "faim", "."],
            "target_special_tokens": specials, "context_length": 12,
            "target_context_length": 14, **extra}  # fmt: skip


def test_valid_specs_pass_through_the_registry_unchanged():
    for spec in (char_spec(), translation_spec(), char_spec(lowercase=False)):
        assert check_preprocessing(json.loads(json.dumps(spec))) == spec


def test_text_spec_builds_a_checked_spec():
    spec = text_spec("abc", context_length=8)
    assert spec == {"kind": "text", "task": "language-model", "tokenizer": "char",
                    "vocabulary": ["a", "b", "c"], "context_length": 8}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unknown field 'extra'"),
        ({"task": "classify"}, "task must be one of"),
        ({"tokenizer": "bpe"}, "tokenizer must be one of"),
        ({"vocabulary": "abc"}, "vocabulary must be a list"),
        ({"vocabulary": []}, "vocabulary must be a list of 1 to"),
        ({"vocabulary": ["a", 3]}, r"vocabulary\[1\] must be a string"),
        ({"vocabulary": ["a", ""]}, r"vocabulary\[1\] must be a string"),
        ({"vocabulary": ["a", None]}, r"vocabulary\[1\] must be a string"),
        ({"vocabulary": ["a", "b", "a"]}, "'a' more than once"),
        ({"vocabulary": ["a", "bc"]}, "char vocabulary holds single characters"),
        ({"vocabulary": ["a", "x" * (MAX_TOKEN + 1)]}, r"vocabulary\[1\] must be a string of 1"),
        ({"context_length": 0}, "context_length must be an int"),
        ({"context_length": True}, "context_length must be an int"),
        ({"context_length": 1.5}, "context_length must be an int"),
        ({"context_length": 10**9}, "context_length must be an int"),
        ({"lowercase": "yes"}, "lowercase must be true or false"),
        ({"split_punctuation": True}, "word tokenizer only"),
        ({"target_vocabulary": ["a"]}, "only for task 'translation'"),
        ({"target_context_length": 3}, "only for task 'translation'"),
        ({"special_tokens": {"unk": "<unk>"}}, "'unk' = '<unk>' is not in vocabulary"),
        ({"special_tokens": {"mask": "a"}}, "unknown role 'mask'"),
        ({"special_tokens": ["a"]}, "special_tokens must be an object"),
        ({"special_tokens": {"pad": "a", "unk": "a"}}, "each role needs its own token"),
        ({"special_tokens": {"pad": 0}}, "special_tokens.pad must be a string"),
        ({"kind": "image"}, "kind must be 'text'"),
    ],
)
def test_malformed_specs_are_refused_naming_the_field(change, message):
    spec = char_spec()
    spec.update(change)
    with pytest.raises(ValueError, match=message):
        check_text_spec(spec)


def test_missing_required_fields_are_refused():
    for key in ("task", "tokenizer", "vocabulary", "context_length"):
        spec = char_spec()
        del spec[key]
        with pytest.raises(ValueError, match=key):
            check_text_spec(spec)
    spec = translation_spec()
    del spec["target_vocabulary"]
    with pytest.raises(ValueError, match="target_vocabulary is required"):
        check_text_spec(spec)


def test_word_tokens_with_whitespace_and_oversized_vocabularies_are_refused():
    with pytest.raises(ValueError, match="cannot contain whitespace"):
        check_text_spec(translation_spec(vocabulary=["<pad>", "<unk>", "<bos>", "<eos>", "a b"]))
    with pytest.raises(ValueError, match="'eos' = '<eos>' is not in target_vocabulary"):
        check_text_spec(translation_spec(target_vocabulary=["<pad>", "<unk>", "<bos>", "x"]))
    huge = [str(i) for i in range(MAX_VOCABULARY + 1)]
    with pytest.raises(ValueError, match="vocabulary must be a list of 1 to"):
        check_text_spec(translation_spec(vocabulary=huge))


def test_char_encoding_round_trips_and_names_unknown_characters():
    spec = check_text_spec(char_spec())
    ids = encode("ROMEO:\n", spec)
    assert ids.dtype == np.int64 and decode(ids, spec) == "ROMEO:\n"
    with pytest.raises(ValueError, match=r"characters .* does not have: 'Z', 'x'"):
        encode("ROMEO xZ", spec)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 10\)"):
        decode([10], spec)


def test_word_tokenizing_lowercases_splits_punctuation_and_maps_unknowns():
    spec = check_text_spec(translation_spec())
    assert tokenize("I am hungry.", spec) == ["i", "am", "hungry", "."]
    ids = encode("I am VERY hungry.", spec)
    assert ids.tolist() == [4, 5, 1, 6, 7]
    assert decode([2, 4, 5, 0], spec, target=True) == "j'ai faim"
    assert decode([2, 4], spec, target=True, skip_specials=False) == "<bos> j'ai"
    no_unk = translation_spec(special_tokens={"pad": "<pad>"})
    with pytest.raises(ValueError, match="words the model's vocabulary of 8 does not have: 'very'"):
        encode("I am very hungry.", check_text_spec(no_unk))
