"""审计日志: the supervisors' viewer of the audit trail, filtered by date range, user and action, with the chain check.

The entries carry no personal data in clear (masked or hashed values), so the viewer shows them as stored. Reading
the trail is itself audited by the core (``reception.security.audit.list_entries``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.intake import directory
from reception.security.audit import AuditRow, VerifyReport, action_label, known_actions, list_entries, verify
from ui.table_model import Column, RowTableModel
from ui.tasks import TaskManager
from ui.widgets import button, field_label

COLUMNS: tuple[Column[AuditRow], ...] = (
    Column("时间", lambda r: f"{r.at:%Y-%m-%d %H:%M:%S}", sort=lambda r: r.at),
    Column("用户", lambda r: r.user),
    Column("工位", lambda r: r.desk),
    Column("操作", lambda r: r.action_label),
    Column("对象", lambda r: r.entity),
    Column("对象编号", lambda r: r.entity_id[:8]),
    Column("说明", lambda r: r.detail),
    Column("变更（已脱敏）", lambda r: r.changes),
)


class AuditTableModel(RowTableModel[AuditRow]):
    COLUMNS = COLUMNS


class AuditViewer(QDialog):
    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.actor_id = actor_id
        self.setObjectName("auditViewer")
        self.setWindowTitle("审计日志")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, 1100, 620, centred=False)
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        today = ctx.now().date()
        self.start_edit = QDateEdit(_qdate(today - timedelta(days=7)))
        self.end_edit = QDateEdit(_qdate(today))
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.user_combo = QComboBox()
        self.user_combo.addItem("全部用户", "")
        with ctx.db.read() as session:
            for u in directory.users(session, active_only=False):
                self.user_combo.addItem(f"{u.display_name}（{u.username}）", u.id)
        self.action_combo = QComboBox()
        self.action_combo.addItem("全部操作", "")
        for action in known_actions(ctx):
            self.action_combo.addItem(action_label(action), action)
        for text, widget in (("起始日期", self.start_edit), ("截止日期", self.end_edit), ("用户", self.user_combo),
                             ("操作", self.action_combo)):
            filters.addWidget(field_label(text, widget))
            filters.addWidget(widget)
        self.search_button = button("查询", default=True)
        self.search_button.clicked.connect(self.refresh)
        self.verify_button = button("校验完整性")
        self.verify_button.clicked.connect(self.check_chain)
        filters.addWidget(self.search_button)
        filters.addWidget(self.verify_button)
        filters.addStretch(1)
        layout.addLayout(filters)
        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName("审计记录")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setObjectName("auditStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

    def filters(self) -> dict[str, Any]:
        return {"start": _date(self.start_edit.date()), "end": _date(self.end_edit.date()),
                "user_id": self.user_combo.currentData() or None, "action": self.action_combo.currentData() or None}

    def refresh(self) -> None:
        ctx, actor, f = self.ctx, self.actor_id, self.filters()
        if f["start"] > f["end"]:
            self.status.setText("起始日期不能晚于截止日期")
            return
        self.status.setText("正在读取…")
        self.tasks.op(lambda: list_entries(ctx, actor_id=actor, **f), self._loaded, what="audit_list", write=True,
                      owner=self, message=self.status.setText)

    def _loaded(self, rows: list[AuditRow]) -> None:
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.status.setText(f"共{len(rows)}条记录" if rows else "没有符合条件的记录")

    def check_chain(self) -> None:
        ctx = self.ctx

        def run() -> VerifyReport:
            from reception.security.audit import ChainReport
            from reception.sync.desk import audit_against_server

            with ctx.db.read() as session:
                report = verify(session)
            against, _note = audit_against_server(ctx)  # (where enrolled: the server's copy of the chain's tail)
            if against:
                report.chains.append(ChainReport("服务器核对", problems=against))
            return report

        self.tasks.op(run, self._verified, what="audit_verify", owner=self, message=self.status.setText)

    def _verified(self, report: VerifyReport) -> None:
        total = sum(c.entries for c in report.chains)
        if report.ok:
            self.status.setText(f"完整性校验通过：{len(report.chains)}条工位链，共{total}条记录")
        else:
            self.status.setText(f"完整性校验失败：{'；'.join(report.problems[:3])}")


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _date(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())
