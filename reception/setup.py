"""First-run set-up of a data directory (this PC's desk, its officer and the desk settings), and later changes to
those settings (``update_desk_settings``: the roll-over rule moves every stored clock)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.bootstrap import AppContext, open_data_dir
from reception.db.models import Desk, User
from reception.db.settings import DeskSettings, load_desk_settings, save_desk_settings, save_roll_policy
from reception.domain.case_numbers import DESK_CODE_RE
from reception.domain.deadlines import RollPolicy
from reception.domain.enums import Role
from reception.domain.errors import FieldError

DEFAULT_DESK_CODE = "D01"
DEFAULT_UNIT = "区信访接待中心"


def ensure_desk(session: Session, *, code: str = DEFAULT_DESK_CODE, name: str = "一号接待窗口",
                unit_name: str = DEFAULT_UNIT, officer_username: str = "desk",
                officer_name: str = "接待员") -> DeskSettings:
    """Make sure this data directory has a desk and an officer selected; returns the settings."""
    settings = load_desk_settings(session)
    configured = (
        bool(settings.desk_id and settings.officer_id)
        and session.get(Desk, settings.desk_id) is not None
        and session.get(User, settings.officer_id) is not None
    )
    if configured:
        return settings
    code = code.strip().upper()
    if not DESK_CODE_RE.match(code):
        raise FieldError(F_DESK_CODE, "工位代码应为2至10位大写字母或数字，以字母开头", key="desk_code_invalid")
    desk = session.scalar(select(Desk).where(Desk.code == code))
    if desk is None:
        desk = Desk(code=code, name=name, unit_name=unit_name)
        session.add(desk)
    officer = session.scalar(select(User).where(User.username == officer_username))
    if officer is None:
        officer = User(username=officer_username, display_name=officer_name, role=Role.DESK_OFFICER.value)
        session.add(officer)
    session.flush()
    settings = DeskSettings(desk_id=desk.id, officer_id=officer.id, receipt_layout=settings.receipt_layout,
                            query_hint=settings.query_hint, query_base_url=settings.query_base_url,
                            roll_deadline_to_workday=settings.roll_deadline_to_workday,
                            deadline_roll=settings.deadline_roll)
    save_desk_settings(session, settings)
    return settings


def init_data_dir(root: Path, *, demo: bool = False, desk_code: str = DEFAULT_DESK_CODE) -> AppContext:
    """Create (or upgrade) a data directory; with ``demo``, seed the demo district when it is still empty."""
    ctx = open_data_dir(root)
    if demo:
        from reception.demo import seed_demo
        from reception.sync.first_start import mark_demo

        seed_demo(ctx)
        with ctx.db.write() as session:
            mark_demo(session)  # the desk app never offers to enrol a demo directory
    else:
        with ctx.db.write() as session:
            ensure_desk(session, code=desk_code)
    return ctx


# -- the first-run wizard of the desk app (ui/setup_wizard.py) ----------------------------------------------------

F_CENTRE = "centre_name"
F_DESK_NAME = "desk_name"
F_DESK_CODE = "desk_code"
F_CONFIRM = "confirm_password"


@dataclass(frozen=True, slots=True)
class DeskSetup:
    """What the wizard shows of this desk (prefilled from a desk ``reception init`` made)."""

    centre_name: str
    desk_name: str
    desk_code: str
    enrolled: bool
    categories: int
    """Categories the desk holds (0: the wizard offers the default tree)."""


def needs_first_run(ctx: AppContext, *, demo: bool = False) -> bool:
    """A desk nobody can sign in to yet: not a demo, not enrolled, and no active account with a password."""
    from reception.db.models import SyncPeer
    from reception.sync.first_start import is_demo

    if demo:
        return False
    with ctx.db.read() as session:
        if is_demo(session) or session.get(SyncPeer, 1) is not None:
            return False
        found = session.scalar(select(User.id).where(User.password_hash != "", User.active.is_(True)).limit(1))
    return found is None


def desk_setup(ctx: AppContext) -> DeskSetup:
    from sqlalchemy import func

    from reception.db.models import Category, SyncPeer

    with ctx.db.read() as session:
        settings = load_desk_settings(session)
        desk = session.get(Desk, settings.desk_id) if settings.desk_id else None
        categories = session.scalar(select(func.count()).select_from(Category)) or 0
        return DeskSetup(desk.unit_name if desk else DEFAULT_UNIT, desk.name if desk else "一号接待窗口",
                         desk.code if desk else DEFAULT_DESK_CODE, session.get(SyncPeer, 1) is not None, categories)


def configure_desk(ctx: AppContext, *, centre_name: str, desk_name: str, desk_code: str,
                   actor_id: str | None = None) -> DeskSettings:
    """This desk's centre name (printed on every receipt as the registering unit), its name and code.

    Creates the desk on a new data directory, else changes it. The code prefixes the case numbers, so it cannot
    change once the desk registered a case; on an enrolled desk the server issues desk codes and names."""
    from reception.db.models import Case, SyncPeer
    from reception.domain.errors import FieldErrors, ReceptionError
    from reception.security import audit
    from reception.security.permissions import Permission, require

    centre_name, desk_name, code = centre_name.strip(), desk_name.strip(), desk_code.strip().upper()
    errors: list[FieldError] = []
    if not centre_name:
        errors.append(FieldError(F_CENTRE, "请填写中心名称（打印在回执上）", key="centre_required"))
    elif len(centre_name) > 100:
        errors.append(FieldError(F_CENTRE, "中心名称不能超过100个字", key="centre_long"))
    if not desk_name:
        errors.append(FieldError(F_DESK_NAME, "请填写本工位名称", key="desk_name_required"))
    elif len(desk_name) > 100:
        errors.append(FieldError(F_DESK_NAME, "工位名称不能超过100个字", key="desk_name_long"))
    if not DESK_CODE_RE.match(code):
        errors.append(FieldError(F_DESK_CODE, "工位代码应为2至10位大写字母或数字，以字母开头", key="desk_code_invalid"))
    if errors:
        raise FieldErrors(errors)
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        if session.get(SyncPeer, 1) is not None:
            raise ReceptionError("本工位已登记到中心服务器，工位名称和代码由服务器管理。", key="desk_enrolled")
        settings = load_desk_settings(session)
        desk = session.get(Desk, settings.desk_id) if settings.desk_id else None
        other = session.scalar(select(Desk).where(Desk.code == code))
        if other is not None and other is not desk:
            raise FieldErrors([FieldError(F_DESK_CODE, f"工位代码“{code}”已被其他工位使用", key="desk_code_taken")])
        if desk is None:
            desk = Desk(code=code, name=desk_name, unit_name=centre_name)
            session.add(desk)
            session.flush()
            settings = DeskSettings(desk_id=desk.id, officer_id=settings.officer_id,
                                    receipt_layout=settings.receipt_layout, query_hint=settings.query_hint,
                                    query_base_url=settings.query_base_url)
            save_desk_settings(session, settings)
            before: dict[str, str] = {}
        else:
            before = {"code": desk.code, "name": desk.name, "unit_name": desk.unit_name}
            if code != desk.code and session.scalar(select(Case.id).where(Case.first_desk_id == desk.id).limit(1)):
                raise FieldErrors([FieldError(F_DESK_CODE, "本工位已有登记，工位代码（案件编号前缀）不能再修改",
                                              key="desk_code_used")])
            desk.code, desk.name, desk.unit_name = code, desk_name, centre_name
        audit.record(session, user_id=actor_id, action="update", entity="desk", entity_id=desk.id,
                     changes=audit.changes_of(before, {"code": code, "name": desk_name, "unit_name": centre_name}))
        return settings


def create_first_admin(ctx: AppContext, *, username: str, display_name: str, password: str,
                       confirm: str) -> str:
    """The first administrator of a desk nobody can sign in to (the wizard): refused once any account has a
    password. Also makes them this desk's officer. Returns the new account's id."""
    from reception.domain.errors import FieldErrors
    from reception.security.accounts import F_PASSWORD, add_user, check_password_policy
    from reception.security.permissions import PermissionDenied

    if not needs_first_run(ctx):
        raise PermissionDenied("本工位已有可登录的账户；新增账户请由系统管理员在“管理 → 工位与账户”中办理。",
                               key="first_admin_exists")
    errors: list[FieldError] = []
    try:
        check_password_policy(password, field=F_PASSWORD, username=username.strip())
    except FieldError as exc:
        errors.append(exc)
    if password != confirm:
        errors.append(FieldError(F_CONFIRM, "两次输入的密码不一致", key="password_mismatch"))
    if errors:
        raise FieldErrors(errors)
    try:
        user_id = add_user(ctx, username, display_name, Role.ADMIN.value, password=password, actor_id=None)
    except FieldError as exc:
        raise FieldErrors([exc]) from exc
    return user_id


def finish_first_run(ctx: AppContext, *, user_id: str, standalone: bool, default_categories: bool) -> None:
    """The wizard's last step: 单机使用 remembered (the enrolment dialog then never asks again), and the shipped
    category tree stored when chosen and the desk has none."""
    from reception.sync.first_start import choose_standalone

    if default_categories:
        from reception.reference.defaults import seed_default_categories
        from reception.security import audit

        with ctx.db.write() as session:
            summary = seed_default_categories(session)
            if summary is not None:
                audit.record(session, user_id=user_id, action="reference_import", entity="reference",
                             entity_id="default_categories", detail=summary.text)
    if standalone:
        choose_standalone(ctx, user_id)


F_QUERY_BASE_URL = "查询网址"


def check_query_base_url(text: str) -> str:
    """The public query page's address as typed (``DeskSettings.query_base_url``), trimmed; "" is allowed (the
    sync server's address is used). Raises ``FieldError(F_QUERY_BASE_URL, ...)``: it goes into the receipt's QR code,
    so only a plain ASCII http(s) address without a query string or fragment."""
    from reception.domain.case_numbers import BASE_URL_RE

    value = text.strip()
    if not value:
        return ""
    if not value.isascii():
        raise FieldError(F_QUERY_BASE_URL, "查询网址只能包含英文字母、数字和符号（中文域名请填写以 xn-- 开头的形式）",
                         key="query_url_ascii")
    if not value.lower().startswith(("http://", "https://")):
        raise FieldError(F_QUERY_BASE_URL, "查询网址应以 https:// 或 http:// 开头，例如 https://xfzx.example.gov.cn",
                         key="query_url_scheme")
    if "?" in value or "#" in value:
        raise FieldError(F_QUERY_BASE_URL, "查询网址不能带“?”或“#”及其后的参数，只填写网站地址",
                         key="query_url_query")
    if not BASE_URL_RE.match(value):
        raise FieldError(F_QUERY_BASE_URL, "查询网址格式不正确，例如 https://xfzx.example.gov.cn",
                         key="query_url_invalid")
    return value


def update_desk_settings(ctx: AppContext, *, actor_id: str | None = None, **changes: Any) -> DeskSettings:
    """Change some settings on top of the stored ones. The roll-over rule (``deadline_roll``) is a rule of law for
    the whole centre: only an administrator changes it, and since it moves due dates every stored clock is computed
    again before this returns. ``actor_id`` None is the system (the command line, set-up)."""
    if "roll_deadline_to_workday" in changes and "deadline_roll" not in changes:  # (the first form of the rule)
        changes["deadline_roll"] = (RollPolicy.NON_WORKING_DAYS if changes["roll_deadline_to_workday"]
                                    else RollPolicy.NONE).value
    if "query_base_url" in changes:
        changes["query_base_url"] = check_query_base_url(str(changes["query_base_url"]))
    with ctx.db.write() as session:
        current = load_desk_settings(session)
        updated = replace(current, **changes)
        if updated.roll_policy is not current.roll_policy:
            from reception.security.permissions import Permission, require

            require(session, actor_id, Permission.ADMIN)
            save_roll_policy(session, updated.roll_policy)  # the centre's rule: synced to every desk
        save_desk_settings(session, updated)
        if updated.roll_policy is not current.roll_policy:  # the stored clocks follow, in the same transaction
            from reception.lifecycle.service import recompute_clocks_in_session

            recompute_clocks_in_session(session, ctx.calendar, today=ctx.now().date())
    return updated
