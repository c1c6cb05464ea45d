"""Transports that deliver real HTTP requests to the apps of a :class:`~pytest_orq_mlflow.http.Mounts` table.

* :class:`InProcessTransport` answers ``requests`` calls made in this process,
  through a ``responses.RequestsMock``; nothing touches a socket.
* :class:`LoopbackTransport` runs a real HTTP server on ``127.0.0.1`` that is
  also an HTTP proxy, so subprocesses reach fake host names with
  ``HTTP_PROXY`` pointing at it.

Both only translate HTTP to :class:`~pytest_orq_mlflow.http.FakeRequest` and
back; the mounts decide which app answers. Importing this module imports
neither requests nor responses (they are imported in ``start()``).
"""

from __future__ import annotations

import http
import http.server
import json
import re
import threading
import traceback
import weakref
from types import TracebackType
from typing import Any

from pytest_orq_mlflow.http import App, FakeResponse, Mounts

__all__ = ["InProcessTransport", "LoopbackTransport"]

_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


def _call_app(app: App, request: Any) -> FakeResponse:
    try:
        return app(request)
    except Exception:  # an app bug must surface as an answer, not hang the client
        message = "the fake app raised an exception:\n" + traceback.format_exc()
        body = json.dumps({"error_code": "INTERNAL_ERROR", "message": message}).encode()
        return FakeResponse(500, body, {"Content-Type": "application/json"})


def _unmounted_message(method: str, url: str, mounts: Mounts) -> str:
    bases = "\n".join(f"  - {b}" for b in mounts.base_urls()) or "  (nothing is mounted)"
    return (
        f"{method} {url} does not go to any fake app, and the test must not reach the "
        f"network. Mounted base URLs:\n{bases}"
    )


# --- in-process ---------------------------------------------------------------------------


class InProcessTransport:
    """Answer this process's ``requests`` calls to mounted URLs from the mounted apps.

    ``start()`` starts a ``responses.RequestsMock`` whose callback answers every
    mounted base URL (mounts added later are served too). It coexists with a
    test's own ``responses`` mocks in both orders:

    * a mock started *before* this one keeps answering: requests this transport
      does not serve are handed to the ``HTTPAdapter.send`` that was active when
      it started;
    * a mock started *after* this one (``@responses.activate`` on a test whose
      fixture started the transport) does not see requests to mounted URLs:
      ``requests.Session.get_adapter`` is patched to hand those to an adapter
      that goes straight to this transport's mock.

    A request to an unmounted URL that no other mock answers raises
    ``requests.ConnectionError`` naming the URL and the mounted base URLs; it
    never reaches the network. Stop mocks in the reverse order of starting them.
    """

    def __init__(self, mounts: Mounts) -> None:
        self.mounts = mounts
        self._mock: Any = None
        self._patchers: list[Any] = []
        self._prev_send: Any = None

    def __enter__(self) -> InProcessTransport:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        """Whether the transport is answering requests."""
        return self._mock is not None

    def start(self) -> InProcessTransport:
        """Start answering; returns ``self``. Starting twice is an error."""
        if self._mock is not None:
            raise RuntimeError("InProcessTransport is already started; stop() it first.")
        from unittest import mock

        import requests
        import responses

        self._prev_send = requests.adapters.HTTPAdapter.send
        original_send = responses._real_send
        mounts = self.mounts

        def fallback(adapter: Any, request: Any, **kwargs: Any) -> Any:
            prev = self._prev_send
            if prev is not None and prev is not original_send:
                return prev(adapter, request, **kwargs)
            raise requests.ConnectionError(
                _unmounted_message(str(request.method), str(request.url), mounts),
                request=request,
            )

        send_fallback: Any = fallback
        rmock = responses.RequestsMock(
            assert_all_requests_are_fired=False, real_adapter_send=send_fallback
        )

        def is_mounted(request: Any) -> tuple[bool, str]:
            if mounts.resolve(str(request.url)) is not None:
                return True, ""
            return False, "not a mounted base URL"

        pattern = re.compile(r"https?://")
        for method in _METHODS:
            rmock.add_callback(
                method, pattern, callback=self._callback, match=[is_mounted], content_type=None
            )
        rmock.add_passthru(re.compile(".*"))
        rmock.start()
        self._mock = rmock

        on_send = rmock.unbound_on_send()

        class _FakeAppAdapter(requests.adapters.HTTPAdapter):
            """Sends mounted URLs to the transport's mock, whatever else patches ``send``."""

            def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return on_send(self, request, *args, **kwargs)

        # One stand-in per adapter the caller mounted, carrying its retry policy
        # (``responses`` honours ``max_retries``), so retries behave as over a socket.
        fake_adapters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        original_get_adapter = requests.Session.get_adapter

        def get_adapter(session: Any, url: str) -> Any:
            if mounts.resolve(url) is None:
                return original_get_adapter(session, url)
            original = original_get_adapter(session, url)
            fake = fake_adapters.get(original)
            if fake is None:
                fake = _FakeAppAdapter()
                fake.max_retries = getattr(original, "max_retries", fake.max_retries)
                fake_adapters[original] = fake
            return fake

        patcher = mock.patch.object(requests.Session, "get_adapter", get_adapter)
        patcher.start()
        self._patchers = [patcher]
        return self

    def _callback(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes | bytearray):
            body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
        found = self.mounts.build_request(
            str(request.method), str(request.url), dict(request.headers), bytes(body)
        )
        if found is None:  # unmounted between matching and answering
            import requests

            raise requests.ConnectionError(
                _unmounted_message(str(request.method), str(request.url), self.mounts)
            )
        app, fake_request = found
        response = _call_app(app, fake_request)
        return response.status, dict(response.headers), response.body

    def stop(self) -> None:
        """Stop answering (idempotent)."""
        for patcher in reversed(self._patchers):
            patcher.stop()
        self._patchers = []
        if self._mock is not None:
            self._mock.stop(allow_assert=False)
            self._mock.reset()
            self._mock = None
        self._prev_send = None


