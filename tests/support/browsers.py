"""People each in a browser of their own, for tests of what each one is served (kept pages, headers,
tokens). A browser is a test client; with the client fixture in use, each request has its own
context, as when served."""
from __future__ import annotations

import re

from tests import factories

#: A form's CSRF token in a page (hidden input, whatever the attributes' order before its value).
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(app, person):
    """A new browser signed in as `person` through the real form (its CSRF token sent when the form has
    one), having read "You are signed in." as a browser following the redirect does."""
    browser = app.test_client()
    data = {"identifier": person.phone, "password": factories.PASSWORD}
    token = CSRF_TOKEN.search(browser.get("/login").get_data(as_text=True))
    if token:
        data["csrf_token"] = token.group(1)
    assert browser.post("/login", data=data).status_code == 302
    browser.get("/")
    return browser
