"""Properties of the rotation (pure engine) and of published versions (hypothesis)."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reception.bootstrap import open_data_dir
from reception.demo import seed_reference
from reception.domain.workcalendar import WorkCalendar
from reception.roster import service
from reception.roster.rotation import DUTY, Absence, RosterLeader, RotationState, plan_month
from reception.roster.rules import RosterRules

CAL = WorkCalendar()


def make_leaders(n: int, absences: dict[int, tuple[int, int]] | None = None, year: int = 2026) -> list[RosterLeader]:
    out = [RosterLeader("sec", "书记", "区委书记", 0), RosterLeader("head", "区长", "区长", 1)]
    for i in range(n):
        abs_ = ()
        if absences and i in absences:
            start = date(year, 1, 1) + timedelta(days=absences[i][0])
            abs_ = (Absence(start, start + timedelta(days=absences[i][1]), "出差"),)
        out.append(RosterLeader(f"L{i:02d}", f"领导{i}", "副区长", 10 + i, absences=abs_))
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), quarter=st.integers(0, 3), year=st.sampled_from([2025, 2026]),
       per_day=st.integers(1, 2))
def test_quarter_fairness_and_no_double_booking(n: int, quarter: int, year: int, per_day: int) -> None:
    rules = RosterRules(leaders_per_day=per_day)
    leaders = make_leaders(n)
    state = RotationState()
    slots = []
    for m in range(quarter * 3 + 1, quarter * 3 + 4):
        slots.extend(plan_month(CAL, rules, leaders, year, m, state).slots)
    duty = [s for s in slots if s.role == DUTY]
    counts = Counter(s.leader_id for s in duty)
    if n > 1:
        assert len(counts) == n
    assert max(counts.values()) - min(counts.values()) <= 1
    per_slot = Counter((s.day, s.leader_id) for s in slots)
    assert max(per_slot.values()) == 1
    assert all(CAL.is_workday(s.day) for s in slots)
    days = Counter(s.day for s in duty)
    assert all(v == min(per_day, n) for v in days.values())


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 10), absences=st.dictionaries(st.integers(0, 9), st.tuples(st.integers(0, 80),
                                                                                      st.integers(0, 20)),
                                                      max_size=3))
def test_absent_leaders_are_never_on_duty(n: int, absences: dict[int, tuple[int, int]]) -> None:
    leaders = make_leaders(n, absences)
    state = RotationState()
    by_id = {x.id: x for x in leaders}
    for m in (1, 2, 3):
        plan = plan_month(CAL, RosterRules(), leaders, 2026, m, state)
        for s in plan.slots:
            assert by_id[s.leader_id].absence_on(s.day) is None
        for s in plan.slots:
            if s.reason.startswith("原定"):
                assert "出差，顺延" in s.reason


OPS = st.lists(st.tuples(st.sampled_from(["swap", "substitute", "absence", "leave", "join", "rules"]),
                         st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_published_versions_never_change(ops: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_data_dir(Path(tmp))
        try:
            with ctx.db.write() as s:
                seed_reference(s)
            service.generate_month(ctx, "2026-03")
            service.publish_month(ctx, "2026-03", by="主任")
            frozen = service.month_roster(ctx, "2026-03", version=1).to_json()
            for kind, i, j in ops:
                roster = service.month_roster(ctx, "2026-03")
                duty = [d for d in roster.days if d.leaders and not d.secretary_day]
                a, b = duty[i % len(duty)], duty[j % len(duty)]
                la, lb = a.leaders[0], b.leaders[0]
                try:
                    if kind == "swap":
                        service.swap(ctx, a.day, la.leader_id, b.day, lb.leader_id, reason="会议", approved_by="办")
                    elif kind == "substitute":
                        service.substitute(ctx, a.day, la.leader_id, lb.leader_id, reason="出差", approved_by="办")
                    elif kind == "absence":
                        service.add_absence(ctx, la.leader_id, a.day, a.day + timedelta(days=j % 5), "请假")
                    elif kind == "leave":
                        service.end_membership(ctx, la.leader_id, a.day)
                    elif kind == "join":
                        service.add_leader(ctx, f"新领导{i}", "副区长", rank_order=30 + i, active_from=a.day)
                    else:
                        service.save_rules(ctx, RosterRules(place=f"接访室{i}", secretary_day_clash="next"))
                    service.generate_month(ctx, "2026-03")
                except service.RosterError:
                    pass
                assert service.month_roster(ctx, "2026-03", version=1).to_json() == frozen
            history = service.versions(ctx, "2026-03")
            assert [v.version for v in history] == list(range(1, len(history) + 1))
            latest = service.month_roster(ctx, "2026-03")
            assert latest.version == len(history)
            for d in latest.days:
                assert len({x.leader_id for x in d.leaders}) == len(d.leaders)
        finally:
            ctx.close()
