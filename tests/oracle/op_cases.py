"""The op case table shared by the PyTorch oracle tests and the float64 gradcheck tests.

Each case is ``pytest.param(cr_fn, torch_fn, inputs, smooth, id=name)``; ``smooth=False`` marks
cases placed on purpose at a kink (ties, clip bounds, relu at 0) where finite differences are not
meaningful, so only the oracle runs them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_harness import Pos

import chainrule.functional as F
from chainrule.ops.nll import nll

CASES = []


def case(name, cr_fn, th_fn, *inputs, smooth=True):
    CASES.append(pytest.param(cr_fn, th_fn, inputs, smooth, id=name))


def _axes(a, axis):
    return tuple(range(a.ndim)) if axis is None else axis


# ---------------------------------------------------------------- binary elementwise, broadcasting
BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (3,)),
    ((1,), ()),
    ((), ()),
    ((1, 3), (2, 1)),
]
for sa, sb in BINARY_SHAPES:
    tag = f"{sa}-{sb}"
    case(f"add{tag}", F.add, torch.add, sa, sb)
    case(f"sub{tag}", F.sub, torch.sub, sa, sb)
    case(f"mul{tag}", F.mul, torch.mul, sa, sb)
    case(f"div{tag}", F.div, torch.div, sa, Pos(sb))
    case(f"pow{tag}", F.pow, torch.pow, Pos(sa), sb)
    case(f"maximum{tag}", F.maximum, torch.maximum, sa, sb)
    case(f"minimum{tag}", F.minimum, torch.minimum, sa, sb)

# operators and Python-scalar operands on either side
case("op+", lambda a, b: a + b, lambda a, b: a + b, (2, 3), (3,))
case("op-", lambda a, b: a - b, lambda a, b: a - b, (2, 3), (2, 1))
case("op*", lambda a, b: a * b, lambda a, b: a * b, (2, 3), ())
case("op/", lambda a, b: a / b, lambda a, b: a / b, (2, 3), Pos((3,)))
case("op**", lambda a, b: a**b, lambda a, b: a**b, Pos((2, 3)), (2, 3))
case("op-neg", lambda a: -a, lambda a: -a, (2, 3))
case("scalar-rsub", lambda a: 2.0 - a, lambda a: 2.0 - a, (2, 3))
case("scalar-rdiv", lambda a: 3.0 / a, lambda a: 3.0 / a, Pos((2, 3)))
case("scalar-radd-rmul", lambda a: 1.5 * a + 2, lambda a: 1.5 * a + 2, (4,))
case("pow-int3", lambda a: a**3, lambda a: a**3, (2, 3))
case("pow-int2", lambda a: a**2, lambda a: a**2, (2, 3))
case("pow-half", lambda a: a**0.5, lambda a: a**0.5, Pos((2, 3)))
case("pow-neg", lambda a: a**-1.5, lambda a: a**-1.5, Pos((3,)))
case("pow-zero", lambda a: a**0, lambda a: a**0, (3,))
case("rpow", lambda a: 2.0**a, lambda a: 2.0**a, (2, 3))
case(
    "pow-zero-base-zero-exp",
    F.pow,
    torch.pow,
    np.array([0.0, 0.0, 2.0]),
    np.array([0.0, 2.0, 0.0]),
    smooth=False,
)
case(
    "maximum-ties",
    F.maximum,
    torch.maximum,
    np.array([[1.0, 2.0], [3.0, 4.0]]),
    np.array([[1.0, 0.0], [3.0, 5.0]]),
    smooth=False,
)
case(
    "minimum-ties-broadcast",
    F.minimum,
    torch.minimum,
    np.array([[1.0, 2.0], [3.0, 4.0]]),
    np.array([1.0, 4.0]),
    smooth=False,
)

case(
    "methods-arith",
    lambda a, b: a.add(b).mul(a).sub(b).div(b * b + 1.0).neg(),
    lambda a, b: a.add(b).mul(a).sub(b).div(b * b + 1.0).neg(),
    (2, 3),
    (3,),
)

# ---------------------------------------------------------------- unary elementwise
for shape in [(3, 4), (), (1, 5, 1)]:
    tag = str(shape)
    case(f"neg{tag}", F.neg, torch.neg, shape)
    case(f"exp{tag}", F.exp, torch.exp, shape)
    case(f"log{tag}", F.log, torch.log, Pos(shape))
    case(f"sqrt{tag}", F.sqrt, torch.sqrt, Pos(shape))
    case(f"abs{tag}", F.abs, torch.abs, shape)
    case(f"sin{tag}", F.sin, torch.sin, shape)
    case(f"cos{tag}", F.cos, torch.cos, shape)
    case(
        f"method-chain{tag}",
        lambda a: a.exp().sin().abs().sqrt(),
        lambda a: a.exp().sin().abs().sqrt(),
        shape,
    )
case("abs-at-zero", F.abs, torch.abs, np.array([-1.0, 0.0, 2.0]), smooth=False)

BOUNDS = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
case("clip", lambda a: F.clip(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5), (3, 4))
case(
    "clip-at-bounds",
    lambda a: a.clip(-0.5, 0.5),
    lambda a: a.clamp(-0.5, 0.5),
    BOUNDS,
    smooth=False,
)
case("clip-min-only", lambda a: F.clip(a, min=0.1), lambda a: torch.clamp(a, min=0.1), (2, 3))
case("clip-max-only", lambda a: F.clip(a, max=0.1), lambda a: torch.clamp(a, max=0.1), (2, 3))

COND = np.array([[True, False, True], [False, False, True]])
case(
    "where",
    lambda a, b: F.where(COND, a, b),
    lambda a, b: torch.where(torch.from_numpy(COND), a, b),
    (2, 3),
    (2, 3),
)
case(
    "where-broadcast",
    lambda a, b: F.where(COND, a, b),
    lambda a, b: torch.where(torch.from_numpy(COND), a, b),
    (1, 3),
    (),
)
case(
    "where-scalar",
    lambda a: F.where(COND[0], a, 0.0),
    lambda a: torch.where(torch.from_numpy(COND[0]), a, 0.0),
    (2, 3),
)

case("astype-float64", lambda a: a.astype(np.float64) * 2.0, lambda a: a.double() * 2.0, (2, 3))

# ---------------------------------------------------------------- reductions
for axis, keep in [
    (None, False),
    (0, False),
    (-1, True),
    ((0, 2), False),
    ((0, 2), True),
    (1, False),
]:
    tag = f"(axis={axis},keepdims={keep})"
    dims = axis if axis is not None else (0, 1, 2)
    case(
        f"sum{tag}",
        lambda a, x=axis, k=keep: a.sum(axis=x, keepdims=k),
        lambda a, d=dims, k=keep: a.sum(dim=d, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"mean{tag}",
        lambda a, x=axis, k=keep: F.mean(a, x, k),
        lambda a, d=dims, k=keep: a.mean(dim=d, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"max{tag}",
        lambda a, x=axis, k=keep: a.max(axis=x, keepdims=k),
        lambda a, d=dims, k=keep: torch.amax(a, dim=d, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"min{tag}",
        lambda a, x=axis, k=keep: F.min(a, x, k),
        lambda a, d=dims, k=keep: torch.amin(a, dim=d, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"var{tag}",
        lambda a, x=axis, k=keep: a.var(axis=x, keepdims=k),
        lambda a, d=dims, k=keep: torch.var(a, dim=d, correction=0, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"std{tag}",
        lambda a, x=axis, k=keep: F.std(a, x, 0, k),
        lambda a, d=dims, k=keep: torch.std(a, dim=d, correction=0, keepdim=k),
        (2, 3, 4),
    )
    case(
        f"logsumexp{tag}",
        lambda a, x=axis, k=keep: a.logsumexp(axis=x, keepdims=k),
        lambda a, d=dims, k=keep: torch.logsumexp(a, dim=d, keepdim=k),
        (2, 3, 4),
    )
case("var-ddof1", lambda a: F.var(a, axis=1, ddof=1), lambda a: torch.var(a, dim=1), (3, 5))
case("std-ddof1", lambda a: a.std(axis=0, ddof=1), lambda a: torch.std(a, dim=0), (4, 2))
for name, op, th in [
    ("sum", F.sum, torch.sum),
    ("mean", F.mean, torch.mean),
    ("max", F.max, torch.amax),
    ("min", F.min, torch.amin),
]:
    case(f"{name}-0d", op, th, ())
    case(
        f"{name}-size1-axis",
        lambda a, op=op: op(a, axis=1),
        lambda a, th=th: th(a, dim=1),
        (3, 1, 2),
    )
case("logsumexp-0d", F.logsumexp, lambda a: torch.logsumexp(a, dim=()), ())
case(
    "logsumexp-size1-axis", lambda a: F.logsumexp(a, 1), lambda a: torch.logsumexp(a, 1), (3, 1, 2)
)
case("var-size1-axis", lambda a: F.var(a, 1), lambda a: torch.var(a, 1, correction=0), (3, 2, 2))
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
case("max-ties-axis", lambda a: a.max(axis=1), lambda a: torch.amax(a, dim=1), TIES, smooth=False)
case("max-ties-all", lambda a: a.max(), lambda a: a.max(), TIES, smooth=False)
case(
    "min-ties-axis0",
    lambda a: a.min(axis=0),
    lambda a: torch.amin(a, dim=0),
    np.array([[1.0, 2.0], [1.0, 0.0]]),
    smooth=False,
)

# ---------------------------------------------------------------- matrix products
for sa, sb in [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]:
    case(f"matmul{sa}@{sb}", F.matmul, torch.matmul, sa, sb)
case("op@", lambda a, b: a @ b, lambda a, b: a @ b, (1, 4), (4, 1))
case("linear", F.linear, lambda x, w, b: x @ w + b, (5, 3), (3, 4), (4,))
case("linear-nobias-3d", F.linear, lambda x, w: x @ w, (2, 5, 3), (3, 4))
case(
    "linear-relu",
    lambda x, w, b: F.linear(x, w, b, activation="relu"),
    lambda x, w, b: torch.relu(x @ w + b),
    (5, 3),
    (3, 4),
    (4,),
)
# leading axes are flattened into one product (one GEMM), contiguous or not, in both layouts
case("linear-3d", F.linear, lambda x, w, b: x @ w + b, (2, 5, 3), (3, 4), (4,))
case("linear-4d", F.linear, lambda x, w, b: x @ w + b, (2, 3, 2, 3), (3, 4), (4,))
case(
    "linear-3d-noncontiguous",
    lambda x, w, b: F.linear(x.permute(1, 0, 2), w, b),
    lambda x, w, b: x.permute(1, 0, 2) @ w + b,
    (5, 2, 3),
    (3, 4),
    (4,),
)
case(
    "linear-out-in-3d-noncontiguous",
    lambda x, w, b: F.linear(x.permute(1, 0, 2), w, b, layout="out_in"),
    lambda x, w, b: torch.nn.functional.linear(x.permute(1, 0, 2), w, b),
    (5, 2, 3),
    (4, 3),
    (4,),
)
case(
    "linear-relu-nobias-3d",
    lambda x, w: F.linear(x, w, activation="relu"),
    lambda x, w: torch.relu(x @ w),
    (2, 5, 3),
    (3, 4),
)

# ---------------------------------------------------------------- shape ops
case("reshape", lambda a: a.reshape(6, 4), lambda a: a.reshape(6, 4), (2, 3, 4))
case("reshape-infer", lambda a: F.reshape(a, (4, -1)), lambda a: a.reshape(4, -1), (2, 3, 4))
case("reshape-0d", lambda a: a.reshape(1, 1), lambda a: a.reshape(1, 1), ())
case("transpose", lambda a: a.transpose(), lambda a: a.permute(2, 1, 0), (2, 3, 4))
case("T", lambda a: a.T, lambda a: a.T, (2, 3))
case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), (2, 3, 4))
case("permute-neg", lambda a: F.permute(a, (-1, 0, 1)), lambda a: a.permute(-1, 0, 1), (2, 3, 4))
case(
    "broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), lambda a: a.broadcast_to((2, 3, 4)), (3, 1)
)
case("broadcast_to-0d", lambda a: F.broadcast_to(a, (2, 2)), lambda a: a.broadcast_to((2, 2)), ())
case("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), (1, 3, 1))
case("squeeze-axis", lambda a: a.squeeze(0), lambda a: a.squeeze(0), (1, 3, 1))
case("squeeze-axes", lambda a: F.squeeze(a, (0, -1)), lambda a: a.squeeze((0, -1)), (1, 3, 1))
case("unsqueeze", lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1), (2, 3))
case("unsqueeze-neg", lambda a: F.unsqueeze(a, -1), lambda a: a.unsqueeze(-1), (2, 3))
case("unsqueeze-0d", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), ())
case("flatten", lambda a: a.flatten(), lambda a: a.flatten(), (2, 3, 4))
case("flatten-from1", lambda a: F.flatten(a, 1), lambda a: a.flatten(1), (2, 3, 4))
case("flatten-mid", lambda a: F.flatten(a, 1, 2), lambda a: a.flatten(1, 2), (2, 3, 4, 2))

IDX = np.array([0, 2, 0, 0])
MASK = np.array(
    [[True, False, True, True], [False, False, True, False], [True, True, False, False]]
)
case("index-int", lambda a: a[1], lambda a: a[1], (3, 4))
case("index-neg-int", lambda a: a[-1, 2], lambda a: a[-1, 2], (3, 4))
case("index-slices", lambda a: a[:, 1:3], lambda a: a[:, 1:3], (3, 4))
case("index-step", lambda a: a[..., ::2], lambda a: a[..., ::2], (2, 3, 4))
case("index-reverse", lambda a: a[::-1], lambda a: a.flip(0), (3, 4))
case("index-none", lambda a: a[None, :, 1], lambda a: a[None, :, 1], (3, 4))
case("index-int-array-repeats", lambda a: a[IDX], lambda a: a[torch.from_numpy(IDX)], (3, 4))
case("index-list", lambda a: a[[1, 1, 2]], lambda a: a[[1, 1, 2]], (3, 2))
case("index-cols-repeats", lambda a: a[:, IDX], lambda a: a[:, torch.from_numpy(IDX)], (3, 4))
case(
    "index-pairs",
    lambda a: a[IDX[:2], IDX[1:3]],
    lambda a: a[torch.from_numpy(IDX[:2]), torch.from_numpy(IDX[1:3])],
    (3, 4),
)
case(
    "index-negative-array-ellipsis",
    lambda a: a[..., [-1, 0, -1]],
    lambda a: a[..., torch.tensor([-1, 0, -1])],
    (2, 3, 4),
)
case(
    "index-array-2d",
    lambda a: a[np.array([[0, 1], [1, 1]])],
    lambda a: a[torch.tensor([[0, 1], [1, 1]])],
    (3, 2),
)
case("index-bool-mask", lambda a: a[MASK], lambda a: a[torch.from_numpy(MASK)], (3, 4))
case("index-bool-rows", lambda a: a[MASK[:, 0]], lambda a: a[torch.from_numpy(MASK[:, 0])], (3, 4))
case(
    "index-tensor",
    lambda a: a[F.reshape(a, (-1,)) > 0],
    lambda a: a[a > 0],
    np.array([1.0, -2.0, 3.0, 0.5]),
)

case(
    "concatenate",
    lambda a, b: F.concatenate([a, b]),
    lambda a, b: torch.cat([a, b]),
    (2, 3),
    (1, 3),
)
case(
    "concatenate-last",
    lambda a, b, c: F.cat([a, b, c], axis=-1),
    lambda a, b, c: torch.cat([a, b, c], dim=-1),
    (2, 1),
    (2, 3),
    (2, 2),
)
case("stack", lambda a, b: F.stack([a, b]), lambda a, b: torch.stack([a, b]), (2, 3), (2, 3))
case(
    "stack-axis1",
    lambda a, b, c: F.stack([a, b, c], axis=1),
    lambda a, b, c: torch.stack([a, b, c], dim=1),
    (2, 3),
    (2, 3),
    (2, 3),
)
case(
    "stack-0d", lambda a, b: F.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], -1), (), ()
)
case(
    "split-sections",
    lambda a: F.split(a, 3, axis=1),
    lambda a: torch.tensor_split(a, 3, dim=1),
    (2, 6),
)
case("split-indices", lambda a: F.split(a, [1, 3]), lambda a: torch.tensor_split(a, [1, 3]), (5, 2))
case(
    "split-negaxis",
    lambda a: F.split(a, 2, axis=-1),
    lambda a: torch.tensor_split(a, 2, dim=-1),
    (3, 4),
)
case("pad", lambda a: F.pad(a, ((1, 2), (0, 1))), lambda a: TF.pad(a, (0, 1, 1, 2)), (2, 3))
case(
    "pad-int",
    lambda a: F.pad(a, 1, value=0.5),
    lambda a: TF.pad(a, (1, 1, 1, 1), value=0.5),
    (2, 3),
)
case("pad-pair", lambda a: F.pad(a, (2, 0)), lambda a: TF.pad(a, (2, 0, 2, 0, 2, 0)), (1, 2, 2))

# ---------------------------------------------------------------- activations
WITH_ZERO = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])
for shape in [(3, 4), ()]:
    tag = str(shape)
    case(f"relu{tag}", F.relu, torch.relu, shape)
    case(f"leaky_relu{tag}", lambda a: F.leaky_relu(a, 0.01), TF.leaky_relu, shape)
    case(
        f"leaky_relu-slope{tag}",
        lambda a: F.leaky_relu(a, 0.2),
        lambda a: TF.leaky_relu(a, 0.2),
        shape,
    )
    case(f"elu{tag}", F.elu, TF.elu, shape)
    case(f"elu-alpha{tag}", lambda a: F.elu(a, 0.5), lambda a: TF.elu(a, 0.5), shape)
    case(f"gelu{tag}", lambda a: F.gelu(a, "none"), TF.gelu, shape)
    case(
        f"gelu-tanh{tag}",
        lambda a: F.gelu(a, "tanh"),
        lambda a: TF.gelu(a, approximate="tanh"),
        shape,
    )
    case(f"sigmoid{tag}", F.sigmoid, torch.sigmoid, shape)
    case(f"tanh{tag}", F.tanh, torch.tanh, shape)
    case(f"softplus{tag}", F.softplus, TF.softplus, shape)
case("relu-at-zero", lambda a: a.relu(), torch.relu, WITH_ZERO, smooth=False)
case("leaky_relu-at-zero", lambda a: F.leaky_relu(a, 0.01), TF.leaky_relu, WITH_ZERO, smooth=False)
case("elu-at-zero", F.elu, TF.elu, WITH_ZERO, smooth=False)
case(
    "softplus-threshold",
    lambda a: F.softplus(a, beta=2.0, threshold=5.0),
    lambda a: TF.softplus(a, beta=2.0, threshold=5.0),
    np.array([-30.0, -1.0, 0.0, 2.4, 2.6, 30.0]),
    smooth=False,
)
case(
    "methods-activations",
    lambda a: a.leaky_relu(0.1) + a.elu() * a.gelu() - a.softplus(),
    lambda a: TF.leaky_relu(a, 0.1) + TF.elu(a) * TF.gelu(a) - TF.softplus(a),
    (2, 3),
)
case(
    "methods-split-pad",
    lambda a: [p.pad(1) for p in a.split(2, axis=1)],
    lambda a: [TF.pad(p, (1, 1, 1, 1)) for p in torch.tensor_split(a, 2, dim=1)],
    (2, 4),
)
case(
    "methods-sigmoid-tanh", lambda a: a.sigmoid() * a.tanh(), lambda a: a.sigmoid() * a.tanh(), (3,)
)
for axis in (-1, 0):
    case(
        f"softmax(axis={axis})",
        lambda a, x=axis: F.softmax(a, x),
        lambda a, x=axis: torch.softmax(a, x),
        (3, 4),
    )
    case(
        f"log_softmax(axis={axis})",
        lambda a, x=axis: a.log_softmax(x),
        lambda a, x=axis: torch.log_softmax(a, x),
        (3, 4),
    )
case("softmax-3d", lambda a: a.softmax(1), lambda a: torch.softmax(a, 1), (2, 3, 2))
case("softmax-1d", F.softmax, lambda a: torch.softmax(a, -1), (5,))

# ±1e4: everything stays finite, and the gradients still match
EXTREME = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
case("sigmoid-extreme", F.sigmoid, torch.sigmoid, EXTREME, smooth=False)
case("softmax-extreme", F.softmax, lambda a: torch.softmax(a, -1), EXTREME, smooth=False)
case(
    "log_softmax-extreme", F.log_softmax, lambda a: torch.log_softmax(a, -1), EXTREME, smooth=False
)
case(
    "logsumexp-extreme",
    lambda a: F.logsumexp(a, axis=1),
    lambda a: torch.logsumexp(a, 1),
    EXTREME,
    smooth=False,
)
case(
    "logsumexp-extreme-all",
    F.logsumexp,
    lambda a: torch.logsumexp(a, (0, 1)),
    EXTREME,
    smooth=False,
)
case("softplus-extreme", F.softplus, TF.softplus, EXTREME, smooth=False)
case("tanh-extreme", F.tanh, torch.tanh, EXTREME, smooth=False)

# ---------------------------------------------------------------- fused losses, normalisation, more
# activations and tensor clamp bounds (issue 18: these ops take part in the second-order checks too)
LABELS3 = np.array([0, 2, 1, 2])
case(
    "sparse_softmax_cross_entropy",
    F.sparse_softmax_cross_entropy,
    lambda z, y: TF.cross_entropy(z, y, reduction="none"),
    (4, 3),
    LABELS3,
)
case(
    "sparse_softmax_cross_entropy-axis1-3d",
    lambda z, y: F.sparse_softmax_cross_entropy(z, y, axis=1),
    lambda z, y: TF.cross_entropy(z, y, reduction="none"),
    (2, 3, 2),
    np.array([[0, 2], [1, 1]]),
)
case(
    "softmax_cross_entropy-soft-targets",
    F.softmax_cross_entropy,
    lambda z, t: TF.cross_entropy(z, t, reduction="none"),
    (4, 3),
    Pos((4, 3)),
)
case(
    "binary_cross_entropy_with_logits",
    F.binary_cross_entropy_with_logits,
    lambda z, t: TF.binary_cross_entropy_with_logits(z, t, reduction="none"),
    (3, 4),
    Pos((3, 4)),
)
case(
    "layer_norm-affine",
    lambda a, g, b: F.layer_norm(a, 4, g, b),
    lambda a, g, b: TF.layer_norm(a, (4,), g, b),
    (3, 4),
    (4,),
    (4,),
)
case(
    "layer_norm-2axes",
    lambda a: F.layer_norm(a, (2, 3), eps=1e-3),
    lambda a: TF.layer_norm(a, (2, 3), eps=1e-3),
    (2, 2, 3),
)
# layer norm runs on (rows, features) views: leading axes, several normalised axes, a
# non-contiguous input
case(
    "layer_norm-3d-affine",
    lambda a, g, b: F.layer_norm(a, 4, g, b),
    lambda a, g, b: TF.layer_norm(a, (4,), g, b),
    (2, 3, 4),
    (4,),
    (4,),
)
case(
    "layer_norm-2axes-affine",
    lambda a, g, b: F.layer_norm(a, (2, 3), g, b),
    lambda a, g, b: TF.layer_norm(a, (2, 3), g, b),
    (3, 2, 3),
    (2, 3),
    (2, 3),
)
case(
    "layer_norm-noncontiguous",
    lambda a, g: F.layer_norm(a.permute(1, 0, 2), 5, g),
    lambda a, g: TF.layer_norm(a.permute(1, 0, 2), (5,), g),
    (3, 2, 5),
    (5,),
)
case(
    "batch_norm-train-affine",
    lambda a, g, b: F.batch_norm(a, g, b, eps=1e-5),
    lambda a, g, b: TF.batch_norm(a, None, None, g, b, training=True, eps=1e-5),
    (5, 3),
    (3,),
    (3,),
)
case(
    "batch_norm-train-channels-first",
    lambda a: F.batch_norm(a, None, None, eps=1e-5, axis=1),
    lambda a: TF.batch_norm(a, None, None, training=True, eps=1e-5),
    (3, 2, 4),
)
RUN_MEAN, RUN_VAR = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])
case(
    "batch_norm-eval",
    lambda a, g, b: F.batch_norm(a, g, b, RUN_MEAN.copy(), RUN_VAR.copy(), training=False),
    lambda a, g, b: TF.batch_norm(
        a, torch.tensor(RUN_MEAN, dtype=a.dtype), torch.tensor(RUN_VAR, dtype=a.dtype), g, b,
        training=False, eps=1e-3,
    ),
    (4, 3),
    (3,),
    (3,),
)  # fmt: skip
for name, cr_fn, th_fn in [
    ("selu", F.selu, TF.selu),
    ("silu", F.silu, TF.silu),
    ("softsign", F.softsign, TF.softsign),
    # relu6(x + 3)/6 is PyTorch's hardsigmoid, written so that torch can differentiate it twice
    ("hard_sigmoid", F.hard_sigmoid, lambda a: TF.relu6(a + 3) / 6),
    ("hard_swish", F.hard_swish, TF.hardswish),
]:
    case(name, cr_fn, th_fn, (3, 4))
case(
    "clamp-tensor-bounds",
    lambda a, lo, hi: F.clip(a, lo, hi),
    lambda a, lo, hi: torch.clamp(a, lo, hi),
    (3, 4),
    np.full((4,), -0.4),
    np.full((3, 1), 0.6),
)
case(
    "index-put",
    lambda a, v: F.index_put(a, (slice(None), np.array([0, 2])), v),
    lambda a, v: torch.index_put(a, (torch.arange(3)[:, None], torch.tensor([0, 2])), v),
    (3, 4),
    (3, 2),
)

# ---------------------------------------------------------------- ops added by the doors (issue 11)
case("log1p", F.log1p, torch.log1p, Pos((3, 4)))
case("expm1", F.expm1, torch.expm1, (3, 4))
case("cumsum-axis1", lambda a: F.cumsum(a, axis=1), lambda a: torch.cumsum(a, 1), (3, 4))
case("cumsum-flat", F.cumsum, lambda a: torch.cumsum(a.reshape(-1), 0), (2, 3))
case("tile", lambda a: F.tile(a, (2, 1, 3)), lambda a: a.repeat(2, 1, 3), (2, 3))
EMB_IDX = np.array([[0, 2, 2], [3, 0, 1]])
case(
    "embedding",
    lambda w: F.embedding(EMB_IDX, w),
    lambda w: TF.embedding(torch.from_numpy(EMB_IDX), w),
    (4, 3),
)
case(
    "embedding-padding",
    lambda w: F.embedding(EMB_IDX, w, padding_idx=2),
    lambda w: TF.embedding(torch.from_numpy(EMB_IDX), w, padding_idx=2),
    (4, 3),
    smooth=False,  # the padding row gets no gradient by definition: not a finite difference
)
NLL_T = np.array([1, 0, 2, 1])
case(
    "nll",
    lambda z: nll(z.log_softmax(1), NLL_T)[0],
    lambda z: TF.nll_loss(torch.log_softmax(z, 1), torch.from_numpy(NLL_T), reduction="none"),
    (4, 3),
)
case(
    "nll-3d-weighted",
    lambda z: nll(z.log_softmax(1), np.array([[0, 2], [1, 1]]), weight=np.array([0.5, 2.0, 1.0]))[
        0
    ],
    lambda z: TF.nll_loss(
        torch.log_softmax(z, 1),
        torch.tensor([[0, 2], [1, 1]]),
        weight=torch.tensor([0.5, 2.0, 1.0], dtype=z.dtype),
        reduction="none",
    ),
    (2, 3, 2),
)
