"""``python -m chainrule.cli ...``: the same as the ``chainrule`` console script."""

import sys

from . import main

sys.exit(main())
