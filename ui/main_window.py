"""The desk app's main window: navigation on the left, pages on the right, the desk's state in the status bar.

It puts together its parts (``ui.window``): the pages and their navigation, the status bar with the deadline
reminders, and the sync's schedule; and it keeps the menus, the signed-in user and the reference data they share.
What a write changed reaches the pages by ``TaskManager.changes`` (``reception.changes``), not through here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMenu, QVBoxLayout, QWidget

from reception import APP_TITLE
from reception.changes import Change, ChangeSet, attach_changes
from reception.context import AppContext
from reception.db.settings import DeskSettings
from ui.icons import icon
from ui.printing import UI_SETTINGS_FILE as _UI_SETTINGS_FILE
from ui.printing import DeskPrinter, PrintFn, preview_of
from ui.reference import Reference, load_reference
from ui.tasks import TaskManager
from ui.window.pages import (
    NAV_ITEMS,
    PAGE_CASES,
    PAGE_INTAKE,
    PAGE_LEADER,
    PAGE_ROSTER,
    PAGE_STATISTICS,
    PAGE_SYNC,
    Pages,
)
from ui.window.status import DEADLINE_REFRESH_MS, REMINDER_ROWS, DeskStatus
from ui.window.sync_schedule import SYNC_INTERVAL_MS, SyncSchedule

if TYPE_CHECKING:
    from reception.sync.first_start import EnrolmentOffer
    from ui.cases.page import CaseListPage
    from ui.leader.page import LeaderPage
    from ui.roster.page import RosterPage
    from ui.security.session import AccountMenu
    from ui.stats.page import StatsPage
    from ui.sync.dialogs import EnrollDialog
    from ui.sync.page import SyncPage

__all__ = [
    "DEADLINE_REFRESH_MS", "NAV_ITEMS", "PAGE_CASES", "PAGE_INTAKE", "PAGE_LEADER", "PAGE_ROSTER", "PAGE_STATISTICS",
    "PAGE_SYNC", "PREFERRED_SIZE", "REMINDER_ROWS", "SYNC_INTERVAL_MS", "UI_SETTINGS_FILE", "MainWindow",
]

UI_SETTINGS_FILE = _UI_SETTINGS_FILE
"""This desk's window state and printers (QSettings, INI, UTF-8) in the data directory: per user and per desk."""
PREFERRED_SIZE = (1280, 800)
"""The first start's window size, cut to the screen (ui.geometry)."""


