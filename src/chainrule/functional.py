"""The public functional API: ``import chainrule.functional as F``; ``F.relu(x)``, ``F.matmul(a, b)``.

Every name here is a differentiable op from :mod:`chainrule.ops`.
"""

from .ops import *
from .ops import __all__  # noqa: F401
