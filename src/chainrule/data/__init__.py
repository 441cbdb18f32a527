"""The data pipeline: datasets, the DataLoader, array transforms, augmentation and text tools."""

from .augment import random_crop, random_flip_horizontal, random_shift
from .dataset import Dataset, Subset, TensorDataset, collate, fetch_batch
from .loader import DataLoader
from .text import (
    BOS,
    EOS,
    PAD,
    SPECIALS,
    UNK,
    CharVocab,
    WordVocab,
    length_buckets,
    lm_sequences,
    pad_sequences,
    sample_lm_batch,
    split_text,
)
from .transforms import Standardizer, one_hot, scale_to_unit, split_indices, train_val_split

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIALS",
    "UNK",
    "CharVocab",
    "DataLoader",
    "Dataset",
    "Standardizer",
    "Subset",
    "TensorDataset",
    "WordVocab",
    "collate",
    "fetch_batch",
    "length_buckets",
    "lm_sequences",
    "one_hot",
    "pad_sequences",
    "random_crop",
    "random_flip_horizontal",
    "random_shift",
    "sample_lm_batch",
    "scale_to_unit",
    "split_indices",
    "split_text",
    "train_val_split",
]
