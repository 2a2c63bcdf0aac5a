"""Fill a fresh data directory with a year (or more) of synthetic petition work, fast: a million visits in minutes.

    python bench/generate_fast.py --data-dir DIR --visits 1000000 [--days 365] [--end 2026-06-30] [--seed 2026]

``generate.py`` registers every visit through the intake service (~160 visits/s: days for a million). This one
writes the same tables directly with Core ``executemany`` in big transactions (the SQLite driver's own bulk path, on
pre-formatted values), so the statistics can be measured at scale. What it writes, for each visit and case:

* ``petitioner`` (a population of ~35 % of the visits, valid GB 11643 IDs, mobiles) stored as the app stores them:
  ID and phone encrypted (AES-GCM under this installation's data key), their blind indexes, and the case search's
  keyed suffix and address tokens and name n-grams (``petitioner_token``, ``petitioner_gram``), so look-ups by ID,
  phone, their tails or part of an address find people at once; home addresses in the demo district's villages and
  communities; ``petition_case`` (query codes like the app's: 8 characters),
  ``visit`` and ``visit_person`` — channels 来访 55 % / 网上 20 % / 来电 12 % / 来信 8 % / 领导接访日 5 %; ~20 % of
  visits are repeat visits joined to an earlier case of the same person; ~5 % of walk-ins collective (2–60 people);
  ~2 % skip-level; categories weighted like ``synth.py`` (城乡建设 most), every grid of the demo district; the unit
  from the routing rule table (``directory.propose_route``), 导入法定途径 for the legal-channel categories;
* ``case_event`` — the lifecycle as the services write it: received, assigned/forwarded or to_leader, signed,
  accepted (≈ 90 % within 15 days) or not_accepted, extended (4 %), replied (most within 60 days), evaluated
  (满意 70 % / 基本满意 20 % / 不满意 10 %), closed; a dissatisfied evaluation opens a ``supervision`` (督办) with its
  supervised event, most later resolved; cases registered near ``--end`` are still on their way;
* ``case_clock`` — the running clocks of every case, computed with the lifecycle's own ``machine.clocks``;
* leaders: every 领导接访日 visit and ~3 % of walk-ins go to the duty leader (``leader_reception``, outcomes
  现场解决 / 解释说明 / 交办 / 包案 / 导入法定途径), appointments (约访), ownership (包案), down-visits (下访) with the
  cases taken along, backlog cases (积案, half resolved, a fifth 骨头案).

The planner's statistics (ANALYZE, then ``PRAGMA optimize``) are taken at the end, once every table and index is
filled. Times are spread over the working days of the ``--days`` days before ``--end``, 08:30–17:30. The
``lifecycle_sync`` mark is set, so the app does not replay the cases at start. Not resumable: it refuses a non-empty
directory.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from reception.bootstrap import open_data_dir  # noqa: E402  # noqa: E402
from reception.db.base import CHINA_TZ  # noqa: E402
from reception.db.models import Case, Desk, Leader, Setting, Unit, User  # noqa: E402
from reception.demo import seed_reference  # noqa: E402
from reception.domain.case_numbers import QUERY_ALPHABET, QUERY_CODE_LENGTH  # noqa: E402
from reception.domain.enums import CaseStatus  # noqa: E402
from reception.domain.idnumber import check_digit  # noqa: E402
from reception.intake import directory  # noqa: E402  # noqa: E402
from reception.lifecycle import service as lc  # noqa: E402
from reception.lifecycle.machine import CaseState, OpenSupervision, clocks  # noqa: E402
from reception.search import index as search_index  # noqa: E402
from reception.search import tokens as search_tokens  # noqa: E402
from reception.security.crypto import blind_index, encrypt  # noqa: E402

CHANNELS = (("visit", 55), ("online", 20), ("phone", 12), ("letter", 8), ("leader_day", 5))
GROUP_WEIGHT = {"CJ": 30, "LD": 15, "GT": 10, "NY": 7, "HB": 6, "MZ": 6, "JY": 4, "WS": 4, "SC": 5, "ZA": 8,
                "FD": 5}
OUTCOMES = (("resolved", 30), ("explained", 35), ("assigned", 25), ("owned", 5), ("legal_channel", 5))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林建国志文海德胜春生福云荣芳娟敏静丽艳秀英玲桂兰"


def dt(moment: datetime) -> str:
    """SQLAlchemy's SQLite storage of a ``UTCDateTime``: naive UTC text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def d(day: date) -> str:
    return day.isoformat()


