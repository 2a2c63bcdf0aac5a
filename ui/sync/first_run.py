"""First start of a desk that is not enrolled: offer enrolment to an administrator, a quiet hint to anyone else.

``ui.app.main`` calls ``offer_enrolment`` once the main window is shown and the sign-in is complete; nothing else
does (the window never pops the dialog by itself, so tests and ``create_main_window`` are never blocked by it).
The decision is ``reception.sync.first_start.enrolment_offer``: enrolled desks, demo directories and desks where
单机使用（暂不登记） was chosen are never asked.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reception.sync.first_start import EnrolmentOffer, enrolment_offer

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

HINT_TEXT = "本工位尚未登记到中心服务器，登记信息只保存在本机。请系统管理员在“数据同步”页登记。"
HINT_MS = 120_000


def offer_enrolment(window: MainWindow, *, demo: bool = False) -> None:
    """Read the decision in the background; then open the enrolment dialog (window-modal, not blocking the event
    loop) or show the hint in the status bar. ``window.enrolment_offer`` keeps what was decided (for tests)."""
    ctx, user_id = window.ctx, window.reference.user_id or None

    def done(offer: EnrolmentOffer) -> None:
        window.enrolment_offer = offer
        if offer is EnrolmentOffer.DIALOG:
            window.open_enrolment(first_run=True)
        elif offer is EnrolmentOffer.HINT:
            window.statusBar().showMessage(HINT_TEXT, HINT_MS)

    def failed(exc: BaseException) -> None:  # never an error box at start-up for this: the page still offers it
        log.warning("could not decide whether to offer enrolment: %s", type(exc).__name__)

    window.tasks.run(lambda: enrolment_offer(ctx, user_id, demo=demo), done, failed, owner=window,
                     what="enrolment_offer")
