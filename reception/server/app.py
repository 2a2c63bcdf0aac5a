"""The HTTP API (FastAPI; OpenAPI description at ``/docs`` and ``/openapi.json``).

Every endpoint except enrolment requires a bearer token (a desk's or a handling unit's); enrolment requires the
one-time code instead. Errors are JSON ``{"detail": "<中文说明>"}`` which the desk shows as is. Endpoints are plain
functions, so FastAPI runs them in its thread pool and one slow database call never blocks the others.
"""

# (no "from __future__ import annotations": FastAPI reads the endpoints' annotations, which name local aliases)

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from pydantic_core import to_json
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from reception import __version__
from reception.bootstrap import install_hooks
from reception.envfail import environment_reason
from reception.server import limits, service, web
from reception.server.db import ServerDatabase
from reception.server.errors import ServerError
from reception.server.models import Client
from reception.sync.protocol import (
    INT64_MAX,
    MIN_PROTOCOL,
    PROTOCOL_HEADER,
    PROTOCOL_MAX,
    PROTOCOL_VERSION,
    AuditHeadsReply,
    EnrollReply,
    EnrollRequest,
    Hello,
    HelloReply,
    PullReply,
    PushReply,
    PushRequest,
    UnitCase,
    UnitEventIn,
    UnitEventReply,
)


def _too_old(protocol: int | None) -> ServerError | None:
    if protocol is None or protocol < MIN_PROTOCOL:
        shown = "未知" if protocol is None else str(protocol)
        return ServerError(426, f"本工位程序版本过旧（同步协议 {shown}），服务器要求至少为 {MIN_PROTOCOL}。"
                                "请安装新版本后再同步；本机已登记的数据不受影响，升级后会自动上传。")
    return None


