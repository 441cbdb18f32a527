"""``model.train()`` / ``model.eval()`` with ``BatchNorm1d`` and ``Dropout``, a validation split
by ``random_split``, and a checkpoint dict saved and resumed with ``torch.save`` /
``torch.load`` — written as PyTorch code; only the imports differ.

    python examples/pytorch/train_eval.py
"""

import os
import tempfile

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule.utils.data import DataLoader, TensorDataset, random_split


class MLP(nn.Module):
    def __init__(self, in_features, hidden, classes):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p=0.3),
            nn.Linear(hidden, classes),
        )

    def forward(self, x):
        return self.net(x)


def two_moons(n):
    t = torch.rand(n) * 3.14159
    label = torch.randint(0, 2, (n,))
    x = torch.stack([torch.cos(t) + label * 1.0, torch.sin(t) * (1 - 2 * label) + label * 0.5], 1)
    return x + 0.1 * torch.randn(n, 2), label


def evaluate(model, loader):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
    n = len(loader.dataset)
    return loss / n, correct / n


def main(epochs: int = 30, checkpoint: str | None = None):
    torch.manual_seed(0)
    x, y = two_moons(1000)
    train_set, val_set = random_split(TensorDataset(x, y), [800, 200],
                                      generator=torch.Generator().manual_seed(42))  # fmt: skip
    train_loader = DataLoader(train_set, batch_size=50, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=200)

    model = MLP(2, 32, 2)
    optimizer = optim.AdamW(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    path = checkpoint or os.path.join(tempfile.mkdtemp(), "checkpoint.pt")

    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
        if epoch == epochs // 2:
            torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                        "optimizer_state_dict": optimizer.state_dict(),
                        "scheduler_state_dict": scheduler.state_dict(),
                        "loss": loss.item(), "best_val": float("inf")}, path)  # fmt: skip
    val_loss, val_acc = evaluate(model, val_loader)
    print(f"validation: loss {val_loss:.4f}, accuracy {100 * val_acc:.1f}%")

    # resume from the mid-training checkpoint into fresh objects
    ckpt = torch.load(path, weights_only=True)
    resumed = MLP(2, 32, 2)
    resumed.load_state_dict(ckpt["model_state_dict"])
    opt2 = optim.AdamW(resumed.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["optimizer_state_dict"])
    print(f"resumed at epoch {ckpt['epoch']} (loss {ckpt['loss']:.4f}), "
          f"running_mean[:3] = {resumed.net[1].running_mean[:3].tolist()}")  # fmt: skip
    return model, val_acc, resumed, ckpt


if __name__ == "__main__":
    main()
