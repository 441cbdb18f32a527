"""A PyTorch regression loop, as the tutorials write it, on chainrule: ``nn.MSELoss`` and
``optim.SGD(momentum=0.9)`` fitting y = 3x₁ − 2x₂ + 0.5 + noise. Only the imports differ from
PyTorch.

    python examples/pytorch/regression.py
"""

import chainrule as torch
import chainrule.nn as nn
import chainrule.optim as optim
from chainrule.utils.data import DataLoader, TensorDataset


def main(epochs: int = 20):
    torch.manual_seed(0)
    X = torch.randn(512, 2)
    true_w = torch.tensor([[3.0], [-2.0]])
    y = X @ true_w + 0.5 + 0.01 * torch.randn(512, 1)

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    model = nn.Linear(2, 1)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    for epoch in range(epochs):
        running = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.size(0)
        if epoch % 5 == 0:
            print(f"epoch {epoch:2d}  mse {running / len(loader.dataset):.5f}")

    with torch.no_grad():
        final = criterion(model(X), y).item()
    print("weight", model.weight.detach().numpy().round(3), "bias", round(model.bias.item(), 3))
    print(f"final mse {final:.6f}")
    return model, final


if __name__ == "__main__":
    main()
