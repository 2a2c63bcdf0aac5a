"""首次使用向导: the first start of a desk nobody can sign in to yet (not a demo, not enrolled, no password set).

Three pages: the centre and this desk (the centre's name is printed on every receipt as the registering unit), the
first administrator's account and password (the rules of ``reception.security.accounts``, errors next to the
field), and how the desk is used: 单机使用 (optionally with the shipped category tree), or 登记到中心服务器 through
the enrolment dialog (``ui.sync.dialogs.EnrollDialog``, the same one the 数据同步 page opens). Each page's input is
written by the core's services (``reception.setup``) when 下一步 is pressed, in the background; the
directory, units and routing rules then come from the 管理 → 基础数据 screens (a workbook to fill in) or the server.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from reception import APP_TITLE
from reception.context import AppContext
from reception.security.accounts import F_DISPLAY_NAME, F_PASSWORD, F_USERNAME
from reception.setup import (
    F_CENTRE,
    F_CONFIRM,
    F_DESK_CODE,
    F_DESK_NAME,
    DeskSetup,
    configure_desk,
    create_first_admin,
    desk_setup,
    finish_first_run,
)
from ui.admin.forms import CENTRE_LABEL, CONFIRM_LABEL, DESK_CODE_LABEL, DESK_NAME_LABEL, FieldForm
from ui.tasks import TaskManager, disable
from ui.widgets import ErrorLabel, button

PASSWORD_HINT = "至少8位，须同时包含字母和数字，不能包含用户名。"
BUTTON_TEXTS = {QWizard.WizardButton.BackButton: "上一步", QWizard.WizardButton.NextButton: "下一步",
                QWizard.WizardButton.FinishButton: "完成", QWizard.WizardButton.CancelButton: "取消"}


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #546e7a;")
    return label


class _WritingPage(QWizardPage):
    """A page whose 下一步 first has the core store what it shows (in the background), then moves on."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self.setup = wizard
        self.stored = False
        self.busy = False

    def store(self) -> Any:  # in the worker
        raise NotImplementedError

    def on_stored(self, _result: Any) -> None:
        pass

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.stored:
            return True
        if self.busy:
            return False
        self.form.clear_errors()
        next_button = self.setup.button(QWizard.WizardButton.NextButton)

        def busy(on: bool) -> None:
            self.busy = on
            next_button.setEnabled(not on)

        def done(result: Any) -> None:
            self.stored = True
            self.on_stored(result)
            QTimer.singleShot(0, self.setup.next)

        self.setup.tasks.op(self.store, done, what=f"setup_{type(self).__name__}", write=True, owner=self,
                            on_error=self.form.show_error, busy=busy)
        return False

    form: FieldForm


class CentrePage(_WritingPage):
    def __init__(self, wizard: SetupWizard, current: DeskSetup) -> None:
        super().__init__(wizard)
        self.setTitle("中心与本工位")
        self.setSubTitle("中心名称打印在每张登记回执上（登记单位）；工位代码是本工位案件编号的前缀。")
        layout = QVBoxLayout(self)
        self.form = FieldForm()
        self.centre_edit = self.form.add(F_CENTRE, CENTRE_LABEL, QLineEdit(current.centre_name))
        self.desk_name_edit = self.form.add(F_DESK_NAME, DESK_NAME_LABEL, QLineEdit(current.desk_name))
        self.desk_code_edit = self.form.add(F_DESK_CODE, DESK_CODE_LABEL, QLineEdit(current.desk_code))
        self.form.add_general()
        layout.addLayout(self.form)
        layout.addWidget(_hint("工位代码为2至10位大写字母或数字，以字母开头（如 D01、JD02）。登记到中心服务器的工位，"
                               "代码由服务器统一分配。"))
        for edit in (self.centre_edit, self.desk_name_edit, self.desk_code_edit):
            edit.textEdited.connect(self._edited)

    def _edited(self) -> None:
        self.stored = False

    def store(self) -> Any:
        centre, name, code = self.centre_edit.text(), self.desk_name_edit.text(), self.desk_code_edit.text()
        return configure_desk(self.setup.ctx, centre_name=centre, desk_name=name, desk_code=code)


