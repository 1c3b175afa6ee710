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
