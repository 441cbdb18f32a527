"""The translator model: parts equal the whole, training lowers the loss, save/load round trip,
the Translator and ``chainrule translate`` on a tiny model, BLEU through sacrebleu."""

import itertools

import numpy as np
import pytest

import chainrule
from chainrule import optim
from chainrule.cli import main
from chainrule.io.model_file import load_model, save_model
from chainrule.io.text_preprocessing import check_text_spec, decode, tokenize
from chainrule.translation import Seq2Seq, Translator, build_translator
from chainrule.translation.training import (
    TOKENIZER,
    batch_arrays,
    bleu_by_source,
    corpus_bleu,
    encode_pairs,
    evaluate_loss,
    text_spec_for,
    train_epoch,
    warmup_cosine,
)

EN = ["I am hungry.", "I am cold.", "You are hungry.", "You are cold.", "Go!", "Run!",
      "He is here.", "She is here.", "We are here.", "I am here."]  # fmt: skip
FR = ["J'ai faim.", "J'ai froid.", "Tu as faim.", "Tu as froid.", "Va !", "Cours !",
      "Il est ici.", "Elle est ici.", "Nous sommes ici.", "Je suis ici."]  # fmt: skip


@pytest.fixture
def trained():
    """A tiny translator trained until it reproduces the ten toy pairs."""
    chainrule.manual_seed(0)
    spec = text_spec_for(EN, FR, context_length=12, min_freq=1, target_min_freq=1)
    src, tgt, kept = encode_pairs(EN, FR, spec)
    assert len(kept) == len(EN)
    model = build_translator(len(spec["vocabulary"]), len(spec["target_vocabulary"]),
                             max_length=12, embed_dim=32, intermediate_dim=64, num_layers=1,
                             dropout=0.0)  # fmt: skip
    model.preprocessing = spec
    parts = Seq2Seq(model)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    first = evaluate_loss(parts, src, tgt, bos=2, eos=3)
    rng = np.random.default_rng(0)
    for epoch in range(60):
        train_epoch(parts, opt, src, tgt, batch_size=5, bos=2, eos=3, lr_at=lambda s: 1e-2,
                    step0=2 * epoch, rng=rng)  # fmt: skip
    return model, spec, first, evaluate_loss(parts, src, tgt, bos=2, eos=3)


def test_mark_spaces_round_trip_and_checks():
    for text in ["J'ai faim !", "Est-ce que c'est 5 $ ?", "  Hello,   world…  ", "a\u00a0b"]:
        tokens = tokenize(text, {"tokenizer": "word", **TOKENIZER})
        assert "".join(tokens).replace("\u2581", " ").strip() == " ".join(text.split())
    assert tokenize("J'ai faim !", {"tokenizer": "word", **TOKENIZER}) == [
        "\u2581J", "'", "ai", "\u2581faim", "\u2581!"]  # fmt: skip
    spec = {"kind": "text", "task": "translation", "tokenizer": "word", "mark_spaces": True,
            "split_punctuation": True, "vocabulary": ["<pad>", "\u2581J", "'", "ai"],
            "target_vocabulary": ["<pad>", "x"], "context_length": 4}  # fmt: skip
    assert decode([1, 2, 3], check_text_spec(spec)) == "J'ai"
    with pytest.raises(ValueError, match="mark_spaces must be true or false"):
        check_text_spec({**spec, "mark_spaces": 1})
    with pytest.raises(ValueError, match="mark_spaces applies to the word tokenizer only"):
        check_text_spec({**spec, "tokenizer": "char", "vocabulary": ["a"],
                         "target_vocabulary": ["b"], "split_punctuation": False})  # fmt: skip


def test_parts_compute_the_functional_model():
    spec = text_spec_for(EN, FR, context_length=12, min_freq=1, target_min_freq=1)
    model = build_translator(len(spec["vocabulary"]), len(spec["target_vocabulary"]),
                             max_length=12, embed_dim=16, intermediate_dim=32, num_layers=2)  # fmt: skip
    model.eval()
    src, tgt, _ = encode_pairs(EN, FR, spec)
    s, t_in, _ = batch_arrays(src, tgt, np.arange(10), 2, 3)
    parts = Seq2Seq(model)
    whole = model([s, t_in]).data
    real = t_in != 0  # padded target positions are never scored nor decoded from
    np.testing.assert_array_equal(parts.logits_of(parts.hidden(s, t_in)).data[real], whole[real])
    assert whole.dtype == np.float32
    # the last position's log-probabilities are what decoding uses
    memory, mask = parts.encode(s)
    logp = parts.next_log_probs(memory, mask, t_in[:, :3])
    z = whole[:, 2].astype(np.float64)
    ref = z - z.max(1, keepdims=True)
    ref -= np.log(np.exp(ref).sum(1, keepdims=True))
    np.testing.assert_allclose(logp, ref, atol=1e-5)


