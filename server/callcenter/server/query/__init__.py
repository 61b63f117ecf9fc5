"""Call-record queries, summaries, exports, archives and verify (S-38, S-40, B-4).

``search``/``search_after``/``iter_records`` read records (archives included) by ``Filters``;
``summarize`` totals them per group; ``write_csv``/``write_xlsx``/``render_pdf`` export them;
``run_retention`` moves old records to the monthly archives; ``verify_records`` checks the hash
chain across the live table and the archives.
"""

from callcenter.server.query.export import COLUMNS, write_csv, write_xlsx
from callcenter.server.query.filters import FilterError, Filters, parse_filters
from callcenter.server.query.pdf import render_pdf
from callcenter.server.query.search import (
    Page,
    RecordView,
    count_records,
    iter_records,
    search,
    search_after,
)
from callcenter.server.query.summary import Summary, SummaryRow, summarize
from callcenter.server.query.verify_all import verify_records
from callcenter.server.store.archive import (
    MoveResult,
    archived_raw,
    filter_archived,
    run_retention,
)

__all__ = [
    "COLUMNS",
    "FilterError",
    "Filters",
    "MoveResult",
    "Page",
    "RecordView",
    "Summary",
    "SummaryRow",
    "archived_raw",
    "count_records",
    "filter_archived",
    "iter_records",
    "parse_filters",
    "render_pdf",
    "run_retention",
    "search",
    "search_after",
    "summarize",
    "verify_records",
    "write_csv",
    "write_xlsx",
]
