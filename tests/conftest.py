"""Every test runs with its own per-user folders: $XDG_DATA_HOME and $XDG_CONFIG_HOME point
into a temporary folder made for this pytest run (and inherited by the programs the tests
start), so no test reads or writes the data folder, demo data or saved preferences of the
person running the suite, and what a test sees does not depend on them."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="callcenter-tests-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
