import pytest

from marketplace.accounts import pins
from marketplace.extensions import db
from tests import factories
from tests.egov.conftest import egov  # noqa: F401
from tests.support.fake_gateway import start_fake_gateway

SECRET = "demo-phone"


@pytest.fixture
def gateway(app, monkeypatch):
    """The fake Africa's Talking on loopback, with outbound SMS sent through it."""
    fake, server = start_fake_gateway()
    monkeypatch.setitem(app.config, "NOTIFICATION_SMS_BACKEND", "africastalking")
    monkeypatch.setitem(app.config, "AT_SMS_URL", fake.url)
    monkeypatch.setitem(app.config, "AT_API_KEY", "test-key")
    monkeypatch.setitem(app.config, "PHONE_CALLBACK_SECRET", SECRET)
    yield fake
    server.shutdown()


@pytest.fixture
def phones(egov, places):
    """Wanjiru farms (PIN 2580) with tomatoes and eggs; Amina buys; an unknown number calls too."""
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    pins.set_pin(wanjiru, wanjiru, "2580")
    tomatoes = factories.listing(wanjiru, cats["tomatoes-peppers"], title="Tomatoes", unit="kg", price="120", stock="10")
    eggs = factories.listing(wanjiru, cats["eggs"], title="Eggs", unit="dozen", price="240", stock="5")
    db.session.commit()
    return {"wanjiru": wanjiru, "tomatoes": tomatoes, "eggs": eggs, "amina": factories.user("Amina"),
            "resident": egov["resident"], "egov": egov, "stranger": "+254733999000", "places": places}


class Dialler:
    def __init__(self, client, fake):
        self.client, self.fake = client, fake

    def session(self, phone: str):
        session_id, inputs = self.fake.new_session() if self.fake else "s-1", []

        def press(*keys: str) -> str:
            inputs.extend(keys)
            response = self.client.post(f"/phone/ussd/{SECRET}", data={
                "sessionId": session_id, "serviceCode": "*384*1#", "phoneNumber": phone, "networkCode": "63902",
                "text": "*".join(inputs)})
            assert response.status_code == 200 and response.mimetype == "text/plain", response.data
            text = response.get_data(as_text=True)
            assert text.startswith(("CON ", "END ")) and len(text) - 4 <= 182, text
            return text

        return press


@pytest.fixture
def dial(client, gateway):
    return Dialler(client, gateway).session