def nid() -> str:
    return str(uuid.uuid4())


class Sink:
    """Rows per table, flushed with one ``executemany`` per table when the buffer is full."""

    COLUMNS: dict[str, tuple[str, ...]] = {
        "petitioner": ("id", "name", "id_type", "id_number", "gender", "phone", "id_number_bidx", "phone_bidx",
                       "address", "created_at", "updated_at", "version"),
        "petitioner_token": ("token", "petitioner_id"),
        "petitioner_gram": ("gram", "petitioner_id"),
        "petition_case": ("id", "case_no", "query_code", "content_class", "category_id", "locality_id", "request",
                          "facts", "status", "routing_action", "unit_id", "proposed_unit_id",
                          "routing_override_reason", "legal_channel", "first_desk_id", "first_officer_id",
                          "registered_at", "registered_on", "received_on", "created_at", "updated_at", "version"),
        "visit": ("id", "case_id", "visit_no", "channel", "visited_at", "visited_on", "desk_id", "officer_id",
                  "headcount", "is_collective", "is_repeat", "is_skip_level", "note", "created_at"),
        "visit_person": ("id", "visit_id", "petitioner_id", "is_representative", "position"),
        "case_event": ("id", "case_id", "kind", "occurred_at", "occurred_on", "actor_id", "unit_id", "note", "data"),
        "case_clock": ("id", "case_id", "clock_key", "kind", "unit_id", "started_on", "due_on", "amber_on",
                       "allowed", "extended_by", "ref"),
        "supervision": ("id", "case_id", "unit_id", "reason", "note", "opened_at", "opened_on", "opened_by", "state",
                        "round", "due_on", "answered_at", "answer_note"),
        "leader_reception": ("id", "case_id", "visit_id", "appointment_id", "leader_id", "received_at",
                             "received_on", "headcount", "reply", "outcome", "unit_id", "due_on", "legal_channel",
                             "units_present", "reaction", "follow_up", "recorded_by", "created_at"),
        "leader_appointment": ("id", "case_id", "leader_id", "day", "time", "place", "headcount", "note",
                               "created_at", "created_by"),
        "case_ownership": ("id", "case_id", "leader_id", "since", "ended_on", "reception_id", "note", "created_at",
                           "created_by"),
        "down_visit": ("id", "leader_id", "day", "place", "locality_id", "purpose", "result", "households",
                       "created_at", "created_by"),
        "down_visit_case": ("id", "down_visit_id", "case_id", "note"),
        "backlog_case": ("id", "case_id", "listed_on", "reason", "hard", "leader_id", "resolved_on", "resolution",
                         "created_at", "created_by"),
        "case_number_counter": ("desk_code", "day", "last"),
    }

    def __init__(self, conn: Connection, limit: int = 200_000) -> None:
        self.conn = conn
        self.limit = limit
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.COLUMNS}
        self.count: dict[str, int] = dict.fromkeys(self.COLUMNS, 0)
        self.pending = 0

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)
        self.pending += 1

    def maybe_flush(self) -> None:
        """Flush when the buffers are full, between two visits only (a visit's rows refer to each other: flushing
        in the middle of one wrote a leader reception before its visit, a foreign-key error, now and then)."""
        if self.pending >= self.limit:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                cols = self.COLUMNS[table]
                sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
                self.conn.exec_driver_sql(sql, rows)
                self.count[table] += len(rows)
                rows.clear()
        self.pending = 0
        self.conn.commit()


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def working_days(end: date, days: int, cal: Any) -> list[date]:
    start = end - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days) if cal.is_workday(start + timedelta(days=i))]


