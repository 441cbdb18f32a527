"""Text generation from a saved or freshly trained language model, one token at a time.

``generate_text(model, spec, prompt, max_new_tokens, ...)`` continues ``prompt`` with tokens drawn
by :func:`chainrule.data.sampling.sample_logits` (temperature, top-k, top-p; the library generator,
so ``chainrule.manual_seed`` repeats a run), handing each new token's text to ``on_token`` as soon
as it is drawn (``chainrule generate`` prints and flushes it: the text streams).

``spec`` is the model's ``"text"`` preprocessing object (:mod:`chainrule.io.text_preprocessing`):
its vocabulary maps ids to text and its ``context_length`` bounds what the model sees.

Two ways to run the model:

- a stack of per-time-step layers around recurrent ones (``Embedding`` → ``LSTM``/``GRU``/
  ``SimpleRNN`` … → ``Dense``, a char-LSTM) is stepped with its recurrent state carried: the
  prompt is read once, then each new token costs one time step;
- any other model (a GPT: positions, causal attention) is run on the last ``context_length``
  tokens for every new token, and the logits at the last position are sampled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..function import no_grad
from ..io.text_preprocessing import decode, encode
from ..tensor import Tensor
from .sampling import check_sampling_options, sample_logits

#: Layers that act on each time step alone (they pass a recurrent state through untouched).
_PER_STEP = ("Embedding", "Dense", "Dropout", "LayerNormalization", "Activation")
_RECURRENT = ("LSTM", "GRU", "SimpleRNN")


class _RecurrentStepper:
    """Runs a Sequential of per-step and recurrent layers one chunk at a time, keeping the
    recurrent layers' states between chunks (their twins return states; weights are shared)."""

    def __init__(self, model):
        from ..layers import LAYERS

        self.layers = []
        for layer in model.layers:
            name = type(layer).__name__
            if name in _RECURRENT:
                cfg = {**layer.get_config(), "return_state": True, "return_sequences": True,
                       "go_backwards": False}  # fmt: skip
                twin = LAYERS[name].from_config(cfg)
                twin.eval()
                with no_grad():
                    twin(Tensor(np.zeros((1, 1, layer.input_dim), dtype=layer.kernel.dtype)))
                twin.load_state_dict(layer.state_dict())
                self.layers.append(("rnn", twin))
            else:
                self.layers.append(("step", layer))
        self.states: list = [None] * len(self.layers)

    @staticmethod
    def fits(model) -> bool:
        layers = getattr(model, "layers", None)
        if not layers or type(model).__name__ != "Sequential":
            return False
        names = [type(layer).__name__ for layer in layers]
        return (
            any(n in _RECURRENT for n in names)
            and all(n in _PER_STEP or n in _RECURRENT for n in names)
            and not any(getattr(lay, "go_backwards", False) for lay in layers)
            and all(getattr(lay, "return_sequences", True) for lay in layers)
        )

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        """ids (1, T) → logits of the last step (V,)."""
        x = Tensor(ids)
        for i, (kind, layer) in enumerate(self.layers):
            if kind == "rnn":
                x, *self.states[i] = layer(x, initial_state=self.states[i])
            else:
                x = layer(x)
        return np.asarray(x.data)[0, -1]


def generate_text(model, spec: dict, prompt: str, max_new_tokens: int, *,
                  temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                  on_token: Callable[[str], None] | None = None) -> str:  # fmt: skip
    """``prompt`` followed by ``max_new_tokens`` sampled tokens (their text; the prompt is not
    repeated). ValueError for a prompt with characters (words) outside the vocabulary, naming them,
    or an empty prompt."""
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) or (
            max_new_tokens < 0):  # fmt: skip
        raise ValueError(f"generate_text: max_new_tokens must be an int >= 0, got "
                         f"{max_new_tokens!r}")  # fmt: skip
    ids = encode(prompt, spec)
    if ids.size == 0:
        raise ValueError(
            "generate_text: the prompt is empty; give at least one token to start from"
        )
    check_sampling_options(temperature, top_k, top_p, "generate_text")
    context = spec["context_length"]
    stepper = _RecurrentStepper(model) if _RecurrentStepper.fits(model) else None
    was_training = getattr(model, "training", False)
    model.eval()
    pieces = []
    try:
        with no_grad():
            if stepper is not None:
                logits = stepper(ids[None])
            history = list(ids.tolist())
            for _ in range(int(max_new_tokens)):
                if stepper is None:
                    window = np.array(history[-context:], dtype=np.int64)[None]
                    logits = np.asarray(model(Tensor(window)).data)[0, -1]
                nxt = int(sample_logits(logits, temperature, top_k, top_p))
                history.append(nxt)
                piece = decode([nxt], spec, skip_specials=False)
                if spec["tokenizer"] == "word":
                    piece = " " + piece
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)
                if stepper is not None:
                    logits = stepper(np.array([[nxt]], dtype=np.int64))
    finally:
        model.train(was_training)
    return "".join(pieces)
