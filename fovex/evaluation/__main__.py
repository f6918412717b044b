"""``python -m fovex.evaluation CONFIG.yaml --out DIR`` (also under torchrun): see :mod:`fovex.evaluation.command`."""

import sys

from .command import main

sys.exit(main())
