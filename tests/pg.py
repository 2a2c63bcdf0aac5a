"""PostgreSQL for the tests that need it: skipped with a clear reason when ``RECEPTION_TEST_PG_URL`` is unset, and
FAILED (never skipped) when it is set and the server cannot be reached, so a CI job that starts PostgreSQL cannot
pass by quietly skipping what it promised to run."""

from __future__ import annotations

import functools
import os

import pytest

PG_ENV = "RECEPTION_TEST_PG_URL"
SKIP_REASON = f"{PG_ENV} is not set: PostgreSQL tests skipped (set it to e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


def pg_base_url() -> str:
    """The PostgreSQL URL the tests use; skips the calling test when it is unset, fails it when unreachable."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        pytest.skip(SKIP_REASON)
    problem = _unreachable(url)
    if problem:
        pytest.fail(problem, pytrace=False)
    return url


@functools.cache
def _unreachable(url: str) -> str:
    """Why ``url`` cannot be used (empty when it can); asked once per URL and test run."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return f"{PG_ENV} is set but is not a database URL: {url!r}"
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        cause = lines[0] if lines else type(exc).__name__
        return (f"{PG_ENV} is set ({shown}) but PostgreSQL cannot be reached: {cause}"
                f" — start PostgreSQL or unset {PG_ENV} to skip these tests")
    return ""
