"""Saving and loading: atomic files, model files (zip of JSON + safetensors), checkpoints that resume
training exactly, and PyTorch weight export. No pickle anywhere. See docs/model-format.md.
"""

from ..custom_objects import custom_object_scope
from .atomic import atomic_open, atomic_write_bytes, atomic_write_text, atomic_write_with
from .checkpoint import BackupAndRestore, read_checkpoint, save_checkpoint
from .container import ModelFileError
from .model_file import NonFiniteWeightsWarning, describe_model_file, load_model, save_model
from .torch_interop import (
    export_torch_state_dict,
    load_torch_weights,
    register_torch_layout,
    save_torch_weights,
)

__all__ = [
    "BackupAndRestore",
    "ModelFileError",
    "NonFiniteWeightsWarning",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "custom_object_scope",
    "describe_model_file",
    "export_torch_state_dict",
    "load_model",
    "load_torch_weights",
    "read_checkpoint",
    "register_torch_layout",
    "save_checkpoint",
    "save_model",
    "save_torch_weights",
]  # fmt: skip
