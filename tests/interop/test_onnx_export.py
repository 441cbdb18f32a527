"""chainrule.onnx.export: each supported layer/op run in onnxruntime equals chainrule to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import layers, nn, ops

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from chainrule.onnx import UnsupportedOpError, export


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _param(*shape, seed=1):
    return nn.Parameter(cr.Tensor(_rand(*shape, seed=seed) * 0.5))


def _check(model, x, tmp_path, other_batch=True, opset=17, **kw):
    """Export, run in onnxruntime on x and on a different batch size; compare with chainrule."""
    path = tmp_path / "m.onnx"
    export(model, x, path, opset_version=opset, **kw)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    xs = [x]
    if other_batch:
        xs.append(np.concatenate([x, x[:1] * 0.5 if x.dtype.kind == "f" else x[:1]]))
    for xi in xs:
        got = sess.run(None, {"input": xi})[0]
        if hasattr(model, "eval"):
            model.eval()
        want = model(cr.Tensor(xi)).numpy()
        assert got.shape == want.shape
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def _keras(*stack, shape=(6,)):
    return cr.models.Sequential([layers.Input(shape), *stack])


KERAS_LAYERS = {
    "dense": lambda: _keras(layers.Dense(5)),
    "dense_relu": lambda: _keras(layers.Dense(5, activation="relu")),
    "dense_nobias_tanh": lambda: _keras(layers.Dense(5, use_bias=False, activation="tanh")),
    "batchnorm": lambda: _keras(layers.Dense(5), layers.BatchNormalization()),
    "layernorm": lambda: _keras(layers.LayerNormalization()),
    "dropout": lambda: _keras(layers.Dropout(0.5), layers.Dense(3)),
    "flatten": lambda: _keras(layers.Flatten(), layers.Dense(3), shape=(2, 3)),
    "reshape": lambda: _keras(layers.Reshape((3, 2)), shape=(6,)),
    "rescaling": lambda: _keras(layers.Rescaling(1 / 255.0, offset=-0.5)),
    "normalization": lambda: _keras(layers.Normalization(mean=0.5, variance=2.0)),
}
ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "gelu",
               "silu", "softplus", "softsign", "hard_sigmoid", "hard_silu", "leaky_relu",
               "linear"]  # fmt: skip
ACT_LAYERS = {
    "ReLU": lambda: layers.ReLU(),
    "LeakyReLU": lambda: layers.LeakyReLU(negative_slope=0.2),
    "ELU": lambda: layers.ELU(),
    "Softmax": lambda: layers.Softmax(),
}


@pytest.mark.parametrize("name", sorted(KERAS_LAYERS))
def test_keras_layer(name, tmp_path):
    cr.manual_seed(0)
    model = KERAS_LAYERS[name]()
    shape = (2, 3) if name == "flatten" else (6,)
    x = _rand(4, *shape)
    model(x)
    _check(model, x, tmp_path)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_keras_activation(act, tmp_path):
    cr.manual_seed(0)
    model = _keras(layers.Activation(act))
    _check(model, _rand(4, 6) * 3, tmp_path)


@pytest.mark.parametrize("name", sorted(ACT_LAYERS))
def test_keras_activation_layers(name, tmp_path):
    _check(_keras(ACT_LAYERS[name]()), _rand(4, 6) * 3, tmp_path)


@pytest.mark.parametrize(
    "merge", ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
)
def test_keras_merge_functional(merge, tmp_path):
    cr.manual_seed(0)
    inp = layers.Input((6,))
    a, b = layers.Dense(4)(inp), layers.Dense(4, activation="relu")(inp)
    out = layers.Dense(2)(getattr(layers, merge)()([a, b]))
    model = cr.models.Model(inp, out)
    _check(model, _rand(3, 6), tmp_path)


def test_keras_model_export_method(tmp_path):
    cr.manual_seed(0)
    model = _keras(layers.Dense(8, activation="relu"), layers.Dense(3))
    model.export(tmp_path / "k.onnx")
    sess = ort.InferenceSession(str(tmp_path / "k.onnx"))
    x = _rand(9, 6)
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], model(x).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="format"):
        model.export(tmp_path / "k", format="tf_saved_model")


TORCH_MODULES = {
    "linear": lambda: nn.Linear(6, 4),
    "linear_nobias": lambda: nn.Linear(6, 4, bias=False),
    "sequential_mlp": lambda: nn.Sequential(
        nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3), nn.Softmax(dim=1)
    ),
    "batchnorm1d": lambda: nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5)),
    "layernorm": lambda: nn.LayerNorm(6),
    "flatten": lambda: nn.Sequential(nn.Flatten(), nn.Linear(6, 2)),
    "activations": lambda: nn.Sequential(
        nn.Tanh(),
        nn.Sigmoid(),
        nn.GELU(),
        nn.SiLU(),
        nn.ELU(),
        nn.LeakyReLU(0.1),
        nn.Softplus(),
        nn.LogSoftmax(dim=-1),
    ),
    "more_activations": lambda: nn.Sequential(
        nn.Mish(), nn.ReLU6(), nn.Hardtanh(-0.5, 0.7), nn.SELU(), nn.Identity(), nn.Softmax(dim=1)
    ),
    "unflatten": lambda: nn.Sequential(nn.Linear(6, 8), nn.Unflatten(1, (2, 4)), nn.Flatten()),
}


@pytest.mark.parametrize("name", sorted(TORCH_MODULES))
def test_torch_module(name, tmp_path):
    cr.manual_seed(0)
    model = TORCH_MODULES[name]()
    if "batchnorm" in name:  # non-trivial running statistics
        model.train()
        model(cr.Tensor(_rand(16, 6, seed=3)))
    model.eval()
    _check(model, _rand(4, 6), tmp_path)


def test_batchnorm2d_channels_first(tmp_path):
    cr.manual_seed(0)
    model = nn.BatchNorm2d(3)
    model(cr.Tensor(_rand(8, 3, 4, 4, seed=2)))
    model.eval()
    _check(model, _rand(2, 3, 4, 4), tmp_path)


class _Subclassed(nn.Module):
    """A user module with arbitrary tensor code in forward: traced through its ops."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(6, 5), nn.Linear(6, 5)

    def forward(self, x):
        h = self.a(x).relu() * self.b(x).sigmoid() + 1.0
        h = h / (h.abs() + 2) - h.mean(axis=1, keepdims=True)
        return cr.cat([h.exp(), h[:, 1:3] ** 2, h.max(axis=1, keepdims=True)], 1)


