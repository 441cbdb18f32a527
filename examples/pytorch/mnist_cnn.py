"""PyTorch's basic MNIST example (pytorch/examples, mnist/main.py) — the convolutional network —
on chainrule's PyTorch door.

The network below is written as in the PyTorch example: Conv2d(1, 32, 3) → ReLU →
Conv2d(32, 64, 3) → ReLU → max_pool2d(2) → Dropout(0.25) → Linear(9216, 128) → ReLU →
Dropout(0.5) → Linear(128, 10) → log_softmax. The data, training and test loops and the command
line are the same as the example's MLP variant, so they are imported from ``mnist.py`` next to this
file: ``F.nll_loss``, Adadelta(lr=1.0) with ``StepLR(step_size=1, gamma=0.7)`` stepped per epoch,
batch 64, 14 epochs, chainrule's checksummed MNIST loader normalised as
``transforms.Normalize((0.1307,), (0.3081,))`` does.

    python examples/pytorch/mnist_cnn.py                          # the example: 14 epochs
    python examples/pytorch/mnist_cnn.py --epochs 1 --subset 2000 --test-subset 1000
"""

import os
import sys

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnist  # the MLP variant next to this file: data, train/test loops, command line


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def main(argv=None):
    return mnist.main(argv, net=Net)


if __name__ == "__main__":
    main()
