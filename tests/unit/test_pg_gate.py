"""tests/pg.py: PostgreSQL tests skip with a reason when no URL is set, and fail when one is set but unreachable."""

from __future__ import annotations

import socket

import pytest

from tests import pg


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_unset_url_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pg.PG_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="RECEPTION_TEST_PG_URL is not set"):
        pg.pg_base_url()


def test_set_but_unreachable_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://postgres:secret@127.0.0.1:{_closed_port()}/test"
    monkeypatch.setenv(pg.PG_ENV, url)
    with pytest.raises(pytest.fail.Exception) as failed:
        pg.pg_base_url()
    message = str(failed.value)
    assert "cannot be reached" in message and "127.0.0.1" in message
    assert "secret" not in message  # the password is not printed


def test_not_a_url_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pg.PG_ENV, "localhost:5432")
    with pytest.raises(pytest.fail.Exception, match="not a database URL"):
        pg.pg_base_url()
