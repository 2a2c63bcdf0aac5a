"""Render the user manual's screenshots from the real widgets on the demo district.

    python docs/manual/make_screenshots.py [--out docs/manual/images] [--width 1366 --height 768 --scale 1]

Runs itself again under Qt's offscreen platform with a screen of the given size (default 1366×768, the smallest
screen the desk app is made for), seeds a throwaway demo data directory, drives the pages as an officer would (the
intake form is filled and saved, a case opened, ...) and saves each view as a small PNG (256 colours). Needs the
shipped font (resources/fonts) and Pillow (installed with ReportLab).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

ROOT = Path(__file__).resolve().parents[2]
CHILD_ENV = "RECEPTION_SCREENSHOT_CHILD"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "manual" / "images")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--prefix", default="")
    args = parser.parse_args()
    if not os.environ.get(CHILD_ENV):
        with tempfile.TemporaryDirectory(prefix="reception-shots-") as tmp:
            config = Path(tmp) / "screen.json"
            config.write_text(json.dumps({"screens": [{
                "name": "manual", "x": 0, "y": 0, "width": round(args.width / args.scale),
                "height": round(args.height / args.scale), "logicalDpi": 96, "logicalBaseDpi": 96,
                "dpr": args.scale}]}), encoding="utf-8")
            env = {**os.environ, CHILD_ENV: tmp, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
                   "RECEPTION_KEYSTORE": "file", "RECEPTION_KEY_DIR": str(Path(tmp) / "keys"),
                   "RECEPTION_TOKEN_STORE": "file"}
            return subprocess.run([sys.executable, __file__, *sys.argv[1:]], cwd=ROOT, env=env, check=False).returncode
    return shoot(Path(os.environ[CHILD_ENV]), args.out, args.prefix)


def shoot(tmp: Path, out: Path, prefix: str) -> int:
    sys.path.insert(0, str(ROOT))
    from PIL import Image
    from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit

    app = QApplication([sys.argv[0]])
    from reception.bootstrap import open_data_dir
    from reception.demo import seed_demo
    from reception.sync.first_start import mark_demo
    from ui.app import create_main_window, prepare_application
    from ui.tasks import TaskManager

    prepare_application(app)
    data = tmp / "data"
    ctx = open_data_dir(data)
    try:
        seed_demo(ctx, weeks=3)
        with ctx.db.write() as session:
            mark_demo(session)
    finally:
        ctx.close()
    out.mkdir(parents=True, exist_ok=True)

    def save(widget: QWidget, name: str) -> None:
        app.processEvents()
        raw = tmp / f"{name}.png"
        widget.grab().save(str(raw))
        with Image.open(raw) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(out / f"{prefix}{name}.png", optimize=True)
        print(f"{prefix}{name}.png {widget.width()}x{widget.height()}")

    def by_name(root: QWidget, cls: type, name: str) -> QWidget:
        found = [w for w in root.findChildren(cls) if w.accessibleName() == name and w.isVisibleTo(root)]
        assert len(found) == 1, (name, len(found))
        return found[0]

    def choose(combo: QComboBox, text: str) -> None:
        index = combo.findText(text)
        assert index >= 0, text
        combo.setCurrentIndex(index)

    from ui.security.login import LoginDialog

    tasks = TaskManager(synchronous=True)
    ctx = open_data_dir(data)
    login = LoginDialog(ctx, tasks, demo=True)
    login.show()
    save(login, "login")
    login.close()
    ctx.close()

    window = create_main_window(data, tasks=TaskManager(synchronous=True), printer=lambda _p, _f: None)
    window.confirm_on_close = False
    window.show()
    app.processEvents()
    window.reminder_banner.hide()
    save(window, "intake-empty")
    form = window.intake_page.form
    values = {"姓名": "夏丽云", "证件号码": "110101198001010316", "联系电话": "13912345678",
              "住址": "示范区翠园街道尚书茗苑3栋2单元"}
    for name, value in values.items():
        edit = by_name(form, QLineEdit, name)
        assert isinstance(edit, QLineEdit)
        edit.setText(value)
    for name, value in (("内容分类", "申诉求决类"), ("问题类别", "城乡建设 / 物业管理"), ("问题属地", "翠园街道")):
        combo = by_name(form, QComboBox, name)
        assert isinstance(combo, QComboBox)
        choose(combo, value)
    texts = (("诉求", "要求物业公司限期修复3栋电梯"), ("事实和理由", "电梯多次停运，物业未及时维修，影响老人出行"))
    for name, value in texts:
        text = by_name(form, QPlainTextEdit, name)
        assert isinstance(text, QPlainTextEdit)
        text.setPlainText(value)
    window.intake_page.lookup_history()
    save(window, "intake-filled")
    window.intake_page.save(print_receipt=False)  # the ID number's check digit is wrong: refused next to it
    save(window, "intake-error")
    from reception.domain.idnumber import check_digit

    id_edit = by_name(form, QLineEdit, "证件号码")
    assert isinstance(id_edit, QLineEdit)
    id_edit.setText("11010119800101031" + check_digit("11010119800101031"))
    window.intake_page.save(print_receipt=False)
    save(window, "intake-saved")

    from ui.main_window import PAGE_CASES, PAGE_LEADER, PAGE_ROSTER, PAGE_STATISTICS, PAGE_SYNC

    window.show_page(PAGE_CASES)
    save(window, "cases")
    page = window.cases_page
    from ui.cases.page import TAB_DUE_SOON

    rows = page.model.rows()
    if rows:
        first = rows[0]
        dialog = page.open_case(first)
        save(dialog, "case-detail")
        dialog.close()
    page.show_tab(TAB_DUE_SOON)
    save(window, "cases-due-soon")
    for index, name in ((PAGE_ROSTER, "roster"), (PAGE_LEADER, "leader"), (PAGE_STATISTICS, "statistics"),
                        (PAGE_SYNC, "sync")):
        window.show_page(index)
        save(window, name)
    from reception.intake import directory

    with window.ctx.db.read() as session:
        admin = directory.user_by_username(session, "admin")
    assert admin is not None
    window.switch_user(admin.id)
    window.open_settings()
    save(window.settings_dialog, "settings")
    window.settings_dialog.close()
    window.show_about()
    assert window.about_dialog is not None
    save(window.about_dialog, "about")
    window.about_dialog.close()
    window.close()
    app.processEvents()
    shoot_going_live(tmp / "new-desk", save)
    return 0


def shoot_going_live(root: Path, save: Callable[[QWidget, str], None]) -> None:
    """The going-live chapter: the first-run wizard on an empty data directory, then the administrator's screens
    on that new desk (基础数据 before and after importing a workbook, 工位与账户, 节假日表 for the provisional 2027)."""
    from PySide6.QtWidgets import QApplication, QLineEdit

    from reception.bootstrap import open_data_dir
    from reception.reference.model import Kind
    from tests.reference_fixture import write_district
    from ui.admin.accounts import AccountsAdmin
    from ui.admin.holidays import HolidayAdminDialog
    from ui.admin.reference import ReferenceAdmin
    from ui.admin.setup_wizard import SetupWizard
    from ui.tasks import TaskManager

    app = QApplication.instance()
    assert app is not None
    tasks = TaskManager(synchronous=True)
    ctx = open_data_dir(root)
    try:
        wizard = SetupWizard(ctx, tasks)
        wizard.show()
        page = wizard.centre_page
        for edit, text in ((page.centre_edit, "示范区人民来访接待中心"), (page.desk_name_edit, "一号窗口"),
                           (page.desk_code_edit, "D01")):
            edit.setText(text)
        save(wizard, "setup-centre")
        wizard.next()
        app.processEvents()
        admin = wizard.admin_page
        assert wizard.currentPage() is admin, page.form.error_text("工位代码")
        for edit, text in ((admin.username_edit, "zhangwei"), (admin.name_edit, "张伟"),
                           (admin.password_edit, "Shifan2026"), (admin.confirm_edit, "Shifan2026")):
            assert isinstance(edit, QLineEdit)
            edit.setText(text)
        save(wizard, "setup-admin")
        wizard.next()
        app.processEvents()
        assert wizard.currentPage() is wizard.mode_page
        save(wizard, "setup-mode")
        wizard.accept()
        app.processEvents()
        user_id = wizard.admin_user_id()

        reference = ReferenceAdmin(ctx, tasks, user_id)
        reference.show()
        save(reference, "reference-empty")
        workbooks = root.parent / "workbooks"
        workbooks.mkdir(exist_ok=True)
        reference.open_file = lambda: write_district(workbooks / "示范区基础数据.xlsx", broken=True)
        reference.import_file()
        save(reference, "reference-report")
        reference.open_file = lambda: write_district(workbooks / "示范区基础数据.xlsx")
        reference.import_file()
        save(reference, "reference-localities")
        reference.tabs.setCurrentWidget(reference.tab[Kind.RULE])
        save(reference, "reference-rules")
        units = [(code, name) for _i, row in reference.all_rows[Kind.UNIT]
                 for code, name in [(getattr(row, "code", ""), getattr(row, "name", ""))]]
        reference.close()

        accounts = AccountsAdmin(ctx, tasks, user_id, units)
        accounts.show()
        save(accounts, "accounts")
        accounts.close()

        holidays = HolidayAdminDialog(ctx, tasks, user_id or "")
        holidays.year_spin.setValue(2027)
        holidays.show()
        save(holidays, "holidays-2027")
        holidays.close()
        app.processEvents()
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
