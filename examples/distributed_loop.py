"""A hand-written training loop, data-parallel: DistributedDataParallel + DistributedSampler.

    mpiexec -n 2 python examples/distributed_loop.py --epochs 2 --subset 10000

As in PyTorch: the sampler gives each rank its share of a seeded permutation (``set_epoch`` draws a
new one each epoch), the wrapper broadcasts rank 0's weights and averages the gradients during
``loss.backward()``, and every rank takes the same optimizer step.
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from chainrule import distributed as dist
from chainrule.data import DataLoader
from chainrule.datasets import load_mnist
from chainrule.layers import Dense
from chainrule.nn import Module
from chainrule.ops import sparse_softmax_cross_entropy


class MLP(Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = Dense(256, activation="relu"), Dense(10)

    def forward(self, x):
        return self.out(self.hidden(x))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="per rank")
    parser.add_argument("--subset", type=int, default=None)
    args = parser.parse_args(argv)

    chainrule.manual_seed(0)
    (x, y), (x_test, y_test) = load_mnist()
    prep = lambda a: a.reshape(len(a), 784).astype(np.float32) / np.float32(255)
    x, y = prep(x[: args.subset]), y[: args.subset].astype(np.int64)
    net = MLP()
    net(chainrule.tensor(x[:1]))  # build the lazy layers before wrapping
    model = dist.DistributedDataParallel(net)
    opt = chainrule.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sampler = dist.DistributedSampler(x, shuffle=True, seed=0)
    loader = DataLoader((x, y), batch_size=args.batch_size, sampler=sampler)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        total = np.zeros(2)  # loss sum, samples: reduced over ranks for the report
        for xb, yb in loader:
            loss = sparse_softmax_cross_entropy(model(chainrule.tensor(xb)), yb).mean()
            opt.zero_grad()
            loss.backward()  # gradients are averaged over the ranks here
            opt.step()
            total += (loss.item() * len(xb), len(xb))
        dist.get_communicator().allreduce(total)
        if dist.is_main_process():
            print(f"epoch {epoch + 1}: mean training loss {total[0] / total[1]:.4f}", flush=True)
    with chainrule.no_grad():
        acc = (net(chainrule.tensor(prep(x_test))).numpy().argmax(1) == y_test).mean()
    if dist.is_main_process():
        print(f"{dist.world_size()} rank(s): test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
