"""The case-tracking tabs of 案件查询: 临期提醒, 超期案件, 督办 and 短信通知.

Each tab is a table filled in the background (``TaskManager``), refreshed when it is shown and by the page's timer;
its count goes into the tab title. The clock lists may write (``sync_clocks`` catches up new registrations), so
they run on the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.enums import Role
from reception.lifecycle import notify
from reception.lifecycle.notify import NoticeRow, SmsGateway
from reception.lifecycle.service import ClockRow, SupervisionRow, count_text, due_soon, overdue, supervision_list
from reception.security.permissions import Permission, allowed
from ui.cases.model import ObjectRole, SortRole
from ui.cases.tracking_models import (
    CLOCK_COL_DUE,
    NOTICE_STATES,
    SUP_COL_DUE,
    ClockTableModel,
    OutboxTableModel,
    SupervisionTableModel,
)
from ui.reference import Reference, refill_combo
from ui.table_model import RowTableModel
from ui.tasks import TaskManager, error_message
from ui.widgets import button, field_label

Loaded = tuple[int, Sequence[Any]]
"""(total, rows): the total may exceed the rows shown (lists are capped)."""


class TrackingTab(QWidget):
    """A titled list with an optional 责任单位 filter, a 刷新 button and a status line."""

    countChanged = Signal(int)
    openRequested = Signal(str, str)
    """(case id, case number) of a double-clicked row."""

    title = ""
    hint = ""
    with_unit_filter = True
    write = True

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, model: RowTableModel[Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        self.model = model
        model.setParent(self)
        self.total: int | None = None
        self._generation = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.bar = QHBoxLayout()
        self.unit_combo = QComboBox()
        self.unit_combo.setMinimumWidth(220)
        self.unit_label: QLabel | None = None
        if self.with_unit_filter:
            self.unit_combo.addItem("全部", "")
            for unit in reference.units:
                self.unit_combo.addItem(unit.name, unit.id)
            self.unit_label = field_label("责任单位", self.unit_combo)
            self.bar.addWidget(self.unit_label)
            self.bar.addWidget(self.unit_combo)
            self.unit_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        else:
            self.unit_combo.hide()
        self.bar.addStretch(1)
        self.refresh_button = button("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        self.bar.addWidget(self.refresh_button)
        layout.addLayout(self.bar)
        self.status = QLabel()
        layout.addWidget(self.status)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SortRole)
        self.table = QTableView()
        self.table.setAccessibleName(self.title)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)
        layout.addWidget(self.table, 1)
        if self.hint:
            hint = QLabel(self.hint)
            hint.setStyleSheet("color: #607d8b;")
            hint.setWordWrap(True)
            layout.addWidget(hint)

        self._show_unit_filter()

    def actor(self) -> str | None:
        """The signed-in user: the core lists only the cases they may see (a unit's staff: their unit's)."""
        return self.reference.user_id or None

    def _show_unit_filter(self) -> None:
        # a unit's staff see their own unit's cases only: a choice of units would offer nothing
        user = self.reference.user
        unit_staff = user is not None and user.role == Role.UNIT_STAFF.value
        self.unit_combo.setVisible(self.with_unit_filter and not unit_staff)
        if self.unit_label is not None:
            self.unit_label.setVisible(self.with_unit_filter and not unit_staff)
        if unit_staff:
            self.unit_combo.setCurrentIndex(0)

    def set_reference(self, reference: Reference) -> None:
        """Another user or new reference data: the unit filter lists the units as they are now; another user's
        list is read again at once (it is theirs, not the last user's)."""
        old, self.reference = self.reference, reference
        self._show_unit_filter()
        if self.with_unit_filter and reference.units != old.units and refill_combo(
                self.unit_combo, [("全部", ""), *((u.name, u.id) for u in reference.units)], fallback=0):
            self.refresh()  # the unit filtered on is gone: show all
        elif reference.user_id != old.user_id and self.total is not None:
            self.refresh()

    # -- loading ----------------------------------------------------------------------------------------------------

    def unit_id(self) -> str | None:
        data = self.unit_combo.currentData()
        return data if isinstance(data, str) and data else None

    def load(self, unit_id: str | None) -> Loaded:
        raise NotImplementedError

    def describe(self, total: int, shown: int) -> str:
        if not total:
            return f"{self.title}：没有案件"
        more = f"（显示前{shown}件）" if total > shown else ""
        return f"{self.title}：共{count_text(total)}件{more}"

    def signed_out(self) -> bool:
        """Nobody signed in (after 注销): nothing is read (no user is not the system, which sees everything)."""
        if self.reference.user is not None:
            return False
        self._generation += 1
        self.model.set_rows([])
        self.status.setText("未登录")
        return True

    def _said(self, generation: int) -> Callable[[str], None]:
        """Where a read's error goes: the status line, unless another read has started since."""
        def said(text: str) -> None:
            if generation == self._generation:
                self.status.setText(text)
        return said

    def refresh(self) -> None:
        if self.signed_out():
            return
        self._generation += 1
        generation = self._generation
        unit_id = self.unit_id()
        self.status.setText("正在读取…")

        def done(result: Loaded) -> None:
            if generation != self._generation:
                return
            total, rows = result
            self.model.set_rows(rows)
            self.table.resizeColumnsToContents()
            self.status.setText(self.describe(total, len(rows)))
            self.total = total
            self.countChanged.emit(total)

        self.tasks.op(lambda: self.load(unit_id), done, what=f"tracking {type(self).__name__}", write=self.write,
                      owner=self, message=self._said(generation), prefix="读取失败：")

    # -- opening ----------------------------------------------------------------------------------------------------

    def row_at(self, proxy_row: int) -> Any:
        return self.proxy.index(proxy_row, 0).data(ObjectRole)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            row = self.row_at(index.row())
            self.openRequested.emit(row.case_id, row.case_no)


class DueSoonTab(TrackingTab):
    title = "临期提醒"
    hint = "办理期限将至（琥珀色）的案件，到期日最近的在前。双击一行查看案件详情并办理。"

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, reference, tasks, ClockTableModel(), parent)
        self.table.sortByColumn(CLOCK_COL_DUE, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setStretchLastSection(False)  # no wide coloured band to the right

    def load(self, unit_id: str | None) -> Loaded:
        result = due_soon(self.ctx, unit_id=unit_id, actor_id=self.actor())
        return result.total, result.rows

    def rows(self) -> list[ClockRow]:
        return [r for r in self.model.rows() if isinstance(r, ClockRow)]


class OverdueTab(DueSoonTab):
    title = "超期案件"
    hint = "已超过办理期限（红色）的案件，超期最久的在前。双击一行查看案件详情并办理、督办。"

    def load(self, unit_id: str | None) -> Loaded:
        result = overdue(self.ctx, unit_id=unit_id, actor_id=self.actor())
        return result.total, result.rows


class SupervisionTab(TrackingTab):
    title = "督办"
    hint = "督办中的案件及其30日反馈期限，反馈期限最近的在前。双击一行查看案件详情。"
    write = False

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, reference, tasks, SupervisionTableModel(), parent)
        self.table.sortByColumn(SUP_COL_DUE, Qt.SortOrder.AscendingOrder)

    def load(self, unit_id: str | None) -> Loaded:
        return supervision_list(self.ctx, unit_id=unit_id, actor_id=self.actor())

    def rows(self) -> list[SupervisionRow]:
        return [r for r in self.model.rows() if isinstance(r, SupervisionRow)]


