"""Dates and times as the person's language writes them in the deployment's territory (issue 20
item 13: "12/1/26" is the United States' way, not Kenya's)."""
from datetime import date, datetime

import pytest
from flask_babel import force_locale

from marketplace.i18n import clock, format_day, format_moment


@pytest.mark.parametrize(("language", "short", "medium"), [
    ("en", "01/12/2026", "1 Dec 2026"),     # en_KE, not en's 12/1/26
    ("sw", "01/12/2026", "1 Des 2026"),     # sw_KE
    ("fr", "01/12/2026", "1 déc. 2026"),    # no fr_KE in Babel: French's own
])
def test_dates_follow_the_language_in_the_territory(app, language, short, medium):
    with app.test_request_context(), force_locale(language):
        assert format_day(date(2026, 12, 1), "short") == short
        assert format_day(date(2026, 12, 1), "medium") == medium
        assert "2026" in format_moment(datetime(2026, 12, 1, 9, 30)) and "12/1/26" not in format_moment(datetime(2026, 12, 1, 9, 30), "short")


def test_another_territory_is_configured_not_coded(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_PHONE_REGION", "US")
    with app.test_request_context(), force_locale("en"):
        assert format_day(date(2026, 12, 1), "short") == "12/1/26"
        assert clock(8 * 60) == "8:00\u202fAM"


@pytest.mark.parametrize(("language", "whole", "cents", "owed"), [
    # Kenya's English and Swahili write the shilling "Ksh", apart from the digits (CLDR's currency spacing,
    # which Babel leaves out: it gave "KES900.00"), and a whole amount without ".00".
    ("en", "Ksh\xa0900", "Ksh\xa01,234.50", "-Ksh\xa050"),
    ("sw", "Ksh\xa0900", "Ksh\xa01,234.50", "-Ksh\xa050"),
    ("fr", "900\xa0KES", "1\u202f234,50\xa0KES", "-50\xa0KES"),   # no fr_KE: French's own order
    ("zh", "KES\xa0900", "KES\xa01,234.50", "-KES\xa050"),        # letters next to digits: spaced
    ("ar", "\u200f900\xa0KES", "\u200f1,234.50\xa0KES", "\u200f-50\xa0KES"),
])
def test_money_reads_as_the_territory_writes_it(app, language, whole, cents, owed):
    from marketplace.core.money import Money
    from marketplace.i18n import money

    with app.test_request_context(), force_locale(language):
        assert money(Money("KES", 90000)) == whole
        assert money(Money("KES", 123450)) == cents
        assert money(Money("KES", -5000)) == owed


def test_a_symbol_that_is_not_a_letter_keeps_to_its_digits(app, monkeypatch):
    from marketplace.core.money import Money
    from marketplace.i18n import money

    monkeypatch.setitem(app.config, "DEFAULT_PHONE_REGION", "US")
    with app.test_request_context(), force_locale("en"):
        assert money(Money("USD", 90000)) == "$900"
        assert money(Money("USD", 90050)) == "$900.50"
        assert money(Money("KES", 90000)) == "KES\xa0900"


def test_templates_follow_force_locale_inside_a_request(app):
    """Template translations are looked up once per request and locale (i18n._translations): a text
    rendered under force_locale (an SMS in the recipient's language) is still in that language."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
        with force_locale("fr"):
            assert render_template_string("{{ _('Sign out') }}") == "Se déconnecter"
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
