"""Fetching a file from an address that came from outside (a partner's media_url, a gateway's
recording): public hosts only, checked again at each redirect (requests-hardened looks at the
address it connects to, so a name that resolves to a private address is refused too), for at most
`max_bytes` and a few seconds. Callers decide what a refusal means for their record."""
from __future__ import annotations

from requests_hardened import Config, Manager
from requests_hardened.ip_filter import InvalidIPAddress

__all__ = ["FetchRefused", "InvalidIPAddress", "fetch_public"]


class FetchRefused(Exception):
    """The address answered with something we do not take: another status, or too much."""


def fetch_public(url: str, *, max_bytes: int, what: str, user_agent: str, allow_loopback: bool = False,
                 read_timeout: float = 10) -> bytes:
    """The bytes at `url`; FetchRefused (saying `what` was refused and why) or InvalidIPAddress
    when it is not taken; requests' own errors when the address is slow or away (try again later)."""
    config = Config(ip_filter_enable=True, ip_filter_allow_loopback_ips=allow_loopback, never_redirect=False,
                    default_timeout=(3, read_timeout), user_agent_override=user_agent)
    with Manager(config).get_session() as session:
        session.max_redirects = 3
        with session.get(url, stream=True) as answer:
            if answer.status_code != 200:
                raise FetchRefused(f"the address answered {answer.status_code}")
            chunks, size = [], 0
            for chunk in answer.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(f"{what} is larger than {max_bytes // (1024 * 1024)} MB")
                chunks.append(chunk)
    return b"".join(chunks)
