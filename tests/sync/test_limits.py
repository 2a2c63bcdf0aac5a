"""Limits on what anyone may send to a real server process on loopback: bodies over an endpoint's cap are refused
(413) while they are read, so three concurrent 100 MB bodies leave the server's memory where it was; connections
that send too slowly are closed; enrolment and failed authentication are rate-limited with their counts in the
server database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from reception.server.models import Throttle
from reception.server.service import add_desk
from reception.sync.protocol import MAX_PUSH_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.conftest import Env
from tests.sync.harness import ServerProcess, open_server_database

MB = 1024 * 1024


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    url = f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
    open_server_database(url).dispose()
    proc = ServerProcess(url, tmp_path, ("--read-timeout", "2", "--body-timeout", "3",
                                            "--max-connections", "1000")).start()
    try:
        yield proc
    finally:
        proc.stop()


def _chunks(total: int) -> Iterator[bytes]:
    block = b"A" * MB
    for _ in range(total // MB):
        yield block


def _send_big(url: str, *, declared: bool, out: list[object]) -> None:
    try:
        if declared:
            r = httpx.post(url, content=b"{" + b" " * (100 * MB) + b"}", timeout=60,
                           headers={"Content-Type": "application/json"})
        else:  # chunked: no Content-Length, the server must count while reading
            r = httpx.post(url, content=_chunks(100 * MB), timeout=60, headers={"Content-Type": "application/json"})
        out.append(r.status_code)
    except httpx.TransportError as exc:  # (the server closed the connection after its 413, while we still sent)
        out.append(type(exc).__name__)


def test_three_concurrent_100_mb_bodies_leave_memory_bounded(server: ServerProcess) -> None:
    assert server.proc is not None
    pid = server.proc.pid
    httpx.get(f"{server.url}/openapi.json", timeout=10)
    before = _rss_mb(pid)
    outcomes: list[object] = []
    threads = [threading.Thread(target=_send_big, args=(f"{server.url}/enroll",),
                                kwargs={"declared": i == 0, "out": outcomes}) for i in range(3)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - started
    peak = _peak_rss_mb(pid)
    print(f"\nserver RSS before {before:.0f} MB, peak during three 100 MB bodies {peak:.0f} MB "
          f"(+{peak - before:.0f} MB), {elapsed:.1f} s; outcomes {outcomes}")
    assert len(outcomes) == 3
    assert 413 in outcomes  # (the declared one at least is answered; chunked ones may see the connection close)
    assert all(o == 413 or isinstance(o, str) for o in outcomes), outcomes
    assert peak - before < 40, (before, peak)
    assert httpx.get(f"{server.url}/openapi.json", timeout=10).status_code == 200  # still serving


def test_a_push_over_the_cap_is_refused_before_it_is_read(env: Env) -> None:
    a = env.desk("一号窗口")
    from tests.sync.test_authority import _token

    body = b'{"mutations": [' + b" " * (MAX_PUSH_BYTES + 1) + b"]}"
    r = httpx.post(f"{env.server.url}/sync/push", content=body, timeout=60,
                   headers={"Authorization": f"Bearer {_token(a)}", PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                            "Content-Type": "application/json"})
    assert r.status_code == 413 and "过大" in r.json()["detail"]


def test_slow_connections_are_closed(server: ServerProcess) -> None:
    """300 connections that open and send half a request head (a slow-loris), one whose body trickles and one
    kept alive after an answer that then sends half a head: all closed by the server within its timeouts (2 s for
    a head and 3 s for a body here; 10 s and 120 s by default); the server answers normally meanwhile."""
    socks = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"POST /enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n")
        socks.append(s)
    slow_body = socket.create_connection(("127.0.0.1", server.port), timeout=10)  # whole head, body trickling
    slow_body.sendall(b"POST /enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")
    socks.append(slow_body)
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)  # kept alive, then slow
    kept.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert b"200 OK" in kept.recv(65536)
    kept.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    socks.append(kept)
    try:
        assert httpx.get(f"{server.url}/openapi.json", timeout=10).status_code == 200
        deadline = time.monotonic() + 8
        open_ = list(socks)
        while open_ and time.monotonic() < deadline:
            still = []
            for s in open_:
                s.settimeout(0.01)
                try:
                    if s.recv(1024) == b"":
                        continue  # closed by the server
                except TimeoutError:
                    still.append(s)
                    continue
                except OSError:
                    continue
                still.append(s)
            open_ = still
            time.sleep(0.2)
        assert not open_, f"{len(open_)} of {len(socks)} slow connections still open"
        assert httpx.get(f"{server.url}/openapi.json", timeout=10).status_code == 200
    finally:
        for s in socks:
            s.close()


def test_enrolment_and_failed_authentication_are_rate_limited(env: Env) -> None:
    from reception.server.limits import AUTH_FAIL_LIMIT, ENROL_LIMIT

    codes = []
    for _ in range(ENROL_LIMIT + 1):
        r = httpx.post(f"{env.server.url}/enroll", json={"code": "WRONG-CODE-0000", "protocol": PROTOCOL_VERSION},
                       timeout=10)
        codes.append(r.status_code)
    assert codes[:ENROL_LIMIT] == [401] * ENROL_LIMIT and codes[-1] == 429
    assert "频繁" in r.json()["detail"]
    # a valid code is refused too while the address is over the limit (guessing gains nothing)
    _client, code = add_desk(env.db, "三号窗口")
    r = httpx.post(f"{env.server.url}/enroll", json={"code": code, "protocol": PROTOCOL_VERSION}, timeout=10)
    assert r.status_code == 429
    statuses = set()
    for _ in range(AUTH_FAIL_LIMIT + 1):
        r = httpx.post(f"{env.server.url}/sync/hello", json={}, timeout=10,
                       headers={"Authorization": "Bearer not-a-token", PROTOCOL_HEADER: str(PROTOCOL_VERSION)})
        statuses.add(r.status_code)
    assert statuses == {401, 429} and r.status_code == 429
    with env.db.read() as s:  # the counts are in the database: every server process sharing it sees them
        keys = {t.key: t.count for t in s.scalars(select(Throttle))}
    assert keys["enroll:127.0.0.1"] >= ENROL_LIMIT + 1 and keys["auth:127.0.0.1"] > AUTH_FAIL_LIMIT


def test_the_desk_splits_its_pushes_to_fit_the_cap(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from reception.sync.desk import push as engine

    a = env.desk("一号窗口")
    sent: list[int] = []
    real = engine._send

    def counting(client, wires, ids):  # type: ignore[no-untyped-def]
        sent.append(sum(len(w) for w in wires))
        return real(client, wires, ids)

    monkeypatch.setattr(engine, "PUSH_BYTES", 4000)
    monkeypatch.setattr(engine, "_send", counting)
    cases = a.intake(4)
    report = a.sync()
    assert report.ok and report.pending == 0 and report.parked == 0, report
    assert len(sent) > 2 and all(size <= 4000 or size == max(sent) for size in sent)
    from tests.sync.harness import server_records

    held = server_records(env.db)
    assert all(("petition_case", c) in held for c in cases)
