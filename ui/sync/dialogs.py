"""The enrolment dialog (登记到中心服务器) and the conflict dialog (choose a side per field, or merge)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.masking import mask_id, mask_name, mask_phone
from reception.sync.desk import ConflictView, EnrollResult, resolve_conflict
from ui.tasks import TaskManager, disable
from ui.widgets import ErrorLabel, button, confirm_row, field_label

TABLE_LABELS = {
    "petitioner": "信访人", "petition_case": "信访事项", "visit": "来访登记", "visit_person": "来访人员",
    "case_event": "案件事件", "receipt_print": "回执打印", "audit_entry": "操作记录", "user": "人员",
    "supervision": "督办", "leader_reception": "领导接访记录", "leader_appointment": "约访",
    "case_ownership": "包案", "down_visit": "下访", "down_visit_case": "下访案件", "backlog_case": "积案",
}


FIELD_LABELS = {
    "name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "gender": "性别", "phone": "联系电话",
    "address": "住址", "status": "状态", "request": "诉求", "facts": "事实和理由", "unit_id": "责任单位",
    "category_id": "问题类别", "locality_id": "问题属地", "content_class": "内容分类", "routing_action": "处理方式",
    "legal_channel": "法定途径", "received_on": "收件日期", "note": "备注", "reply": "现场答复", "outcome": "处理结果",
}
HIDDEN_FIELDS = frozenset({"updated_at", "created_at", "version"})
"""Bookkeeping columns a person need not decide about (the server's values are kept)."""


def table_label(table: str) -> str:
    return TABLE_LABELS.get(table, table)


class EnrollDialog(QDialog):
    """Enrolment: the server address and the one-time code from the administrator (reception server add-desk).

    ``first_run``: offered by the app itself at the first start of a desk that is not enrolled
    (``ui.sync.first_run``); it also offers 单机使用（暂不登记）, remembered on this desk so it is not asked again,
    and 以后再说 (asked again at the next start). The 数据同步 page's 登记到服务器… stays for later.
    """

    enrolled = Signal(object)
    """The EnrollResult."""
    standaloneChosen = Signal()
    """单机使用（暂不登记） was chosen and stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None, *,
                 first_run: bool = False, user_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.first_run = first_run
        self.user_id = user_id
        self.setWindowTitle("登记到中心服务器")
        self.setObjectName("enrollDialog")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        if first_run:
            head = QLabel("本工位尚未登记到中心服务器")
            head.setObjectName("enrollHeading")
            head.setStyleSheet("font-size: 16px; font-weight: bold;")
            layout.addWidget(head)
        intro = QLabel("请输入管理员提供的服务器地址和一次性登记码。登记后，本工位的登记信息会自动上传，"
                       "并下载中心的基础数据。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText("https://xfzx.example.gov.cn:8765")
        form.addRow(field_label("服务器地址", self.server_edit), self.server_edit)
        self.server_error = ErrorLabel()
        form.addRow("", self.server_error)
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("XXXX-XXXX-XXXX")
        form.addRow(field_label("登记码", self.code_edit), self.code_edit)
        self.code_error = ErrorLabel()
        form.addRow("", self.code_error)
        layout.addLayout(form)
        if first_run:
            standalone = QLabel("暂时没有服务器地址和登记码，或本工位不联网时，可以选择“单机使用（暂不登记）”："
                                "登记信息只保存在本机，以后仍可在“数据同步”页登记，已有的登记信息届时一并上传。")
            standalone.setObjectName("standaloneHint")
            standalone.setWordWrap(True)
            standalone.setStyleSheet("color: #546e7a;")
            layout.addWidget(standalone)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.standalone_button = button("单机使用（暂不登记）")
        if not first_run:
            self.standalone_button.hide()
        self.ok_button, self.cancel_button = confirm_row(
            layout, "登记", self.submit, self.reject, cancel_text="以后再说" if first_run else "取消",
            leading=[self.standalone_button] if first_run else [])
        self.standalone_button.clicked.connect(self.choose_standalone)
        self.server_edit.setFocus()

    def choose_standalone(self) -> None:
        """Remember 单机使用 on this desk (a LOCAL setting), then close."""
        from reception.sync.first_start import choose_standalone

        self.error.clear_message()
        user_id = self.user_id

        def done(_none: object) -> None:
            self.standaloneChosen.emit()
            self.reject()

        self.tasks.op(lambda: choose_standalone(self.ctx, user_id), done, what="choose_standalone", write=True,
                      owner=self, message=self.error.show_message, busy=disable(self.standalone_button))

    def submit(self) -> None:
        server = self.server_edit.text().strip()
        code = self.code_edit.text().strip()
        self.server_error.clear_message()
        self.code_error.clear_message()
        self.error.clear_message()
        if not server.startswith(("http://", "https://")):
            self.server_error.show_message("请填写以 https:// 开头的服务器地址")
            return
        if len(code.replace("-", "")) < 8:
            self.code_error.show_message("请填写管理员提供的登记码")
            return
        def done(result: EnrollResult) -> None:
            self.enrolled.emit(result)
            self.accept()

        def work() -> EnrollResult:
            from reception.sync.desk import enroll  # (httpx and the protocol: imported here, off the GUI thread)

            return enroll(self.ctx, server, code)

        self.tasks.op(work, done, what="enroll", owner=self,
                      message=self.error.show_message, busy=self._busy)

    def _busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)
        self.ok_button.setText("正在登记…" if busy else "登记")
        self.ok_button.setAccessibleName(self.ok_button.text())
        self.standalone_button.setEnabled(not busy)


class ConflictDialog(QDialog):
    """Both sides of a conflict, one row per differing field, each with a choice (本机 / 服务器): all of one side
    is "choosing", a mix is "merging". Collisions and apply problems can only be acknowledged."""

    resolved = Signal(object)

    def __init__(self, ctx: AppContext, tasks: TaskManager, conflict: ConflictView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.conflict = conflict
        self.setWindowTitle("处理同步冲突")
        self.setObjectName("conflictDialog")
        self.setMinimumSize(760, 420)
        layout = QVBoxLayout(self)
        head = QLabel(f"{table_label(conflict.table)}（{conflict.record_id[:8]}…）：{conflict.message}")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.choices: dict[str, QComboBox] = {}
        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("冲突字段")
        self.table.setHorizontalHeaderLabels(["字段", "本机", "服务器", "采用"])
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        fields = [f for f in conflict.differing if f not in HIDDEN_FIELDS] if conflict.kind == "version" else []
        local, server = conflict.local_data or {}, conflict.server_data or {}
        for row, name in enumerate(fields):
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(FIELD_LABELS.get(name, name)))
            self.table.setItem(row, 1, QTableWidgetItem(_shown(name, local.get(name))))
            self.table.setItem(row, 2, QTableWidgetItem(_shown(name, server.get(name))))
            combo = QComboBox()
            combo.addItem("服务器", "server")
            combo.addItem("本机", "local")
            combo.setAccessibleName(f"采用 {FIELD_LABELS.get(name, name)}")
            self.table.setCellWidget(row, 3, combo)
            self.choices[name] = combo
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 1)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.local_button = button("全部采用本机")
        self.server_button = button("全部采用服务器")
        self.merge_button = button("按所选合并", default=True)
        self.ack_button = button("确认知悉")
        self.close_button = button("关闭")
        for b in (self.local_button, self.server_button, self.merge_button, self.ack_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        version = conflict.kind == "version"
        for b in (self.local_button, self.server_button, self.merge_button):
            b.setVisible(version)
        self.ack_button.setVisible(not version)
        self.local_button.clicked.connect(lambda: self._resolve("local"))
        self.server_button.clicked.connect(lambda: self._resolve("server"))
        self.merge_button.clicked.connect(self._merge)
        self.ack_button.clicked.connect(lambda: self._resolve("acknowledge"))
        self.close_button.clicked.connect(self.reject)

    def merged_values(self) -> dict[str, Any]:
        base = dict(self.conflict.server_data or self.conflict.local_data or {})
        local = self.conflict.local_data or {}
        for name, combo in self.choices.items():
            if combo.currentData() == "local":
                base[name] = local.get(name)
        return base

    def _merge(self) -> None:
        picks = {c.currentData() for c in self.choices.values()}
        if picks == {"server"}:
            self._resolve("server")
        else:
            self._resolve("merged", self.merged_values())

    def _resolve(self, choice: str, merged: dict[str, Any] | None = None) -> None:
        self.error.clear_message()
        cid = self.conflict.id

        def done(view: ConflictView) -> None:
            self.resolved.emit(view)
            self.accept()

        self.tasks.op(lambda: resolve_conflict(self.ctx, cid, choice, merged), done, what="resolve_conflict",
                      write=True, owner=self, message=self.error.show_message)


def _shown(field: str, value: Any) -> str:
    """A value as shown: ID numbers, phones and names masked (the dialog is a list like any other)."""
    if value is None:
        return "（空）"
    text = str(value)
    if field == "id_number":
        return mask_id(text)
    if field == "phone":
        return mask_phone(text)
    if field == "name":
        return mask_name(text)
    return text if len(text) <= 80 else text[:80] + "…"


_ = Qt
