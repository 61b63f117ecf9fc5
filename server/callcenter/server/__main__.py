"""``python -m callcenter.server``: the same as ``callcenter-server``."""

import sys

from callcenter.server.cli.main import main

sys.exit(main())
