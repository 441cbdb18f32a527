"""Text datasets: tiny-shakespeare, SST-2, rt-polarity (Pang & Lee) and English–French pairs.

Sentences come back as 1-D NumPy arrays of Python ``str`` (dtype object) and labels as int64 arrays
(0 = negative, 1 = positive), so they index, shuffle and batch like any other array.
"""

from __future__ import annotations

import os

import numpy as np

from ..data.transforms import train_val_split
from ._fetch import CorruptFileError, RemoteFile, locate

_SHAKESPEARE = RemoteFile(
    "input.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    1_115_394,
    "https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/"
    "data/tinyshakespeare/input.txt",
)

# The local SST-2 files are the forest-snow/alps split of GLUE SST-2 (see docs/datasets.md); they are
# fetched from that repository at a pinned commit so their published checksums hold.
_SST2_URL = (
    "https://raw.githubusercontent.com/forest-snow/alps/"
    "3c7ef2c98249fc975a897b27f275695f97d5b7a9/data/SST-2/"
)
_SST2 = [
    RemoteFile(
        "train.tsv",
        "920e317b2c52e12cd22db1da2c6708312bd7dc4f3712b9bbf1b50ee6c2c792ba",
        3_422_882,
        _SST2_URL + "train.tsv",
    ),
    RemoteFile(
        "dev.tsv",
        "92353770071a2a889f75d000a38a9e541ea8f0a5499e50f040b17917a5cbf66f",
        383_214,
        _SST2_URL + "dev.tsv",
    ),
    RemoteFile(
        "test.tsv",
        "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
        94_931,
        _SST2_URL + "test.tsv",
    ),
]

_RT_URL = "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz"
_RT = [
    RemoteFile(
        "rt-polarity.neg",
        "4ace77d558c3714723843f1d65b60c01e3417b208180f0728808d76ad0eeeaca",
        612_256,
        _RT_URL,
        member="rt-polaritydata/rt-polarity.neg",
    ),
    RemoteFile(
        "rt-polarity.pos",
        "2da124ec187a9d5a29c9f04e91c540e02baed5af8868f550a26bd6fd4dbf8bf0",
        626_139,
        _RT_URL,
        member="rt-polaritydata/rt-polarity.pos",
    ),
]

# manythings.org re-exports fra-eng.zip as Tatoeba grows, so its checksum changes; the 2017-09-29
# export published with this checksum is fetched from a pinned copy.
_ENG_FRA = RemoteFile(
    "fra-eng.zip",
    "16c4f7d0df9e7c5e6c54cdb0447f3f4a18a55052ff5e2e0b27dd4a06c0e49d04",
    2_951_390,
    "https://raw.githubusercontent.com/genimind/seq2seq/843b8bc40396fbea4ac9171097122aacfc8b9660/"
    "fra-eng.zip",
)

PathLike = str | os.PathLike | None


