"""Who may do what, checked in the core services (the desk app only greys out what the core would refuse anyway).

Every service that changes or reveals petition data receives the id of the person acting (``officer_id``,
``actor_id``, ``user_id``, roster ``by``). The services look the role up here and raise ``PermissionDenied``.

``actor_id=None`` means the system itself: background jobs (clock projection, the SMS outbox, a sync applying rows
pulled from the server), the demo and benchmark loaders, and the ``reception`` command, which runs under the
operating-system account that owns the data directory (whoever can run it can read the database file, so a role
check there would be theatre; the commands that manage accounts say who acts with ``--by``). The desk app always
passes the signed-in user, never None.

Roles (``Role``): 接待窗口工作人员 registers, routes at intake, records evaluations and review requests; 值班领导
records receptions and routes; 督查 supervises, closes, records steps for units that report on paper, reads the
audit trail; 系统管理员 may do everything, including accounts, the roster and full exports; 责任单位工作人员
works only on the cases routed to their unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, not_, select, true
from sqlalchemy.orm import Session

from reception.db.models import Case, CaseEvent, User
from reception.domain.enums import ContentClass, Role
from reception.domain.errors import ReceptionError


class PermissionDenied(ReceptionError):
    """The signed-in user's role does not allow this (or the account is disabled)."""

    key = "permission_denied"


class Permission(StrEnum):
    REGISTER = "register"
    """来访登记 (and the history check that goes with it)."""
    VIEW_CASES = "view_cases"
    LEADER_REPLY = "leader_reply"
    """Record a leader's reception and on-the-spot reply (领导接访、现场答复)."""
    LEADER_WORK = "leader_work"
    """The leaders' work beyond the desk: arrange 约访, record 下访, list and resolve 积案, end a 包案."""
    ROUTE = "route"
    """转送 / 交办 / 记录被检举控告单位 after intake."""
    HANDLE = "handle"
    """A unit's steps: 签收, 异议, 受理, 不予受理, 办理, 延期, 处理意见."""
    EVALUATE = "evaluate"
    """满意度评价, 复查/复核请求."""
    CLOSE = "close"
    SUPERVISE = "supervise"
    ANSWER_SUPERVISION = "answer_supervision"
    ROSTER = "roster"
    ADMIN = "admin"
    """Accounts, settings, the holiday table."""
    VIEW_AUDIT = "view_audit"
    EXPORT_FULL = "export_full"
    """Export petitioners' full personal data (audited)."""
    NOTIFY = "notify"
    """Send the petitioners' SMS notices of the outbox (the centre's, signed 区信访接待中心)."""
    CORRECT = "correct"
    """更正登记 of any registration at any time, and of the petitioner's name and ID number (with a reason).
    Whoever may register corrects the contact details and wording of their own registration on the same day."""
    MERGE = "merge"
    """合并案件、合并信访人 (``reception.merge``); undoing a merge needs ``ADMIN``."""


P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.DESK_OFFICER.value: frozenset({P.REGISTER, P.VIEW_CASES, P.ROUTE, P.EVALUATE, P.LEADER_WORK, P.NOTIFY}),
    Role.DUTY_LEADER.value: frozenset({P.VIEW_CASES, P.LEADER_REPLY, P.ROUTE, P.SUPERVISE, P.LEADER_WORK}),
    Role.SUPERVISOR.value: frozenset({P.VIEW_CASES, P.ROUTE, P.HANDLE, P.EVALUATE, P.CLOSE, P.SUPERVISE, P.LEADER_WORK,
                                      P.ANSWER_SUPERVISION, P.VIEW_AUDIT, P.ROSTER, P.NOTIFY, P.CORRECT, P.MERGE}),
    Role.ADMIN.value: frozenset(Permission),
    Role.UNIT_STAFF.value: frozenset({P.VIEW_CASES, P.HANDLE, P.ANSWER_SUPERVISION}),
}

