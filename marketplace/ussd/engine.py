"""The phone menus' engine: sessions, the stack of screens, paging, going back, PIN steps.

It knows no produce, order or application: the screens (ussd.screens) are a table of named
screens that call the domains' faces, given to the engine by ussd.init_app. A screen is a menu
(numbered choices, "98 More", "0 Back"), a prompt (free input) or an action (runs once, when
chosen, and ends the session with its answer). Bad input keeps the caller on the same screen with
a short reason in front; nothing they did is lost. Voice can walk the same screens.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.api import PinLocked, User, check_pin, has_pin
from marketplace.core import params
from marketplace.core.errors import DomainError
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.extensions import db
from marketplace.ussd.gateway import SCREEN_LIMIT, Screen, UssdRequest
from marketplace.ussd.models import UssdSession

MORE, BACK = "98", "0"


@dataclass
class Caller:
    phone: str
    user: User | None
    session: UssdSession

    @property
    def is_farmer(self) -> bool:
        return self.user is not None and self.user.farmer_profile is not None


# --- what a screen can be -------------------------------------------------------------------

@dataclass
class Menu:
    title: str
    options: list[tuple[str, dict]]  # (label, the node chosen)


@dataclass
class Prompt:
    text: str


@dataclass
class Finish:
    text: str


@dataclass
class Stay:
    error: str


@dataclass
class Push:
    node: dict


@dataclass
class NodeType:
    render: Callable[[Caller, dict], Any] = None  # -> Menu | Prompt
    on_input: Callable[[Caller, dict, str], Any] = None  # prompts: -> Push | Stay | Finish
    perform: Callable[[Caller, dict], Any] = None  # actions: -> Finish | Stay


@dataclass
class ScreenSet:
    """Named screens, declared with the decorators below as a blueprint declares routes; the app
    holds the one set the engine walks (ussd.init_app)."""

    nodes: dict[str, NodeType] = field(default_factory=dict)

    def menu(self, name: str):
        def register(render):
            self.nodes[name] = NodeType(render=render)
            return render
        return register

    def prompt(self, name: str):
        def register(pair):
            render, on_input = pair()
            self.nodes[name] = NodeType(render=render, on_input=on_input)
            return pair
        return register

    def action(self, name: str):
        def register(perform):
            self.nodes[name] = NodeType(perform=perform)
            return perform
        return register


def _node(name: str) -> NodeType:
    return current_app.extensions["ussd_screens"].nodes[name]


# --- the engine ----------------------------------------------------------------------------

def answer(request: UssdRequest, user: User | None) -> Screen:
    """Apply the inputs this session has not seen yet and say what the phone shows next."""
    session = db.session.get(UssdSession, request.session_id)
    now = utcnow()
    limit = timedelta(seconds=current_app.config["USSD_SESSION_SECONDS"])
    if session is not None and (session.phone != request.phone or now - as_utc(session.updated_at) > limit):
        db.session.delete(session)
        db.session.commit()
        with force_locale(session.locale):
            return Screen(_("Your session has timed out. Please dial again."), end=True)
    if session is None:
        _forget_old_sessions(now)
        session = UssdSession(session_id=request.session_id, phone=request.phone, consumed=0, stack=[{"n": "main"}],
                              locale=user.preferred_locale if user else current_app.config["BABEL_DEFAULT_LOCALE"])
        db.session.add(session)
    caller = Caller(phone=request.phone, user=user, session=session)
    stack = [dict(frame) for frame in session.stack]
    new_inputs = request.inputs[session.consumed:] if len(request.inputs) >= session.consumed else request.inputs
    result: Screen | None = None
    with force_locale(session.locale):
        for token in new_inputs:
            result = _apply(caller, stack, token.strip())
            if result is not None:
                break
        if result is None:
            result = _render(caller, stack)
    session.consumed = len(request.inputs)
    session.stack = stack
    if result.end:
        # A session that ends on its first screen was never written: nothing to delete.
        db.session.expunge(session) if session in db.session.new else db.session.delete(session)
    db.session.commit()
    return result


def _forget_old_sessions(now) -> None:
    db.session.execute(db.delete(UssdSession).where(UssdSession.updated_at < now - timedelta(days=1)))


def _apply(caller: Caller, stack: list[dict], token: str) -> Screen | None:
    top = stack[-1]
    top.pop("error", None)
    kind = _node(top["n"])
    if kind.render is not None and kind.on_input is None:  # a menu
        view: Menu = kind.render(caller, top)
        pages = _paginate(caller, view, len(stack) > 1)
        page = min(top.get("page", 1), len(pages))
        if token == BACK and len(stack) > 1:
            stack.pop()
            return None
        if token == MORE and page < len(pages):
            top["page"] = page + 1
            return None
        choice = params.parse_int(token, minimum=1, maximum=len(view.options))  # "²" is a digit to isdigit(), not to int()
        if choice is not None:
            return _enter(caller, stack, dict(view.options[choice - 1][1]))
        top["error"] = _("Choose one of the numbers shown.")
        return None
    if token == BACK and len(stack) > 1 and token != "":
        stack.pop()
        return None
    outcome = kind.on_input(caller, top, token)
    return _follow(caller, stack, outcome)


def _enter(caller: Caller, stack: list[dict], node: dict) -> Screen | None:
    kind = _node(node["n"])
    if kind.perform is not None:
        return _follow(caller, stack, kind.perform(caller, node))
    stack.append(node)
    return None


def _follow(caller: Caller, stack: list[dict], outcome) -> Screen | None:
    if isinstance(outcome, Finish):
        return Screen(_fit(outcome.text), end=True)
    if isinstance(outcome, Stay):
        stack[-1]["error"] = outcome.error
        return None
    if isinstance(outcome, Push):
        return _enter(caller, stack, outcome.node)
    raise TypeError(outcome)


def _render(caller: Caller, stack: list[dict]) -> Screen:
    top = stack[-1]
    kind = _node(top["n"])
    view = kind.render(caller, top)
    error = top.get("error")
    if isinstance(view, Finish):  # a screen that has nothing to ask (no PIN set yet) says why and ends
        return Screen(_fit(view.text), end=True)
    if isinstance(view, Prompt):
        lines = ([error] if error else []) + [view.text]
        if len(stack) > 1:
            lines.append(_("0 Back"))
        return Screen(_fit("\n".join(lines)))
    pages = _paginate(caller, view, len(stack) > 1, error)
    page = min(top.get("page", 1), len(pages))
    return Screen(pages[page - 1])


def _paginate(caller: Caller, view: Menu, can_go_back: bool, error: str | None = None) -> list[str]:
    """Numbered choices in screens of at most SCREEN_LIMIT characters; numbers run on across pages."""
    head = ([error] if error else []) + [view.title]
    back = [_("0 Back")] if can_go_back else []
    more = _("98 More")
    pages, current = [], list(head)
    for number, (label, _node) in enumerate(view.options, start=1):
        line = f"{number} {label}"
        if len("\n".join(current + [line, more] + back)) > SCREEN_LIMIT and len(current) > len(head):
            pages.append("\n".join(current + [more] + back))
            current = list(head)
        current.append(line)
    pages.append("\n".join(current + back))
    return [_fit(p) for p in pages]


def _fit(text: str) -> str:
    return text if len(text) <= SCREEN_LIMIT else text[:SCREEN_LIMIT - 1] + "…"


def pin_guarded(text: Callable[[], str], then: Callable[[Caller, dict], Any]):
    """A prompt for the PIN that runs `then` only with the right one: a wrong PIN keeps the screen
    with its reason, a locked PIN ends the session (accounts.pins counts the tries)."""
    def pair():
        def render(caller: Caller, node: dict) -> Prompt | Finish:
            if caller.user is not None and not has_pin(caller.user):  # say so before asking for one
                return Finish(_("Set a PIN first: on the website under My account, or with an agent."))
            return Prompt(text())

        def on_input(caller: Caller, node: dict, token: str):
            try:
                check_pin(caller.user, token)
            except PinLocked as error:
                return Finish(str(error.message))
            except DomainError as error:
                return Stay(str(error.message))
            return then(caller, node)

        return render, on_input

    return pair
