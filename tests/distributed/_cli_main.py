"""``chainrule`` console script for test_distributed.py (the entry point may not be installed)."""

import sys

from chainrule.cli import main

if __name__ == "__main__":
    sys.exit(main())
