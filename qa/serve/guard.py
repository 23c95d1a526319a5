"""What stands between the page and the network: security headers and login throttling.

- :class:`SecurityHeaders` (ASGI middleware) adds to every response a Content-Security-
  Policy that lets the page load and connect only to its own origin and never be framed
  (``frame-ancestors 'none'``), plus ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``. Gradio's page needs
  inline scripts and styles, so those stay allowed; everything it renders from answers
  is escaped (``qa.serve.render``).
- :class:`LoginThrottle` counts failed logins per user name and per client address:
  after ``limit`` failures within ``window`` seconds further attempts are refused until
  the window has passed — by the login check for a user name, with HTTP 429 for an
  address (:class:`ThrottleLogins` middleware, which sees Gradio's ``POST /login``).
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
LOGIN_PATHS = ("/login", "/login/")


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((n, v) for n, v in HEADERS if n not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginThrottle:
    """Failed logins by key ("user:…", "addr:…") within a sliding window."""

    def __init__(self, limit: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        q = self._failures[key]
        cutoff = self.clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self.clock())

    def checker(self, logins: tuple[tuple[str, str], ...]) -> Callable[[str, str], bool]:
        """Gradio's ``auth`` callable: right password and not throttled for this user."""
        passwords = dict(logins)

        def check(username: str, password: str) -> bool:
            key = f"user:{username}"
            if self.blocked(key):
                return False
            want = passwords.get(username)
            ok = want is not None and hmac.compare_digest(password.encode(), want.encode())
            if not ok:
                self.failed(key)
            return ok

        return check


class ThrottleLogins:
    """ASGI middleware: 429 for an address with too many failed logins; counts failures."""

    def __init__(self, app, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        key = f"addr:{(scope.get('client') or ('?', 0))[0]}"
        if self.throttle.blocked(key):
            body = json.dumps({"detail": "Too many failed logins; wait a minute and try again."}).encode()
            await send({"type": "http.response.start", "status": 429, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return

        async def count_failures(message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (400, 401):
                self.throttle.failed(key)
            await send(message)

        await self.app(scope, receive, count_failures)
