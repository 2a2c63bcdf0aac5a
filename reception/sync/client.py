"""HTTP transport of the desk: retries network errors and 5xx with backoff; 4xx become typed errors at once."""

from __future__ import annotations

import os
import ssl
import time
from typing import Any

import httpx

from reception import __version__
from reception.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER

CA_ENV = "RECEPTION_SYNC_CA"
"""A CA bundle (PEM) to trust for a server whose certificate is from the centre's own CA."""


class SyncTransportError(Exception):
    """The server could not be reached or kept failing (network error or 5xx after the retries): try later."""


class SyncRefused(Exception):
    """The server answered 4xx: ``status`` and its Chinese ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def fatal(self) -> bool:
        """Authentication and version refusals stop the whole cycle (no mutation is at fault)."""
        return self.status in (401, 403, 426)


class SyncClient:
    def __init__(self, base_url: str, token: str = "", *, retries: int = 3, backoff: float = 0.4,
                 timeout: float = 30.0, protocol: int = PROTOCOL_VERSION, schema: str = "",
                 transport: httpx.BaseTransport | None = None) -> None:
        self.retries = retries
        self.backoff = backoff
        headers = {PROTOCOL_HEADER: str(protocol), SCHEMA_HEADER: schema,
                   "User-Agent": f"reception-desk/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                 verify=_verify(base_url), transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self._request(method, path, json=json, params=params).json()

    def request_raw(self, method: str, path: str, body: bytes | None = None,
                    params: dict[str, Any] | None = None) -> bytes:
        """Send a JSON body already encoded (or none); returns the answer's bytes, for pydantic's JSON parser
        (one pass in Rust instead of ``json.loads`` and then building every record's model)."""
        headers = {"Content-Type": "application/json"} if body is not None else None
        return self._request(method, path, content=body, params=params, headers=headers).content

    def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                 content: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.http.request(method, path, json=json, params=params, content=content,
                                             headers=headers)
            except httpx.TransportError as exc:
                last = f"无法连接服务器（{type(exc).__name__}）"
                continue
            if response.status_code >= 500:
                # 503: the server's environment (its disk, its database) with the reason: retried, then shown
                last = (_detail(response) if response.status_code == 503
                        else f"服务器错误 {response.status_code}")
                continue
            if response.status_code >= 400:
                raise SyncRefused(response.status_code, _detail(response))
            return response
        raise SyncTransportError(last)


_SSL: dict[str, ssl.SSLContext] = {}


def _verify(base_url: str) -> Any:
    """The TLS context, built once per process (building one reads the CA store: ~70 ms, too much per cycle).
    Plain http (a loopback or a TLS-terminating proxy on the same host) needs none."""
    if not base_url.lower().startswith("https://"):
        return False
    ca = os.environ.get(CA_ENV) or ""
    if ca not in _SSL:
        _SSL[ca] = ssl.create_default_context(cafile=ca or None)
        if not ca:
            try:
                import certifi  # httpx's own CA bundle, when the system store lacks the centre's chain

                _SSL[ca].load_verify_locations(cafile=certifi.where())
            except ImportError:  # pragma: no cover
                pass
    return _SSL[ca]


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, str):
        return detail
    if detail:
        return f"请求被拒绝（{response.status_code}）：{str(detail)[:300]}"
    return f"请求被拒绝（{response.status_code}）"
