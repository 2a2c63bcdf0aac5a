"""The desk app's main window: navigation on the left, pages on the right, the desk's state in the status bar."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reception import APP_TITLE
from reception.context import AppContext
from reception.db.settings import DeskSettings
from ui.intake.page import IntakePage
from ui.leader.page import LeaderPage
from ui.printing import UI_SETTINGS_FILE as _UI_SETTINGS_FILE
from ui.printing import DeskPrinter, PrintFn, preview_of
from ui.reference import Reference, load_reference
from ui.reminders import ReminderBanner, ReminderTracker
from ui.roster.page import RosterPage
from ui.stats.page import StatsPage
from ui.sync.page import SyncPage
from ui.sync.status import status_text
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from reception.roster.service import DutyToday
    from reception.sync.desk import SyncReport, SyncStatus
    from reception.sync.first_start import EnrolmentOffer
    from ui.cases.page import CaseListPage
    from ui.sync.dialogs import EnrollDialog

PAGE_INTAKE = 0
PAGE_CASES = 1
PAGE_ROSTER = 2
PAGE_LEADER = 3
PAGE_STATISTICS = 4
PAGE_SYNC = 5

NAV_ITEMS = ("来访登记", "案件查询", "领导接访排班", "领导接访", "统计分析", "数据同步")
SYNC_INTERVAL_MS = 60_000
"""Background sync every minute (and after each save), when the desk is enrolled."""

UI_SETTINGS_FILE = _UI_SETTINGS_FILE
"""This desk's window state and printers (QSettings, INI, UTF-8) in the data directory: per user and per desk."""
PREFERRED_SIZE = (1280, 800)
"""The first start's window size, cut to the screen (ui.geometry)."""


DEADLINE_REFRESH_MS = 5 * 60 * 1000
REMINDER_ROWS = 500
"""How many of the nearest overdue / due-soon clocks the reminder compares between refreshes."""


