"""Fill a fresh data directory with realistic synthetic intakes, through the app's own services.

    python bench/generate.py --data-dir DIR --visits 1000000 [--seed N] [--days 1095] [--people N]

* The directory is created and migrated with ``open_data_dir``; ``demo.seed_reference`` seeds the directory
  (localities, categories, units, routing rules, desks, officers).
* Every visit goes through ``intake.register_in_session`` (validation, petitioner upsert, case number, routing,
  events, audit) — ``--batch`` visits (default 2,000) share one write transaction, as a bulk loader may do.
  Receipts are not rendered here (``bench_intake.py`` measures that).
* Visits are spread over the working days (official calendar) of the last ``--days`` days before ``--end``,
  office hours 08:30–17:30, Mondays busier. A population of ``--people`` petitioners (default 35 % of the visits)
  with a long tail: most come once, frequent petitioners dozens of times; ~20 % of all visits are repeat visits
  joined to an existing case (``join_case_id``); the rest are first visits about a new matter, some collective
  (with up to five representatives), all channels, categories and localities of the demo district.
* Progress (visits/s, ETA) goes to stderr every few seconds.
* Resumable: run the same command again after an interruption; it continues from the number of visits already
  in the database (the parameters are kept in ``<data dir>/bench-generate.json``; the population is rebuilt from
  the database). Use ``--profile FILE`` to write cProfile stats of the run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import pstats
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import code_version  # noqa: E402
from synth import ROOT, Identities, Person, Reference, new_case_form, repeat_form  # noqa: E402

assert str(ROOT) in sys.path
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from reception.bootstrap import AppContext, open_data_dir  # noqa: E402
from reception.db.base import CHINA_TZ  # noqa: E402
from reception.db.models import (  # noqa: E402
    Case,
    Category,
    Desk,
    Locality,
    Petitioner,
    RoutingRule,
    Unit,
    User,
    Visit,
    VisitPerson,
)
from reception.demo import seed_reference  # noqa: E402
from reception.domain.enums import DocumentType, Gender  # noqa: E402
from reception.domain.errors import FieldErrors  # noqa: E402
from reception.domain.workcalendar import WorkCalendar  # noqa: E402
from reception.intake.service import register_in_session  # noqa: E402

PARAMS_FILE = "bench-generate.json"
JOIN_SHARE = 0.20
"""Share of all visits that are repeat visits joined to an existing case."""
ONE_TIMER_SHARE = 0.55
"""Share of new petitioners who never come back."""
MAX_TICKETS = 40
EXPECTED_REPS_PER_VISIT = 0.8 * 0.75 * 0.05 * 2.2
"""New-case share × in-person share × collective share × extra representatives: petitioners that are not mains."""


# --- schedule -------------------------------------------------------------------------------------------------

def working_days(end: date, days: int) -> list[date]:
    cal = WorkCalendar()
    start = end - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days) if cal.is_workday(start + timedelta(days=i))]


def day_counts(seed: int, visits: int, days: list[date]) -> list[int]:
    """How many visits each working day gets: Mondays busier, Fridays quieter, some noise; sums to ``visits``."""
    rng = random.Random(f"{seed}:schedule")
    weekday_w = {0: 1.35, 1: 1.05, 2: 1.0, 3: 0.95, 4: 0.8, 5: 0.9, 6: 0.9}
    weights = [weekday_w[d.weekday()] * rng.uniform(0.75, 1.25) for d in days]
    total = sum(weights)
    raw = [visits * w / total for w in weights]
    counts = [math.floor(x) for x in raw]
    rest = visits - sum(counts)
    order = sorted(range(len(days)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[:rest]:
        counts[i] += 1
    return counts


def moments(seed: int, visits: int, days: list[date], skip: int) -> Iterator[datetime]:
    """The visit times in order, starting after the first ``skip`` ones."""
    seen = 0
    for day, count in zip(days, day_counts(seed, visits, days), strict=True):
        if seen + count <= skip:
            seen += count
            continue
        rng = random.Random(f"{seed}:{day.isoformat()}")
        opening = datetime.combine(day, datetime.min.time(), CHINA_TZ).replace(hour=8, minute=30)
        offsets = sorted(rng.randrange(0, 9 * 3600) for _ in range(count))
        for off in offsets:
            if seen >= skip:
                yield opening + timedelta(seconds=off)
            seen += 1


# --- population -----------------------------------------------------------------------------------------------

class Population:
    """Who comes to the desk: new people, returning people (weighted: frequent petitioners) and their cases."""

    def __init__(self, rng: random.Random, ids: Identities, p_new: float) -> None:
        self.rng = rng
        self.ids = ids
        self.p_new = p_new
        self.people: list[Person] = []
        self.tickets: list[int] = []
        """Person indices, each repeated by its weight: uniform choice here is a weighted choice of returners."""
        self.returners: list[int] = []
        """Indices of the people who may come back (tickets > 0), each once."""
        self.with_cases: list[int] = []
        self.reps = 0

    def new_person(self) -> tuple[int, Person]:
        rng = self.rng
        tickets = 0 if rng.random() < ONE_TIMER_SHARE else min(int(rng.paretovariate(1.5)), MAX_TICKETS)
        person = self.ids.person(tickets=tickets)
        self.people.append(person)
        index = len(self.people) - 1
        self.tickets.extend([index] * tickets)
        if tickets:
            self.returners.append(index)
        return index, person

    def returning(self, *, weighted: bool = True) -> tuple[int, Person] | None:
        """A returning petitioner: weighted by tickets (frequent petitioners first) or any returner alike."""
        if not self.tickets:
            return None
        index = self.rng.choice(self.tickets) if weighted else self.rng.choice(self.returners)
        return index, self.people[index]

    def add_case(self, index: int, case: tuple[str, str, str, str]) -> None:
        person = self.people[index]
        if not person.tickets:
            return
        if not person.cases:
            self.with_cases.append(index)
        person.cases.append(case)
        del person.cases[:-5]

    def rebuild(self, session: Session, seed: int) -> None:
        """Recreate the population from the database (resume after an interruption)."""
        rows = session.execute(
            select(Petitioner.id, Petitioner.name, Petitioner.gender, Petitioner.id_type, Petitioner.id_number,
                   Petitioner.phone, Petitioner.address, VisitPerson.position, Case.id, Case.content_class,
                   Case.category_id, Case.locality_id)
            .join(VisitPerson, VisitPerson.petitioner_id == Petitioner.id)
            .join(Visit, Visit.id == VisitPerson.visit_id)
            .join(Case, Case.id == Visit.case_id)
            .order_by(Visit.visited_at)
        )
        by_pid: dict[str, int] = {}
        for pid, name, gender, id_type, id_number, phone, address, position, cid, content, cat, loc in rows:
            if id_number:
                self.ids.ids.add(id_number)
            if phone:
                self.ids.phones.add(phone)
            if position != 0:
                self.reps += pid not in by_pid
                continue
            index = by_pid.get(pid)
            if index is None:
                wrng = random.Random(f"{seed}:{pid}")
                tickets = 0 if wrng.random() < ONE_TIMER_SHARE else min(int(wrng.paretovariate(1.5)), MAX_TICKETS)
                person = Person(name=name, gender=Gender.parse(gender), id_type=DocumentType.parse(id_type),
                                id_number=id_number or "", id_input=id_number or "", phone=phone or "",
                                phone_input=phone or "", address=address, home=loc, tickets=tickets,
                                petitioner_id=pid)
                self.people.append(person)
                index = by_pid[pid] = len(self.people) - 1
                self.tickets.extend([index] * tickets)
                if tickets:
                    self.returners.append(index)
            if not self.people[index].cases or self.people[index].cases[-1][0] != cid:
                self.add_case(index, (cid, content, cat, loc))


# --- the run --------------------------------------------------------------------------------------------------

def _fmt_secs(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _db_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal"):
        p = Path(str(path) + suffix)
        if p.exists():
            total += p.stat().st_size
    return total / 1e6


def run(args: argparse.Namespace) -> int:
    root = Path(args.data_dir)
    params_path = root / PARAMS_FILE
    ctx = open_data_dir(root)
    if args.cache_mb:
        # A bigger page cache for the loader's connection only (SQLite's default is 2 MB): the indexes on random
        # UUIDs touch pages all over the file once it is large. Bench-side tuning; no data or check is skipped.
        @event.listens_for(ctx.db.engine, "connect")
        def _bulk_cache(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.execute(f"PRAGMA cache_size = -{int(args.cache_mb) * 1024}")

        ctx.db.engine.dispose()
    with ctx.db.read() as session:
        seeded = bool(session.scalar(select(func.count()).select_from(Locality)))
        done = session.scalar(select(func.count()).select_from(Visit)) or 0
    if seeded and not params_path.exists():
        print(f"{root} already holds data that this generator did not write; use a fresh directory",
              file=sys.stderr)
        return 2
    if params_path.exists():
        params = json.loads(params_path.read_text(encoding="utf-8"))
        for key in ("visits", "seed", "days", "people", "end"):
            given = getattr(args, key)
            if given is not None and str(given) != str(params[key]):
                print(f"note: resuming with the stored {key}={params[key]} (ignoring {given})", file=sys.stderr)
    else:
        params = {
            "visits": args.visits or 20_000,
            "seed": args.seed if args.seed is not None else 2026,
            "days": args.days or 1095,
            "people": args.people or int(0.35 * (args.visits or 20_000)),
            "end": (args.end or ctx.now().date().isoformat()),
        }
        with ctx.db.write() as session:
            ref_raw = seed_reference(session)
        params["ref"] = ref_raw
        params_path.write_text(json.dumps(params, ensure_ascii=False, indent=1), encoding="utf-8")
    visits, seed = int(params["visits"]), int(params["seed"])
    end = date.fromisoformat(params["end"])
    days = working_days(end, int(params["days"]))
    if done >= visits:
        print(f"{root}: already complete ({done:,} visits)", file=sys.stderr)
        return 0

    rng = random.Random(f"{seed}:{done}")
    with ctx.db.read() as session:
        ref = Reference.load(session, params["ref"])
    ids = Identities(rng, ref.leaves)
    p_new = max(0.05, params["people"] / visits - EXPECTED_REPS_PER_VISIT)
    pop = Population(rng, ids, p_new)
    if done:
        t0 = time.perf_counter()
        with ctx.db.read() as session:
            pop.rebuild(session, seed)
        print(f"resuming at visit {done:,}: {len(pop.people):,} petitioners rebuilt in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)

    stats = {"new_person": 0, "returning_new_case": 0, "join": 0, "collective": 0}
    started = time.perf_counter()
    start_done = done
    last_report, last_done = started, done
    at = moments(seed, visits, days, done)
    # The intake service allocates many short-lived ORM objects; Python's cyclic GC would otherwise rescan the
    # whole (large, long-lived) population every few thousand allocations. Collect once per batch instead and
    # move the survivors out of the GC's way (gc.freeze).
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu_started = time.process_time()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    last_cpu = cpu_started
    try:
        while done < visits:
            n = min(args.batch, visits - done)
            with ctx.db.write() as session:
                pinned = pin_reference(session)  # noqa: F841 - keeps the directory in the identity map
                for i in range(n):
                    moment = next(at)
                    _one_visit(session, rng, ref, ids, pop, moment, stats)
                    if i % 200 == 199 and time.perf_counter() - last_report >= args.report_every:
                        last_report, last_done, last_cpu = _report(done + i + 1, visits, last_report, last_done,
                                                                   last_cpu, started, start_done, pop, ctx,
                                                                   " (uncommitted batch)")
            done += n
            gc.collect()
            gc.freeze()
            if time.perf_counter() - last_report >= args.report_every or done >= visits:
                last_report, last_done, last_cpu = _report(done, visits, last_report, last_done, last_cpu, started,
                                                           start_done, pop, ctx, "")
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(35)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    with ctx.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    made = sum(stats[k] for k in ("new_person", "returning_new_case", "join"))
    print(f"done: {made:,} visits in {_fmt_secs(elapsed)} ({made / elapsed:,.0f} visits/s; CPU {cpu:,.0f} s, "
          f"{1000 * cpu / max(made, 1):.2f} ms CPU/visit); "
          f"new people {stats['new_person']:,}, returning with a new matter {stats['returning_new_case']:,}, "
          f"joined to a case {stats['join']:,}, collective {stats['collective']:,}; "
          f"database {_db_mb(ctx.paths.database):,.0f} MB; {code_version()}", file=sys.stderr)
    ctx.close()
    return 0


def _report(done: int, visits: int, last_report: float, last_done: int, last_cpu: float, started: float,
            start_done: int, pop: Population, ctx: AppContext, tail: str) -> tuple[float, int, float]:
    now, cpu = time.perf_counter(), time.process_time()
    rate = (done - last_done) / max(now - last_report, 1e-9)
    cpu_ms = 1000 * (cpu - last_cpu) / max(done - last_done, 1)
    avg = (done - start_done) / max(now - started, 1e-9)
    eta = (visits - done) / avg if avg else 0
    print(f"{done:>10,}/{visits:,} visits {100 * done / visits:5.1f}%  {rate:5.0f} visits/s "
          f"({cpu_ms:4.1f} ms CPU/visit)"
          f"  run avg {avg:4.0f}/s  ETA {_fmt_secs(eta)}  petitioners~{len(pop.people) + pop.reps:,}  "
          f"db {_db_mb(ctx.paths.database):,.0f} MB{tail}", file=sys.stderr, flush=True)
    return now, done, cpu


def pin_reference(session: Session) -> list[object]:
    """Load the (small) reference tables into the session and hold them.

    SQLAlchemy's identity map holds objects weakly, so without a strong reference every ``session.get`` of a
    locality, category or unit in the intake service (validation, ``propose_route``'s ancestor walks, labels)
    goes back to SQLite. Holding them for the batch makes those ``get`` calls identity-map hits; the service code
    and its checks are unchanged.
    """
    held: list[object] = []
    for model in (Locality, Category, Unit, RoutingRule, Desk, User):
        held.extend(session.scalars(select(model)).all())
    return held


def _one_visit(session: Session, rng: random.Random, ref: Reference, ids: Identities, pop: Population,
               moment: datetime, stats: dict[str, int]) -> None:
    desk_i = rng.randrange(len(ref.desks))
    desk_id = ref.desks[desk_i]
    officer_id = ref.officers[desk_i if rng.random() < 0.9 else 1 - desk_i]
    r = rng.random()
    picked = None
    if r < JOIN_SHARE and pop.with_cases:
        index = rng.choice(pop.with_cases) if rng.random() < 0.1 else None
        if index is None:  # frequent petitioners come back most, mostly about the matters they already raised
            for _ in range(8):
                cand = pop.returning()
                if cand and cand[1].cases:
                    index = cand[0]
                    break
            else:
                index = rng.choice(pop.with_cases)
        person = pop.people[index]
        case = person.cases[-1] if rng.random() < 0.7 else rng.choice(person.cases)
        with_pid = person.petitioner_id is not None and (rng.random() < 0.6 or not (person.id_number or
                                                                                     person.phone))
        form = repeat_form(rng, person, case, with_pid=with_pid)
        _register(session, form, desk_id, officer_id, moment)
        stats["join"] += 1
        return
    if r < JOIN_SHARE + (1 - JOIN_SHARE - pop.p_new):
        # a returning petitioner with a new matter: any returner alike, frequent petitioners somewhat more
        picked = pop.returning(weighted=rng.random() < 0.3)
    if picked is None:
        index, person = pop.new_person()
        form = new_case_form(rng, session, ref, ids, person, fresh_typing=True, with_pid=False)
        stats["new_person"] += 1
    else:
        index, person = picked
        if person.petitioner_id is not None and rng.random() < 0.05 and person.phone:
            # a new mobile number since last time: the record is updated on save
            phone, typed = ids._phone()
            if phone:
                person.phone, person.phone_input = phone, typed
        with_pid = person.petitioner_id is not None and (rng.random() < 0.6 or not (person.id_number or
                                                                                     person.phone))
        form = new_case_form(rng, session, ref, ids, person, fresh_typing=not with_pid, with_pid=with_pid)
        stats["returning_new_case"] += 1
    if form.headcount > 1:
        stats["collective"] += 1
        pop.reps += len(form.representatives)
    result = _register(session, form, desk_id, officer_id, moment)
    if person.tickets:
        if person.petitioner_id is None:
            # the visit's VisitPerson rows are still pending in the session: read the id there (no extra query)
            person.petitioner_id = next(
                (o.petitioner_id for o in session.new
                 if isinstance(o, VisitPerson) and o.visit_id == result.visit_id and o.position == 0), None)
            if person.petitioner_id is None:
                person.petitioner_id = session.scalar(
                    select(VisitPerson.petitioner_id).where(VisitPerson.visit_id == result.visit_id,
                                                            VisitPerson.position == 0))
        assert form.content_class is not None and form.category_id and form.locality_id
        pop.add_case(index, (result.case_id, form.content_class.value, form.category_id, form.locality_id))


def _register(session: Session, form, desk_id: str, officer_id: str, moment: datetime):  # type: ignore[no-untyped-def]
    try:
        return register_in_session(session, form, desk_id=desk_id, officer_id=officer_id, now=moment)
    except FieldErrors as exc:  # the synthetic data must be valid: stop loudly
        raise SystemExit(f"generator produced an invalid form: {exc.by_field()} ({form.person})") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--visits", type=int, help="total visits (default 20,000)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--days", type=int, help="calendar days back from --end (default 1095)")
    parser.add_argument("--people", type=int, help="distinct petitioners, roughly (default 35%% of the visits)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD (default today)")
    parser.add_argument("--batch", type=int, default=2000, help="visits per write transaction")
    parser.add_argument("--report-every", type=float, default=5.0, help="seconds between progress lines")
    parser.add_argument("--cache-mb", type=int, default=256, help="SQLite page cache of the loader (0: default)")
    parser.add_argument("--profile", help="write cProfile stats to this file and print the top entries")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