def _lines(text: str) -> list[str]:
    """Split on newlines only (``str.splitlines`` would also split on U+2028, U+0085 …)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def load_tiny_shakespeare(data_dir: PathLike = None) -> str:
    """Karpathy's tiny-shakespeare corpus as one string of 1,115,394 ASCII characters.

    Split it with :func:`chainrule.data.split_text` (contiguous head/tail, no shuffling).
    """
    path = locate("tinyshakespeare", [_SHAKESPEARE], data_dir)["input.txt"]
    with open(path, encoding="ascii", newline="") as f:
        return f.read()


def _read_tsv(path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, encoding="utf-8") as f:
        lines = _lines(f.read())
    if not lines or lines[0].split("\t") != ["sentence", "label"]:
        raise CorruptFileError(f"SST-2 file {path}: expected the header 'sentence<TAB>label'")
    sentences, labels = [], []
    for lineno, line in enumerate(lines[1:], start=2):
        text, sep, label = line.rpartition("\t")
        if not sep or label not in ("0", "1"):
            raise CorruptFileError(f"SST-2 file {path}, line {lineno}: expected 'sentence<TAB>0|1'")
        sentences.append(text.strip())
        labels.append(int(label))
    return np.array(sentences, dtype=object), np.array(labels, dtype=np.int64)


def load_sst2(data_dir: PathLike = None) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """SST-2 sentences and 0/1 labels: ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``.

    Row counts 60,614 / 6,735 / 872. Sentences are lowercased and tokenized (trailing space removed).
    Note the split: train + val together are GLUE's SST-2 train set, and *test is GLUE's labelled
    dev set* (the split papers usually report on).
    """
    paths = locate("sst2", _SST2, data_dir)
    return tuple(_read_tsv(paths[name]) for name in ("train.tsv", "dev.tsv", "test.tsv"))


def load_rt_polarity(
    test_size: float | None = 0.1, seed: int | None = 0, data_dir: PathLike = None
) -> tuple:
    """Pang & Lee sentence polarity v1.0: 5,331 negative and 5,331 positive snippets.

    Returns ``(x_train, y_train), (x_test, y_test)`` from a stratified split holding ``test_size`` of
    each class in test (seeded by ``seed``; ``seed=None`` draws from the library generator, see
    :func:`chainrule.data.train_val_split`). With ``test_size=None`` returns ``(x, y)``: all 10,662
    sentences in file order, negatives first. The files are Windows-1252 encoded.
    """
    paths = locate("rt-polarity", _RT, data_dir)
    parts = []
    for label, name in enumerate(("rt-polarity.neg", "rt-polarity.pos")):
        with open(paths[name], encoding="cp1252") as f:
            parts.append([line.strip() for line in _lines(f.read())])
    x = np.array(parts[0] + parts[1], dtype=object)
    y = np.repeat(np.arange(2, dtype=np.int64), [len(parts[0]), len(parts[1])])
    if test_size is None:
        return x, y
    return train_val_split(x, y, val_fraction=test_size, stratify=y, seed=seed)


def load_eng_fra(data_dir: PathLike = None) -> tuple[np.ndarray, np.ndarray]:
    """English–French sentence pairs (Tatoeba via manythings.org, 2017-09-29 export).

    Returns ``(english, french)``: two aligned 1-D object arrays of 142,787 sentences, ordered from
    short to long as in the file.
    """
    path = locate("eng-fra", [_ENG_FRA], data_dir)["fra-eng.zip"]
    import zipfile  # here, not at the top: most imports of chainrule never read a zip

    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read("fra.txt").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise CorruptFileError(f"eng-fra: cannot read fra.txt from {path}: {exc}") from exc
    english, french = [], []
    for lineno, line in enumerate(_lines(text), start=1):
        fields = line.split("\t")
        if len(fields) < 2:
            raise CorruptFileError(f"eng-fra: {path}!fra.txt line {lineno} has no tab")
        english.append(fields[0])
        french.append(fields[1])
    return np.array(english, dtype=object), np.array(french, dtype=object)


def load_eng_fra_split(
    max_words: int = 10,
    test_fraction: float = 0.05,
    seed: int | None = 0,
    data_dir: PathLike = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """English–French pairs of at most ``max_words`` words on both sides, split for translation.

    Returns ``(en_train, fr_train), (en_test, fr_test)``. ``test_fraction`` of the distinct English
    sentences (chosen by ``seed``) go to test with all their French translations, so no test
    sentence is seen in training (:func:`chainrule.data.translation.split_pairs_by_source`). With
    the defaults: 127,895 pairs of ≤ 10 words (87,924 distinct English sentences); the test part
    holds 4,396 of them.
    """
    from ..data.translation import filter_pairs, split_pairs_by_source

    english, french = load_eng_fra(data_dir)
    english, french = filter_pairs(english, french, max_words)
    return split_pairs_by_source(english, french, test_fraction, seed)