def test_subclassed_module(tmp_path):
    cr.manual_seed(0)
    _check(_Subclassed(), _rand(4, 6), tmp_path)


def test_torch_door_onnx_export_signature(tmp_path):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU())
    path = tmp_path / "t.onnx"
    cr.onnx.export(model, (cr.Tensor(_rand(2, 6)),), str(path), input_names=["x"],
                   output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}},
                   opset_version=18, export_params=True, do_constant_folding=True,
                   dynamo=False)  # fmt: skip
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 18
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    sess = ort.InferenceSession(str(path))
    x = _rand(5, 6)
    np.testing.assert_allclose(sess.run(["y"], {"x": x})[0], model(cr.Tensor(x)).numpy(), atol=1e-5)


def test_static_shapes_without_dynamic_batch(tmp_path):
    model = nn.Linear(6, 2)
    proto = export(model, _rand(3, 6), None, dynamic_batch=False)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 3


# ---- op-level converters: models built straight from ops ------------------------------------
class _Op(nn.Module):
    def __init__(self, fn, *params):
        super().__init__()
        self.params = list(params)
        self.fn = fn

    def forward(self, x):
        return self.fn(x, *self.params)


OP_CASES = {
    "conv2d_nhwc_same": ((2, 7, 7, 3), lambda x, w, b: ops.conv2d(
        x, w, b, stride=2, padding="same"), [(3, 3, 3, 4), (4,)]),
    "conv2d_nchw_torch_w": ((2, 3, 8, 8), lambda x, w: ops.conv2d(
        x, w, padding=1, dilation=2, data_format="channels_first"), [(6, 3, 3, 3)]),
    "conv2d_groups_relu": ((2, 6, 6, 4), lambda x, w: ops.conv2d(
        x, w, groups=2, activation="relu"), [(3, 3, 2, 4)]),
    "conv1d": ((2, 9, 3), lambda x, w: ops.conv1d(x, w, stride=2, padding="causal"),
               [(3, 3, 5)]),
    "conv_transpose2d": ((2, 5, 5, 3), lambda x, w: ops.conv_transpose2d(
        x, w, stride=2, padding=1, output_padding=1), [(3, 3, 4, 3)]),
    "max_pool2d": ((2, 7, 7, 3), lambda x: ops.max_pool2d(x, 3, 2, ceil_mode=True), []),
    "max_pool2d_cf_same": ((2, 3, 6, 6), lambda x: ops.max_pool2d(
        x, 2, 1, padding="same", data_format="channels_first"), []),
    "avg_pool2d_same": ((2, 7, 7, 3), lambda x: ops.avg_pool2d(x, 3, 2, padding="same"), []),
    "avg_pool2d_pad": ((2, 3, 7, 7), lambda x: ops.avg_pool2d(
        x, 3, 2, padding=1, count_include_pad=False, ceil_mode=True,
        data_format="channels_first"), []),
    "max_pool1d": ((2, 8, 3), lambda x: ops.max_pool1d(x, 2), []),
    "attention": ((2, 4, 6), lambda x, wq: ops.scaled_dot_product_attention(
        x @ wq, x, x, is_causal=True), [(6, 6)]),
    "attention_mask": ((2, 4, 6), lambda x, m: ops.scaled_dot_product_attention(x, x, x, m),
                       [(4, 4)]),
    "upsample_nearest": ((2, 3, 4, 2), lambda x: ops.upsample2d(x, (2, 3)), []),
    "upsample_bilinear_cf": ((2, 2, 3, 4), lambda x: ops.upsample2d(
        x, 2, interpolation="bilinear", data_format="channels_first"), []),
    "interpolate_adaptive": ((2, 2, 7, 5), lambda x: ops.interpolate(
        x, size=(3, 4), mode="bilinear", data_format="channels_first"), []),
    "pad2d_crop": ((2, 5, 5, 3), lambda x: ops.pad2d(x, ((1, -1), (2, 0)), value=0.5), []),
    "cumsum_tile": ((2, 3), lambda x: ops.tile(ops.cumsum(x, 1), (2, 1, 2)), []),
    "transpose_pad_stack": ((2, 3, 4), lambda x: ops.stack(
        [ops.transpose(ops.pad(x, ((0, 0), (1, 1), (0, 2))), (0, 2, 1))] * 2, axis=1), []),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OP_CASES))
