"""Neural machine translation with a sequence-to-sequence Transformer (issue 13).

- :func:`build_translator` (model.py): the functional encoder–decoder model, saved and loaded like
  any chainrule model; :class:`Seq2Seq` splits it for decoding.
- :func:`greedy_decode`, :func:`beam_search` (search.py): batched decoding for any next-token model.
- :class:`Translator` (translator.py): sentences → translations with the model's saved text
  preprocessing (``chainrule translate MODEL "I am hungry."``).
- training.py: vocabularies, the training loop and sacrebleu's corpus BLEU.
"""

from .model import Seq2Seq, build_translator
from .search import beam_search, greedy_decode
from .translator import Translator

__all__ = ["Seq2Seq", "Translator", "beam_search", "build_translator", "greedy_decode"]
