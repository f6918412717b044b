"""``python -m fovex.data fetch mit1003`` etc.; see :mod:`fovex.data.cli`."""

import sys

from .cli import main

sys.exit(main())
