import pytest

from tests.opendata.conftest import market  # noqa: F401  (three farmers' tomatoes in Hill)
from tests.voice.conftest import voice  # noqa: F401


@pytest.fixture
def published(market, voice, db):
    """A day of prices and two reports (one hidden), so every collection has rows."""
    from marketplace.core.timeutils import utcnow
    from marketplace.opendata.aggregate import aggregate
    from marketplace.voice import services

    aggregate(utcnow().date())
    shown = services.file_report(voice["resident"], services.ReportInput(
        category="roads", village_id=voice["village"].id, description="The bridge to the market is broken since the rains."))
    hidden = services.file_report(voice["resident"], services.ReportInput(
        category="water", village_id=voice["village"].id, description="Wanjiku's tap at house 12 is broken."))
    services.hide_report(voice["admin"], hidden, "Names a person")
    return {"shown": shown, "hidden": hidden, **voice}
