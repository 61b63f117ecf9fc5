"""``python -m callcenter.crm_client``: the same as ``callcenter-crm``."""

import sys

from callcenter.crm_client.cli.main import main

sys.exit(main())
