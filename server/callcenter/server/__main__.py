"""``python -m callcenter.server``: the same as ``callcenter-server``."""

import sys

from .cli import main

sys.exit(main())
