"""``callcenter-server --demo``: the built-in PBX simulator, and on a new demo store a small
hotel that shows what the product does with money.

Theory of operation
-------------------
The demo runs the simulator inside the service (``start_simulator``) with generated traffic.
So that a new user sees a priced record and a ring within seconds, the simulator opens with one
completed outgoing call (its record issued at once) and one outside call ringing.

On a demo store that is new (no call record and no prepaid account yet) ``prepare_hotel``
first sets up a small hotel, as a hotel's front desk would: rooms 009-024 are prepaid with
``ROOM_CREDIT`` each, HotelBill.TXT is switched on (a line with money for every call), and one
room, ``SHORT_ROOM``, has only ``SHORT_CREDIT``: the opening call is that room's long-distance
call, which costs more than it has, so within seconds of start the ledger goes below zero and
the service switches the room to its over-limit class at the PBX (outside calls refused) until
somebody tops it up. A demo store that already holds records is left as it is.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

from callcenter.server.prepaid import ledger
from callcenter.server.store import settings
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.prepaid_models import PrepaidAccount

if TYPE_CHECKING:
    from callcenter.pbxsim.app import Simulator

log = logging.getLogger(__name__)

ROOMS: Final = tuple(f"{port:03d}" for port in range(9, 25))
"""The demo hotel's rooms: extension ports 009-024 (001-008 are the front desk and offices)."""
ROOM_CREDIT: Final = Decimal("5.00")
SHORT_ROOM: Final = "009"
SHORT_CREDIT: Final = Decimal("1.00")
OPENING_CALL: Final = (SHORT_ROOM, "02087654321", 125)
"""The opening call of a new demo hotel: room 009 to Guangzhou for 125 s, 21 units of 6 s at
0.07 = 1.47 by the built-in tariff, more than the room's 1.00."""
DEMO_USER: Final = "demo"


@dataclass(frozen=True)
class DemoConfig:
    """The built-in PBX simulator of ``--demo``: generated calls per minute, and where it
    keeps its parameter memory between runs. With traffic, the demo opens with one completed
    outgoing call (stored and rated as soon as the link is up) and one outside call ringing
    (``opening``), so that a new user sees a priced record and a ring within seconds rather than
    after the first generated call has run its course; ``hotel``: on a new store, set up the
    demo hotel (module docstring), with traffic and the opening only (its opening call is
    part of it)."""

    traffic: float = 6.0
    state_file: Path | None = None
    opening: bool = True
    hotel: bool = True


@dataclass(frozen=True)
class DemoHotel:
    """What ``prepare_hotel`` set up (for the lines the demo prints)."""

    rooms: tuple[str, ...]
    credit: Decimal
    short_room: str
    short_credit: Decimal

    def lines(self, data_dir: Path) -> list[str]:
        """What the demo prints about its hotel; ``data_dir``: the demo's data folder."""
        first, last = self.rooms[0], self.rooms[-1]
        folder = shlex.quote(str(data_dir))
        return [f"demo: a hotel: rooms {first}-{last} are prepaid with {self.credit} yuan each; "
                f"every call is written to {data_dir / 'HotelBill.TXT'}; balances: "
                f"callcenter-server rooms balance --data {folder}",
                f"demo: room {self.short_room} has {self.short_credit} yuan: its long-distance "
                f"call takes it below zero and the PBX then refuses its outside calls until it "
                f"is topped up: callcenter-server rooms topup {self.short_room} 20 "
                f"--data {folder}"]


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """The set-up's sixteen top-ups are one line of the demo's output, not sixteen."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def prepare_hotel() -> DemoHotel | None:
    """On a new store (no call record, no prepaid account) set up the demo hotel in the open
    store; None (and nothing changed) on a store that already holds either."""
    if CallRecordRow.select().exists() or PrepaidAccount.select().exists():
        return None
    with _quiet(ledger.__name__, settings.__name__):
        settings.set_setting("hotel_bill.enabled", "yes", DEMO_USER)
        for port in ROOMS:
            credit = SHORT_CREDIT if port == SHORT_ROOM else ROOM_CREDIT
            ledger.top_up(ledger.room(port), credit, DEMO_USER, "demo hotel")
    log.info("demo: rooms %s-%s prepaid, HotelBill.TXT on", ROOMS[0], ROOMS[-1])
    return DemoHotel(ROOMS, ROOM_CREDIT, SHORT_ROOM, SHORT_CREDIT)


def start_simulator(data_dir: Path, demo: DemoConfig, hotel: DemoHotel | None) -> Simulator:
    """Start the demo's simulator (its memory in DIR/demo-pbx.json) and queue its opening:
    the demo hotel's opening call when ``hotel`` was just set up, else a generated one."""
    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415 (demo only)
    from callcenter.pbxsim.traffic import TrafficError  # noqa: PLC0415 (demo only)

    logging.getLogger("callcenter.pbxsim").setLevel(logging.WARNING)
    simulator = Simulator(SimulatorConfig(
        state_file=demo.state_file or data_dir / "demo-pbx.json", traffic=demo.traffic))
    simulator.start()
    log.info("demo: built-in PBX simulator at %s, %g calls per minute", simulator.url,
             demo.traffic)
    if demo.opening and demo.traffic > 0:
        traffic = simulator.traffic

        def opening() -> None:
            if hotel is not None:
                try:
                    traffic.opening(time.monotonic(), OPENING_CALL)
                    return
                except TrafficError as exc:  # a kept simulator memory that restricts the room
                    log.warning("demo: %s; a generated opening call instead", exc)
            traffic.opening(time.monotonic())

        try:
            simulator.call(opening)
        except TrafficError as exc:  # a state file whose classes refuse every outside call
            log.warning("demo: no opening call: %s", exc)
    return simulator
