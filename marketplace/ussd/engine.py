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
#: A voice call reads a long list three choices at a time; 9 reads the next three.
VOICE_MORE, VOICE_PAGE = "9", 3


@dataclass
class Caller:
    phone: str
    user: User | None
    session: UssdSession
    channel: str = "ussd"  # or "voice": a call can leave a voice message, a USSD screen cannot

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
    keys: str = "text"  # "digits" (a PIN, a code) or "amount" (2*5 is 2.5) when a phone keypad can answer it;
    # "recording" on a call: the answer is a voice message (the address of its recording)


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


# --- what the caller is told, before a channel words it ---------------------------------------

@dataclass
class Turn:
    """One step of the conversation in no channel's words: USSD writes it as a screen of text
    (ussd_text), a voice call speaks it (ussd.speech). `said` is an error first, then the title, the
    question or the final answer; `choices` are this page's (key, label)."""

    said: list[str]
    choices: list[tuple[str, str]] = field(default_factory=list)
    more: str | None = None  # the key for the next page, when there is one
    back: str | None = None  # the key to go back, when there is a screen to go back to
    end: bool = False
    asks: str = "choice"  # "choice" (a menu), or a prompt's "text" or "digits"


class Layout:
    """How a channel pages a menu and which keys choose: USSD fills screens of 182 characters and
    numbers choices on across pages ("98 More"); a voice call reads three at a time, numbered 1-3
    on each page, with "9 for more"."""

    more: str

    def pages(self, view: Menu, head: list[str], can_go_back: bool) -> list[list[int]]:
        raise NotImplementedError

    def key(self, index: int, position: int) -> str:
        raise NotImplementedError

    def choice(self, pages: list[list[int]], page: int, token: str, view: Menu) -> int | None:
        raise NotImplementedError


class UssdLayout(Layout):
    more = MORE

    def pages(self, view: Menu, head: list[str], can_go_back: bool) -> list[list[int]]:
        back = [_("0 Back")] if can_go_back else []
        more = _("98 More")
        pages: list[list[int]] = []
        current: list[int] = []
        lines = list(head)
        for index, (label, _target) in enumerate(view.options):
            line = f"{index + 1} {label}"
            if len("\n".join(lines + [line, more] + back)) > SCREEN_LIMIT and current:
                pages.append(current)
                current, lines = [], list(head)
            current.append(index)
            lines.append(line)
        pages.append(current)
        return pages

    def key(self, index: int, position: int) -> str:
        return str(index + 1)

    def choice(self, pages: list[list[int]], page: int, token: str, view: Menu) -> int | None:
        # Numbers run on across pages, so any number shown on any page is a choice.
        number = params.parse_int(token, minimum=1, maximum=len(view.options))  # "²" is a digit to isdigit(), not to int()
        return None if number is None else number - 1


class VoiceLayout(Layout):
    more = VOICE_MORE

    def pages(self, view: Menu, head: list[str], can_go_back: bool) -> list[list[int]]:
        indexes = list(range(len(view.options)))
        return [indexes[at:at + VOICE_PAGE] for at in range(0, len(indexes), VOICE_PAGE)] or [[]]

    def key(self, index: int, position: int) -> str:
        return str(position + 1)

    def choice(self, pages: list[list[int]], page: int, token: str, view: Menu) -> int | None:
        # Keys name what was just heard: 1-3 on this page only.
        position = params.parse_int(token, minimum=1, maximum=len(pages[page - 1]))
        return None if position is None else pages[page - 1][position - 1]


USSD, VOICE = UssdLayout(), VoiceLayout()


# --- the engine ----------------------------------------------------------------------------

def answer(request: UssdRequest, user: User | None) -> Screen:
    """Apply the inputs this session has not seen yet and say what the phone shows next."""
    session, expired = _open_session(request.session_id, request.phone, user)
    if expired is not None:
        return Screen(expired, end=True)
    new_inputs = request.inputs[session.consumed:] if len(request.inputs) >= session.consumed else request.inputs
    turn = _step(Caller(phone=request.phone, user=user, session=session), new_inputs, USSD)
    session.consumed = len(request.inputs)
    with force_locale(session.locale):  # a language chosen just now speaks from this screen on
        text = ussd_text(turn)
    _close_step(session, turn)
    return Screen(text, end=turn.end)


def converse(session_id: str, phone: str, user: User | None, keys: list[str], locale: str) -> Turn:
    """A voice call's step: apply the keys the caller pressed (none on the call's first step) and
    say what comes next, from the same screens as USSD, paged three at a time."""
    session, expired = _open_session(session_id, phone, user, locale)
    if expired is not None:
        return Turn([expired], end=True)
    turn = _step(Caller(phone=phone, user=user, session=session, channel="voice"), keys, VOICE)
    session.consumed += len(keys)
    _close_step(session, turn)
    return turn


def voice_step(session_id: str) -> int:
    """How many key presses this call's session has applied: a callback that names another count
    is the gateway sending an earlier one again, and is answered without applying it twice."""
    session = db.session.get(UssdSession, session_id)
    return session.consumed if session is not None else 0


