"""PyTorch's custom-autograd tutorial (``LegendrePolynomial3``) on chainrule: a
``torch.autograd.Function`` with static ``forward(ctx, …)`` / ``backward(ctx, …)``, checked with
``gradcheck``, then used to fit sin(x). Only the imports differ.

    python examples/pytorch/custom_function.py
"""

import math

import chainrule as torch
from chainrule.autograd import gradcheck


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = ½ (5x³ − 3x)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


def main(steps: int = 2000):
    dtype = torch.float
    x_check = torch.randn(6, dtype=torch.double, requires_grad=True)
    assert gradcheck(LegendrePolynomial3.apply, (x_check,), eps=1e-6, atol=1e-4)

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

    learning_rate = 5e-6
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 500 == 499:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
    return loss.item()


if __name__ == "__main__":
    main()