def test_op_level(name, tmp_path):
    shape, fn, pshapes = OP_CASES[name]
    model = _Op(fn, *[_param(*s, seed=i + 1) for i, s in enumerate(pshapes)])
    _check(model, _rand(*shape), tmp_path)


def test_embedding_int_input(tmp_path):
    w = _param(10, 4)
    model = _Op(lambda i, w: ops.embedding(i, w), w)
    idx = np.random.default_rng(0).integers(0, 10, (3, 5)).astype(np.int64)
    _check(model, idx, tmp_path)


@pytest.mark.parametrize("opset", [17, 19, 20, 21])
def test_opsets(opset, tmp_path):
    model = nn.Sequential(nn.Linear(6, 4), nn.GELU(), nn.LayerNorm(4))
    _check(model, _rand(3, 6), tmp_path, opset=opset)


def test_unsupported_op_is_named(tmp_path):
    labels = np.array([0, 2])
    model = _Op(lambda x: ops.sparse_softmax_cross_entropy(x, labels))
    with pytest.raises(UnsupportedOpError, match="'SparseSoftmaxCrossEntropy'"):
        export(model, _rand(2, 3), tmp_path / "u.onnx")
    assert not (tmp_path / "u.onnx").exists()


def test_bad_opset():
    with pytest.raises(ValueError, match="opset_version"):
        export(nn.Linear(2, 2), _rand(1, 2), None, opset_version=9)


def test_export_restores_training_mode():
    model = nn.Sequential(nn.Linear(6, 4), nn.Dropout(0.5))
    model.train()
    export(model, _rand(2, 6), None)
    assert model.training


@pytest.mark.slow
def test_mnist_cnn_real_inputs(tmp_path):
    """A small CNN (conv → pool → dense) on real MNIST digits."""
    from chainrule.datasets import mnist

    (x, _), _ = mnist.load_data()
    x = (x[:32].astype(np.float32) / 255.0)[..., None]
    cr.manual_seed(0)
    w1, b1 = _param(3, 3, 1, 8), _param(8)
    w2 = _param(13 * 13 * 8, 10, seed=3)

    def net(x, w1, b1, w2):
        h = ops.max_pool2d(ops.conv2d(x, w1, b1, activation="relu"), 2)
        return ops.softmax(ops.reshape(h, (h.shape[0], -1)) @ (w2 * 0.05))

    _check(_Op(net, w1, b1, w2), x, tmp_path)


