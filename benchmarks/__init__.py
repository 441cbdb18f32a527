"""Side-by-side speed comparisons (chainrule beside PyTorch/NumPy), printing medians and ratios."""
