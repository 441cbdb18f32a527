"""A PyTorch classifier: ``nn.Sequential``, ``nn.CrossEntropyLoss``, ``optim.Adam`` and
``OneCycleLR`` stepped per batch, on scikit-learn's digits (8×8 images, 10 classes). Only the
imports differ from PyTorch (the data come from chainrule.datasets instead of torchvision).

    python examples/pytorch/classifier.py
"""

import chainrule as torch
import chainrule.nn as nn
import chainrule.optim as optim
from chainrule.datasets import load_digits
from chainrule.utils.data import DataLoader, TensorDataset


def main(epochs: int = 15):
    torch.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits()
    train_ds = TensorDataset(torch.tensor(x_train / 16.0, dtype=torch.float32),
                             torch.tensor(y_train, dtype=torch.long))  # fmt: skip
    test_ds = TensorDataset(torch.tensor(x_test / 16.0, dtype=torch.float32),
                            torch.tensor(y_test, dtype=torch.long))  # fmt: skip
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=256)

    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1e-2, epochs=epochs, steps_per_epoch=len(train_loader)
    )

    for epoch in range(epochs):
        model.train()
        for inputs, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, lr {scheduler.get_last_lr()[0]:.2e}")

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, labels in test_loader:
            _, predicted = torch.max(model(inputs), 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    accuracy = correct / total
    print(f"test accuracy {100 * accuracy:.2f}%")
    return model, accuracy


if __name__ == "__main__":
    main()
