"""Which language a request is served in, and the only place money and dates are formatted.

Order of precedence: a `?lang=` on this request (remembered in this browser's
session), then that session's choice, then the signed-in person's saved preference,
then Accept-Language, then the default locale. A GET never changes the account's
preference (a link could do that for anyone): the person saves it with a POST from
the banner the switch shows, or on their profile.
"""
from __future__ import annotations

import contextlib
import copy
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.dates import get_day_names
from babel.numbers import NumberPattern, get_currency_name, get_currency_symbol, parse_pattern
from babel.numbers import format_decimal as babel_format_decimal
from babel.units import format_unit
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import format_decimal, get_locale, get_translations, to_user_timezone
from flask_login import current_user
from markupsafe import Markup

from marketplace.core.money import Money

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
#: Each language named in itself, so a person finds theirs whatever the page's language.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português", "sw": "Kiswahili", "zh": "中文", "ar": "العربية"}
SESSION_KEY = "lang"


def file_size(size_bytes: int) -> str:
    """'15 MB' as the reader's language writes it (a limit people can compare with their photo's)."""
    return format_unit(Decimal(size_bytes) / (1024 * 1024), "digital-megabyte", length="short", locale=get_locale())


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: callers wrap work in force_locale()
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    requested = request.args.get("lang")
    if requested in languages:
        return requested
    if session.get(SESSION_KEY) in languages:
        return session[SESSION_KEY]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.preferred_locale in languages:
        return current_user.preferred_locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def requested_language() -> str | None:
    """The language named by `?lang=` on this request, if it is one we ship."""
    requested = request.args.get("lang")
    return requested if requested in current_app.config["LANGUAGES"] else None


def remember_requested_language() -> None:
    """before_request: `?lang=xx` is an explicit choice, so keep it for the next pages too.

    Only this browser's session: the account's preference changes by a POST (accounts.views).
    """
    requested = requested_language()
    if requested:
        session[SESSION_KEY] = requested


def money(value: Money) -> str:
    """An amount as people of this language in this territory write it: "Ksh 900" and "Ksh 1,234.50"
    in Kenya's English, "900 KES" in French. Whole amounts drop the ".00" (a price of 900 shillings
    is never written "900.00" on a stall), and a symbol made of letters stands apart from the
    digits by a no-break space, as CLDR's currency spacing says (Babel leaves it out: "KES900").
    While `speaking()`, as it is said instead: "1200 Kenyan shillings"."""
    if g.get("speaking"):
        return spoken_money(value)
    return _money_text(formatting_locale(), value.currency, value.minor_units)


@contextlib.contextmanager
def speaking() -> Iterator[None]:
    """Words for a voice call: amounts are said with the currency's name in the language (CLDR's,
    by Babel, in its plural form), and their digits carry no group separators, so speech reads
    "1200" as a number in the caller's language, never "1, 200"."""
    before = g.get("speaking", False)
    g.speaking = True
    try:
        yield
    finally:
        g.speaking = before


def is_speaking() -> bool:
    return has_app_context() and bool(g.get("speaking"))


def spoken_number(amount: Decimal) -> str:
    """A number for speech: the language's decimal sign, no group separators ("1200", "2,5")."""
    return babel_format_decimal(amount, locale=formatting_locale(), group_separator=False)


SPOKEN_UNITS = {"kg": "mass-kilogram", "g": "mass-gram", "litre": "volume-liter"}


def spoken_unit_amount(unit: str, amount: Decimal) -> str | None:
    """"2.5 kilograms", "kilo 2,5" as CLDR says it in the language; None for units CLDR has no name
    for (sacks, bunches: their gettext words are already words)."""
    if unit not in SPOKEN_UNITS:
        return None
    return format_unit(amount, SPOKEN_UNITS[unit], length="long", locale=formatting_locale()).replace(
        babel_format_decimal(amount, locale=formatting_locale()), spoken_number(amount))


def spoken_money(value: Money) -> str:
    locale = formatting_locale()
    amount = value.as_decimal()
    if amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    return f"{spoken_number(amount)} {get_currency_name(value.currency, count=amount, locale=locale)}"


@lru_cache(maxsize=8192)
def _money_text(locale: Locale, currency: str, minor_units: int) -> str:
    # Kept per locale and amount: a page of prices and order lines formats the same few amounts
    # again and again, and Babel's formatting is a good part of its time (`make bench`).
    amount = Money(currency, minor_units).as_decimal()
    whole = amount == amount.to_integral_value()
    text = _currency_pattern(str(locale), whole).apply(amount, locale, currency=currency, currency_digits=not whole)
    return _currency_spacing(text, get_currency_symbol(currency, locale))


@lru_cache(maxsize=64)
def _currency_pattern(locale_name: str, whole: bool) -> NumberPattern:
    pattern = parse_pattern(Locale.parse(locale_name).currency_formats["standard"])
    if whole:
        pattern = copy.copy(pattern)
        pattern.frac_prec = (0, 0)
    return pattern