LABELS = {
    P.REGISTER: "来访登记", P.VIEW_CASES: "查看案件", P.LEADER_REPLY: "记录领导接访", P.ROUTE: "转送、交办",
    P.LEADER_WORK: "安排约访、记录下访和积案",
    P.HANDLE: "办理（签收、受理、延期、答复等）", P.EVALUATE: "记录满意度评价和复查复核请求", P.CLOSE: "销号",
    P.SUPERVISE: "督办", P.ANSWER_SUPERVISION: "反馈督办", P.ROSTER: "管理领导接访排班", P.ADMIN: "系统管理",
    P.VIEW_AUDIT: "查看审计日志", P.EXPORT_FULL: "导出完整个人信息", P.NOTIFY: "发送短信通知",
    P.CORRECT: "更正登记信息", P.MERGE: "合并案件或信访人",
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def permissions_of(role: str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def require(session: Session, actor_id: str | None, permission: Permission) -> User | None:
    """The acting user when allowed (None for the system); ``PermissionDenied`` otherwise."""
    if actor_id is None:
        return None
    user = session.get(User, actor_id)
    if user is None or not user.active:
        raise PermissionDenied("当前账户不存在或已停用，请重新登录。", key="account_inactive")
    if not allowed(user.role, permission):
        raise PermissionDenied(f"您的角色（{Role.label_of(user.role)}）无权{LABELS[permission]}。")
    return user


def require_for_case(session: Session, actor_id: str | None, permission: Permission, case: Case) -> User | None:
    """``require``, and for handling-unit staff: only cases routed to their own unit, never an accusation against it."""
    user = require(session, actor_id, permission)
    if user is not None and user.role == Role.UNIT_STAFF.value and not can_see_case(session, user, case):
        raise PermissionDenied("该事项不属于本单位办理，无权操作。", key="not_own_unit")
    return user


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The cases a user may see, as one SQL condition on ``Case`` (the one place the rule lives): the centre's staff
    and the system see every case; a unit's staff see the cases routed to their unit, and never an accusation
    (检举控告类) whose accused units include theirs. Every list, search and detail applies it."""

    unit_id: str | None
    """None: every case; else the unit whose cases are visible ("" for unit staff without a unit: none)."""

    @property
    def restricted(self) -> bool:
        return self.unit_id is not None

    def condition(self) -> ColumnElement[bool]:
        if self.unit_id is None:
            return true()
        accused = exists().where(CaseEvent.case_id == Case.id, CaseEvent.kind == "accused_unit",
                                 CaseEvent.unit_id == self.unit_id)
        return and_(Case.unit_id == self.unit_id,
                    not_(and_(Case.content_class == ContentClass.ACCUSATION.value, accused)))


EVERYTHING = CaseScope(None)


def scope_of(user: User | None) -> CaseScope:
    if user is None or user.role != Role.UNIT_STAFF.value:
        return EVERYTHING
    return CaseScope(user.unit_id or "")


def case_scope(session: Session, actor_id: str | None) -> CaseScope:
    """The lists' scope for ``actor_id`` (``PermissionDenied`` when the user may not see cases at all)."""
    return scope_of(require(session, actor_id, P.VIEW_CASES))


def can_see_case(session: Session, user: User | None, case: Case) -> bool:
    """Whether the user may see this case (``CaseScope``); the system sees everything."""
    if user is not None and not allowed(user.role, P.VIEW_CASES):
        return False
    scope = scope_of(user)
    if not scope.restricted:
        return True
    if case.unit_id != scope.unit_id:
        return False
    return bool(session.scalar(select(exists().where(Case.id == case.id, scope.condition()))))


def visible_case_ids(session: Session, user_id: str | None, case_ids: list[str]) -> list[str]:
    """The ids among ``case_ids`` the user may see (in the same order); all of them for the system."""
    if user_id is None or not case_ids:
        return case_ids
    user = session.get(User, user_id)
    if user is None or not user.active or not allowed(user.role, P.VIEW_CASES):
        return []
    scope = scope_of(user)
    if not scope.restricted:
        return case_ids
    seen = set(session.scalars(select(Case.id).where(Case.id.in_(case_ids), scope.condition())))
    return [cid for cid in case_ids if cid in seen]


def resolve_by(session: Session, by: str) -> User | None:
    """The account named by a roster or holiday ``by`` (an id, a user name or the signed-in user's display name, as
    the desk app passes it); None for a free-text name from the command line."""
    by = by.strip()
    if not by:
        return None
    user = session.get(User, by)
    if user is None:
        user = session.scalar(select(User).where(User.username == by))
    if user is None:
        matches = list(session.scalars(select(User).where(User.display_name == by)))
        if matches:  # a shared display name: the least privileged of them decides
            user = min(matches, key=lambda u: len(permissions_of(u.role)))
    return user


def require_by(session: Session, by: str, permission: Permission) -> User | None:
    """``require`` for services that name their actor by ``by`` (roster, holidays): a known account must hold the
    permission; a name that is no account is the command line's operator (the system)."""
    user = resolve_by(session, by)
    return require(session, user.id, permission) if user is not None else None
