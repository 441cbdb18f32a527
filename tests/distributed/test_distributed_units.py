"""In-process tests of chainrule.distributed (no launcher: the one-rank communicator)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import distributed as dist
from chainrule.distributed.comm import Communicator, LocalCommunicator
from chainrule.distributed.logs import _merge
from chainrule.distributed.reducer import GradientReducer, GradientSynchronizer
from chainrule.function import queue_backward_callback
from chainrule.layers import Dense
from chainrule.nn import Parameter


# ----------------------------------------------------------------------------- DistributedSampler
@pytest.mark.parametrize("n", [0, 1, 7, 10, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_without_shuffle(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for r in range(replicas):
        ours = dist.DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(
            range(n), replicas, r, shuffle=False, drop_last=drop_last
        )
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shuffled_shares_are_disjoint_and_cover(drop_last):
    n, k = 23, 4
    shares = [
        dist.DistributedSampler(range(n), k, r, seed=3, drop_last=drop_last) for r in range(k)
    ]
    idx = [s.indices() for s in shares]
    assert len({len(i) for i in idx}) == 1
    flat = np.concatenate(idx)
    if drop_last:
        assert len(set(flat.tolist())) == len(flat) == (n // k) * k
    else:
        assert set(flat.tolist()) == set(range(n))  # covering, padded by repeats
        assert len(flat) == -(-n // k) * k
    first = shares[0].indices()
    shares[0].set_epoch(1)
    assert not np.array_equal(first, shares[0].indices())  # a new order per epoch
    again = dist.DistributedSampler(range(n), k, 0, seed=3, drop_last=drop_last)
    again.set_epoch(1)
    assert np.array_equal(again.indices(), shares[0].indices())  # seeded


def test_sampler_defaults_and_errors():
    s = dist.DistributedSampler(range(5))  # rank/size from the job: one rank here
    assert (s.num_replicas, s.rank, s.shuffle, s.seed, s.drop_last) == (1, 0, True, 0, False)
    assert sorted(s) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="invalid rank 2"):
        dist.DistributedSampler(range(5), 2, 2)
    with pytest.raises(ValueError, match="num_replicas must be >= 1"):
        dist.DistributedSampler(range(5), 0, 0)
    with pytest.raises(TypeError, match="rank must be an int"):
        dist.DistributedSampler(range(5), 2, 0.5)
    with pytest.raises(TypeError, match="must have a length"):
        dist.DistributedSampler(iter(range(5)), 2, 0)


# ----------------------------------------------------------------------------- backward hooks
def test_post_accumulate_grad_hook_and_queued_callback():
    w = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    seen, done = [], []

    def hook(t):
        seen.append(t.grad.copy())
        if len(seen) == 1:
            queue_backward_callback(lambda: done.append(len(seen)))

    handle = w.register_post_accumulate_grad_hook(hook)
    ((w * 2).sum() + (w * 3).sum()).backward()  # w is used twice: two accumulations
    assert len(seen) == 2 and done == [2]  # the callback ran once, after both
    np.testing.assert_allclose(seen[-1], [5, 5, 5])
    handle.remove()
    w.grad = None
    (w * 2).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(hook)


# ----------------------------------------------------------------------------- synchroniser
class FakeOtherRank(GradientReducer):
    """Adds a fixed contribution ``other[i]`` to bucket i: a second rank in one process."""

    size = 2

    def __init__(self):
        self.other: list[np.ndarray] = []
        self.started: list[int] = []

    def start(self, buffer):
        i = len(self.started) % len(self.other)
        self.started.append(i)
        buffer += self.other[i]
        return i

    def wait(self, handle) -> None:
        pass


def test_synchronizer_weighted_average_over_buckets():
    rng = np.random.default_rng(0)
    params = [Parameter(rng.normal(size=s).astype(np.float32)) for s in [(4, 3), (3,), (3, 2)]]
    red = FakeOtherRank()
    sync = GradientSynchronizer(params, red, bucket_cap_mb=30 / 2**20)  # 30 bytes: 3 buckets
    assert [len(b.params) for b in sync.buckets] == [1, 1, 1]
    assert sync.buckets[0].params[0] is params[-1]  # reverse order: backward's order
    grads = [rng.normal(size=p.shape).astype(np.float32) for p in params]
    other = [rng.normal(size=p.shape).astype(np.float32) for p in params]
    red.other = [np.append(o.ravel(), [7.0, 0.0]).astype(np.float32) for o in reversed(other)]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    sync.begin(5.0)
    sync.finish()
    for p, g, o in zip(params, grads, other):
        np.testing.assert_allclose(p.grad, (5 * g + o) / 12, rtol=1e-6)
        assert p.grad.dtype == np.float32


def test_synchronizer_starts_buckets_during_backward_in_order():
    x = cr.tensor(np.ones((2, 3), np.float32))
    w1 = Parameter(np.full((3, 3), 0.5, np.float32))
    w2 = Parameter(np.full((3, 1), 0.5, np.float32))
    red = FakeOtherRank()
    red.other = [np.zeros(5, np.float32), np.zeros(11, np.float32)]
    sync = GradientSynchronizer([w1, w2], red, bucket_cap_mb=12 / 2**20)
    events = []
    orig = red.start
    red.start = lambda buf: events.append(("start", buf.size)) or orig(buf)
    for step in range(2):
        sync.begin(1.0)
        loss = ((x @ w1).relu() @ w2).sum()
        loss.backward(retain_graph=False)
        events.append(("backward done", None))
        sync.finish()
    # step 1 learns the counts (nothing starts early); step 2 starts bucket 0 (w2, the last
    # layer) during backward; the last bucket always starts in finish()
    assert events[:3] == [("backward done", None), ("start", 5), ("start", 11)]
    assert events[3:] == [("start", 5), ("backward done", None), ("start", 11)]


def test_synchronizer_recovers_when_a_gradient_arrives_late():
    p = Parameter(np.ones(3, np.float32))
    q = Parameter(np.ones(2, np.float32))
    red = FakeOtherRank()
    red.other = [np.zeros(5, np.float32), np.zeros(4, np.float32)]
    sync = GradientSynchronizer([q, p], red, bucket_cap_mb=12 / 2**20)  # buckets: [p], [q]
    assert [b.params[0] for b in sync.buckets] == [p, q]
    sync.begin(1.0)
    ((p * 2).sum() + q.sum()).backward()
    sync.finish()
    assert len(red.started) == 2
    p.grad = q.grad = None
    sync.begin(1.0)
    ((p * 2).sum() + q.sum() + (p * 3).sum()).backward()  # p used twice: its bucket left early
    sync.finish()
    np.testing.assert_allclose(p.grad, [5, 5, 5])
    np.testing.assert_allclose(q.grad, [1, 1])
    assert len(red.started) == 6  # step 2, then both buckets again
    p.grad = q.grad = None
    sync.begin(1.0)
    ((p * 2).sum() + q.sum() + (p * 3).sum()).backward()
    sync.finish()
    np.testing.assert_allclose(p.grad, [5, 5, 5])
    assert len(red.started) == 8  # the new count was learned: no second pass


def test_synchronizer_bad_bucket_cap():
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        GradientSynchronizer([Parameter(np.ones(2, np.float32))], FakeOtherRank(), 0)


# ----------------------------------------------------------------------------- fit on one rank
def _model():
    cr.manual_seed(0)
    m = cr.Sequential([Dense(5, activation="relu"), Dense(2, activation="softmax")])
    m.compile(cr.optim.SGD(lr=0.1, momentum=0.9), "sparse_categorical_crossentropy",
              metrics=["accuracy"])  # fmt: skip
    return m


def test_fit_distributed_on_one_rank_equals_plain_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    a, b = _model(), _model()
    cr.manual_seed(1)
    ha = a.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.2)
    cr.manual_seed(1)
    hb = b.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.2, distributed=True)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)
    assert ha.history.keys() == hb.history.keys()
    for k in ha.history:
        np.testing.assert_allclose(ha.history[k], hb.history[k], rtol=1e-6)
    # after fit the hooks are gone: a plain backward does not touch the synchroniser
    assert all("_post_accumulate_hooks" not in p.__dict__ for p in b.parameters())


def test_fit_distributed_bad_values():
    m = _model()
    x, y = np.zeros((4, 4), np.float32), np.zeros(4, np.int64)
    with pytest.raises(TypeError, match="distributed must be True"):
        m.fit(x, y, distributed="yes", verbose=0)
    with pytest.raises(ValueError, match="bucket_cap_mb must be > 0"):
        dist.DataParallel(bucket_cap_mb=-1)
    with pytest.raises(TypeError, match="sync_batchnorm must be a bool"):
        dist.DataParallel(sync_batchnorm="yes")


def test_sync_batchnorm_on_one_rank_matches_batchnorm():
    from chainrule.layers import BatchNormalization as BatchNorm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32) * 3 + 1
    y = rng.normal(size=(64, 2)).astype(np.float32)

    def make():
        cr.manual_seed(0)
        m = cr.Sequential([Dense(6), BatchNorm(), Dense(2)])
        m.compile(cr.optim.SGD(lr=0.05, momentum=0.9), "mse")
        return m

    a, b = make(), make()
    cr.manual_seed(2)
    a.fit(x, y, batch_size=16, epochs=2, verbose=0)
    cr.manual_seed(2)
    b.fit(x, y, batch_size=16, epochs=2, verbose=0,
          distributed=dist.DataParallel(sync_batchnorm=True))  # fmt: skip
    for u, v in zip(a.get_weights(), b.get_weights()):  # running statistics included
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    assert type(b.layers[1]) is BatchNorm  # converted back after fit


# ----------------------------------------------------------------------------- DDP wrapper
def test_ddp_checks_its_module():
    with pytest.raises(TypeError, match="must be a chainrule Module"):
        dist.DistributedDataParallel(object())
    with pytest.raises(ValueError, match="no trainable parameters yet"):
        dist.DistributedDataParallel(Dense(3))


def test_ddp_on_one_rank_is_the_module():
    cr.manual_seed(0)
    net = Dense(3)
    x = cr.tensor(np.ones((4, 2), np.float32))
    net(x)
    ddp = dist.DistributedDataParallel(net)
    assert [n for n, _ in ddp.named_parameters()] == ["module.kernel", "module.bias"]
    ddp(x).sum().backward()
    np.testing.assert_allclose(net.kernel.grad, np.full((2, 3), 4.0))
    with cr.no_grad():  # evaluation forwards do not arm the reduction
        ddp(x)


# ----------------------------------------------------------------------------- logs and comm
def test_merge_rules():
    assert _merge([None, None]) is None
    assert _merge([1.5, None, 2]) == 3.5
    assert _merge([[1], [2, 3]]) == [1, 2, 3]
    a, b = np.ones((2, 2)), np.ones((3, 3))
    m = _merge([a, b])
    assert m.shape == (3, 3) and m[0, 0] == 2 and m[2, 2] == 1


def test_wait_raises_collective_timeout_naming_the_rank():
    comm = object.__new__(Communicator)
    comm.rank, comm.size, comm.timeout = 3, 4, 0.05

    class Never:
        def Test(self):  # mpi4py's name
            return False

    with pytest.raises(dist.CollectiveTimeout, match=r"rank 3 of 4: gradient allreduce did not"):
        comm.wait(Never(), "gradient allreduce")


def test_local_communicator_and_env_timeout(monkeypatch):
    c = LocalCommunicator()
    buf = np.arange(3.0)
    assert c.allreduce(buf) is buf and c.allgather_object("x") == ["x"]
    assert dist.world_size() >= 1 and dist.is_main_process() == (dist.rank() == 0)
    from chainrule.distributed.comm import _default_timeout

    monkeypatch.setenv("CHAINRULE_DIST_TIMEOUT", "abc")
    with pytest.raises(ValueError, match="CHAINRULE_DIST_TIMEOUT"):
        _default_timeout()
    monkeypatch.setenv("CHAINRULE_DIST_TIMEOUT", "-1")
    with pytest.raises(ValueError, match="> 0"):
        _default_timeout()


def test_dataloader_takes_a_distributed_sampler():
    from chainrule.data import DataLoader

    x = np.arange(10, dtype=np.float32)[:, None]
    sampler = dist.DistributedSampler(x, num_replicas=3, rank=1, shuffle=False)
    loader = DataLoader((x,), batch_size=2, sampler=sampler)
    assert len(loader) == 2  # 4 indices (10 padded to 12, every 3rd from 1)
    got = np.concatenate([b[0][:, 0] for b in loader])
    np.testing.assert_array_equal(got, [1, 4, 7, 0])  # index 0 repeats as padding, as in torch
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader((x,), batch_size=2, sampler=sampler, shuffle=True)
    with pytest.raises(TypeError, match="sampler must be an iterable"):
        DataLoader((x,), batch_size=2, sampler=5)


def test_sync_batchnorm_model_saves_as_plain_batchnorm(tmp_path):
    from chainrule.layers import BatchNormalization as BatchNorm

    cr.manual_seed(0)
    m = cr.Sequential([Dense(4), BatchNorm(), Dense(2)])
    m(cr.tensor(np.ones((3, 3), np.float32)))
    ctx = type("Ctx", (), {"comm": LocalCommunicator(), "weight": 1.0})()
    assert dist.convert_sync_batchnorm(m, ctx) == 1
    assert type(m.layers[1]) is not BatchNorm and isinstance(m.layers[1], BatchNorm)
    m.save(tmp_path / "m.zip")  # e.g. a checkpoint written mid-training
    loaded = cr.load_model(tmp_path / "m.zip")
    assert type(loaded.layers[1]) is BatchNorm
    dist.restore_batchnorm(m)
    assert type(m.layers[1]) is BatchNorm


def test_a_failed_backward_leaves_no_stale_finish():
    from chainrule import function

    p = Parameter(np.ones(3, np.float32))
    red = FakeOtherRank()
    red.other = [np.zeros(5, np.float32)]
    sync = GradientSynchronizer([p], red)
    sync.auto_finish = True

    class Boom(cr.Function):
        def forward(self, a):
            return a.copy()

        def backward(self, g):
            raise ArithmeticError("boom")

    sync.begin(1.0)
    with pytest.raises(ArithmeticError):
        Boom.apply(p * 2).sum().backward()  # fails before p's gradient arrives
    p.grad = None
    sync.begin(1.0)
    (p * 2).sum().backward()
    assert function._queued_callbacks == []
    np.testing.assert_allclose(p.grad, [2, 2, 2])
    # a failure after the hook queued the finish (p * 2 is newer, so backward reaches it first)
    sync.begin(1.0)
    x = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    boom = Boom.apply(x).sum() * 0
    with pytest.raises(ArithmeticError):
        ((p * 2).sum() + boom).backward()
    assert function._queued_callbacks == [sync.finish]
    p.grad = None
    sync.begin(1.0)
    (p * 3).sum().backward()
    assert function._queued_callbacks == []
    np.testing.assert_allclose(p.grad, [3, 3, 3])