def _currency_spacing(text: str, symbol: str) -> str:
    """CLDR's rule: between a digit and a currency symbol whose edge is not itself a symbol (a letter:
    "KES", "Ksh"), a no-break space; "$900" and "US$900" stay as they are."""
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and unicodedata.category(symbol[-1])[0] not in "SZ":
        text = f"{text[:end]}\u00a0{text[end:]}"
    if at > 0 and text[at - 1].isdigit() and unicodedata.category(symbol[0])[0] not in "SZ":
        text = f"{text[:at]}\u00a0{text[at:]}"
    return text


def text_direction() -> str:
    return "rtl" if get_locale().language in RTL_LANGUAGES else "ltr"


def language_links() -> list[tuple[str, str, bool]]:
    """(code, name in its own language, is_current) for the switcher on every page."""
    current = str(get_locale())
    return [(code, LANGUAGE_NAMES.get(code, code), code == current) for code in current_app.config["LANGUAGES"]]


def url_with_language(code: str) -> str:
    args = request.args.to_dict()
    args["lang"] = code
    return f"{request.path}?{urlencode(args)}"


def weekday_name(weekday: int) -> str:
    """Monday is 0, as date.weekday(); the name in the reader's language."""
    return get_day_names("wide", locale=get_locale())[weekday]


def formatting_locale() -> Locale:
    """The person's language in the deployment's territory (DEFAULT_PHONE_REGION): a Kenyan reads
    "1 Dec 2026" and "01/12/2026" (en_KE), not the United States' "12/1/26" (en). Where Babel
    knows no such pair (ar_KE), the language's own ways. Translations stay by language."""
    language = get_locale() or Locale.parse("en")
    return _territory_locale(language.language, current_app.config.get("DEFAULT_PHONE_REGION") or "")


@lru_cache(maxsize=64)
def _territory_locale(language: str, region: str) -> Locale:
    # Cached: parsing a locale costs more than formatting with it (measured: 15% of a browse page).
    try:
        return Locale.parse(f"{language}_{region}") if region else Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


def format_day(value: date | datetime, fmt: str = "medium") -> str:
    """A date as the person's language writes it in this territory (datetimes in the user's time zone);
    while `speaking()`, in full words ("4 December 2026"), never "04/12"."""
    if g.get("speaking"):
        fmt = "long"
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day_text(value, fmt, formatting_locale())


@lru_cache(maxsize=4096)
def _day_text(day: date, fmt: str, locale: Locale) -> str:
    return babel_dates.format_date(day, fmt, locale=locale)


def format_moment(value: datetime, fmt: str = "medium") -> str:
    """A moment (stored in UTC) in the user's time zone, as this territory writes it."""
    return babel_dates.format_datetime(to_user_timezone(value), fmt, locale=formatting_locale())


def clock(minute_of_day: int) -> str:
    """A time of day (minutes after midnight) as the locale writes it: 08:00, 8:00 AM…"""
    return babel_dates.format_time(time(minute_of_day // 60, minute_of_day % 60), "short", locale=formatting_locale())


def _translations():  # noqa: ANN202  (babel's Translations)
    """The request's translations, looked up once per request and locale. Flask-Babel's own lookup
    runs for every `_()` in a template (a page has a few hundred) and goes through several context
    proxies and the locale's name each time: measured as a fifth of a signed-in page's time. The
    pair is kept beside the locale in Flask-Babel's own request state, so `force_locale` (which
    swaps that locale) is never served the other language."""
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(state, "vs_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state.vs_translations = (locale, translations)
    return translations


def init_app(app: Flask) -> None:
    app.before_request(remember_requested_language)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["money_minor"] = lambda minor_units, currency: money(Money(currency, int(minor_units)))
    app.jinja_env.globals.update(weekday_name=weekday_name, clock=clock)
    # A name people typed (a farm, a village) keeps its own direction inside a sentence of the other
    # direction: "من Green Valley Farm" in Arabic, "Kutoka شركة" in Swahili.
    app.jinja_env.filters["bdi"] = lambda value: Markup("<bdi>%s</bdi>") % value
    # A phone number or reference has no letter to tell its direction: inside an Arabic sentence
    # "+254 711 000003" would read "711 +254 000003" without this.
    app.jinja_env.filters["ltr"] = lambda value: Markup('<bdi dir="ltr">%s</bdi>') % value
    app.jinja_env.filters.update(
        money=money,
        date=lambda value, fmt="medium": format_day(value, fmt) if isinstance(value, (date, datetime)) else "",
        datetime=lambda value, fmt="medium": format_moment(value, fmt) if isinstance(value, datetime) else "",
        number=format_decimal,
        file_size=file_size,
    )

    @app.context_processor
    def i18n_globals():
        return {
            "current_locale": str(get_locale()),
            "text_direction": text_direction(),
            "language_links": language_links,
            "url_with_language": url_with_language,
        }