class MainWindow(QMainWindow):
    account: AccountMenu
    """The 账户 menu, its dialogs and the lock after inactivity (``ui.security.session``)."""
    enrolment_offer: EnrolmentOffer | None = None
    """What the first-run check decided (``ui.sync.first_run.offer_enrolment``; None: not asked)."""
    enroll_dialog: EnrollDialog | None = None
    # the 管理 menu and its windows (ui.admin.menu)
    admin_menu: QMenu
    reference_action: QAction
    accounts_action: QAction
    reference_admin: QWidget | None = None
    accounts_admin: QWidget | None = None
    ledger_action: QAction
    ledger_dialog: QWidget | None = None
    merge_people_action: QAction
    merge_records_action: QAction
    petitioner_merge_dialog: QWidget | None = None
    merge_records_dialog: QWidget | None = None
    about_dialog: QWidget | None = None
    calendar_admin_actions: list[QAction]
    admin_dialog: QWidget | None = None

    def __init__(self, ctx: AppContext, *, user_id: str | None = None, tasks: TaskManager | None = None,
                 printer: PrintFn | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.tasks = tasks or TaskManager(self)
        self.tasks.window = self
        self.tasks.changes.attach(attach_changes(ctx.db))  # what each commit changed, to every page
        # the printer remembered per paper (直接打印 when set); tests inject a recorder
        self.printer: PrintFn = printer or DeskPrinter(
            ctx.paths.root / UI_SETTINGS_FILE, notify=lambda text: self.statusBar().showMessage(text, 10_000))
        self.reference: Reference = load_reference(ctx, user_id)
        self.confirm_on_close = True
        self._closed = False
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("mainWindow")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, *PREFERRED_SIZE)

        self.page_set = Pages(ctx, self.reference, self.tasks, self._print, self)
        self.nav = self.page_set.nav
        self.pages = self.page_set.stack
        self.page_set.on_built = self._page_built
        self.intake_page = self.page_set.intake
        self.intake_page.previewer = self._preview

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.status = DeskStatus(ctx, self.tasks, self.statusBar(), central, lambda: self.reference, self)
        self.desk_status, self.user_status = self.status.desk, self.status.user
        self.leader_status, self.deadline_status = self.status.leader, self.status.deadline
        self.sync_status = self.status.sync
        self.reminder_banner = self.status.banner
        self.reminder_banner.showOverdue.connect(lambda: self._show_case_tab(overdue=True))
        self.reminder_banner.showDueSoon.connect(lambda: self._show_case_tab(overdue=False))
        self.status.dutyRead.connect(self.intake_page.form.set_duty_leader)
        column.addWidget(self.reminder_banner)
        column.addWidget(self.pages, 1)
        row.addLayout(column, 1)
        self.setCentralWidget(central)
        self.sync = SyncSchedule(ctx, self.tasks, self.sync_status, self.status.icons["sync"],
                                 self._sync_page_if_built,
                                 lambda: self.pages.currentIndex() == PAGE_SYNC, self)
        self.sync.pulled.connect(lambda: self.reload_reference(only_if_changed=True))  # new units, desks...

        self.intake_page.caseSaved.connect(self._on_case_saved)
        self.status.start()
        self.sync.start()
        self._build_actions()
        self.nav.setCurrentRow(PAGE_INTAKE)
        self._restore_geometry()
        from ui.security.session import apply_permissions

        apply_permissions(self)
        self.intake_page.form.focus_first()

    # -- sync and status ---------------------------------------------------------------------------------------------

    def refresh_sync_status(self, *, then_sync: bool = False) -> None:
        self.sync.refresh_status(then_sync=then_sync)

    def sync_now(self) -> None:
        """One sync cycle in the background, now (``SyncSchedule``)."""
        if not self._closed:
            self.sync.sync_now()

    def refresh_deadlines(self) -> None:
        self.status.refresh_deadlines()

    def refresh_duty_leader(self) -> None:
        self.status.refresh_duty_leader()

    def open_enrolment(self, *, first_run: bool = False) -> EnrollDialog:
        """The enrolment dialog over this window (window-modal, not blocking); ``first_run`` adds 单机使用."""
        from ui.sync.dialogs import EnrollDialog

        dialog = EnrollDialog(self.ctx, self.tasks, self, first_run=first_run,
                              user_id=self.reference.user_id or None)
        dialog.enrolled.connect(self._on_enrolled)
        dialog.standaloneChosen.connect(
            lambda: self.statusBar().showMessage("本工位单机使用；以后可在“数据同步”页登记到中心服务器。", 10_000))
        self.enroll_dialog = dialog
        dialog.open()
        return dialog

    def _on_enrolled(self, result: object) -> None:
        """Enrolled (its first sync pulled the centre's reference data and chose the server's desk row): read the
        reference data and the desk settings again, so no restart is needed."""
        code = getattr(result, "desk_code", "")
        self.statusBar().showMessage(f"已登记为工位 {code}，已载入中心下发的基础数据和工位设置。", 30_000)
        self.reload_reference()
        if (sync_page := self._sync_page_if_built()) is not None:  # (else it reads when first shown)
            sync_page.refresh()
        self.refresh_sync_status(then_sync=True)

    def reload_reference(self, *, only_if_changed: bool = False) -> None:
        """Read the directory (categories, units, localities, desks), this desk, its settings and the signed-in user
        again, in the background, and hand them to every page (``set_reference``); pages that show data read from
        it read again (a ``Change.REFERENCE`` broadcast). ``only_if_changed``: nothing happens when what was read
        equals what is shown."""
        user_id = self.reference.user_id or None

        def done(reference: Reference) -> None:
            if self._closed or (only_if_changed and reference == self.reference):
                return
            if (self.reference.user_id or None) != user_id:  # another user signed in meanwhile: keep them
                reference = replace(reference, user=self.reference.user)
            self.set_reference(reference)
            self.tasks.changes.notify(ChangeSet.of(Change.REFERENCE))  # (today's duty leader is read again too)
            current = self.pages.currentIndex()
            if current in (PAGE_CASES, PAGE_ROSTER, PAGE_LEADER, PAGE_STATISTICS):
                self.show_page(current)  # the page in front reads again now, the others when next shown

        def failed(_exc: BaseException) -> None:
            self.statusBar().showMessage("无法重新读取基础数据；重新启动程序后生效。", 10_000)

        self.tasks.run(lambda: load_reference(self.ctx, user_id), done, failed, owner=self, what="reference")

    def _show_case_tab(self, *, overdue: bool) -> None:
        from ui.cases.page import TAB_DUE_SOON, TAB_OVERDUE

        self.show_page(PAGE_CASES)
        self.cases_page.show_tab(TAB_OVERDUE if overdue else TAB_DUE_SOON)

    def _action(self, text: str, shortcut: str | None, slot: object, concept: str = "") -> QAction:
        action = QAction(icon(concept), text, self) if concept else QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("新登记", "Ctrl+N", self.new_intake, "new")
        self.save_action = self._action("保存", "Ctrl+S", lambda: self.save_intake(print_receipt=False), "save")
        self.save_print_action = self._action("保存并打印回执", "Ctrl+P", lambda: self.save_intake(print_receipt=True),
                                              "save_print")
        self.find_action = self._action("案件查询", "Ctrl+F", self.find_cases, "find")
        self.today_action = self._action("今日登记", None, self.show_today, "today")
        self.settings_action = self._action("设置…", None, self.open_settings, "settings")
        from ui.security.session import install_account_actions

        self.account = install_account_actions(self)
        self.quit_action = self._action("退出", "Ctrl+Q", self.close, "quit")
        menu = self.menuBar()
        intake = menu.addMenu("登记")
        intake.addActions([self.new_action, self.save_action, self.save_print_action])
        intake.addSeparator()
        intake.addAction(self.quit_action)
        cases = menu.addMenu("查询")
        cases.addActions([self.find_action, self.today_action])
        tools = menu.addMenu("工具")
        tools.addAction(self.settings_action)
        from ui.admin.menu import install_admin_menu

        install_admin_menu(self)
        from ui.admin.calendar_menu import install_calendar_admin

        install_calendar_admin(self)  # 管理: 节假日表, 接访领导名录, 领导请假外出 (administrators)
        self.about_action = self._action("关于", None, self.show_about, "about")
        menu.addMenu("帮助").addAction(self.about_action)

    def show_about(self) -> None:
        from ui.about import AboutDialog

        self.about_dialog = AboutDialog(self.ctx.paths.root, self)
        self.about_dialog.open()

    @property
    def cases_page(self) -> CaseListPage:
        """The case list (built on first use)."""
        return self.page_set.cases(self.reference)

    @property
    def roster_page(self) -> RosterPage:
        """The roster (built on first use, as every page but 来访登记: ``ui.window.pages``)."""
        return self.page_set.roster

    @property
    def leader_page(self) -> LeaderPage:
        return self.page_set.leader

    @property
    def stats_page(self) -> StatsPage:
        return self.page_set.stats

    @property
    def sync_page(self) -> SyncPage:
        return self.page_set.sync

    def _sync_page_if_built(self) -> SyncPage | None:
        return self.sync_page if self.page_set.built(PAGE_SYNC) is not None else None

    def _page_built(self, index: int, _page: QWidget) -> None:
        """A page built on first use: connect it to the window (the case list's next steps to the other pages) and
        give it the signed-in user's permissions."""
        from ui.security.session import apply_page_permissions

        if index == PAGE_CASES:
            self.cases_page.connect_window(self)
        if index == PAGE_LEADER:
            self.leader_page.receptionSaved.connect(self._on_case_saved)
        if index == PAGE_SYNC:
            self.sync_page.syncRequested.connect(self.sync_now)
            self.sync_page.enrolled.connect(self._on_enrolled)
            self.sync_page.set_running(self.sync.running)
        apply_page_permissions(self, index)

    # -- navigation and commands ------------------------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.page_set.show_page(index)

    def new_intake(self) -> None:
        self.show_page(PAGE_INTAKE)
        self.intake_page.new_form(confirm=True)

    def save_intake(self, *, print_receipt: bool) -> None:
        if self.pages.currentIndex() == PAGE_INTAKE:
            self.intake_page.save(print_receipt=print_receipt)

    def find_cases(self) -> None:
        self.show_page(PAGE_CASES)
        self.cases_page.focus_search()

    def show_today(self) -> None:
        self.show_page(PAGE_CASES)
        self.cases_page.show_today()

    def _on_case_saved(self, _result: object) -> None:
        # (the case list, the leader's queue and the statistics learn of it from the change broadcast)
        self.sync_now()  # send it to the centre right away (in the background; offline it simply waits)

    def _print(self, parent: QWidget | None, path: Path) -> None:
        # an indirection, so tests (and later a "last printer" setting) can replace self.printer at any time
        self.printer(parent, path)

    def _preview(self, parent: QWidget | None, path: Path) -> None:
        preview_of(self.printer)(parent, path)

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self.reference, self.tasks, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settingsSaved.connect(self._settings_saved)
        dialog.lockMinutesChanged.connect(self._lock_minutes_changed)
        dialog.open()
        self.settings_dialog = dialog

    def _settings_saved(self, settings: DeskSettings) -> None:
        desk = next((d for d in self.reference.desks if d.id == settings.desk_id), None)
        self.set_reference(self.reference.with_settings(settings, desk))
        self.statusBar().showMessage(f"设置已保存：回执纸张 {settings.layout.label}", 5000)

    def _lock_minutes_changed(self, minutes: int) -> None:
        self.account.set_lock_minutes(minutes)

    def set_reference(self, reference: Reference) -> None:
        """New settings, another signed-in user or new reference data (``reload_reference``): every page acts for
        them from now on, and lists built from the directory (categories, units, localities) are filled again,
        keeping what was chosen."""
        user_changed = reference.user_id != self.reference.user_id
        self.reference = reference
        self.page_set.set_reference(reference)
        self.status.update_identity()
        from ui.security.session import apply_permissions

        apply_permissions(self)
        if user_changed:  # what the lists and reminders show is the new user's
            self.status.user_changed()
            if self.pages.currentIndex() == PAGE_LEADER:
                self.show_page(PAGE_LEADER)

    def switch_user(self, user_id: str) -> None:
        """Sign another user in at this window (after the login or lock dialog; tests call it directly)."""
        from reception.intake import directory

        with self.ctx.db.read() as session:
            user = directory.user_info(session, user_id)
        self.set_reference(replace(self.reference, user=user))

    # -- window state -----------------------------------------------------------------------------------------------

    def _ui_settings(self) -> QSettings:
        return QSettings(str(self.ctx.paths.root / UI_SETTINGS_FILE), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._ui_settings().value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
            from ui.geometry import clamp_to_screen

            clamp_to_screen(self)  # saved on a larger screen (or a monitor since unplugged): fit this one

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        page = self.intake_page
        if self.confirm_on_close and page.result is None and page.form.is_dirty():
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(self, "退出", "当前登记尚未保存，确定退出吗？")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._closed = True
        self.sync.stop()
        self.tasks.changes.detach()
        self._ui_settings().setValue("main/geometry", self.saveGeometry())
        self.tasks.shutdown(wait=True)
        self.ctx.close()
        event.accept()
