"""Generative models and their tools; see the submodules (``grids``: PNG image grids)."""

from .grids import image_grid, save_image_grid

__all__ = ["image_grid", "save_image_grid"]
