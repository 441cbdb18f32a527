"""Run under mpiexec by test_distributed.py: a hand-written loop with DistributedDataParallel and
DistributedSampler vs. the same loop in one process on the whole global batches."""

import numpy as np

import chainrule as cr
from chainrule import distributed as dist
from chainrule.layers import BatchNormalization as BatchNorm
from chainrule.layers import Dense
from chainrule.nn import Module
from chainrule.ops import sparse_softmax_cross_entropy

N, D, K, B = 96, 10, 4, 16  # B: global batch, B/2 per rank


class Net(Module):
    def __init__(self, bn=False):
        super().__init__()
        self.fc1, self.fc2 = Dense(16), Dense(K)  # Keras-style (units): built lazily
        self.bn = BatchNorm(momentum=0.9) if bn else None

    def forward(self, x):
        h = self.fc1(x)
        if self.bn is not None:
            h = self.bn(h)
        return self.fc2(h.relu())


def make(bn=False):
    cr.manual_seed(7)
    net = Net(bn)
    net.eval()
    net(cr.tensor(np.zeros((1, D), np.float32)))  # build the lazy layers
    net.train()
    return net


def step(model, opt, x, y, idx_groups):
    """One optimizer step; ``idx_groups``: micro-batches whose gradients are accumulated."""
    opt.zero_grad()
    for i, idx in enumerate(idx_groups):
        loss = sparse_softmax_cross_entropy(model(cr.tensor(x[idx])), y[idx]).mean()
        loss.backward()
    opt.step()


def main():
    comm = dist.get_communicator()
    r, size = comm.rank, comm.size
    rng = np.random.default_rng(3)
    x = rng.normal(size=(N, D)).astype(np.float32)
    y = rng.integers(0, K, N)

    ref = make()
    ref_opt = cr.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    net = make()
    net.fc1.kernel.data += r  # ranks start different: DDP must broadcast rank 0's weights
    model = dist.DistributedDataParallel(net, bucket_cap_mb=2e-4)  # 200 B: a bucket per tensor
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sampler = dist.DistributedSampler(np.arange(N), shuffle=True, seed=5)
    half = B // size
    for epoch in range(2):
        sampler.set_epoch(epoch)
        mine = sampler.indices()
        every = [dist.DistributedSampler(np.arange(N), size, q, seed=5) for q in range(size)]
        for s in every:
            s.set_epoch(epoch)
        parts = [s.indices() for s in every]
        for k in range(len(mine) // half):
            local = mine[k * half : (k + 1) * half]
            glob = np.concatenate([p[k * half : (k + 1) * half] for p in parts])
            step(model, opt, x, y, [local])
            step(ref, ref_opt, x, y, [glob])
    for (name, a), b in zip(ref.named_parameters(), net.parameters()):
        assert np.allclose(a.data, b.data, rtol=2e-5, atol=2e-6), (
            name,
            np.abs(a.data - b.data).max(),
        )
    if r == 0:
        print("OK ddp weights", flush=True)

    # gradient accumulation: the first micro-batch under no_sync, the second reduced
    idx = np.arange(N)
    for k in range(3):
        glob = idx[k * B : (k + 1) * B]
        mine = glob.reshape(size, -1)[r]
        micro = [mine[: len(mine) // 2], mine[len(mine) // 2 :]]
        opt.zero_grad()
        with model.no_sync():
            sparse_softmax_cross_entropy(
                model(cr.tensor(x[micro[0]])), y[micro[0]]
            ).mean().backward()
        sparse_softmax_cross_entropy(model(cr.tensor(x[micro[1]])), y[micro[1]]).mean().backward()
        opt.step()
        gm = glob.reshape(size, 2, -1)
        step(ref, ref_opt, x, y, [gm[:, 0].ravel(), gm[:, 1].ravel()])
    for a, b in zip(ref.parameters(), net.parameters()):
        assert np.allclose(a.data, b.data, rtol=2e-5, atol=2e-6), np.abs(a.data - b.data).max()
    if r == 0:
        print("OK ddp no_sync accumulation", flush=True)

    # the graph changes: two forwards per step, so every gradient arrives twice (after its bucket
    # left); the ranks notice it from the last bucket's flag and reduce again
    def twice(m, o, idx):
        o.zero_grad()
        xb = cr.tensor(x[idx])
        loss = sparse_softmax_cross_entropy(m(xb), y[idx]).mean() + (m(xb) ** 2).mean() * 0.1
        loss.backward()
        o.step()

    for k in range(3):
        glob = idx[k * B : (k + 1) * B]
        twice(model, opt, glob.reshape(size, -1)[r])
        twice(ref, ref_opt, glob)
    for a, b in zip(ref.parameters(), net.parameters()):
        assert np.allclose(a.data, b.data, rtol=2e-5, atol=2e-6), np.abs(a.data - b.data).max()
    if r == 0:
        print("OK ddp changed graph", flush=True)

    # synchronised BatchNorm: the statistics of the global batch, as in one process
    ref, net = make(bn=True), make(bn=True)
    ref_opt = cr.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    model = dist.DistributedDataParallel(net, sync_batchnorm=True)
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for k in range(4):
        glob = idx[k * B : (k + 1) * B]
        step(model, opt, x, y, [glob.reshape(size, -1)[r]])
        step(ref, ref_opt, x, y, [glob])
    for (name, a), b in zip(ref.state_dict().items(), net.state_dict().values()):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-5), (name, np.abs(a - b).max())
    if r == 0:
        print("OK ddp sync batchnorm", flush=True)


if __name__ == "__main__":
    main()
