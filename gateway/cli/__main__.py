"""``python -m gateway.cli``: the same as the ``dispatched`` console script."""

from __future__ import annotations

import sys

from gateway.cli import main

sys.exit(main())