def create_app(db: ServerDatabase, *, now: Callable[[], datetime] | None = None) -> FastAPI:
    """The server's application; ``now``: the web pages' clock (tests fix it; default the wall clock)."""
    install_hooks()  # the audit trail's sealing, for the desk databases its reference import writes
    app = FastAPI(title="信访接待中心服务器 Reception server", version=__version__,
                  description="Sync API for reception desks and the handling units' progress API.")

    app.add_middleware(limits.BodyLimit)
    web.mount(app, db, now=now)  # (the web pages: /query, /unit..., reception/server/web)

    @app.exception_handler(ServerError)
    def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    def _environment(_request: Request, exc: Exception) -> JSONResponse:
        """A full disk, a read-only directory, a locked database, a lost PostgreSQL connection: 503 with the
        reason (the desk retries later); the transaction was rolled back, nothing is half-written."""
        reason = environment_reason(exc)
        if not reason:
            raise exc
        return JSONResponse(status_code=503, content={"detail": f"服务器暂时无法处理：{reason}"},
                            headers={"Retry-After": "60"})

    app.add_exception_handler(DBAPIError, _environment)
    app.add_exception_handler(OSError, _environment)

    def _token(authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def _address(request: Request) -> str:
        return request.client.host if request.client is not None else "unknown"

    def _authenticated(request: Request, authorization: str, kind: str) -> Client:
        """Authenticate; failed attempts are counted per address, and past the limit refused with 429."""
        try:
            return service.authenticate(db, _token(authorization), kind=kind)
        except ServerError as exc:
            if exc.status != 401:
                raise
            limits.count(db, f"auth:{_address(request)}", limits.AUTH_FAIL_LIMIT,
                         "认证失败次数过多，请稍后再试")
            raise

    def desk_client(request: Request, authorization: Annotated[str, Header()] = "",
                    x_reception_protocol: Annotated[int | None, Header(alias=PROTOCOL_HEADER, ge=0,
                                                                       le=PROTOCOL_MAX)] = None) -> Client:
        client = _authenticated(request, authorization, "desk")
        error = _too_old(x_reception_protocol)
        if error is not None:
            raise error
        return client

    def unit_client(request: Request, authorization: Annotated[str, Header()] = "") -> Client:
        return _authenticated(request, authorization, "unit")

    DeskClient = Annotated[Client, Depends(desk_client)]
    UnitClient = Annotated[Client, Depends(unit_client)]

    @app.post("/enroll", response_model=EnrollReply, tags=["desks"])
    def enroll(req: EnrollRequest, request: Request) -> EnrollReply:
        """Enrol a desk with the one-time code from ``reception server add-desk``: its desk code and token."""
        limits.count(db, f"enroll:{_address(request)}", limits.ENROL_LIMIT, "登记尝试过于频繁，请10分钟后再试")
        error = _too_old(req.protocol)
        if error is not None:
            raise error
        return service.enroll(db, req)

    @app.post("/sync/hello", response_model=HelloReply, tags=["sync"])
    def hello(req: Hello, client: DeskClient) -> HelloReply:
        """Handshake: protocol and schema versions, the server's identity and clock, the newest sequence number."""
        error = _too_old(req.protocol)
        if error is not None:
            raise error
        return HelloReply(server_id=db.server_id(), server_time=datetime.now(UTC), protocol=PROTOCOL_VERSION,
                          min_protocol=MIN_PROTOCOL, high_seq=service.high_seq(db), client_id=client.id,
                          desk_code=client.desk_code or "", desk_id=client.desk_id or "")

    @app.post("/sync/push", response_model=PushReply, tags=["sync"],
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/PushRequest"}}}}})
    async def push(request: Request, client: DeskClient) -> Response:
        """Apply a batch of mutations once each; a mutation id seen before gets the answer stored for it.

        The body (``PushRequest``) is parsed and validated in one step by pydantic's JSON parser, and the answer
        leaves out default fields (``reason`` "", ``server_data`` null...): a batch is thousands of mutations."""
        try:
            req = PushRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_input=False)) from exc
        results = await run_in_threadpool(service.push, db, client, req.mutations)
        return Response(content=to_json({"server_id": db.server_id(), "results": results}),
                        media_type="application/json")

    @app.get("/sync/pull", response_model=PullReply, tags=["sync"])
    def pull(client: DeskClient, after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
             limit: Annotated[int, Query(ge=1, le=5000)] = 1000, skip_own: bool = False) -> Response:
        """Records changed after sequence number ``after``, in sequence order (tombstones included); with
        ``skip_own`` the calling desk's own changes are left out (``cursor`` still moves past them). The JSON is
        built from the stored records' text (``service.pull_json``), not through FastAPI's response_model path
        (which would dump, validate again and re-encode thousands of records; the model documents the answer)."""
        return Response(content=service.pull_json(db, after, limit, skip_origin=client.id if skip_own else ""),
                        media_type="application/json")

    @app.get("/sync/audit-heads", response_model=AuditHeadsReply, tags=["sync"])
    def audit_heads(client: DeskClient) -> AuditHeadsReply:
        """The newest audit entry the server holds of each chain this desk pushed: the desk's verify compares its
        own chain with it, so a tail truncated or rewritten on the desk is found."""
        return service.audit_heads(db, client)

    @app.get("/sync/attachments/{attachment_id}", tags=["sync"],
             responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}})
    def attachment(attachment_id: str, client: DeskClient) -> Response:
        """A file a handling unit attached to a case at ``/unit`` (PDF, JPEG or PNG), for a desk to show it."""
        from reception.domain.errors import NotFoundError
        from reception.server.unit_work import attachment_for

        try:
            row, content = attachment_for(db, attachment_id[:64], unit_id=None)
        except (NotFoundError, FileNotFoundError) as exc:
            raise ServerError(404, "服务器上没有该附件") from exc
        return Response(content, media_type=row.content_type,
                        headers={"Content-Disposition": "attachment", "X-Content-SHA256": row.sha256})

    @app.get("/units/cases", response_model=list[UnitCase], tags=["units"])
    def unit_cases(client: UnitClient) -> list[UnitCase]:
        """The cases assigned to the calling handling unit (newest first)."""
        return service.unit_cases(db, client)

    @app.post("/units/cases/{case_no}/events", response_model=UnitEventReply, tags=["units"])
    def unit_event(case_no: str, event: UnitEventIn, client: UnitClient) -> UnitEventReply:
        """A handling unit reports progress on one of its cases; every desk receives it as a case event."""
        return service.post_unit_event(db, client, case_no, event)

    def openapi() -> dict[str, Any]:
        """FastAPI's description, plus the push body's models (the endpoint parses its body itself, so FastAPI
        does not list them): ``PushRequest`` and the models it references, as components its ``$ref`` resolves to."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            body = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in body.pop("$defs", {}).items():
                components.setdefault(name, model)
            components["PushRequest"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
