"""设置: this desk's business settings (stored in the database, so they travel with the data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.settings import DeskSettings
from reception.domain.deadlines import RollPolicy
from reception.domain.enums import ReceiptLayout
from reception.domain.errors import FieldError
from reception.setup import check_query_base_url, update_desk_settings
from ui.printing import UI_SETTINGS_FILE, PrintChoice, PrinterSettings, available_printers
from ui.reference import Reference
from ui.tasks import TaskManager, disable
from ui.widgets import ErrorLabel, FieldCell, combo_enum, confirm_row

PAPER_HINT = "A4、A5 用于普通激光或喷墨打印机；80毫米热敏纸用于小票打印机（回执按内容自动定长）。"
PRINTER_HINT = ("选定打印机并勾选“直接打印”后，打印时不再弹出预览和打印对话框；需要时可在登记完成后点“打印预览”。"
                "未勾选时每次先显示打印预览，并记住最近一次使用的打印机。")
ASK_EACH_TIME = "系统默认打印机（每次预览）"
QUERY_URL_HINT = ("群众扫描回执二维码打开的网上查询页面地址（中心服务器对外的网址，如 https://xfzx.example.gov.cn），"
                  "二维码内容为“网址/q/案件编号?c=查询码”。不填时使用本工位登记的同步服务器地址。")
ROLL_HINT = ("按“日”计算的期限，末日遇休息日或节假日是否顺延至下一个工作日（调休上班日不顺延）。"
             "更改后所有案件的期限将重新计算。")


def store_settings(ctx: AppContext, layout: ReceiptLayout, desk_id: str,
                   roll: RollPolicy | None = None, *, actor_id: str | None = None,
                   query_base_url: str | None = None) -> DeskSettings:
    """Change only what this dialog shows, on top of the settings as they are now (a changed roll-over rule
    recomputes every clock, in the same background task)."""
    changes: dict[str, object] = {"receipt_layout": layout.value, "desk_id": desk_id}
    if query_base_url is not None:
        changes["query_base_url"] = query_base_url
    if roll is not None:
        changes["deadline_roll"] = roll.value
    return update_desk_settings(ctx, actor_id=actor_id, **changes)


class SettingsDialog(QDialog):
    settingsSaved = Signal(object)
    """The new DeskSettings."""
    lockMinutesChanged = Signal(int)

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager,
                 parent: QWidget | None = None, *,
                 printers: Callable[[], Sequence[str]] = available_printers) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.printer_settings = PrinterSettings(ctx.paths.root / UI_SETTINGS_FILE)
        self.tasks = tasks
        self.setWindowTitle("设置")
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(540)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)

        self.paper_combo = QComboBox()
        for item in ReceiptLayout:
            self.paper_combo.addItem(item.label, item.value)
        self.paper_combo.setCurrentIndex(self.paper_combo.findData(reference.settings.layout.value))
        paper_label = QLabel("回执纸张")
        paper_label.setBuddy(self.paper_combo)
        self.paper_combo.setAccessibleName("回执纸张")
        form.addRow(paper_label, self.paper_combo)
        hint = QLabel(PAPER_HINT)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #607d8b;")
        form.addRow("", hint)

        self.desk_combo = QComboBox()
        for desk in reference.desks:
            self.desk_combo.addItem(f"{desk.name}（{desk.code}）", desk.id)
        self.desk_combo.setPlaceholderText("未设置")
        self.desk_combo.setCurrentIndex(self.desk_combo.findData(reference.desk_id) if reference.desk_id else -1)
        desk_label = QLabel("本机工位")
        desk_label.setBuddy(self.desk_combo)
        self.desk_combo.setAccessibleName("本机工位")
        form.addRow(desk_label, self.desk_combo)

        self.query_url_edit = QLineEdit(reference.settings.query_base_url)
        self.query_url_edit.setPlaceholderText("https://xfzx.example.gov.cn（不填则用同步服务器地址）")
        self.query_url_edit.setMaxLength(200)
        query_url_label = QLabel("查询网址")
        query_url_label.setBuddy(self.query_url_edit)
        self.query_url_edit.setAccessibleName("查询网址")
        self.query_url_cell = FieldCell(self.query_url_edit)
        self.query_url_edit.textEdited.connect(lambda _t: self.query_url_cell.error.clear_message())
        form.addRow(query_url_label, self.query_url_cell)
        query_hint = QLabel(QUERY_URL_HINT)
        query_hint.setWordWrap(True)
        query_hint.setStyleSheet("color: #607d8b;")
        form.addRow("", query_hint)

        self.roll_combo = QComboBox()
        for policy in RollPolicy:
            self.roll_combo.addItem(policy.label, policy.value)
        self.roll_combo.setCurrentIndex(self.roll_combo.findData(reference.settings.roll_policy.value))
        roll_label = QLabel("期限末日顺延")
        roll_label.setBuddy(self.roll_combo)
        self.roll_combo.setAccessibleName("期限末日顺延")
        form.addRow(roll_label, self.roll_combo)
        roll_hint = QLabel(ROLL_HINT)
        roll_hint.setWordWrap(True)
        roll_hint.setStyleSheet("color: #607d8b;")
        form.addRow("", roll_hint)
        # the lock after inactivity: a security setting, so only an administrator changes it
        from reception.security.accounts import lock_minutes
        from reception.security.permissions import Permission, allowed

        self.lock_spin = QSpinBox()
        self.lock_spin.setRange(0, 240)
        self.lock_spin.setSuffix(" 分钟")
        self.lock_spin.setSpecialValueText("不锁定")
        self.initial_lock = lock_minutes(ctx)
        self.lock_spin.setValue(self.initial_lock)
        self.actor_id = reference.user_id or None
        # the lock and the roll-over rule (which moves every legal deadline) are the administrator's
        admin = reference.user is not None and allowed(reference.user.role, Permission.ADMIN)
        for widget in (self.lock_spin, self.roll_combo):
            widget.setEnabled(admin)
            widget.setToolTip("" if admin else "只有系统管理员可以修改")
        lock_label = QLabel("无操作自动锁定")
        lock_label.setBuddy(self.lock_spin)
        self.lock_spin.setAccessibleName("无操作自动锁定")
        form.addRow(lock_label, self.lock_spin)
        layout.addLayout(form)
        layout.addWidget(self._printer_box(list(printers())))
        self.error = ErrorLabel(self)
        layout.addWidget(self.error)

        self.save_button, self.cancel_button = confirm_row(layout, "保存", self.save, self.reject)

    def _printer_box(self, names: list[str]) -> QGroupBox:
        """本机打印机: for each paper a printer and 直接打印 (kept on this computer, not in the database)."""
        box = QGroupBox("本机打印机")
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.printer_combos: dict[ReceiptLayout, QComboBox] = {}
        self.direct_checks: dict[ReceiptLayout, QCheckBox] = {}
        for paper in ReceiptLayout:
            choice = self.printer_settings.choice(paper)
            combo = QComboBox()
            combo.addItem(ASK_EACH_TIME, "")
            for name in names:
                combo.addItem(name, name)
            if choice.printer and choice.printer not in names:
                combo.addItem(f"{choice.printer}（未连接）", choice.printer)
            combo.setCurrentIndex(max(0, combo.findData(choice.printer)))
            text = f"{paper.label}打印机"
            label = QLabel(text)
            label.setBuddy(combo)
            combo.setAccessibleName(text)
            direct = QCheckBox("直接打印")
            direct.setAccessibleName(f"{paper.label}直接打印")
            direct.setChecked(choice.direct)
            direct.setEnabled(bool(choice.printer))
            combo.currentIndexChanged.connect(
                lambda _i, c=combo, d=direct: (d.setEnabled(bool(c.currentData())),
                                               d.setChecked(d.isChecked() and bool(c.currentData()))))
            row = QHBoxLayout()
            row.addWidget(combo, 1)
            row.addWidget(direct)
            form.addRow(label, row)
            self.printer_combos[paper] = combo
            self.direct_checks[paper] = direct
        hint = QLabel(PRINTER_HINT if names else PRINTER_HINT + "（本机未检测到打印机。）")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #607d8b;")
        form.addRow("", hint)
        return box

    def save_printers(self) -> None:
        for paper, combo in self.printer_combos.items():
            name = combo.currentData()
            printer = name if isinstance(name, str) else ""
            self.printer_settings.remember(paper, PrintChoice(printer, self.direct_checks[paper].isChecked()))

    def save(self) -> None:
        self.save_printers()  # local and immediate (a file on this computer)
        layout = combo_enum(self.paper_combo, ReceiptLayout)
        desk = self.desk_combo.currentData()
        roll = combo_enum(self.roll_combo, RollPolicy) if self.roll_combo.isEnabled() else None
        if layout is None:
            self.error.show_message("请选择回执纸张")
            return
        try:
            query_url = check_query_base_url(self.query_url_edit.text())
        except FieldError as exc:  # (next to the field; what was typed stays)
            self.query_url_cell.error.show_message(exc.message)
            self.query_url_edit.setFocus()
            return
        self.query_url_cell.error.clear_message()
        ctx = self.ctx
        desk_id = desk if isinstance(desk, str) else ""
        minutes = self.lock_spin.value() if self.lock_spin.value() != self.initial_lock else None
        actor = self.actor_id

        def done(settings: DeskSettings) -> None:
            if minutes is not None:
                self.lockMinutesChanged.emit(minutes)
            self.settingsSaved.emit(settings)
            self.accept()

        def store() -> DeskSettings:
            if minutes is not None:
                from reception.security.accounts import save_lock_minutes

                save_lock_minutes(ctx, minutes, actor_id=actor)
            return store_settings(ctx, layout, desk_id, roll, actor_id=actor, query_base_url=query_url)

        self.tasks.op(store, done, what="settings", write=True, owner=self, message=self.error.show_message,
                      busy=disable(self.save_button))
