"""Character-level language model on tiny-shakespeare with the PyTorch door: an LSTM, trained for
a time budget, validation loss in nats per character, then text sampled with temperature, top-k
and top-p, streamed as it is produced.

    python examples/pytorch/char_lstm.py --minutes 20
    python examples/pytorch/char_lstm.py --minutes 0.2 --eval-chars 20000   # a quick check

Model: Embedding(65, 64) → LSTM(64, 256) → Linear(256, 65) (the issue's char-LSTM sizes); Adam
2e-3, batch 32 random windows of 64 characters, gradient norm clipped at 1. The validation split
is the last 10 % of the text (``chainrule.data.split_text``); the loss is averaged over
non-overlapping windows of it.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import chainrule as torch
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.data import CharVocab, split_text
from chainrule.data.sampling import sample_logits
from chainrule.data.text import sample_lm_batch
from chainrule.datasets import load_tiny_shakespeare


class CharLSTM(nn.Module):
    """tokens (N, T) → logits (N, T, V) and the LSTM state."""

    def __init__(self, vocab: int, embed: int = 64, hidden: int = 256, layers: int = 1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        out, state = self.lstm(self.embed(tokens), state)
        return self.head(out), state


def evaluate(model, ids: np.ndarray, seq_len: int = 256, batch: int = 64) -> float:
    """Mean cross-entropy (nats per character) over non-overlapping windows of ``ids``."""
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1 : n * seq_len + 1].reshape(n, seq_len)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, n, batch):
            logits, _ = model(torch.tensor(x[i : i + batch]))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   torch.tensor(y[i : i + batch].reshape(-1)), reduction="sum")  # fmt: skip
            total += float(loss)
    model.train()
    return total / (n * seq_len)


def generate(model, vocab: CharVocab, prompt: str, n: int, temperature: float = 0.8,
             top_k: int | None = None, top_p: float | None = None, out=sys.stdout) -> str:  # fmt: skip
    """Continue ``prompt`` by ``n`` characters, writing each to ``out`` as it is drawn."""
    model.eval()
    text = prompt
    out.write(prompt)
    with torch.no_grad():
        logits, state = model(torch.tensor(vocab.encode(prompt)[None]))
        for _ in range(n):
            nxt = sample_logits(logits.numpy()[0, -1], temperature, top_k, top_p)
            ch = vocab.decode([int(nxt)])
            text += ch
            out.write(ch)
            out.flush()
            logits, state = model(torch.tensor(np.array([[int(nxt)]])), state)
    out.write("\n")
    model.train()
    return text


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--max-steps", type=int, default=None, help="stop after N steps at the latest")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-chars", type=int, default=None, help="validate on a prefix only")
    p.add_argument("--sample", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    text = load_tiny_shakespeare()
    train_text, val_text = split_text(text, 0.1)
    vocab = CharVocab(text)
    train_ids, val_ids = vocab.encode(train_text), vocab.encode(val_text)
    if args.eval_chars:
        val_ids = val_ids[: args.eval_chars]
    model = CharLSTM(len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0, step, val = time.time(), 0, float("nan")
    while time.time() - t0 < args.minutes * 60 and step != args.max_steps:
        x, y = sample_lm_batch(train_ids, args.batch_size, args.seq_len)
        logits, _ = model(torch.tensor(x))
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), torch.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % args.eval_every == 0:
            val = evaluate(model, val_ids)
            print(f"step {step}: train loss {float(loss):.3f}  val loss {val:.3f} nats/char  "
                  f"({time.time() - t0:.0f} s)", flush=True)  # fmt: skip
    val = evaluate(model, val_ids)
    tokens = step * args.batch_size * args.seq_len
    print(f"final: {step} steps ({tokens} training characters) in {time.time() - t0:.0f} s; "
          f"val loss {val:.3f} nats/char", flush=True)  # fmt: skip
    for kw in ({"temperature": 0.8}, {"temperature": 1.0, "top_k": 10},
               {"temperature": 1.0, "top_p": 0.9}):  # fmt: skip
        print(f"--- sample {kw}")
        generate(model, vocab, "ROMEO:", args.sample, **kw)
    return {"model": model, "vocab": vocab, "val_loss": val, "steps": step}


if __name__ == "__main__":
    main()