# --- loopback -----------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Translates one HTTP request (origin-form or absolute-form) for the mounted apps."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no line on stderr per request."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        target = self.path
        if target.startswith(("http://", "https://")):
            url = target
        else:
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            url = f"http://{host}{target}"
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        mounts = self.server.mounts
        found = mounts.build_request(self.command, url, headers, body)
        if found is None:
            payload = {
                "error_code": "BAD_GATEWAY",
                "message": _unmounted_message(self.command, url, mounts),
            }
            response = FakeResponse(
                502, json.dumps(payload).encode(), {"Content-Type": "application/json"}
            )
        else:
            app, request = found
            response = _call_app(app, request)
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        lines = [
            f"{self.protocol_version} {response.status} {reason}",
            f"Date: {self.date_time_string()}",
        ]
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date"):
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(response.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write for head and body: no small-packet round trips on keep-alive connections.
        self.wfile.write(head if self.command == "HEAD" else head + response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def do_CONNECT(self) -> None:
        """HTTPS tunnelling is not offered: fake hosts must be reached over plain http."""
        self.send_error(
            501, "The loopback proxy does not tunnel HTTPS; mount and use an http:// base URL."
        )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    block_on_close = False

    def __init__(self, address: tuple[str, int], mounts: Mounts) -> None:
        self.mounts = mounts
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore broken client connections quietly."""


class LoopbackTransport:
    """A real HTTP server (and HTTP proxy) on the loopback interface serving ``mounts``.

    * Origin-form requests (``GET /api/...`` with ``Host: 127.0.0.1:<port>``) go
      to whatever is mounted at :attr:`url` (see :meth:`mount_self`).
    * Absolute-form proxy requests (``GET http://mlflow-cr.ns:5000/api/...``)
      go to whatever is mounted at that URL, so a subprocess started with
      :attr:`proxy_env` in its environment reaches fake ``http://`` host names.

    Unmounted URLs get ``502`` with a message listing the mounted base URLs.
    HTTPS (``CONNECT``) is not proxied. Requests are served concurrently, one
    thread per connection, with keep-alive and chunked request bodies.
    """

    def __init__(self, mounts: Mounts, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mounts = mounts
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LoopbackTransport:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LoopbackTransport:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("LoopbackTransport is already started; stop() it first.")
        server = _Server((self.host, self.port), self.mounts)
        self.port = int(server.server_address[1])
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"orq-loopback-{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        """``http://<host>:<port>`` of the running server."""
        if self._server is None:
            raise RuntimeError("LoopbackTransport is not started; call start() first.")
        return f"http://{self.host}:{self.port}"

    def mount_self(self, app: App, prefix: str = "") -> str:
        """Mount ``app`` at this server's own URL (plus ``prefix``); returns that base URL."""
        base = self.url + ("/" + prefix.strip("/") if prefix.strip("/") else "")
        self.mounts.mount(base, app)
        return base

    @property
    def proxy_env(self) -> dict[str, str]:
        """Environment variables that route a subprocess's plain-http traffic through here."""
        url = self.url
        return {"HTTP_PROXY": url, "http_proxy": url, "NO_PROXY": "", "no_proxy": ""}