class ClockRows:
    """Clock rows from ``machine.clocks``, assessed once per distinct (clock, start, due) like ``_clock_row``."""

    def __init__(self, cal: Any, st: Any) -> None:
        self.cal, self.st = cal, st
        self.cache: dict[tuple[Any, ...], tuple[str, int]] = {}

    def rows(self, case_id: str, state: CaseState) -> Iterable[tuple[Any, ...]]:
        for c in clocks(state, self.cal, self.st):
            key = (c.key, c.kind, c.start, c.due, c.allowed, c.extended_by)
            found = self.cache.get(key)
            if found is None:
                row = lc._clock_row("", c, self.cal, self.st)
                found = self.cache[key] = (d(row["amber_on"]), row["allowed"])
            yield (nid(), case_id, c.key, c.kind.value, c.unit_id, d(c.start), d(c.due), found[0], found[1],
                   c.extended_by, c.ref)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--visits", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30))
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    ctx = open_data_dir(args.data_dir)
    with ctx.db.read() as s:
        if s.scalar(select(func.count()).select_from(Case)):
            print("refusing: the data directory already has cases", file=sys.stderr)
            return 2
    with ctx.db.write() as s:
        ref = seed_reference(s)
        handler = User(username="unit_handler", display_name="承办人", role="unit_staff")
        s.add(handler)
        s.flush()
        handler_id = handler.id
        leaders = [x for x in s.scalars(select(Leader.id).order_by(Leader.rank_order))]
        unit_ids = [u for u in s.scalars(select(Unit.id))]
        desk_codes = {k: v for k, v in s.execute(select(Desk.id, Desk.code))}
        categories: dict[str, str] = ref["categories"]
        legal = {cid: directory.legal_channel_for(s, cid) for cid in categories.values()}
        routes: dict[tuple[str, str], tuple[str, str] | None] = {}
        for grid_id, _town, _addr in ref["leaves"]:
            for cid in categories.values():
                p = directory.propose_route(s, cid, grid_id)
                routes[(cid, grid_id)] = (p.unit_id, p.action) if p else None
        st = lc.load_settings(s)
    cal = ctx.calendar
    leaves: list[tuple[str, str, str]] = ref["leaves"]
    codes = list(categories)
    code_w = [GROUP_WEIGHT.get(c[:2], 3) / sum(1 for x in codes if x[:2] == c[:2]) for c in codes]
    desks: list[str] = ref["desks"]
    officers: list[str] = ref["officers"]
    days = working_days(args.end, args.days, cal)
    per_day = [rng.random() + (0.4 if day.weekday() == 0 else 0.0) for day in days]
    total_w = sum(per_day)
    counts = [int(args.visits * w / total_w) for w in per_day]
    counts[-1] += args.visits - sum(counts)
    end = args.end
    clock_rows = ClockRows(cal, st)

    conn = ctx.db.engine.connect()
    sink = Sink(conn)

    # people: id, name, first case ids (for repeat visits)
    people: list[tuple[str, str]] = []
    person_cases: list[list[int]] = []
    cases: list[tuple[str, str, str | None, str]] = []
    """case index → (id, first petitioner id, unit id, status)."""
    case_visits: list[int] = []
    reception_cases: list[int] = []
    now_s = dt(datetime.now(UTC))

    def new_person() -> int:
        body = f"4305{rng.randint(0, 99):02d}{rng.randint(1940, 2004)}{rng.randint(1, 12):02d}" \
               f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        pid = nid()
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        gender = "male" if int(body[16]) % 2 else "female"
        phone = f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
        id_number = body + check_digit(body)
        # a home address as people give it (``synth.Identities.address``): the village or community, then the
        # building, unit and room (or group and number in a village)
        prefix = rng.choice(leaves)[2]
        address = (f"{prefix}{rng.randint(1, 18)}组{rng.randint(1, 120)}号" if prefix.endswith("村") else
                   f"{prefix}{rng.randint(1, 60)}栋{rng.randint(1, 6)}单元"
                   f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")
        # as the app stores them: ID and phone encrypted (AES-GCM), their blind indexes, the search's keyed suffix
        # tokens and the name's n-grams (the same functions the ORM events call)
        sink.add("petitioner", (pid, name, "resident_id", encrypt(id_number, "petitioner.id_number"), gender,
                                encrypt(phone, "petitioner.phone"), blind_index(id_number, "id_number"),
                                blind_index(phone, "phone"), address, now_s, now_s, 1))
        tok, grams = search_tokens.rows(pid, name, id_number, phone, address)
        for row in tok:
            sink.add("petitioner_token", row)
        for row in grams:
            sink.add("petitioner_gram", row)
        people.append((pid, name))
        person_cases.append([])
        return len(people) - 1

    counters: dict[tuple[str, date], int] = {}
    supervisions = 0
    report_at = time.perf_counter()
    done = 0
    for day, n in zip(days, counts, strict=True):
        seconds = sorted(rng.randint(0, 9 * 3600) for _ in range(n))
        for sec in seconds:
            sink.maybe_flush()
            moment = datetime(day.year, day.month, day.day, 8, 30, tzinfo=CHINA_TZ) + timedelta(seconds=sec)
            desk = rng.choice(desks)
            officer = rng.choice(officers)
            channel = weighted(rng, CHANNELS)
            walk_in = channel in ("visit", "leader_day")
            visit_id = nid()
            repeat = rng.random() < 0.2 and people
            if repeat:
                p = rng.randrange(len(people))
                if not person_cases[p]:
                    repeat = False
            if repeat:
                ci = rng.choice(person_cases[p])
                case_id = cases[ci][0]
                case_visits[ci] += 1
                headcount = 1
                sink.add("visit", (visit_id, case_id, case_visits[ci], channel, dt(moment), d(day), desk, officer,
                                   1, 0, 1, int(rng.random() < 0.03), "再次来访", dt(moment)))
                sink.add("visit_person", (nid(), visit_id, people[p][0], 0, 0))
                sink.add("case_event", (nid(), case_id, "visit_added", dt(moment), d(day), officer, None,
                                        f"第{case_visits[ci]}次来访", json.dumps({"visit_id": visit_id})))
                done += 1
                continue
            p = new_person() if (not people or rng.random() < 0.45) else rng.randrange(len(people))
            collective = walk_in and rng.random() < 0.05
            headcount = rng.randint(2, 60) if collective else 1
            code = rng.choices(codes, code_w)[0]
            cat = categories[code]
            grid_id, _town, _addr = rng.choice(leaves)
            key = (desk_codes[desk], day)
            counters[key] = counters.get(key, 0) + 1
            case_no = f"{desk_codes[desk]}-{day:%Y%m%d}-{counters[key]:04d}"
            case_id = nid()
            events: list[tuple[str, date, str | None, str | None, dict[str, Any]]] = []
            route = routes.get((cat, grid_id))
            to_leader = channel == "leader_day" or (walk_in and rng.random() < 0.03)
            state = CaseState(status=CaseStatus.REGISTERED, received_on=day)
            unit: str | None = None
            proposed = route[0] if route else None
            status = "registered"
            routing = "assign"
            legal_text = ""
            if legal.get(cat) and not to_leader:
                routing, status, legal_text = "legal_channel", "legal_channel", str(legal[cat])
                events.append(("legal_channel", day, officer, None, {}))
            elif to_leader:
                routing = "leader_reception"
                events.append(("to_leader", day, officer, None, {}))
                outcome = weighted(rng, OUTCOMES)
                rec_id = nid()
                leader = rng.choice(leaders)
                at = moment + timedelta(minutes=rng.randint(10, 90))
                unit_for = (route[0] if route else rng.choice(unit_ids)) if outcome == "assigned" else None
                sink.add("leader_reception", (rec_id, case_id, visit_id, None, leader, dt(at), d(day), headcount,
                                              "当面听取诉求并作答复。", outcome, unit_for,
                                              d(day + timedelta(days=30)) if unit_for else None, "",
                                              "区信访局", rng.choice(("satisfied", "basically", "none")), "",
                                              officer, now_s))
                events.append(("leader_reply", day, officer, unit_for, {"reception_id": rec_id, "outcome": outcome}))
                reception_cases.append(len(cases))
                if outcome == "assigned":
                    unit, status = unit_for, "assigned"
                    events.append(("assigned", day, officer, unit, {}))
                elif outcome == "owned":
                    sink.add("case_ownership", (nid(), case_id, leader, d(day), None, rec_id, "", now_s, officer))
                elif outcome == "legal_channel":
                    status, legal_text = "legal_channel", "依法通过诉讼途径解决"
                    events.append(("legal_channel", day, officer, None, {"by": "leader"}))
            elif route is not None:
                unit = route[0]
                routing = "forward" if route[1] == "forward" or rng.random() < 0.07 else "assign"
                status = "assigned" if routing == "assign" else "forwarded"
                events.append(("assigned" if routing == "assign" else "forwarded", day, officer, unit, {}))
            # the unit's part, as far as the calendar has come by --end
            if status in ("assigned", "forwarded") and unit is not None:
                state = CaseState(status=CaseStatus.parse(status), received_on=day, unit_id=unit, routed_on=day,
                                  unit_received_on=day)
                cur = day
                signed = cur + timedelta(days=rng.randint(0, 3))
                if signed <= end:
                    events.append(("signed", signed, handler_id, unit, {"received_on": d(signed)}))
                    state.status, state.signed, status = CaseStatus.SIGNED, True, "signed"
                    decide = day + timedelta(days=rng.randint(1, 14) if rng.random() < 0.9 else rng.randint(16, 30))
                    decide = max(decide, signed)
                    if decide <= end:
                        if rng.random() < 0.08:
                            events.append(("not_accepted", decide, handler_id, unit,
                                           {"reason": "不属于信访事项", "channel": "依法申请行政复议"}))
                            state.status, status = CaseStatus.NOT_ACCEPTED, "not_accepted"
                            if decide + timedelta(days=5) <= end:
                                events.append(("closed", decide + timedelta(days=5), handler_id, unit, {}))
                                state.status, status = CaseStatus.CLOSED, "closed"
                        else:
                            events.append(("accepted", decide, handler_id, unit, {"simple": 0}))
                            state.status, state.accepted_on, status = CaseStatus.ACCEPTED, decide, "accepted"
                            ext = 0
                            if rng.random() < 0.04 and decide + timedelta(days=50) <= end:
                                ext = 30
                                events.append(("extended", decide + timedelta(days=50), handler_id, unit,
                                               {"days": ext, "approved_by": "局长", "reason": "需要调查"}))
                                state.status, state.extension_days, status = CaseStatus.EXTENDED, ext, "extended"
                            reply = decide + timedelta(days=rng.randint(10, 58) if rng.random() < 0.9
                                                       else rng.randint(61, 60 + ext + 25))
                            if reply <= end:
                                events.append(("replied", reply, handler_id, unit,
                                               {"outcome": "support", "basis": "有关规定", "delivered_on": d(reply),
                                                "means": "post", "level": "first"}))
                                state.status, state.reply_level = CaseStatus.REPLIED, "first"
                                state.reply_delivered_on, status = reply, "replied"
                                ev = reply + timedelta(days=rng.randint(1, 25))
                                if ev <= end and rng.random() < 0.85:
                                    rating = weighted(rng, (("satisfied", 70), ("basically", 20),
                                                            ("dissatisfied", 10)))
                                    events.append(("evaluated", ev, None, unit, {"rating": rating, "channel": "sms"}))
                                    state.evaluated = rating
                                    if rating == "dissatisfied":
                                        sup_id = nid()
                                        supervisions += 1
                                        answered = ev + timedelta(days=rng.randint(5, 40))
                                        resolved = answered <= end and rng.random() < 0.7
                                        sink.add("supervision", (
                                            sup_id, case_id, unit, "dissatisfied", "群众对处理意见不满意",
                                            dt(datetime(ev.year, ev.month, ev.day, 10, tzinfo=CHINA_TZ)), d(ev),
                                            officer, "resolved" if resolved else "open", 1,
                                            d(ev + timedelta(days=30)), dt(datetime(answered.year, answered.month,
                                                                                     answered.day, 10,
                                                                                     tzinfo=CHINA_TZ))
                                            if resolved else None, "已办结" if resolved else ""))
                                        events.append(("supervised", ev, officer, unit,
                                                       {"supervision_id": sup_id, "reason": "dissatisfied"}))
                                        if resolved:
                                            events.append(("supervision_resolved", answered, handler_id, unit,
                                                           {"supervision_id": sup_id}))
                                        else:
                                            state.supervisions[sup_id] = OpenSupervision(sup_id, unit, ev,
                                                                                         "dissatisfied")
                                    elif ev + timedelta(days=3) <= end:
                                        events.append(("closed", ev + timedelta(days=3), handler_id, unit, {}))
                                        state.status, status = CaseStatus.CLOSED, "closed"
                                elif reply + timedelta(days=31) <= end and rng.random() < 0.85:
                                    events.append(("closed", reply + timedelta(days=31), handler_id, unit, {}))
                                    state.status, status = CaseStatus.CLOSED, "closed"
            elif status == "registered":
                state = CaseState(status=CaseStatus.REGISTERED, received_on=day)
            else:
                state = CaseState(status=CaseStatus.LEGAL_CHANNEL, received_on=day)
            sink.add("petition_case", (case_id, case_no, "".join(rng.choices(QUERY_ALPHABET, k=QUERY_CODE_LENGTH)),
                                       weighted(rng, (("claim", 85), ("suggestion", 10), ("accusation", 5))), cat,
                                       grid_id, "要求解决反映的问题", "多次反映未果。", status, routing, unit,
                                       proposed, "", legal_text, desk, officer, dt(moment), d(day), None, now_s,
                                       now_s, 1 + len(events)))
            sink.add("visit", (visit_id, case_id, 1, channel, dt(moment), d(day), desk, officer, headcount,
                               int(collective), 0, int(rng.random() < 0.02), "", dt(moment)))
            sink.add("visit_person", (nid(), visit_id, people[p][0], int(collective), 0))
            sink.add("case_event", (nid(), case_id, "received", dt(moment), d(day), officer, None, "",
                                    json.dumps({"visit_id": visit_id})))
            for i, (kind, on, actor, eunit, data) in enumerate(events):
                at = (moment + timedelta(seconds=i + 1)) if on == day else \
                    datetime(on.year, on.month, on.day, 10, tzinfo=CHINA_TZ) + timedelta(seconds=i)
                sink.add("case_event", (nid(), case_id, kind, dt(at), d(on), actor, eunit, "",
                                        json.dumps(data, ensure_ascii=False)))
            for row in clock_rows.rows(case_id, state):
                sink.add("case_clock", row)
            cases.append((case_id, people[p][0], unit, status))
            case_visits.append(1)
            person_cases[p].append(len(cases) - 1)
            done += 1
        if time.perf_counter() - report_at > 5:
            report_at = time.perf_counter()
            rate = done / (report_at - t0)
            print(f"{day}: {done:,} visits, {rate:,.0f}/s, ETA {(args.visits - done) / rate:,.0f} s",
                  file=sys.stderr)
    # leaders beyond the desk: appointments, down-visits, backlog
    for day in days[::2]:
        ci = rng.randrange(len(cases))
        sink.add("leader_appointment", (nid(), cases[ci][0], rng.choice(leaders), d(day), "09:30",
                                        "区信访接待中心", rng.randint(1, 3), "", now_s, officers[0]))
    for day in days[:: max(1, len(days) // 120)]:
        dv = nid()
        sink.add("down_visit", (dv, rng.choice(leaders), d(day), "乡镇（街道）", rng.choice(leaves)[0],
                                "无会周带案下访", "", rng.randint(0, 30), now_s, officers[0]))
        for ci in rng.sample(range(len(cases)), rng.randint(0, 4)):
            sink.add("down_visit_case", (nid(), dv, cases[ci][0], ""))
    for ci in rng.sample(range(len(cases)), min(len(cases), 600)):
        listed = days[0] - timedelta(days=rng.randint(30, 900))
        resolved = rng.choice(days) if rng.random() < 0.5 else None
        sink.add("backlog_case", (nid(), cases[ci][0], d(listed), "长期信访", int(rng.random() < 0.2),
                                  rng.choice(leaders), d(resolved) if resolved else None, "", now_s, officers[0]))
    for (code, day), last in counters.items():
        sink.add("case_number_counter", (code, d(day), last))
    sink.flush()
    conn.close()
    with ctx.db.write() as s:
        s.merge(Setting(key=lc.SYNC_KEY, value={"through": end.isoformat()}))
        s.merge(Setting(key=lc.CALENDAR_KEY, value={"rules": lc.CALENDAR_RULES}))  # (computed with these rules)
        s.merge(Setting(key=search_index.SETTING_KEY, value={"version": search_index.INDEX_VERSION}))  # (filled)
    ctx.db.engine.dispose()
    import sqlite3

    # the statistics once every table and index is filled (blind indexes and search tokens included), full (not
    # sampled: this file is measured), then what the desk itself runs
    raw = sqlite3.connect(ctx.paths.database)
    raw.execute("ANALYZE")
    raw.execute("PRAGMA optimize")
    raw.close()
    ctx.close()
    took = time.perf_counter() - t0
    size = ctx.paths.database.stat().st_size / 1e6
    print(json.dumps({"visits": done, "rows": sink.count, "supervisions": supervisions, "seconds": round(took, 1),
                      "visits_per_s": round(done / took), "db_mb": round(size)}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
