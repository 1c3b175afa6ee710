"""At 390×844: a resident fills a government form with the network off (Playwright's offline mode),
presses Send, sees it waiting on the phone, and once the network is back finds exactly one
application, filed with its reference."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.versions import ensure_seeded_services
from marketplace.extensions import db
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
FORM = "/services/agricultural-input-subsidy/offline"


def _applications_of(person) -> list[Submission]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Submission).where(Submission.applicant_id == person.id)))


def test_a_form_filled_without_a_signal_is_sent_once_when_the_network_is_back(browser, live_server, places, screenshot):
    ensure_seeded_services()
    resident = factories.user("Achieng", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto(FORM)
    # the service worker takes the page and its files the first time they are seen with a signal
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    expect(page.get_by_role("heading", name="Agricultural input subsidy")).to_be_visible()

    context.set_offline(True)
    page.reload()  # no network: the page comes from the phone
    expect(page.get_by_role("heading", name="Agricultural input subsidy")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Achieng")
    page.get_by_label("National ID number").fill("12345678")
    page.get_by_label("Farm size in hectares").fill("1.5")
    page.get_by_label("Maize").check()
    page.get_by_role("group", name="Is any of the land irrigated?").get_by_label("No").check()
    expect(page.get_by_label("How many 50 kg bags of fertiliser?")).to_be_hidden()  # asked only for fertiliser
    page.get_by_label("Both").check()
    page.get_by_label("How many 50 kg bags of fertiliser?").fill("4")
    page.get_by_label("Photo or scan of your national ID").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.get_by_label("I declare that the information I have given is true and complete.").check()
    page.get_by_role("button", name="Send").click()

    waiting = page.locator("[data-outbox-item]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Waiting to send")
    screenshot(page, "waiting")
    assert _applications_of(resident) == []  # nothing reached the server
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    context.set_offline(False)  # the network is back: the queue sends itself
    expect(waiting).to_contain_text(re.compile(r"Sent: reference AGR-\d{4}-\d{6}"), timeout=20_000)
    screenshot(page, "sent")
    applications = _applications_of(resident)
    assert len(applications) == 1
    application = applications[0]
    assert application.status is SubmissionStatus.SUBMITTED
    assert application.instance_id.startswith("browser:")
    assert application.answers["bags"] == "4" and application.answers["crops"] == ["maize"]
    assert [a.field for a in application.attachments] == ["id_copy"]

    page.reload()  # sent forms stay listed as sent; nothing is sent twice
    expect(page.locator("[data-outbox-item]")).to_contain_text("Sent")
    page.wait_for_timeout(500)
    assert len(_applications_of(resident)) == 1
    context.close()


def test_the_same_form_sent_twice_is_one_application(browser, live_server, places):
    """A resend after a lost answer (the same id twice) gives back the first application."""
    ensure_seeded_services()
    resident = factories.user("Baraka", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto(FORM)
    answers = page.evaluate("""async () => {
        const page = await (await fetch(location.pathname)).text();
        const token = new DOMParser().parseFromString(page, 'text/html').querySelector('input[name=csrf_token]').value;
        const version = document.querySelector('input[name=version_id]').value;
        const send = () => {
            const body = new FormData();
            body.set('version_id', version); body.set('instance_id', 'browser:same-form-twice');
            body.set('national_id', '87654321');
            return fetch(location.pathname, {method: 'POST', body, headers: {Accept: 'application/json', 'X-CSRFToken': token}})
                .then(r => r.status);
        };
        return [await send(), await send()];
    }""")
    assert answers == [201, 200]
    assert len(_applications_of(resident)) == 1
    context.close()
