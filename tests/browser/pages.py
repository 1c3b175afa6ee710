"""Steps that several browser journeys take, written once."""
from playwright.sync_api import expect

from tests import factories


def sign_in(page, user, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Phone number or email").fill(user.phone)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def two_farmers_market(places) -> dict:
    """Wanjiru sells eggs in Mbeu, Otieno sells maize in Tala; Amina buys."""
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    return {
        "wanjiru": wanjiru, "otieno": otieno, "buyer": factories.user("Amina"),
        "eggs": factories.listing(wanjiru, cats["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="5"),
        "maize": factories.listing(otieno, cats["maize"], title="Dry maize", unit="sack", price="4200", stock="3"),
    }


def add_to_cart(page, listing, amount: str) -> None:
    page.goto(f"/listing/{listing.id}")
    page.get_by_role("textbox", name="How much?").fill(amount)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text(f"{listing.title} is in your cart.")).to_be_visible()