def test_training_learns_and_the_file_round_trips(trained, tmp_path, capsys):
    model, spec, first, last = trained
    assert last < 0.1 * first
    translator = Translator(model)
    out = translator.translate(EN, beam_size=1)
    assert sum(o == f for o, f in zip(out, FR)) >= 9, out
    path = save_model(model, tmp_path / "model.zip")
    loaded = load_model(path)
    assert loaded.preprocessing["mark_spaces"] is True
    src, tgt, _ = encode_pairs(EN, FR, spec)
    s, t_in, _ = batch_arrays(src, tgt, np.arange(10), 2, 3)
    model.eval()
    np.testing.assert_array_equal(loaded([s, t_in]).data, model([s, t_in]).data)
    again = Translator(loaded)
    assert again.translate(EN, beam_size=3) == translator.translate(EN, beam_size=3)
    assert again.translate(EN) == out
    # the command line
    assert main(["translate", str(path), "I am hungry.", "Go!", "--beam", "2"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == translator.translate(["I am hungry.", "Go!"], beam_size=2)
    assert main(["translate", str(path), "I am hungry.", "--beam", "1", "--max-len", "2"]) == 0
    assert len(tokenize(capsys.readouterr().out.strip(), spec)) <= 2


def test_translate_command_errors(trained, tmp_path, capsys):
    model, *_ = trained
    path = save_model(model, tmp_path / "model.zip")
    assert main(["translate", str(path), "I am hungry.", "--max-len", "99"]) == 1
    assert "max_len must be an int in [1, 11]" in capsys.readouterr().err
    assert main(["translate", str(path), "I am hungry.", "--beam", "0"]) == 1
    assert "--beam must be >= 1" in capsys.readouterr().err
    long = " ".join(["hungry"] * 20)
    assert main(["translate", str(path), long]) == 1
    assert "sentence 0 has 20 tokens; this model takes 1 to 12" in capsys.readouterr().err
    model.preprocessing = None
    plain = save_model(model, tmp_path / "plain.zip")
    assert main(["translate", str(plain), "I am hungry."]) == 1
    assert "not a translation model" in capsys.readouterr().err


def test_translator_refuses_inconsistent_preprocessing(trained):
    model, spec, *_ = trained
    bad = dict(spec, target_special_tokens={**spec["target_special_tokens"], "pad": "<unk>"})
    model.preprocessing = bad
    with pytest.raises(ValueError, match="target_special_tokens must name a pad token at id 0"):
        Translator(model)
    model.preprocessing = dict(spec, target_vocabulary=spec["target_vocabulary"][:-1])
    with pytest.raises(ValueError, match="the target vocabulary has"):
        Translator(model)
    no_bos = {k: v for k, v in spec["target_special_tokens"].items() if k != "bos"}
    model.preprocessing = dict(spec, target_special_tokens=no_bos)
    with pytest.raises(ValueError, match=r"lacks \['bos'\]"):
        Translator(model)


def test_not_a_translator():
    from chainrule.layers import Dense
    from chainrule.models import Sequential

    with pytest.raises(ValueError, match="not a chainrule translator"):
        Seq2Seq(Sequential([Dense(2)]))
    from chainrule.layers import Embedding, TransformerDecoder, TransformerEncoder
    from chainrule.training.functional import Input
    from chainrule.training.model import Model

    src, tgt = Input(shape=(4,), dtype="int64"), Input(shape=(4,), dtype="int64")
    x = TransformerEncoder(8, 2, name="encoder_0")(Embedding(5, 8, name="source_embedding")(src))
    y = Embedding(5, 8, name="target_embedding")(tgt)
    y = TransformerDecoder(8, 2, name="decoder_0")([y, x])
    fake = Model([src, tgt], Dense(5, name="logits")(y))
    with pytest.raises(ValueError, match="'source_embedding' is a Embedding, not a "
                                         "TokenAndPositionEmbedding"):  # fmt: skip
        Seq2Seq(fake)


def test_bleu_is_sacrebleu():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyps = ["the cat sat on the mat today", "a dog ran in the park"]
    refs = ["the cat sat on the mat", "the dog ran in the park"]
    assert corpus_bleu(hyps, refs).score == sacrebleu.corpus_bleu(hyps, [refs]).score
    assert corpus_bleu(refs, refs).score == pytest.approx(100.0)
    assert 0 < corpus_bleu(hyps, refs).score < 100
    with pytest.raises(ValueError, match="2 hypotheses but a reference stream of 1"):
        corpus_bleu(hyps, refs[:1])

    class Fake:  # a "translator" that knows two sentences
        def translate(self, sentences, **kw):
            return [{"a": "Je pense que tu as très faim ce soir.",
                     "b": "Il pleut beaucoup dans la ville."}[s] for s in sentences]  # fmt: skip

    refs = ["Je pense que tu as très faim ce soir.", "Je crois que tu as faim ce soir.",
            "Il pleut fort dans la ville."]  # fmt: skip
    r = bleu_by_source(Fake(), ["a", "a", "b"], refs)
    hyps = Fake().translate(["a", "a", "b"])
    pair = sacrebleu.corpus_bleu(hyps, [refs]).score
    multi = sacrebleu.corpus_bleu(hyps[1:], [[refs[0], refs[2]], [refs[1], None]]).score
    assert (r["bleu"], r["bleu_multi"], r["sources"], r["pairs"]) == (pair, multi, 2, 3)
    assert r["bleu_multi"] > r["bleu"]


def test_warmup_cosine():
    lrs = [warmup_cosine(s, 100, 10, 1.0) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(lrs[9:]))
    assert lrs[-1] == pytest.approx(0.05, abs=1e-3)
