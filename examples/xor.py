"""A 2-layer network built from bare Tensor ops learns XOR by gradient descent (100% accuracy)."""

import chainrule as cr

cr.manual_seed(0)
X = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = cr.tensor([[0.0], [1.0], [1.0], [0.0]])
W1, b1 = cr.randn(2, 8, requires_grad=True), cr.zeros(8, requires_grad=True)
W2, b2 = cr.randn(8, 1, requires_grad=True), cr.zeros(1, requires_grad=True)
for step in range(500):
    p = ((X @ W1 + b1).tanh() @ W2 + b2).sigmoid()  # (4, 1) probabilities
    loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()  # binary cross-entropy
    loss.backward()
    for t in (W1, b1, W2, b2):
        t.data -= 0.5 * t.grad  # plain gradient descent, in place
        t.grad = None
print(f"loss {loss.item():.4f}, accuracy {((p.numpy() > 0.5) == y.numpy()).mean():.0%}")
