"""PyTorch's basic MNIST example (pytorch/examples, mnist/main.py), MLP variant, on chainrule.

Everything below the imports is written as in the PyTorch example: an ``nn.Module`` with fc1/fc2,
``F.relu``, ``F.log_softmax`` + ``F.nll_loss``, Adadelta(lr=1.0) with ``StepLR(step_size=1,
gamma=0.7)`` stepped per epoch, a ``torch.no_grad()`` test loop, and ``torch.save`` of the state
dict. Only the imports changed, and the data come from chainrule's checksummed MNIST loader (no
torchvision) normalised as ``transforms.Normalize((0.1307,), (0.3081,))`` does.

    python examples/pytorch/mnist.py --epochs 1 --subset 6000 --save-model
"""

import argparse

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule.datasets import load_mnist
from chainrule.optim.lr_scheduler import StepLR
from chainrule.utils.data import DataLoader, TensorDataset


def mnist_datasets(subset=None, test_subset=None):
    """(train, test) TensorDatasets of (N, 1, 28, 28) normalised images and int64 labels."""
    (x_train, y_train), (x_test, y_test) = load_mnist()

    def prepare(x, y, n):
        x = ((x[:n].astype("float32") / 255.0) - 0.1307) / 0.3081
        return TensorDataset(torch.from_numpy(x.reshape(-1, 1, 28, 28)), torch.from_numpy(y[:n]))

    return prepare(x_train, y_train, subset), prepare(x_test, y_test, test_subset)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(784, 128)
        self.dropout = nn.Dropout(0.25)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(
                "Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch,
                    batch_idx * len(data),
                    len(train_loader.dataset),
                    100.0 * batch_idx / len(train_loader),
                    loss.item(),
                )
            )
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print(
        "\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n".format(
            test_loss, correct, len(test_loader.dataset), 100.0 * correct / len(test_loader.dataset)
        )
    )
    return test_loss, correct / len(test_loader.dataset)


def main(argv=None, net=None):
    """The example's command line; ``net`` is the model class (default: this file's MLP ``Net``;
    mnist_cnn.py passes its convolutional one)."""
    # Training settings
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N")
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N")
    parser.add_argument("--epochs", type=int, default=14, metavar="N")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M")
    parser.add_argument("--no-accel", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N")
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--subset", type=int, default=None, help="first N training images")
    parser.add_argument("--test-subset", type=int, default=None, help="first N test images")
    parser.add_argument("--model-path", default="mnist_cnn.pt")
    args = parser.parse_args(argv)

    use_accel = not args.no_accel and torch.accelerator.is_available()

    torch.manual_seed(args.seed)

    if use_accel:
        device = torch.accelerator.current_accelerator()
    else:
        device = torch.device("cpu")

    train_kwargs = {"batch_size": args.batch_size}
    test_kwargs = {"batch_size": args.test_batch_size}
    if use_accel:
        accel_kwargs = {"num_workers": 1, "pin_memory": True, "shuffle": True}
        train_kwargs.update(accel_kwargs)
        test_kwargs.update(accel_kwargs)

    dataset1, dataset2 = mnist_datasets(args.subset, args.test_subset)
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = (Net if net is None else net)().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        result = test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), args.model_path)
    return model, result


if __name__ == "__main__":
    main()
