"""MLP trainers that run one epoch each, for side-by-side timing.

Every contender trains the same fully connected ReLU network (``sizes`` = [in, hidden..., classes])
with softmax cross-entropy and SGD with momentum (PyTorch's convention: ``v = m·v + g; w -= lr·v``),
from the same initial weights (:func:`benchmarks.common.init_mlp`), over the same float32 arrays,
in order (no shuffling), ``batch`` samples per step. ``epoch()`` runs one pass over the data.

Contenders: ``numpy`` (a hand-written loop with preallocated buffers: the floor for any NumPy
engine), ``torch`` (PyTorch eager), ``keras-torch`` / ``keras-jax`` (Keras 3 ``fit`` on its torch
backend, eager, and on its JAX backend, XLA-compiled), ``sklearn`` (MLPClassifier.partial_fit),
``chainrule-loop`` (the low-level API: Tensor ops, ``loss.backward()``, an optimiser step) and
``chainrule-fit`` (``Model.fit``). ``train(epochs)`` runs that many epochs the way a user of the
library would (one ``fit`` call for the ``fit`` APIs, a loop otherwise); ``epoch()`` is
``train(1)``. These classes only build and train; timing happens in :mod:`benchmarks.mlp`, one
process per contender (:mod:`benchmarks.harness`).
"""

from __future__ import annotations

import numpy as np

from .common import init_mlp


