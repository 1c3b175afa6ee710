"""Staff work from phones too: at 390×844 no staff page is wider than the screen (issue 20 item 10:
the officials' queue was 501 px, admin services and payouts overflowed) and the queue names services."""
from __future__ import annotations

from marketplace.accounts.models import Role
from marketplace.egov.versions import ensure_seeded_services
from tests import factories
from tests.browser.pages import sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def test_staff_pages_fit_a_phone_and_the_queue_names_its_services(browser, live_server, places):
    ensure_seeded_services()
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"], village=places["villages"]["Mbeu"])
    admin = factories.with_role(Role.ADMIN)
    for person, paths in ((official, ["/official/queue", "/official/reports"]),
                          (admin, ["/admin/services", "/admin/payouts", "/admin/users", "/admin/outbox"])):
        context = browser.new_context(base_url=live_server, **PHONE)
        page = context.new_page()
        sign_in(page, person)
        for path in paths:
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            if path == "/official/queue":
                options = page.locator("#service option").all_inner_texts()
                assert "Agricultural input subsidy" in options and "agricultural-input-subsidy" not in options
        context.close()
