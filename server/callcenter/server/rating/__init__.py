"""Call rating (S-35): tariffs, longest-prefix rating with receipts, tariff files.

``Tariff.rate(number, seconds)`` returns a ``Rating`` (cost as ``Decimal``, matched row, tariff
version, holiday and unknown flags, ``receipt()``). ``default_tariff()`` is the built-in tariff of
local, mobile, long-distance and international rates; ``sample_tariff()`` the manual's sample
table. File import and export (CSV, XLSX, the JSON tariff file) live in ``tariff_io``; the
``callcenter-server rate`` command in ``cli_rate``. See docs/rating.md.
"""

from callcenter.server.rating.rate import (
    CALL_TYPES,
    Rating,
    Tariff,
    default_tariff,
    fingerprint,
    sample_tariff,
)
from callcenter.server.rating.tariff import (
    DEFAULT_ROWS,
    FIELD_TITLES_ZH,
    FIELDS,
    SAMPLE_ROWS,
    SERVICE_TYPES,
    ServiceType,
    TariffError,
    TariffRow,
    parse_row,
    service_type,
)

__all__ = [
    "CALL_TYPES",
    "DEFAULT_ROWS",
    "FIELDS",
    "FIELD_TITLES_ZH",
    "SAMPLE_ROWS",
    "SERVICE_TYPES",
    "Rating",
    "ServiceType",
    "Tariff",
    "TariffError",
    "TariffRow",
    "default_tariff",
    "fingerprint",
    "parse_row",
    "sample_tariff",
    "service_type",
]
