"""``python -m callcenter.pbxsim``: the same as ``callcenter-pbxsim``."""

import sys

from .cli import main

sys.exit(main())