class OutboxTab(TrackingTab):
    title = "短信通知"
    hint = ("依法应告知信访人的事项生成的短信通知。“发送待发通知”把待发送的通知交给短信网关；"
            "“重发失败通知”在补登手机号码或网关恢复后重新发送失败的通知。")
    with_unit_filter = False
    write = False

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager,
                 gateway: Callable[[], SmsGateway], parent: QWidget | None = None) -> None:
        super().__init__(ctx, reference, tasks, OutboxTableModel(), parent)
        self.gateway = gateway
        self.counts: dict[str, int] = {}
        self.send_note = ""
        self.send_button: QPushButton = button("发送待发通知")
        self.send_button.clicked.connect(self.send_pending)
        self.bar.insertWidget(self.bar.count() - 1, self.send_button)
        self.resend_button: QPushButton = button("重发失败通知")
        self.resend_button.clicked.connect(self.resend_failed)
        self.resend_button.setEnabled(False)
        self.bar.insertWidget(self.bar.count() - 1, self.resend_button)
        self._show_unit_filter()

    def load(self, unit_id: str | None) -> Loaded:
        actor = self.actor()
        counts = notify.outbox_counts(self.ctx, actor_id=actor)
        rows = notify.outbox(self.ctx, actor_id=actor)
        return counts.get("pending", 0), (counts, rows)

    def may_send(self) -> bool:
        """Sending is the centre's (``NOTIFY``): the buttons are not shown to anyone else."""
        user = self.reference.user
        return user is None or allowed(user.role, Permission.NOTIFY)

    def _show_unit_filter(self) -> None:
        super()._show_unit_filter()
        if hasattr(self, "send_button"):
            self.send_button.setVisible(self.may_send())
            self.resend_button.setVisible(self.may_send())

    def refresh(self) -> None:
        if self.signed_out():
            return
        self._generation += 1
        generation = self._generation
        self.status.setText("正在读取…")

        def done(result: Loaded) -> None:
            if generation != self._generation:
                return
            pending, (counts, rows) = result
            self.counts = dict(counts)
            self.model.set_rows(rows)
            self.table.resizeColumnsToContents()
            self.table.setColumnWidth(self.model.columnCount() - 1, 400)
            parts = "，".join(f"{label}{self.counts.get(key, 0)}条" for key, label in NOTICE_STATES.items())
            more = f"（显示最近{len(rows)}条）" if len(rows) < sum(self.counts.values()) else ""
            self.status.setText(f"短信通知：{parts}{more}" + (f"　{self.send_note}" if self.send_note else ""))
            self.total = pending
            self.send_button.setEnabled(pending > 0 and self.may_send())
            self.resend_button.setEnabled(self.counts.get("failed", 0) > 0 and self.may_send())
            self.countChanged.emit(pending)

        self.tasks.op(lambda: self.load(None), done, what="outbox", owner=self, message=self._said(generation),
                      prefix="读取失败：")

    def rows(self) -> list[NoticeRow]:
        return [r for r in self.model.rows() if isinstance(r, NoticeRow)]

    def send_pending(self) -> None:
        ctx, gateway, actor = self.ctx, self.gateway(), self.actor()
        self.send_button.setEnabled(False)
        self.status.setText("正在发送…")

        def done(report: notify.SendReport) -> None:
            self.send_note = f"本次发送成功{report.sent}条，失败{report.failed}条"
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.send_button.setEnabled(True)
            self.status.setText(f"发送失败：{error_message(exc)}")

        self.tasks.run(lambda: notify.send_pending(ctx, gateway, actor_id=actor), done, failed, write=True, owner=self,
                       what="send notices")

    def resend_failed(self) -> None:
        """Send the failed notices again (the selected ones when some failed rows are selected)."""
        ctx, gateway, actor = self.ctx, self.gateway(), self.actor()
        chosen = [r.id for r in self.selected_rows() if r.status == "failed"]
        ids = chosen or None
        self.resend_button.setEnabled(False)
        self.status.setText("正在重发…")

        def done(report: notify.SendReport) -> None:
            self.send_note = f"本次重发成功{report.sent}条，失败{report.failed}条"
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.resend_button.setEnabled(True)
            self.status.setText(f"重发失败：{error_message(exc)}")

        self.tasks.run(lambda: notify.resend_failed(ctx, gateway, ids=ids, actor_id=actor), done, failed,
                       write=True, owner=self, what="resend notices")

    def selected_rows(self) -> list[NoticeRow]:
        out = []
        for index in self.table.selectionModel().selectedRows():
            row = index.data(ObjectRole)
            if isinstance(row, NoticeRow):
                out.append(row)
        return out