def _open_session(session_id: str, phone: str, user: User | None, locale: str | None = None) -> tuple[UssdSession, str | None]:
    session = db.session.get(UssdSession, session_id)
    now = utcnow()
    limit = timedelta(seconds=current_app.config["USSD_SESSION_SECONDS"])
    if session is not None and (session.phone != phone or now - as_utc(session.updated_at) > limit):
        db.session.delete(session)
        db.session.commit()
        with force_locale(session.locale):
            return session, _("Your session has timed out. Please dial again.")
    if session is None:
        _forget_old_sessions(now)
        session = UssdSession(session_id=session_id, phone=phone, consumed=0, stack=[{"n": "main"}],
                              locale=locale or (user.preferred_locale if user else current_app.config["BABEL_DEFAULT_LOCALE"]))
        db.session.add(session)
    return session, None


def _step(caller: Caller, tokens: list[str], layout: Layout) -> Turn:
    stack = [dict(frame) for frame in caller.session.stack]
    result: Turn | None = None
    with force_locale(caller.session.locale):
        for token in tokens:
            result = _apply(caller, stack, token.strip(), layout)
            if result is not None:
                break
        if result is None:
            result = _render(caller, stack, layout)
    caller.session.stack = stack
    return result


def _close_step(session: UssdSession, turn: Turn) -> None:
    if turn.end:
        # A session that ends on its first screen was never written: nothing to delete.
        db.session.expunge(session) if session in db.session.new else db.session.delete(session)
    db.session.commit()


def _forget_old_sessions(now) -> None:
    db.session.execute(db.delete(UssdSession).where(UssdSession.updated_at < now - timedelta(days=1)))


def _apply(caller: Caller, stack: list[dict], token: str, layout: Layout) -> Turn | None:
    top = stack[-1]
    top.pop("error", None)
    kind = _node(top["n"])
    if kind.render is not None and kind.on_input is None:  # a menu
        view: Menu = kind.render(caller, top)
        pages = layout.pages(view, [view.title], len(stack) > 1)
        page = min(top.get("page", 1), len(pages))
        if token == BACK and len(stack) > 1:
            stack.pop()
            return None
        if token == layout.more and page < len(pages):
            top["page"] = page + 1
            return None
        chosen = layout.choice(pages, page, token, view)
        if chosen is not None:
            return _enter(caller, stack, dict(view.options[chosen][1]))
        top["error"] = _("Choose one of the numbers shown.")
        return None
    if token == BACK and len(stack) > 1 and token != "":
        stack.pop()
        return None
    outcome = kind.on_input(caller, top, token)
    return _follow(caller, stack, outcome)


def _enter(caller: Caller, stack: list[dict], node: dict) -> Turn | None:
    kind = _node(node["n"])
    if kind.perform is not None:
        return _follow(caller, stack, kind.perform(caller, node))
    stack.append(node)
    return None


def _follow(caller: Caller, stack: list[dict], outcome) -> Turn | None:
    if isinstance(outcome, Finish):
        return Turn([outcome.text], end=True)
    if isinstance(outcome, Stay):
        stack[-1]["error"] = outcome.error
        return None
    if isinstance(outcome, Push):
        return _enter(caller, stack, outcome.node)
    raise TypeError(outcome)


def _render(caller: Caller, stack: list[dict], layout: Layout) -> Turn:
    top = stack[-1]
    kind = _node(top["n"])
    view = kind.render(caller, top)
    error = top.get("error")
    said = [error] if error else []
    back = BACK if len(stack) > 1 else None
    if isinstance(view, Finish):  # a screen that has nothing to ask (no PIN set yet) says why and ends
        return Turn([view.text], end=True)
    if isinstance(view, Prompt):
        return Turn(said + [view.text], back=back, asks=view.keys)
    pages = layout.pages(view, said + [view.title], back is not None)
    page = min(top.get("page", 1), len(pages))
    choices = [(layout.key(index, position), view.options[index][0]) for position, index in enumerate(pages[page - 1])]
    return Turn(said + [view.title], choices, more=layout.more if page < len(pages) else None, back=back)


def ussd_text(turn: Turn) -> str:
    """A turn as a USSD screen: numbered lines, "98 More" and "0 Back" where they apply."""
    lines = list(turn.said) + [f"{key} {label}" for key, label in turn.choices]
    if turn.more:
        lines.append(_("98 More"))
    if turn.back and not turn.end:
        lines.append(_("0 Back"))
    return _fit("\n".join(lines))


def _fit(text: str) -> str:
    return text if len(text) <= SCREEN_LIMIT else text[:SCREEN_LIMIT - 1] + "…"


def pin_guarded(text: Callable[[], str], then: Callable[[Caller, dict], Any]):
    """A prompt for the PIN that runs `then` only with the right one: a wrong PIN keeps the screen
    with its reason, a locked PIN ends the session (accounts.pins counts the tries)."""
    def pair():
        def render(caller: Caller, node: dict) -> Prompt | Finish:
            if caller.user is not None and not has_pin(caller.user):  # say so before asking for one
                return Finish(_("Set a PIN first: on the website under My account, or with an agent."))
            return Prompt(text(), keys="digits")

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
