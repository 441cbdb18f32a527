"""``chainrule.utils.data`` (PyTorch's ``torch.utils.data`` names): datasets and loaders."""

from ..data import DataLoader, Dataset, Subset, TensorDataset

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset"]