class MainWindow(QMainWindow):
    # the 账户 menu and its dialogs (ui.security.session)
    switch_action: QAction
    sign_out_action: QAction
    draft_question: QWidget | None = None
    """The 保留 / 放弃 / 取消 question about an unsaved registration, while it is open."""
    password_action: QAction
    lock_action: QAction
    audit_action: QAction
    lock_dialog: QWidget | None = None
    password_dialog: QWidget | None = None
    audit_viewer: QWidget | None = None
    inactivity_lock: QObject | None = None
    enrolment_offer: EnrolmentOffer | None = None
    """What the first-run check decided (``ui.sync.first_run.offer_enrolment``; None: not asked)."""
    enroll_dialog: EnrollDialog | None = None
    # the 管理 menu and its windows (ui.admin.menu)
    admin_menu: QMenu
    reference_action: QAction
    accounts_action: QAction
    reference_admin: QWidget | None = None
    accounts_admin: QWidget | None = None
    about_dialog: QWidget | None = None
    calendar_admin_actions: list[QAction]
    admin_dialog: QWidget | None = None

    def __init__(self, ctx: AppContext, *, user_id: str | None = None, tasks: TaskManager | None = None,
                 printer: PrintFn | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.tasks = tasks or TaskManager(self)
        self.tasks.window = self
        # the printer remembered per paper (直接打印 when set); tests inject a recorder
        self.printer: PrintFn = printer or DeskPrinter(
            ctx.paths.root / UI_SETTINGS_FILE, notify=lambda text: self.statusBar().showMessage(text, 10_000))
        self.reference: Reference = load_reference(ctx, user_id)
        self.confirm_on_close = True
        self._closed = False
        self._cases_stale = False
        self._leader_stale = False
        self._sync_enrolled = False
        self._sync_running = False
        self._sync_again = False
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("mainWindow")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, *PREFERRED_SIZE)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("导航")
        self.nav.setFixedWidth(150)
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: #263238; color: #eceff1; border: none; font-size: 15px; }"
            "QListWidget#navigation::item { padding: 12px 14px; }"
            "QListWidget#navigation::item:selected { background: #1565c0; color: white; }"
        )
        for text in NAV_ITEMS:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            self.nav.addItem(item)

        self.intake_page = IntakePage(ctx, self.reference, self.tasks, self._print)
        self.intake_page.previewer = self._preview
        self._cases_page: CaseListPage | None = None  # built on first use: keeps start-up short
        self.pages = QStackedWidget()
        self.pages.addWidget(self.intake_page)
        self.pages.addWidget(QWidget())  # stands in for the case list until it is first shown
        self.roster_page = RosterPage(ctx, self.reference, self.tasks, self._print)
        self.pages.addWidget(self.roster_page)
        self.leader_page = LeaderPage(ctx, self.reference, self.tasks)
        self.pages.addWidget(self.leader_page)
        self.stats_page = StatsPage(ctx, self.tasks, self._print)
        self.stats_page.set_actor(self.reference.user_id or None)
        self.pages.addWidget(self.stats_page)
        self.sync_page = SyncPage(ctx, self.tasks)
        self.pages.addWidget(self.sync_page)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.reminder_banner = ReminderBanner(central)  # 期限提醒: non-modal, dismissible
        self.reminder_tracker = ReminderTracker()
        self.reminder_banner.showOverdue.connect(lambda: self._show_case_tab(overdue=True))
        self.reminder_banner.showDueSoon.connect(lambda: self._show_case_tab(overdue=False))
        column.addWidget(self.reminder_banner)
        column.addWidget(self.pages, 1)
        row.addLayout(column, 1)
        self.setCentralWidget(central)

        self.nav.currentRowChanged.connect(self.show_page)
        self.intake_page.caseSaved.connect(self._on_case_saved)
        self.roster_page.dutyChanged.connect(self.refresh_duty_leader)
        self.roster_page.dutyChanged.connect(self._mark_leader_stale)
        self.leader_page.receptionSaved.connect(self._on_case_saved)
        self.sync_page.syncRequested.connect(self.sync_now)
        self.sync_page.enrolled.connect(self._on_enrolled)
        self._build_status_bar()
        self._build_actions()
        self.nav.setCurrentRow(PAGE_INTAKE)
        self._restore_geometry()
        from ui.security.session import apply_permissions

        apply_permissions(self)
        self.intake_page.form.focus_first()

    # -- chrome -----------------------------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.desk_status = QLabel()
        self.user_status = QLabel()
        self.leader_status = QLabel("今日值班领导：读取中…")
        self.leader_status.setObjectName("dutyLeaderStatus")
        self.leader_status.setAccessibleName("今日值班领导")
        self.deadline_status = QLabel("期限提醒：读取中…")
        self.deadline_status.setObjectName("deadlineStatus")
        self.deadline_status.setAccessibleName("期限提醒")
        self.sync_status = QLabel("同步：单机模式")
        self.sync_status.setObjectName("syncStatus")
        self.sync_status.setAccessibleName("同步状态")
        for label in (self.desk_status, self.user_status, self.leader_status, self.deadline_status, self.sync_status):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
        self._update_status()
        self.refresh_duty_leader()
        self.refresh_deadlines()
        self._deadline_timer = QTimer(self)
        self._deadline_timer.setInterval(DEADLINE_REFRESH_MS)
        self._deadline_timer.timeout.connect(self.refresh_deadlines)
        self._deadline_timer.start()
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(SYNC_INTERVAL_MS)
        self._sync_timer.timeout.connect(self.sync_now)
        self._sync_timer.start()
        self.refresh_sync_status(then_sync=True)

    # -- sync --------------------------------------------------------------------------------------------------------

    def refresh_sync_status(self, *, then_sync: bool = False) -> None:
        """Read the sync state (pending, conflicts, offline since...) into the status bar, in the background."""
        from reception.sync.desk import sync_status

        def done(st: SyncStatus) -> None:
            self._sync_enrolled = st.enrolled
            text, colour, tip = status_text(st, self.ctx.now(), running=self._sync_running)
            self.sync_status.setText(text)
            self.sync_status.setStyleSheet(f"color: {colour};" if colour else "")
            self.sync_status.setToolTip(tip)
            if then_sync and st.enrolled:
                self.sync_now()

        def failed(_exc: BaseException) -> None:
            self.sync_status.setText("同步：无法读取状态")

        self.tasks.run(lambda: sync_status(self.ctx), done, failed, owner=self, what="sync_status")

    def sync_now(self) -> None:
        """One sync cycle in the background (never on the writer thread: saves are not held up by the network);
        a request while one runs is remembered and run once after it."""
        if not self._sync_enrolled or self._closed:
            return
        if self._sync_running:
            self._sync_again = True
            return
        from reception.sync.desk import sync_once

        self._sync_running = True
        self.sync_page.set_running(True)
        self.refresh_sync_status()

        def finish() -> None:
            self._sync_running = False
            self.sync_page.set_running(False)
            self.refresh_sync_status()
            if self.pages.currentIndex() == PAGE_SYNC:
                self.sync_page.refresh()
            if self._sync_again:
                self._sync_again = False
                self.sync_now()

        def done(report: SyncReport) -> None:
            if report.pulled:
                self._mark_pages_stale()
                self.refresh_duty_leader()  # the centre may have changed today's roster
                self.reload_reference(only_if_changed=True)  # new categories, units, desks... without a restart
            finish()

        def failed(_exc: BaseException) -> None:
            finish()  # (the error is in sync_status: shown as 最近错误, never a dialog every minute)

        self.tasks.run(lambda: sync_once(self.ctx), done, failed, owner=self, what="sync")

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
        self.sync_page.refresh()
        self.refresh_sync_status(then_sync=True)

    def reload_reference(self, *, only_if_changed: bool = False) -> None:
        """Read the directory (categories, units, localities, desks), this desk, its settings and the signed-in user
        again, in the background, and hand them to every page (``set_reference``); pages that show data read from
        it are marked stale. ``only_if_changed``: nothing happens when what was read equals what is shown."""
        user_id = self.reference.user_id or None

        def done(reference: Reference) -> None:
            if self._closed or (only_if_changed and reference == self.reference):
                return
            if (self.reference.user_id or None) != user_id:  # another user signed in meanwhile: keep them
                reference = replace(reference, user=self.reference.user)
            self.set_reference(reference)
            self._mark_pages_stale()
            self.refresh_duty_leader()
            current = self.pages.currentIndex()
            if current in (PAGE_CASES, PAGE_ROSTER, PAGE_LEADER, PAGE_STATISTICS):
                self.show_page(current)  # the page in front reads again now, the others when next shown

        def failed(_exc: BaseException) -> None:
            self.statusBar().showMessage("无法重新读取基础数据；重新启动程序后生效。", 10_000)

        self.tasks.run(lambda: load_reference(self.ctx, user_id), done, failed, owner=self, what="reference")

    def _mark_pages_stale(self) -> None:
        """Records arrived from the centre: each page that lists them reads again when it is next shown."""
        self._cases_stale = self._cases_page is not None and self._cases_page.loaded
        self._leader_stale = True
        self.roster_page.mark_stale()
        self.stats_page.mark_stale()

    def refresh_deadlines(self) -> None:
        """Overdue and due-soon counts of what the signed-in user may see (the centre's staff: the whole centre; a
        unit's staff: their unit's), raised at start and refreshed in the background."""
        from reception.lifecycle.service import ClockList, due_soon, overdue

        actor = self.reference.user_id or None
        if self.reference.user is None:
            self.deadline_status.setText("期限提醒：未登录")
            self.deadline_status.setStyleSheet("")
            return

        def count() -> tuple[ClockList, ClockList]:
            late = overdue(self.ctx, limit=REMINDER_ROWS, actor_id=actor)
            return late, due_soon(self.ctx, limit=REMINDER_ROWS, sync=False, actor_id=actor)

        def done(lists: tuple[ClockList, ClockList]) -> None:
            late_list, soon_list = lists
            late, soon = late_list.total, soon_list.total
            self.reminder_banner.remind(self.reminder_tracker.update(
                ((r.case_id, r.clock, r.supervision_id) for r in late_list.rows),
                ((r.case_id, r.clock, r.supervision_id) for r in soon_list.rows), overdue_total=late,
                due_soon_total=soon))
            self.deadline_status.setText(
                f"期限提醒：超期{late_list.total_text}件，临期{soon_list.total_text}件")
            colour = "#c62828" if late else ("#ef6c00" if soon else "#2e7d32")
            self.deadline_status.setStyleSheet(f"color: {colour};")
            self.deadline_status.setToolTip("详见“案件查询”中的“临期提醒”“超期案件”")

        def failed(_exc: BaseException) -> None:
            self.deadline_status.setText("期限提醒：无法读取")

        self.tasks.run_write(count, done, failed, owner=self, what="deadline_counts")

    def _show_case_tab(self, *, overdue: bool) -> None:
        from ui.cases.page import TAB_DUE_SOON, TAB_OVERDUE

        self.show_page(PAGE_CASES)
        self.cases_page.show_tab(TAB_OVERDUE if overdue else TAB_DUE_SOON)

    def refresh_duty_leader(self) -> None:
        """Today's duty leader from the roster, in the status bar and on the intake page (read in the background)."""
        from reception.roster.service import duty_leaders_on

        today = self.ctx.now().date()

        def done(duty: DutyToday) -> None:
            label = duty.label
            self.leader_status.setText(label)
            self.leader_status.setToolTip(f"接访地点：{duty.place}　时间：{duty.hours}" if duty.leaders else "")
            place = f"　接访地点：{duty.place}" if duty.leaders and duty.place else ""
            self.intake_page.form.set_duty_leader(label + place)

        def failed(_exc: BaseException) -> None:
            self.leader_status.setText("今日值班领导：无法读取排班")

        self.tasks.run(lambda: duty_leaders_on(self.ctx, today), done, failed, owner=self, what="duty_today")

    def _update_status(self) -> None:
        from reception.domain.enums import Role

        desk = self.reference.desk
        user = self.reference.user
        self.desk_status.setText(f"工位：{desk.name}（{desk.code}）" if desk else "工位：未设置")
        self.user_status.setText(f"当前用户：{user.display_name}（{Role.label_of(user.role)}）" if user
                                 else "当前用户：未登录")
        self.user_status.setObjectName("signedInUser")
        self.user_status.setAccessibleName("当前用户")
        for label, ok in ((self.desk_status, desk is not None), (self.user_status, user is not None)):
            label.setStyleSheet("" if ok else "color: #c62828;")

    def _action(self, text: str, shortcut: str | None, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("新登记", "Ctrl+N", self.new_intake)
        self.save_action = self._action("保存", "Ctrl+S", lambda: self.save_intake(print_receipt=False))
        self.save_print_action = self._action("保存并打印回执", "Ctrl+P", lambda: self.save_intake(print_receipt=True))
        self.find_action = self._action("案件查询", "Ctrl+F", self.find_cases)
        self.today_action = self._action("今日登记", None, self.show_today)
        self.settings_action = self._action("设置…", None, self.open_settings)
        from ui.security.session import install_account_actions

        install_account_actions(self)
        self.quit_action = self._action("退出", "Ctrl+Q", self.close)
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
        self.about_action = self._action("关于", None, self.show_about)
        menu.addMenu("帮助").addAction(self.about_action)

    def show_about(self) -> None:
        from ui.about import AboutDialog

        self.about_dialog = AboutDialog(self.ctx.paths.root, self)
        self.about_dialog.open()

    @property
    def cases_page(self) -> CaseListPage:
        if self._cases_page is None:
            from ui.cases.page import CaseListPage

            page = CaseListPage(self.ctx, self.reference, self.tasks, self._print)
            stand_in = self.pages.widget(PAGE_CASES)
            assert stand_in is not None
            was_current = self.pages.currentWidget() is stand_in
            self.pages.insertWidget(PAGE_CASES, page)
            self.pages.removeWidget(stand_in)
            stand_in.deleteLater()
            if was_current:
                self.pages.setCurrentWidget(page)
            self._cases_page = page
        return self._cases_page

    # -- navigation and commands ------------------------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        if self.nav.currentRow() != index:
            self.nav.setCurrentRow(index)  # re-enters through currentRowChanged
            return
        if index == PAGE_CASES:
            _ = self.cases_page  # build it before it is shown
        self.pages.setCurrentIndex(index)
        if index == PAGE_CASES:
            if self._cases_stale:
                self._cases_stale = False
                self.cases_page.refresh()
            self.cases_page.ensure_loaded()
        if index == PAGE_ROSTER:
            self.roster_page.ensure_loaded()
        if index == PAGE_STATISTICS:
            self.stats_page.ensure_loaded()
        if index == PAGE_LEADER and (self._leader_stale or not self.leader_page.loaded):
            self._leader_stale = False
            self.leader_page.refresh()
        if index == PAGE_SYNC:
            self.sync_page.refresh()

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

    def _mark_leader_stale(self) -> None:
        self._leader_stale = True

    def _on_case_saved(self, _result: object) -> None:
        if self._cases_page is not None and self._cases_page.loaded:
            self._cases_stale = True
        self._leader_stale = True  # a visit sent to the duty leader joins the queue when the page is next shown
        self.stats_page.mark_stale()
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
        from ui.security.session import InactivityLock

        if isinstance(self.inactivity_lock, InactivityLock):
            self.inactivity_lock.set_minutes(minutes)

    def set_reference(self, reference: Reference) -> None:
        """New settings, another signed-in user or new reference data (``reload_reference``): every page acts for
        them from now on, and lists built from the directory (categories, units, localities) are filled again,
        keeping what was chosen."""
        user_changed = reference.user_id != self.reference.user_id
        self.reference = reference
        self.intake_page.set_reference(self.reference)
        self.stats_page.set_actor(reference.user_id or None)
        self.roster_page.reference = self.reference
        self.leader_page.set_reference(self.reference)
        if self._cases_page is not None:
            self._cases_page.set_reference(self.reference)
        self._update_status()
        from ui.security.session import apply_permissions

        apply_permissions(self)
        if user_changed:  # what the lists and reminders show is the new user's
            self.reminder_tracker = ReminderTracker()
            self.reminder_banner.hide()
            self.refresh_deadlines()
            self._leader_stale = True
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
        self._ui_settings().setValue("main/geometry", self.saveGeometry())
        self.tasks.shutdown(wait=True)
        self.ctx.close()
        event.accept()
