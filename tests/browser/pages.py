"""Steps that several browser journeys take, written once."""
from playwright.sync_api import expect

from tests import factories


def sign_in(page, user, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Phone number or email").fill(user.phone)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()