class AdminPage(_WritingPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("系统管理员账户")
        self.setSubTitle("第一个系统管理员：之后由他在“管理 → 工位与账户”中为其他工作人员开设账户。")
        layout = QVBoxLayout(self)
        self.form = FieldForm()
        self.username_edit = self.form.add(F_USERNAME, "用户名", QLineEdit("admin"))
        self.name_edit = self.form.add(F_DISPLAY_NAME, "姓名", QLineEdit())
        self.password_edit = self.form.add(F_PASSWORD, "密码", QLineEdit())
        self.confirm_edit = self.form.add(F_CONFIRM, CONFIRM_LABEL, QLineEdit())
        for edit in (self.password_edit, self.confirm_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add_general()
        layout.addLayout(self.form)
        layout.addWidget(_hint(PASSWORD_HINT + "登记到中心服务器的工位，请使用与中心其他账户不同的用户名。"))
        self.done_label = QLabel()
        self.done_label.setObjectName("adminCreated")
        self.done_label.hide()
        layout.addWidget(self.done_label)
        self.user_id = ""

    def store(self) -> Any:
        return create_first_admin(self.setup.ctx, username=self.username_edit.text(),
                                  display_name=self.name_edit.text(), password=self.password_edit.text(),
                                  confirm=self.confirm_edit.text())

    def on_stored(self, result: Any) -> None:
        self.user_id = str(result)
        self.setup.admin_username = self.username_edit.text().strip()
        for edit in (self.username_edit, self.name_edit, self.password_edit, self.confirm_edit):
            edit.setReadOnly(True)
        self.done_label.setText(f"已创建系统管理员账户“{self.setup.admin_username}”。")
        self.done_label.show()


class ModePage(QWizardPage):
    def __init__(self, wizard: SetupWizard, current: DeskSetup) -> None:
        super().__init__()
        self.setup = wizard
        self.enrolled_as = ""
        self.setTitle("使用方式")
        self.setSubTitle("单机使用时，登记信息只保存在本机；登记到中心服务器后，与中心和其他工位同步。")
        layout = QVBoxLayout(self)
        self.standalone_radio = QRadioButton("单机使用")
        self.standalone_radio.setAccessibleName("单机使用")
        self.enrol_radio = QRadioButton("登记到中心服务器")
        self.enrol_radio.setAccessibleName("登记到中心服务器")
        self.standalone_radio.setChecked(True)
        layout.addWidget(self.standalone_radio)
        self.defaults_check = QCheckBox("预置默认问题类别（可在“管理 → 基础数据”中修改或导入替换）")
        self.defaults_check.setAccessibleName("预置默认问题类别")
        self.defaults_check.setChecked(current.categories == 0)
        self.defaults_check.setEnabled(current.categories == 0)
        indent = QWidget()
        indent_layout = QVBoxLayout(indent)
        indent_layout.setContentsMargins(24, 0, 0, 0)
        indent_layout.addWidget(self.defaults_check)
        indent_layout.addWidget(_hint("属地（乡镇街道、村社区、网格）、责任单位和交办规则请在完成后于"
                                      "“管理 → 基础数据”中下载模板、填写后导入。"))
        layout.addWidget(indent)
        layout.addWidget(self.enrol_radio)
        self.enrol_button = button("登记到服务器…")
        self.enrol_status = QLabel()
        self.enrol_status.setObjectName("enrolStatus")
        self.enrol_status.setWordWrap(True)
        enrol_box = QWidget()
        enrol_layout = QVBoxLayout(enrol_box)
        enrol_layout.setContentsMargins(24, 0, 0, 0)
        enrol_layout.addWidget(_hint("需要管理员在服务器上运行 reception server add-desk 得到的一次性登记码。"
                                     "登记后中心的基础数据和账户自动下载到本工位。"))
        enrol_layout.addWidget(self.enrol_button)
        enrol_layout.addWidget(self.enrol_status)
        layout.addWidget(enrol_box)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.standalone_radio.toggled.connect(self._mode_changed)
        self.enrol_button.clicked.connect(self.open_enrolment)
        self._mode_changed()

    @property
    def standalone(self) -> bool:
        return self.standalone_radio.isChecked()

    def _mode_changed(self) -> None:
        self.defaults_check.setVisible(self.standalone)
        self.enrol_button.setEnabled(not self.standalone and not self.enrolled_as)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.standalone or bool(self.enrolled_as)

    def open_enrolment(self) -> Any:
        from ui.sync.dialogs import EnrollDialog

        dialog = EnrollDialog(self.setup.ctx, self.setup.tasks, self.setup, user_id=self.setup.admin_user_id())
        dialog.enrolled.connect(self._enrolled)
        self.setup.enroll_dialog = dialog
        dialog.open()
        return dialog

    def _enrolled(self, result: object) -> None:
        self.enrolled_as = str(getattr(result, "desk_code", "") or "?")
        self.enrol_status.setText(f"已登记为工位 {self.enrolled_as}，已下载中心的基础数据。")
        self.standalone_radio.setEnabled(False)
        self._mode_changed()

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        return self.setup.finish()


class SetupWizard(QWizard):
    """The wizard; ``admin_username`` is the account to sign in with afterwards (prefilled in the login dialog)."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.admin_username = ""
        self.finished_ok = False
        self.enroll_dialog: QWidget | None = None
        self.setObjectName("setupWizard")
        self.setWindowTitle(f"{APP_TITLE} — 首次使用设置")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.setMinimumSize(640, 480)
        for which, text in BUTTON_TEXTS.items():
            self.setButtonText(which, text)
            self.button(which).setAccessibleName(text)
        current = desk_setup(ctx)
        self.centre_page = CentrePage(self, current)
        self.admin_page = AdminPage(self)
        self.mode_page = ModePage(self, current)
        for page in (self.centre_page, self.admin_page, self.mode_page):
            self.addPage(page)

    def admin_user_id(self) -> str | None:
        return self.admin_page.user_id or None

    def finish(self) -> bool:
        """完成: remember 单机使用 and store the default categories (in the background), then close."""
        if self.finished_ok:
            return True
        page = self.mode_page
        page.error.clear_message()
        ctx, user_id = self.ctx, self.admin_page.user_id
        standalone, defaults = page.standalone, page.standalone and page.defaults_check.isChecked()
        finish = self.button(QWizard.WizardButton.FinishButton)

        def done(_none: object) -> None:
            self.finished_ok = True
            QTimer.singleShot(0, self.accept)

        self.tasks.op(lambda: finish_first_run(ctx, user_id=user_id, standalone=standalone,
                                               default_categories=defaults), done, what="setup_finish", write=True,
                      owner=self, message=page.error.show_message, busy=disable(finish))
        return False

    def accept(self) -> None:
        if self.finished_ok:
            super().accept()
        else:
            self.finish()


def run_setup_wizard(ctx: AppContext, *, exit_when_shown: bool = False) -> str | None:
    """Show the wizard (modal, before the login dialog); the administrator's user name, or None when cancelled.
    ``exit_when_shown``: bench/bench_startup.py on a new data directory (the wizard is the first frame)."""
    tasks = TaskManager()
    try:
        wizard = SetupWizard(ctx, tasks)
        if exit_when_shown:
            def _shown() -> None:
                print("window shown", flush=True)
                wizard.reject()

            QTimer.singleShot(0, _shown)
        accepted = wizard.exec() == QWizard.DialogCode.Accepted
        return wizard.admin_username if accepted else None
    finally:
        tasks.shutdown(wait=True)
