"""The hotel software link (S-43): HotelBill.TXT and serial forwarding, fed by an on-disk
queue filled in the intake's transaction. See docs/hotel-link.md."""

from callcenter.server.hotel.billfile import COLUMNS, format_line
from callcenter.server.hotel.queue import HotelLink, HotelLinkLoop, enqueue_calls

__all__ = ["COLUMNS", "HotelLink", "HotelLinkLoop", "enqueue_calls", "format_line"]