class NumpyLoop:
    """The hand-written floor: forward, softmax cross-entropy, backward and momentum SGD in NumPy.

    Activations, gradients and momentum buffers are allocated once per batch size and reused; the
    momentum update runs over cache-sized blocks (as chainrule's SGD does).
    """

    name = "numpy"
    BLOCK = 1 << 16

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        self.x, self.y, self.batch, self.lr, self.m = (
            x,
            y,
            batch,
            np.float32(lr),
            np.float32(momentum),
        )
        self.params = [(w.copy(), b.copy()) for w, b in init_mlp(sizes, seed)]
        self.vel = [(np.zeros_like(w), np.zeros_like(b)) for w, b in self.params]
        self.grads = [(np.empty_like(w), np.empty_like(b)) for w, b in self.params]
        self.tmp = [(np.empty_like(w), np.empty_like(b)) for w, b in self.params]
        self.sizes = sizes
        self._bufs = {}

    def _buffers(self, n):
        if n not in self._bufs:
            acts = [np.empty((n, s), np.float32) for s in self.sizes[1:]]
            back = [np.empty((n, s), np.float32) for s in self.sizes[1:-1]]
            self._bufs[n] = (acts, back, np.empty((n, max(self.sizes[1:])), bool))
        return self._bufs[n]

    #: set to a clock (e.g. ``time.process_time``) to add each step's forward / backward /
    #: optimizer seconds into :attr:`phase_times` (``benchmarks.phases``); None: not timed
    clock = None

    def step(self, xb, yb):
        clock = self.clock
        if clock is not None:
            t0 = clock()
        n = xb.shape[0]
        acts, back, mask = self._buffers(n)
        a = xb
        last = len(self.params) - 1
        for i, (w, b) in enumerate(self.params):
            z = acts[i]
            np.matmul(a, w, out=z)
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
            a = z
        # softmax cross-entropy gradient, in place on the logits: (softmax - onehot) / n
        g = acts[-1]
        g -= g.max(axis=1, keepdims=True)
        np.exp(g, out=g)
        g /= g.sum(axis=1, keepdims=True)
        g[np.arange(n), yb] -= 1
        g *= np.float32(1.0 / n)
        if clock is not None:
            t1 = clock()
        for i in range(last, -1, -1):
            w, _ = self.params[i]
            gw, gb = self.grads[i]
            a_in = xb if i == 0 else acts[i - 1]
            np.matmul(a_in.T, g, out=gw)
            np.sum(g, axis=0, out=gb)
            if i > 0:
                gp = back[i - 1]
                np.matmul(g, w.T, out=gp)
                mk = mask[:, : gp.shape[1]]
                np.greater(a_in, 0, out=mk)
                np.multiply(gp, mk, out=gp)
                g = gp
        if clock is not None:
            t2 = clock()
        for (w, b), (vw, vb), (gw, gb), (tw, tb) in zip(
            self.params, self.vel, self.grads, self.tmp
        ):
            for p, v, gr, t in ((w, vw, gw, tw), (b, vb, gb, tb)):
                p, v, gr, t = p.reshape(-1), v.reshape(-1), gr.reshape(-1), t.reshape(-1)
                for s in range(0, p.size, self.BLOCK):  # cache-sized blocks: one trip to memory
                    vb_ = v[s : s + self.BLOCK]
                    vb_ *= self.m
                    vb_ += gr[s : s + self.BLOCK]
                    tb_ = t[s : s + self.BLOCK]
                    np.multiply(vb_, self.lr, out=tb_)
                    p[s : s + self.BLOCK] -= tb_
        if clock is not None:
            t3 = clock()
            times = self.phase_times
            times["forward"] += t1 - t0
            times["backward"] += t2 - t1
            times["optimizer"] += t3 - t2

    def epoch(self):
        x, y, b = self.x, self.y, self.batch
        for s in range(0, x.shape[0], b):
            self.step(x[s : s + b], y[s : s + b])

    def train(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch()


class TorchEager:
    """PyTorch eager: nn.Sequential of Linear/ReLU, CrossEntropyLoss, optim.SGD(momentum)."""

    name = "torch"

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        import torch

        layers = []
        for i, (w, b) in enumerate(init_mlp(sizes, seed)):
            lin = torch.nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T.copy()))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        self.torch = torch
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.loss = torch.nn.CrossEntropyLoss()
        self.x, self.y, self.batch = torch.from_numpy(x), torch.from_numpy(y), batch

    def epoch(self):
        x, y, b, model, opt, loss_fn = self.x, self.y, self.batch, self.model, self.opt, self.loss
        for s in range(0, x.shape[0], b):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[s : s + b]), y[s : s + b])
            loss.backward()
            opt.step()

    def train(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch()


class SklearnMLP:
    """scikit-learn's MLPClassifier (solver='sgd', plain momentum, no L2), one partial_fit per epoch."""

    name = "sklearn"

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(
            hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu", solver="sgd",
            learning_rate_init=lr, momentum=momentum, nesterovs_momentum=False, alpha=0.0,
            batch_size=batch, shuffle=False, max_iter=1, random_state=seed,
        )  # fmt: skip
        self.x, self.y, self.classes = x, y, np.arange(sizes[-1])
        self.clf.partial_fit(x[:batch], y[:batch], classes=self.classes)  # builds the layers
        init = init_mlp(sizes, seed)
        for (w, b), cw, cb in zip(init, self.clf.coefs_, self.clf.intercepts_):
            cw[...] = w  # in place: the solver keeps references to these arrays
            cb[...] = b
        for v in self.clf._optimizer.velocities:  # forget the building call's step
            v[...] = 0

    def epoch(self):
        self.clf.partial_fit(self.x, self.y)

    def train(self, epochs: int) -> None:
        for _ in range(epochs):
            self.clf.partial_fit(self.x, self.y)


class ChainruleLoop:
    """chainrule's low-level API: ``ops.linear``, ``ops.relu``, the fused sparse softmax
    cross-entropy, ``loss.backward()`` and ``optim.SGD(momentum=...)``."""

    name = "chainrule-loop"

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        import chainrule as cr
        from chainrule.optim import SGD

        self.ops = cr.ops
        self.Tensor = cr.Tensor
        self.params = []
        for w, b in init_mlp(sizes, seed):
            self.params += [cr.Tensor(w, requires_grad=True), cr.Tensor(b, requires_grad=True)]
        self.opt = SGD(self.params, lr=lr, momentum=momentum)
        self.x, self.y, self.batch = x, y, batch

    def step(self, xb, yb):
        ops, params = self.ops, self.params
        h = self.Tensor(xb)
        last = len(params) // 2 - 1
        for i in range(last + 1):
            h = ops.linear(h, params[2 * i], params[2 * i + 1])
            if i < last:
                h = ops.relu(h)
        loss = ops.sparse_softmax_cross_entropy(h, yb).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def epoch(self):
        x, y, b = self.x, self.y, self.batch
        for s in range(0, x.shape[0], b):
            self.step(x[s : s + b], y[s : s + b])

    def train(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch()


class ChainruleFit:
    """chainrule's ``Model.fit``: ``Sequential`` of ``Dense`` layers (ReLU fused into the layer),
    ``SGD(momentum=...)`` and ``SparseCategoricalCrossentropy(from_logits=True)``, as a Keras user
    writes it: the Keras door's SGD (``v = m·v - lr·g; w += v``, the form the Keras contenders
    run; the same trajectory as PyTorch's at a constant learning rate)."""

    name = "chainrule-fit"

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        import chainrule as cr
        from chainrule.layers import Dense
        from chainrule.losses import SparseCategoricalCrossentropy
        from chainrule.optimizers import SGD

        layers = []
        for i, (w, b) in enumerate(init_mlp(sizes, seed)):
            act = "relu" if i < len(sizes) - 2 else None
            layer = Dense(w.shape[1], activation=act, input_dim=w.shape[0])
            layer.kernel.data[...] = w
            layer.bias.data[...] = b
            layers.append(layer)
        self.model = cr.Sequential(layers)
        self.model.compile(
            optimizer=SGD(learning_rate=lr, momentum=momentum),  # parameters attached by compile
            loss=SparseCategoricalCrossentropy(from_logits=True),
        )
        self.x, self.y, self.batch = x, y, batch

    def kernels(self) -> list:
        return [layer.kernel.data for layer in self.model.layers]

    def epoch(self):
        self.train(1)

    def train(self, epochs: int) -> None:
        """``epochs`` epochs in one ``fit`` call, as a user trains."""
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=epochs, shuffle=False,
                       verbose=0)  # fmt: skip


class KerasFit:
    """Keras 3 ``Sequential`` of ``Dense`` layers, ``SGD(momentum=...)``,
    ``SparseCategoricalCrossentropy(from_logits=True)``, trained with ``fit``.

    The backend comes from ``$KERAS_BACKEND`` (set by the harness): ``torch`` runs eagerly
    (``jit_compile=False``, Keras's own choice there), ``jax`` compiles the train step with XLA
    (``jit_compile=True``). Keras's momentum form ``v = m·v - lr·g; w += v`` is PyTorch's with
    ``v`` scaled by ``-lr``: the same trajectory at a constant learning rate.
    """

    name = "keras"

    def __init__(self, sizes, batch, x, y, lr=0.01, momentum=0.9, seed=0):
        import keras

        keras.utils.set_random_seed(seed)
        init = init_mlp(sizes, seed)
        layers = [keras.Input((sizes[0],))]
        for i, (w, _) in enumerate(init):
            act = "relu" if i < len(init) - 1 else None
            layers.append(keras.layers.Dense(w.shape[1], activation=act))
        self.model = keras.Sequential(layers)
        for layer, (w, b) in zip(self.model.layers, init):
            layer.set_weights([w, b])
        self.model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=momentum),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=keras.backend.backend() == "jax",
        )
        self.x, self.y, self.batch = x, y, batch

    def kernels(self) -> list:
        return [np.asarray(layer.get_weights()[0]) for layer in self.model.layers]

    def epoch(self):
        self.train(1)

    def train(self, epochs: int) -> None:
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=epochs, shuffle=False,
                       verbose=0)  # fmt: skip


#: contender name -> trainer class (built with the same arguments; ``train(epochs)`` runs epochs)
TRAINERS = {
    "chainrule-fit": ChainruleFit,
    "chainrule-loop": ChainruleLoop,
    "torch": TorchEager,
    "keras-torch": KerasFit,
    "keras-jax": KerasFit,
    "sklearn": SklearnMLP,
    "numpy": NumpyLoop,
}
