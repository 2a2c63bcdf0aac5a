"""Going live on a new desk, through the real widgets: the first-run wizard on an empty data directory, signing
in with the account it made, the reference workbook imported in 管理 → 基础数据 (first one with problems, which
gives the report and stores nothing, then a good one), and a case registered and its receipt printed, with the
centre's name on it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPushButton, QRadioButton, QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from reception.bootstrap import open_data_dir
from reception.db.models import Case, Category, Desk, Locality, Setting, User
from reception.db.settings import load_desk_settings
from reception.reference.workbook import read_workbook
from reception.server.db import open_server_database
from reception.server.service import add_desk, import_reference_workbook
from reception.setup import needs_first_run
from reception.sync.first_start import CHOICE_KEY
from tests.reference_fixture import write_district
from tests.sync.harness import ServerProcess
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import by_name, click, fill_valid, shown_errors, type_into
from ui.admin.setup_wizard import SetupWizard
from ui.app import create_main_window
from ui.security.login import LoginDialog
from ui.sync.dialogs import EnrollDialog
from ui.tasks import TaskManager

CENTRE = "和平区人民来访接待中心"


def _set(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    type_into(qtbot, edit, text)


def _next(qtbot: QtBot, wizard: SetupWizard) -> None:
    click(qtbot, wizard, "下一步")
    qtbot.wait(20)  # (the page moves on from a zero-delay timer once the core stored it)


def run_wizard(qtbot: QtBot, root: Path, tmp_path: Path) -> str:
    ctx = open_data_dir(root)
    try:
        assert needs_first_run(ctx)
        wizard = SetupWizard(ctx, TaskManager(synchronous=True))
        qtbot.addWidget(wizard)
        wizard.show()
        qtbot.waitExposed(wizard)
        page = wizard.centre_page
        _set(qtbot, by_name(page, QLineEdit, "中心名称"), CENTRE)
        _set(qtbot, by_name(page, QLineEdit, "本工位名称"), "一号窗口")
        code = by_name(page, QLineEdit, "工位代码")
        _set(qtbot, code, "1号")
        _next(qtbot, wizard)
        assert wizard.currentPage() is page
        assert "工位代码应为" in page.form.error_text("desk_code")
        assert by_name(page, QLineEdit, "中心名称").text() == CENTRE  # nothing typed is lost
        _set(qtbot, code, "hp01")
        _next(qtbot, wizard)
        admin = wizard.admin_page
        assert wizard.currentPage() is admin
        wizard.grab().save(str(tmp_path / "wizard-admin.png"))
        _set(qtbot, by_name(admin, QLineEdit, "用户名"), "zhangwei")
        _set(qtbot, by_name(admin, QLineEdit, "姓名"), "张伟")
        _set(qtbot, by_name(admin, QLineEdit, "密码"), "short1")
        _set(qtbot, by_name(admin, QLineEdit, "确认密码"), "short2")
        _next(qtbot, wizard)
        assert wizard.currentPage() is admin
        assert "至少8位" in admin.form.error_text("password")
        assert "不一致" in admin.form.error_text("confirm_password")
        _set(qtbot, by_name(admin, QLineEdit, "密码"), "Heping2026")
        _set(qtbot, by_name(admin, QLineEdit, "确认密码"), "Heping2026")
        _next(qtbot, wizard)
        mode = wizard.mode_page
        assert wizard.currentPage() is mode
        assert by_name(mode, QRadioButton, "单机使用").isChecked()
        assert by_name(mode, QCheckBox, "预置默认问题类别").isChecked()
        by_name(mode, QRadioButton, "登记到中心服务器").setChecked(True)
        assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # (not enrolled yet)
        assert by_name(mode, QPushButton, "登记到服务器…").isEnabled()
        by_name(mode, QRadioButton, "单机使用").setChecked(True)
        click(qtbot, wizard, "完成")
        qtbot.waitUntil(lambda: not wizard.isVisible())
        assert wizard.result() == QWizard.DialogCode.Accepted and wizard.admin_username == "zhangwei"
        assert not needs_first_run(ctx)
        with ctx.db.read() as s:
            desk = s.scalar(select(Desk))
            assert desk is not None and (desk.code, desk.name, desk.unit_name) == ("HP01", "一号窗口", CENTRE)
            user = s.scalar(select(User).where(User.username == "zhangwei"))
            assert user is not None and user.role == "admin" and not user.must_change_password
            assert s.get(Setting, CHOICE_KEY) is not None  # 单机使用: the enrolment dialog will not ask again
            assert (s.scalar(select(func.count()).select_from(Category)) or 0) > 40  # the default tree
            assert (s.scalar(select(func.count()).select_from(Locality)) or 0) == 0
        return wizard.admin_username
    finally:
        ctx.close()


def sign_in(qtbot: QtBot, root: Path, username: str, password: str) -> str:
    ctx = open_data_dir(root)
    try:
        dialog = LoginDialog(ctx, TaskManager(synchronous=True))
        qtbot.addWidget(dialog)
        dialog.show()
        type_into(qtbot, by_name(dialog, QLineEdit, "用户名"), username)
        type_into(qtbot, by_name(dialog, QLineEdit, "密码"), password)
        click(qtbot, dialog, "登录")
        assert dialog.user is not None, dialog.error.text()
        return dialog.user.user_id
    finally:
        ctx.close()


def test_from_an_empty_data_directory_to_a_printed_receipt(qtbot: QtBot, tmp_path: Path) -> None:
    root = tmp_path / "new-desk"
    username = run_wizard(qtbot, root, tmp_path)
    user_id = sign_in(qtbot, root, username, "Heping2026")

    printed = PrintRecorder()
    window = create_main_window(root, user=user_id, tasks=TaskManager(synchronous=True), printer=printed)
    window.confirm_on_close = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        form = window.intake_page.form
        assert form.township_combo.count() == 0  # no directory yet: the intake form cannot save
        assert window.reference_action.isEnabled() and window.accounts_action.isEnabled()
        window.reference_action.trigger()
        admin = window.reference_admin
        assert admin is not None and admin.isVisible()
        assert "尚无属地" in admin.banner.label.text()

        # the template, downloaded and read back: the default categories, nothing else yet
        template = tmp_path / "downloads" / "模板.xlsx"
        admin.save_file = lambda _suggested: template  # type: ignore[method-assign]
        click(qtbot, admin, "下载模板…")
        data, issues = read_workbook(template)
        assert issues == [] and data.localities == [] and len(data.categories or []) > 40

        # a workbook with problems: the report names sheet, row and column; nothing is stored
        admin.open_file = lambda: write_district(tmp_path / "有错误.xlsx", broken=True)  # type: ignore[method-assign]
        click(qtbot, admin, "导入…")
        rows = admin.report_rows()
        assert ("属地", "9", "上级代码", "没有代码为“NOPE”的属地") in rows
        assert any(r[:3] == ("交办规则", "6", "优先级") for r in rows) and len(rows) == 5
        assert admin.report.isVisible() and "未导入任何数据" in admin.banner.label.text()
        assert admin.tab[next(iter(admin.tab))].table.rowCount() == 0
        admin.grab().save(str(tmp_path / "reference-report.png"))

        admin.open_file = lambda: write_district(tmp_path / "和平区.xlsx")  # type: ignore[method-assign]
        click(qtbot, admin, "导入…")
        assert not admin.report.isVisible(), admin.report_rows()
        assert "属地新增7条" in admin.banner.label.text()
        assert admin.tab[next(iter(admin.tab))].table.rowCount() == 7
        admin.close()

        # the intake form now offers the directory: register a case and print its receipt
        assert form.township_combo.findText("和平街道") >= 0
        fill_valid(qtbot, form, category="城乡建设 / 物业管理", township="和平街道")
        assert form.unit_combo.currentText() == "和平街道办事处"  # the imported rule proposes the unit
        click(qtbot, window.intake_page, "保存并打印回执")
        result = window.intake_page.result
        assert result is not None, shown_errors(window.intake_page)
        assert result.case_no.startswith("HP01")
        assert len(printed.calls) == 1
        pages = PdfReader(io.BytesIO(printed.calls[0][1])).pages
        text = "".join("".join((p.extract_text() or "").split()) for p in pages)
        assert CENTRE in text and result.case_no in text
        with window.ctx.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 1
    finally:
        window.close()


def test_the_wizard_enrols_through_the_enrolment_dialog(qtbot: QtBot, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """登记到中心服务器: the enrolment dialog the 数据同步 page uses, opened from the wizard; the desk then holds the
    centre's reference data (here published to the server from the workbook) and the server's desk code."""
    monkeypatch.setenv("RECEPTION_TOKEN_STORE", "file")
    url = f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
    db = open_server_database(url)
    import_reference_workbook(db, write_district(tmp_path / "和平区.xlsx"))
    _client, code = add_desk(db, "二号窗口")
    proc = ServerProcess(url, tmp_path).start()
    root = tmp_path / "desk"
    ctx = open_data_dir(root)
    try:
        wizard = SetupWizard(ctx, TaskManager(synchronous=True))
        qtbot.addWidget(wizard)
        wizard.show()
        _set(qtbot, by_name(wizard.centre_page, QLineEdit, "中心名称"), CENTRE)
        _next(qtbot, wizard)
        admin = wizard.admin_page
        _set(qtbot, by_name(admin, QLineEdit, "用户名"), "admin-hp02")
        _set(qtbot, by_name(admin, QLineEdit, "姓名"), "李娜")
        for name in ("密码", "确认密码"):
            _set(qtbot, by_name(admin, QLineEdit, name), "Heping2026")
        _next(qtbot, wizard)
        mode = wizard.mode_page
        assert wizard.currentPage() is mode
        by_name(mode, QRadioButton, "登记到中心服务器").setChecked(True)
        click(qtbot, mode, "登记到服务器…")
        dialog = wizard.enroll_dialog
        assert isinstance(dialog, EnrollDialog) and dialog.isVisible() and dialog.parent() is wizard
        by_name(dialog, QLineEdit, "服务器地址").setText(proc.url)
        by_name(dialog, QLineEdit, "登记码").setText(code)
        click(qtbot, dialog, "登记")
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
        assert mode.enrolled_as and "已登记为工位" in mode.enrol_status.text()
        assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
        click(qtbot, wizard, "完成")
        qtbot.waitUntil(lambda: not wizard.isVisible())
        assert wizard.result() == QWizard.DialogCode.Accepted
        with ctx.db.read() as s:
            assert s.get(Setting, CHOICE_KEY) is None  # enrolled, not 单机使用
            assert s.scalar(select(func.count()).select_from(Category)) == 7  # the centre's, no default tree
            assert s.scalar(select(func.count()).select_from(Locality)) == 7
            desk = s.get(Desk, load_desk_settings(s).desk_id)
            assert desk is not None and desk.code == mode.enrolled_as
    finally:
        ctx.close()
        proc.stop()
        db.dispose()
