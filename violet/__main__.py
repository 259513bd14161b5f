"""`python -m violet ...` is the `violet` command (see violet/cli.py)."""

import sys

from .cli import main

sys.exit(main())
