"""A short-lived cache of whole public pages for visitors who are not signed in, and of the hot
fragments every visitor needs (the home page's listings, price hints).

Anonymous visitors see the same browse pages; rendering them costs far more
than serving them (see `make bench`). A page is kept for PUBLIC_PAGE_CACHE_SECONDS
under a key that includes the owning domain's *version* (for the catalog, the
newest listing change), so an edit shows on the very next request in every
process, whatever the cache backend. Signed-in buyers and residents share those
pages with everyone of the same roles and place, their header and CSRF tokens filled
in per request (SHARED_PAGE_ROLES, core.frame). Pages with a message to show, and a
visitor's responses that touched the session (a CSRF token, a language choice), are
never cached. Flask-Caching stores the pages: in-process without Redis, in Redis
when REDIS_URL is set (shared by every app server).

A person's own pages (cart, orders, listings) are kept by `personal_page` under
their id and a version their domain reads cheaply, so a change shows at once.

Fragments (`fragment(namespace, key, build)`) are kept for FRAGMENT_CACHE_SECONDS with their
namespace's generation; a writer calls `invalidate(namespace)` after its commit and every app
server's next read builds the fragment again (the generation lives in the shared cache). Callers
whose data has a cheap version (the catalog's newest change) put it in the key as well, so a
write that forgot to invalidate is still seen.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_caching import Cache
from flask_login import current_user

from marketplace.core import frame

#: Created here, with the mechanism that uses it (core imports nothing above it); extensions.py re-exports it.
cache = Cache()


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    # Short timeouts: a cache that does not answer at once is skipped, not waited for.
    config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_OPTIONS": dict(REDIS_TIMEOUTS),
              "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX", "vs:")} if redis_url \
        else {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    config["CACHE_DEFAULT_TIMEOUT"] = app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 30)
    cache.init_app(app, config=config)
    app.after_request(_no_store_for_signed_in_people)


#: Served the same to everyone, fingerprinted, and read without a session.
_SHARED_ENDPOINTS = frozenset({"static", "media.serve"})


def _no_store_for_signed_in_people(response: Response) -> Response:
    """A signed-in person's page (their orders, their applications, their name in the header) must
    not stay in a shared computer's cache or a proxy: `no-store`, whatever the view said."""
    if request.endpoint in _SHARED_ENDPOINTS or not getattr(current_user, "is_authenticated", False):
        return response
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.pop("Expires", None)
    return response


#: Redis is an accelerator here, never a dependency of reading: an operation that takes longer
#: than this is given up and the page is built as if the cache were empty.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _get(key: str) -> object:
    """The cached value, or None when it is absent or the cache cannot be reached."""
    try:
        return cache.get(key)
    except Exception as error:  # redis' ConnectionError, TimeoutError…: the cache is down, the site is not
        current_app.logger.warning("cache unreachable, reading %s without it: %s", key.split(":", 1)[0], error)
        return None


def _get_many(*keys: str) -> list[object]:
    """The cached values (None where absent), all None when the cache cannot be reached."""
    try:
        return list(cache.get_many(*keys))
    except Exception as error:
        current_app.logger.warning("cache unreachable, reading %s without it: %s", keys[0].split(":", 1)[0], error)
        return [None] * len(keys)