def _batch_first(fn):
    """(N, T, I) in and out, as the recurrent layers call the time-major ops."""

    def run(x, *ws):
        out = fn(ops.transpose(x, (1, 0, 2)), *ws)
        seq = ops.transpose(out[0], (1, 0, 2))
        return ops.concatenate([ops.reshape(seq, (seq.shape[0], -1)), *out[1:]], axis=1)

    return run


H = 5
RECURRENT_CASES = {
    "lstm_torch_biases": (
        lambda x, a, b, c, d: ops.lstm(x, a, b, c, d),
        [(4, 4 * H), (H, 4 * H), (4 * H,), (4 * H,)],
    ),
    "lstm_keras_bias": (
        lambda x, a, b, c: ops.lstm(x, a, b, c),
        [(4, 4 * H), (H, 4 * H), (4 * H,)],
    ),
    "lstm_no_bias": (lambda x, a, b: ops.lstm(x, a, b), [(4, 4 * H), (H, 4 * H)]),
    "gru_rzn": (
        lambda x, a, b, c, d: ops.gru(x, a, b, c, d),
        [(4, 3 * H), (H, 3 * H), (3 * H,), (3 * H,)],
    ),
    "gru_zrn_keras": (
        lambda x, a, b, c, d: ops.gru(x, a, b, c, d, gate_order="zrn"),
        [(4, 3 * H), (H, 3 * H), (3 * H,), (3 * H,)],
    ),
    "rnn_tanh": (lambda x, a, b, c: ops.rnn(x, a, b, c), [(4, H), (H, H), (H,)]),
    "rnn_relu": (lambda x, a, b: ops.rnn(x, a, b, nonlinearity="relu"), [(4, H), (H, H)]),
    "lstm_projected_input": (lambda x, a, b: ops.lstm(x @ a, None, b), [(4, 4 * H), (H, 4 * H)]),
}


@pytest.mark.parametrize("name", sorted(RECURRENT_CASES))
def test_recurrent_ops(name, tmp_path):
    fn, shapes = RECURRENT_CASES[name]
    model = _Op(_batch_first(fn), *[_param(*s, seed=i + 1) for i, s in enumerate(shapes)])
    _check(model, _rand(3, 6, 4), tmp_path)


def test_lstm_with_initial_state(tmp_path):
    def fn(x, a, b, h0, c0):
        return ops.lstm(x, a, b, None, None, h0, c0)

    shapes = [(4, 4 * H), (H, 4 * H), (3, H), (3, H)]
    model = _Op(_batch_first(fn), *[_param(*s, seed=i + 1) for i, s in enumerate(shapes)])
    _check(model, _rand(3, 6, 4), tmp_path, other_batch=False)


def test_recurrent_mask_is_refused(tmp_path):
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False

    def fn(x, a, b):
        return ops.lstm(x, a, b, mask=mask)

    model = _Op(_batch_first(fn), _param(4, 4 * H), _param(H, 4 * H))
    with pytest.raises(ValueError, match="LSTM with a mask"):
        export(model, _rand(3, 6, 4), None)


def test_keras_functional_two_inputs_and_lazy_sequential(tmp_path):
    cr.manual_seed(0)
    a, b = layers.Input((3,)), layers.Input((2,))
    out = layers.Dense(2)(layers.Concatenate()([a, layers.Dense(3, activation="tanh")(b)]))
    model = cr.models.Model([a, b], out)
    xa, xb = _rand(4, 3), _rand(4, 2, seed=1)
    export(model, [xa, xb], tmp_path / "two.onnx", input_names=["a", "b"])
    sess = ort.InferenceSession(str(tmp_path / "two.onnx"))
    got = sess.run(None, {"a": xa[:3], "b": xb[:3]})[0]
    np.testing.assert_allclose(got, model([xa[:3], xb[:3]]).numpy(), atol=1e-5)

    lazy = cr.models.Sequential([layers.Dense(4, activation="gelu"), layers.Dense(2)])
    _check(lazy, _rand(3, 5), tmp_path)  # built during the export's trace


def test_keras_export_two_input_model(tmp_path):
    cr.manual_seed(0)
    a, b = layers.Input((3,)), layers.Input((2,))
    model = cr.models.Model([a, b], layers.Add()([layers.Dense(2)(a), layers.Dense(2)(b)]))
    model.export(tmp_path / "m.onnx")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"))
    xa, xb = _rand(5, 3), _rand(5, 2, seed=2)
    got = sess.run(None, {"input_0": xa, "input_1": xb})[0]
    np.testing.assert_allclose(got, model([xa, xb]).numpy(), atol=1e-5)
