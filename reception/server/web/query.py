"""The petitioners' public query and rating page, ``/query`` (issue 15)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reception.server.db import ServerDatabase
from reception.server.web import render


def router(db: ServerDatabase) -> APIRouter:
    r = APIRouter()

    @r.get("/query", response_class=HTMLResponse)
    def query_form(request: Request) -> HTMLResponse:
        return render(request, "query_form.html", {})

    return r
