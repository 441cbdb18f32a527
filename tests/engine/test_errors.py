"""Bad input: a ValueError/IndexError that names the op and the shapes or values at fault."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F

X = cr.Tensor(np.ones((2, 3)), requires_grad=True)

BAD = [
    ("add", lambda: X + cr.Tensor(np.ones(4)), r"add: .*broadcast.*\(2, 3\), \(4,\)"),
    ("mul", lambda: X * np.ones((2, 2)), r"mul: .*broadcast.*\(2, 3\), \(2, 2\)"),
    ("maximum", lambda: F.maximum(X, np.ones(4)), r"maximum: .*\(2, 3\), \(4,\)"),
    ("where", lambda: F.where(np.ones(5, bool), X, 0.0), r"where: .*broadcast"),
    ("matmul", lambda: X @ cr.Tensor(np.ones((2, 3))), r"matmul: shapes \(2, 3\) and \(2, 3\)"),
    ("matmul-0d", lambda: X @ 2.0, r"matmul: both operands need at least one dimension"),
    (
        "linear",
        lambda: F.linear(X, cr.Tensor(np.ones((4, 2)))),
        r"linear: input has shape \(2, 3\)",
    ),
    ("reshape", lambda: X.reshape(4, 2), r"reshape: .*\(2, 3\) \(6 elements\) into \(4, 2\)"),
    ("transpose", lambda: X.transpose(0, 0), r"transpose: axes \(0, 0\)"),
    ("broadcast_to", lambda: X.broadcast_to((3, 3)), r"broadcast_to: .*\(2, 3\) to \(3, 3\)"),
    ("squeeze", lambda: F.squeeze(X, 0), r"squeeze: axis 0 has size 2"),  # X.squeeze(0): no-op
    ("unsqueeze", lambda: X.unsqueeze(5), r"unsqueeze: axis 5 out of range"),
    ("flatten", lambda: X.flatten(0, 5), r"flatten: axis 5 is out of range"),
    ("sum-axis", lambda: X.sum(axis=2), r"axis 2 is out of range for a tensor with 2 dimensions"),
    ("max-axis", lambda: X.max(axis=-3), r"axis -3 is out of range"),
    ("softmax-axis", lambda: F.softmax(X, axis=2), r"softmax: axis 2 .*\(2, 3\)"),
    ("var-ddof", lambda: X.var(axis=0, ddof=-1), r"var: ddof must be an int >= 0, got -1"),
    (
        "concatenate",
        lambda: F.concatenate([X, cr.Tensor(np.ones((2, 2)))]),
        r"concatenate: tensor 1 has shape \(2, 2\)",
    ),
    ("concatenate-axis", lambda: F.concatenate([X, X], axis=3), r"concatenate: axis 3"),
    ("stack", lambda: F.stack([X, cr.Tensor(np.ones((2, 2)))]), r"stack: tensor 1 has shape"),
    ("stack-axis", lambda: F.stack([X, X], axis=4), r"stack: axis 4"),
    ("split", lambda: F.split(X, 2, axis=1), r"split: axis 1 of size 3 does not divide into 2"),
    ("split-axis", lambda: F.split(X, 2, axis=5), r"split: axis 5"),
    ("pad", lambda: F.pad(X, ((1, 1),) * 3), r"pad: pad_width .* shape \(2, 3\)"),
    ("pad-negative", lambda: F.pad(X, -1), r"pad: .*negative"),
    ("clip", lambda: X.clip(1, 0), r"clip: min \(1\) is greater than max \(0\)"),
    ("clip-none", lambda: X.clip(), r"clip: at least one"),
    ("gelu", lambda: F.gelu(X, "fast"), r"gelu: approximate must be"),
]


@pytest.mark.parametrize("call, pattern", [pytest.param(c, p, id=n) for n, c, p in BAD])
def test_value_errors_name_the_op_and_shapes(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_index_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"getitem: indexing a tensor of shape \(2, 3\)"):
        X[5]
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        X[np.ones(3, dtype=bool)]


def test_errors_leave_no_trace_in_the_graph():
    x = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        x + cr.Tensor(np.ones(4))
    (x * 2).sum().backward()  # the failed op recorded nothing
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))
