"""Sentiment classification on SST-2 (and rt-polarity cross-validation), trained from scratch.

Two models in the Keras door, after a TextVectorization:

- ``--model bilstm`` (default): Embedding(mask_zero=True) → Bidirectional(LSTM) → Dense(sigmoid);
- ``--model cnn``: Kim (2014)'s CNN-rand: Embedding → Conv1D with filter widths 3, 4 and 5
  (``--filters`` maps each, ReLU) → max-over-time pooling (GlobalMaxPooling1D) of each →
  concatenation → Dropout → Dense(sigmoid).

Batches are bucketed by length (each padded only to its own longest sentence, at least the widest
filter for the CNN; the mask makes the LSTM skip the padding), which is several times faster than
padding every phrase of SST-2's training set (mean 9 tokens, max 52) to the longest one.

    python examples/keras/sst2_sentiment.py                  # SST-2: train.tsv → test.tsv
    python examples/keras/sst2_sentiment.py --model cnn      # the same with Kim's CNN
    python examples/keras/sst2_sentiment.py --rt-polarity    # 10-fold CV on rt-polarity
    python examples/keras/sst2_sentiment.py --train-subset 2000 --epochs 1   # a quick check

SST-2's ``test.tsv`` here is GLUE's labelled dev set (see chainrule.datasets.load_sst2).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as keras
from chainrule import layers
from chainrule.data import length_buckets
from chainrule.datasets import load_rt_polarity, load_sst2


def build_model(vocab_size: int, embed: int, units: int, dropout: float) -> keras.Model:
    model = keras.Sequential([
        layers.Embedding(vocab_size, embed, mask_zero=True),
        layers.Dropout(dropout),
        layers.Bidirectional(layers.LSTM(units)),
        layers.Dropout(dropout),
        layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


class KimCNN(keras.Model):
    """Kim (2014) CNN-rand: tokens (N, T) with T ≥ max(kernel_sizes) → P(positive) (N, 1)."""

    def __init__(self, vocab_size: int, embed: int, filters: int = 100,
                 kernel_sizes: tuple[int, ...] = (3, 4, 5), dropout: float = 0.5):  # fmt: skip
        super().__init__()
        self.embedding = layers.Embedding(vocab_size, embed)
        self.convs = [layers.Conv1D(filters, k, activation="relu") for k in kernel_sizes]
        self.pool = layers.GlobalMaxPooling1D()
        self.concat = layers.Concatenate()
        self.dropout = layers.Dropout(dropout)
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, tokens):
        x = self.embedding(tokens)  # (N, T, embed)
        features = self.concat([self.pool(conv(x)) for conv in self.convs])  # (N, 3·filters)
        return self.out(self.dropout(features))


def build_cnn(vocab_size: int, embed: int, filters: int, kernel_sizes, dropout: float):
    model = KimCNN(vocab_size, embed, filters, tuple(kernel_sizes), dropout)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def accuracy(model, ids: np.ndarray, y: np.ndarray, batch_size: int = 256, min_len: int = 1):
    rng = np.random.default_rng(0)
    right = 0
    for idx, xb in length_buckets(ids, batch_size, rng, min_len):
        p = model.predict(xb, verbose=0)[:, 0]
        right += int(((p > 0.5) == (y[idx] == 1)).sum())
    return right / len(y)


def train(x_train, y_train, x_eval, y_eval, args, log=print) -> float:
    keras.utils.set_random_seed(args.seed)
    tv = layers.TextVectorization(max_tokens=args.max_tokens, standardize="lower",
                                  output_sequence_length=args.max_len)  # fmt: skip
    tv.adapt(x_train)
    train_ids, eval_ids = tv(x_train).numpy(), tv(x_eval).numpy()
    if args.model == "cnn":
        min_len = max(args.kernel_sizes)
        model = build_cnn(tv.vocabulary_size(), args.embed, args.filters, args.kernel_sizes,
                          args.dropout)  # fmt: skip
    else:
        min_len = 1
        model = build_model(tv.vocabulary_size(), args.embed, args.units, args.dropout)
    rng = np.random.default_rng(args.seed)
    y_train = y_train.astype(np.float32)
    acc = 0.0
    for epoch in range(args.epochs):
        t0 = time.time()
        model.train()
        losses = []
        for idx, xb in length_buckets(train_ids, args.batch_size, rng, min_len):
            losses.append(model.train_on_batch(xb, y_train[idx][:, None])[0])
        model.eval()
        acc = accuracy(model, eval_ids, y_eval, min_len=min_len)
        log(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}  eval accuracy {acc:.4f}  "
            f"({time.time() - t0:.0f} s)")  # fmt: skip
    return acc


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--units", type=int, default=64, help="bilstm: LSTM units per direction")
    p.add_argument("--model", choices=("bilstm", "cnn"), default="bilstm")
    p.add_argument("--filters", type=int, default=100, help="cnn: feature maps per filter width")
    p.add_argument("--kernel-sizes", type=lambda v: [int(k) for k in v.split(",")],
                   default=[3, 4, 5], help="cnn: filter widths, comma-separated (default 3,4,5)")  # fmt: skip
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--max-tokens", type=int, default=20000)
    p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--train-subset", type=int, default=None)
    p.add_argument("--rt-polarity", action="store_true", help="10-fold CV on rt-polarity")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    t0 = time.time()
    if args.rt_polarity:
        x, y = load_rt_polarity(test_size=None)
        order = np.random.default_rng(args.seed).permutation(len(y))
        folds = np.array_split(order, args.folds)
        accs = []
        for k, test_idx in enumerate(folds):
            train_idx = np.concatenate([f for j, f in enumerate(folds) if j != k])
            acc = train(x[train_idx], y[train_idx], x[test_idx], y[test_idx], args,
                        log=lambda s, k=k: print(f"fold {k + 1}: {s}", flush=True))  # fmt: skip
            accs.append(acc)
            print(f"fold {k + 1}: accuracy {acc:.4f}", flush=True)
        print(f"rt-polarity {args.folds}-fold CV accuracy: mean {np.mean(accs):.4f} "
              f"(std {np.std(accs):.4f}); {time.time() - t0:.0f} s")  # fmt: skip
        return
    (x_train, y_train), _, (x_test, y_test) = load_sst2()
    if args.train_subset:
        x_train, y_train = x_train[: args.train_subset], y_train[: args.train_subset]
    acc = train(x_train, y_train, x_test, y_test, args, log=lambda s: print(s, flush=True))
    print(f"SST-2 test.tsv (GLUE dev) accuracy: {acc:.4f}; {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