def _set(key: str, value: object, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as error:
        current_app.logger.warning("cache unreachable, %s not kept: %s", key.split(":", 1)[0], error)


def keep_personal(app: Flask, session_key: str) -> None:
    """A domain keeps something of a visitor's own in their session (a guest's cart) that its pages
    show: pages of a visitor who holds it are built for them, never cached or served from the cache."""
    app.extensions.setdefault("personal_session_keys", set()).add(session_key)


#: Signed-in people whose public pages are anyone's with the same roles and place: none of their roles
#: manages listings, reviews or administers, so a browse page or a listing reads the same for them all.
#: Their pages are kept like a visitor's, with the header (their counts) and their CSRF token left as
#: marks that each request fills in (core.frame). Farmers, agents, officials and admins are served pages
#: built for them (their home lists their own orders; a listing they manage has its tools).
SHARED_PAGE_ROLES = frozenset({"buyer", "resident"})


def _cacheable_request() -> bool:
    """A GET with nothing of the moment to show: no message waiting, no language being chosen."""
    return (
        request.method == "GET"
        and "_flashes" not in session
        and "lang" not in request.args
        and not any(session.get(key) for key in current_app.extensions.get("personal_session_keys", ()))
    )


def _shared_with() -> str | None:
    """Who else may be served this person's copy of a public page: "" for every visitor, "roles@place"
    for signed-in people with those roles and that place (the page's distances and the home page's
    district come from the place), None for someone whose page is their own."""
    if not getattr(current_user, "is_authenticated", False):
        return ""
    roles = sorted(role.value for role in current_user.roles)
    # The language banner (a session language other than the account's) is the person's own too.
    if not set(roles) <= SHARED_PAGE_ROLES or frame.offers_language():
        return None
    return f"{'+'.join(roles)}@{current_user.village_id or ''}"


def keep_page_personal() -> None:
    """Called by a view while it renders a page that is this person's own (a listing they manage):
    the page is not kept for others with the same roles and place."""
    g.page_is_personal = True


def public_page(version: Callable[[], object], on_hit: Callable[..., None] | None = None) -> Callable[[Any], Any]:
    """Cache a view's page for anonymous visitors, and for signed-in people who share it (SHARED_PAGE_ROLES);
    `on_hit(**view_args)` still runs on every request."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            on = current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0) > 0
            shared_with = _shared_with() if on and _cacheable_request() else None
            if shared_with is None:
                return view(*args, **kwargs)
            key = f"page:{request.endpoint}:{version()}:{get_locale()}:{request.full_path}:{shared_with}"
            seconds = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
            if shared_with:  # signed in
                return _kept_for_signed_in(key, seconds, lambda: view(*args, **kwargs), (lambda: on_hit(**kwargs)) if on_hit else None)
            body = _get(key)
            if body is not None:
                if on_hit is not None:
                    on_hit(**kwargs)
                return Response(body, mimetype="text/html")  # type: ignore[arg-type]  # bytes, as _set stored them
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and not session.modified:
                _set(key, response.get_data(), seconds)
            return response

        return wrapped

    return decorator


def personal_page(version: Callable[[], object]) -> Callable[[Any], Any]:
    """Keep a signed-in person's own page (their cart, their orders, their listings) under their id and
    roles, the language, the address and `version()`: a cheap value from the owning domain that
    changes whenever what the page shows changes (their orders' count and newest change, say), so a
    change is seen on the very next request without anyone invalidating. Kept like the shared pages,
    with their header and CSRF tokens filled in on the way out (the person may be on two phones);
    for FRAGMENT_CACHE_SECONDS, which bounds what no version follows (a farm's new name)."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seconds = current_app.config.get("FRAGMENT_CACHE_SECONDS", 0)
            if (seconds <= 0 or not _cacheable_request() or not getattr(current_user, "is_authenticated", False)
                    or frame.offers_language()):  # the language banner is the person's own
                return view(*args, **kwargs)
            roles = "+".join(sorted(role.value for role in current_user.roles))
            key = f"own:{request.endpoint}:{current_user.id}:{roles}:{version()}:{get_locale()}:{request.full_path}"
            return _kept_for_signed_in(key, seconds, lambda: view(*args, **kwargs))

        return wrapped

    return decorator


def _kept_for_signed_in(key: str, seconds: int, render: Callable[[], Any], on_hit: Callable[[], None] | None = None) -> Response:
    """The page kept under `key`, or rendered with the person's own parts left as marks, kept (unless
    the view said it is theirs alone: keep_page_personal) and filled; either way made this person's."""
    body = _get(key)
    if body is not None:
        if on_hit is not None:
            on_hit()
        return Response(frame.personalise(body.decode()), mimetype="text/html")  # type: ignore[attr-defined]  # bytes, as _set stored them
    frame.leave_holes()
    try:
        response = make_response(render())
    except BaseException:
        frame.fill_holes()  # the error page (a 404, say) is rendered whole, for this person
        raise
    html = frame.with_csrf_mark(response.get_data(as_text=True))
    if response.status_code == 200 and not g.get("page_is_personal"):
        _set(key, html.encode(), seconds)
    response.set_data(frame.personalise(html))
    return response


def fragment(namespace: str, key: str | Callable[[], str], build: Callable[[], object]) -> object:
    """`build()`'s value, from the cache when this namespace has not changed since it was built.
    Values must pickle (plain data or rendered HTML, never ORM objects). A key that costs a query
    to make (a version) may be given as a function: it is not called while fragments are off."""
    seconds = current_app.config.get("FRAGMENT_CACHE_SECONDS", 0)
    if seconds <= 0:
        return build()
    key = key() if callable(key) else key
    # The namespace's generation and the fragment in one round trip (Redis MGET): the fragment is kept
    # with the generation it was built under and is a hit only while that is still the namespace's.
    full_key = f"fragment:{namespace}:{key}"
    generation, hit = _get_many(f"generation:{namespace}", full_key)
    generation = generation or 0
    if hit is not None and hit[0] == generation:  # type: ignore[index]
        return hit[1]  # type: ignore[index]  # wrapped, so a cached None is a hit too
    value = build()
    _set(full_key, (generation, value), seconds)
    return value


def invalidate(namespace: str) -> None:
    """Every fragment of `namespace` is rebuilt on its next read, in every process."""
    try:
        cache.cache.inc(f"generation:{namespace}")  # atomic INCR in Redis
    except Exception:  # the cache being down must not fail the write that changed the data
        current_app.logger.exception("could not invalidate cached %s", namespace)
