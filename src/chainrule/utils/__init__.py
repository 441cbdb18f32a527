"""Utilities. ``chainrule.utils.data``: PyTorch's Dataset / DataLoader API."""

from . import data

__all__ = ["data"]
