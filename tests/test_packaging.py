"""The distribution itself: every package is shipped, and no CLI needs Tk."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = {"common": "callcenter.common", "server": "callcenter.server",
                "pbxsim": "callcenter.pbxsim", "crm_client": "callcenter.crm_client"}


def _declared() -> tuple[set[str], dict[str, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    packages = {p.strip() for p in cfg["options"]["packages"].split() if p.strip()}
    dirs = {}
    for line in cfg["options"]["package_dir"].strip().splitlines():
        name, _, path = line.partition("=")
        dirs[name.strip()] = path.strip()
    return packages, dirs


def test_every_package_is_listed_in_setup_cfg() -> None:
    packages, dirs = _declared()
    found = set()
    for root, top in SOURCE_ROOTS.items():
        base = ROOT / root / "callcenter" / top.split(".")[1]
        assert dirs[top] == f"{root}/callcenter/{top.split('.')[1]}"
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            found.add(".".join((top, *rel)))
    assert found - packages == set(), "add these to [options] packages in setup.cfg"
    assert packages - found == set(), "these listed packages do not exist"


def test_no_top_level_name_but_callcenter() -> None:
    for root in SOURCE_ROOTS:
        names = {p.name for p in (ROOT / root).iterdir() if not p.name.startswith(".")}
        assert names == {"callcenter"}, f"{root}/ must hold only the callcenter namespace"
        assert not (ROOT / root / "callcenter" / "__init__.py").exists()


def test_command_line_programs_run_without_tkinter() -> None:
    """A server may have no Tk: the service and every CLI must not import it."""
    code = (
        "import sys; sys.modules['tkinter'] = None\n"
        "from callcenter.server import cli as s\n"
        "from callcenter.pbxsim import cli as p\n"
        "for main in (s.main, p.main):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "tkinter" not in result.stderr
