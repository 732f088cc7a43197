"""``python -m cli``: the same as the ``dispatched`` console script."""

from __future__ import annotations

import sys

from cli import main

sys.exit(main())
