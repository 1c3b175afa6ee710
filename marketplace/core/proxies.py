"""Which client address a request comes from, behind the proxies we run.

Werkzeug's ProxyFix believes X-Forwarded-For from whoever sends it. Behind haproxy every request
comes from the proxy, so without it one person's failed sign-ins lock everybody out; with it
applied to everyone, anybody could claim any address. So X-Forwarded-* are believed only when the
connection comes from one of TRUSTED_PROXIES (addresses or networks), one hop.
"""
from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address, ip_network
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    def __init__(self, wsgi_app: Any, trusted: Iterable[str]) -> None:
        self.direct = wsgi_app
        self.behind_proxy = ProxyFix(wsgi_app, x_for=1, x_proto=1)
        self.trusted = [ip_network(entry, strict=False) for entry in trusted]

    def _from_trusted_proxy(self, address: str) -> bool:
        try:
            peer = ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._from_trusted_proxy(environ.get("REMOTE_ADDR", "")):
            return self.behind_proxy(environ, start_response)
        return self.direct(environ, start_response)


def init_app(app: Any) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["TRUSTED_PROXIES"])
