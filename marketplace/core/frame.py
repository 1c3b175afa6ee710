"""The header and footer around every page, rendered once per language and kind of person and
kept in memory; each request fills in only what is its own.

Measured before this (`make bench`, in-process): the frame cost a signed-in page about 1 ms of its
3, more than the page's own content once that comes from a shared fragment. What it shows depends on
little: the language, whether someone is signed in and with which roles (which links the menu
offers), the three counts in the header (passed in, so they are part of the key), and for the footer
the address (its language links point back at this page). The one thing that differs between two
people with all of that in common is the CSRF token of the sign-out form: the frame holds a mark in
its place and each request writes its own token there.

Memory, not the shared cache: the frame changes only with the code and the translations, which
change only with a new release (a new process), so there is nothing to invalidate; and a dict read
costs nothing beside a round trip. The memo is per app and bounded.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from marketplace.core import header

#: Where a CSRF token goes in a kept header or page. Only our code writes marks: a person's text is
#: escaped on the way into any page, so "<!--" from them arrives as "&lt;!--".
CSRF_MARK = "<!--frame:csrf-->"
#: Where the header goes in a page kept for everyone with the same roles and place (core.cache).
HEADER_MARK = "<!--frame:header-->"
#: Enough for every language x kind of person x count the header meets, and the footer's busiest addresses.
MEMO_LIMIT = 4096


def _memo(key: tuple[object, ...], build: Callable[[], str]) -> str:
    kept: dict[tuple[object, ...], str] = current_app.extensions.setdefault("frame_memo", {})
    html = kept.get(key)
    if html is None:
        html = build()
        if len(kept) >= MEMO_LIMIT:
            kept.clear()  # a rare full reset is cheaper than keeping an LRU order on every read
        kept[key] = html
    return html


def _person() -> tuple[str, ...] | None:
    """What the menu depends on: None for a visitor, else the roles (sorted, so the key is stable)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    return tuple(sorted(role.value for role in current_user.roles))


def site_header(in_cart: int, orders_waiting: int, unread: int) -> Markup:
    if g.get("frame_holes"):
        return Markup(HEADER_MARK)
    person = _person()
    html = _memo(("header", str(get_locale()), person, in_cart, orders_waiting, unread),
                 lambda: render_template("_frame/header.html", in_cart=in_cart, orders_waiting=orders_waiting, unread=unread,
                                         csrf_mark=Markup(CSRF_MARK)))
    if person is not None:
        html = html.replace(CSRF_MARK, generate_csrf(), 1)  # URL-safe base64 and dots: nothing to escape
    return Markup(html)


def site_footer() -> Markup:
    return Markup(_memo(("footer", str(get_locale()), request.full_path), lambda: render_template("_frame/footer.html")))


def offers_language() -> bool:
    """Whether the page offers a signed-in person to save the language this browser chose (a banner
    of their own: such a page is never kept for others)."""
    chosen = session.get("lang")
    return bool(getattr(current_user, "is_authenticated", False) and chosen and chosen != current_user.preferred_locale
                and session.get("lang_offer_declined") != chosen)


# --- pages kept for everyone with the same roles and place (core.cache.public_page) ---------------

def leave_holes() -> None:
    """The page being rendered is to be kept for others: its header is left as a mark."""
    g.frame_holes = True


def fill_holes() -> None:
    """From here on the page is this person's alone: the header is rendered in place."""
    g.frame_holes = False


def with_csrf_mark(html: str) -> str:
    """The page with this session's CSRF token (if it was written anywhere) turned back into marks."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return html.replace(token, CSRF_MARK) if token else html


def with_csrf(html: str) -> str:
    """Kept HTML with this session's CSRF token where the marks stand."""
    return html.replace(CSRF_MARK, generate_csrf()) if CSRF_MARK in html else html


def personalise(html: str) -> str:
    """A kept page made this person's: their header (their counts) and their CSRF token."""
    fill_holes()
    counts = header.counts()
    their_header = site_header(counts.get("cart", 0), counts.get("orders_to_prepare", 0), counts.get("unread_messages", 0))
    return with_csrf(html.replace(HEADER_MARK, their_header, 1))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(site_header=site_header, site_footer=site_footer, offers_language=offers_language)
