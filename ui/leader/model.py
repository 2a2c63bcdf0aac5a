"""The leader's queue as a table model (column constants, ``set_rows`` with reset, sort and object roles)."""

from __future__ import annotations

from reception.leader.service import QueueItem, QueueState
from ui.table_model import Column, ObjectRole, RowTableModel, SortRole

__all__ = ["ObjectRole", "QueueModel", "SortRole"]

COL_TIME = 0
COL_CASE_NO = 1
COL_PETITIONER = 2
COL_HEADCOUNT = 3
COL_CATEGORY = 4
COL_STATE = 5


def _time(q: QueueItem) -> str:
    return f"{q.at:%H:%M}" + ("　约访" if q.source == "appointment" else "")


def _state(q: QueueItem) -> str:
    if q.state is QueueState.RECEIVED:
        return f"已接访（{q.outcome_label}）" if q.outcome_label else "已接访"
    return q.state.label


def _request(q: QueueItem) -> str | None:
    return f"诉求：{q.request}" if q.request else None


class QueueModel(RowTableModel[QueueItem]):
    COLUMNS = (
        Column[QueueItem]("时间", _time, sort=lambda q: q.at.timestamp()),
        Column[QueueItem]("案件编号", lambda q: q.case_no),
        Column[QueueItem]("信访人", lambda q: q.petitioner, tooltip=_request),
        Column[QueueItem]("人数", lambda q: str(q.headcount), sort=lambda q: q.headcount, right=True),
        Column[QueueItem]("问题类别", lambda q: q.category, tooltip=_request),
        Column[QueueItem]("状态", _state, colour=lambda q: "received" if q.state is QueueState.RECEIVED else "waiting"),
    )
    COLOURS = {"received": (None, "#2e7d32"), "waiting": (None, "#e65100")}

    def row_of(self, key: str) -> int:
        """The row of the item with ``key`` (visit, appointment or case id); -1 when absent."""
        return next((i for i, q in enumerate(self._rows) if q.key == key), -1)
