"""Side-by-side speed comparisons (chainrule beside PyTorch, scikit-learn and NumPy) printing medians
and ratios. Run the suite with ``python -m benchmarks`` (see ``--help`` and docs/performance.md)."""
