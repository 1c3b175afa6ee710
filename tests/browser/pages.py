"""Steps that several browser journeys take, written once."""
from playwright.sync_api import expect

from tests import factories

#: Text nodes of the page's body that mix Arabic letters with a Latin word outside a bidi isolate (an
#: FSI…PDI pair in the text itself, or an element of its own: <bdi>, dir=…): a farm's or produce's name
#: typed in English then takes the sentence's punctuation and numbers along ("Achieng Greens من").
UNISOLATED_JS = r"""(() => {
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    // Names the translations keep as they are (the product, currencies, kinds of file and code) are not user text.
    const text = node.textContent.replace(/[\u2066\u2067\u2068][^\u2069]*\u2069/g, '')
      .replace(/Village Square|Stripe|M-Pesa|KES|USD|PDF|CSV|PIN|USSD|SMS|OpenStreetMap|API|JSON|OpenAPI|CC BY/g, '');
    if (/[\u0600-\u06FF]/.test(text) && /[A-Za-z]{2,}/.test(text)) found.push(node.textContent.trim().slice(0, 80));
  }
  return [...new Set(found)];
})()"""


def open_menu(page) -> None:
    """The header's menu (a details element): the account's pages and Sign out are one tap away."""
    if page.locator(".site-menu[open]").count() == 0:
        page.locator(".site-menu > summary").click()


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
    expect(page.get_by_text(f"\u2068{listing.title}\u2069 is in your cart.")).to_be_visible()


def key_pages(world):
    """Who visits which key page: person (None = anonymous) -> function(world, page) -> [(name, url)]."""
    def anonymous(w, page):
        return [("home", "/"), ("search", "/produce?q=eggs"), ("listing detail", f"/listing/{w['eggs'].id}"),
                ("form catalogue", "/services"), ("service start page", "/services/agricultural-input-subsidy"),
                ("verify", "/verify"), ("sign in", "/login"), ("register", "/register"),
                ("produce prices", "/prices"), ("reports", "/reports"), ("service performance", "/performance"),
                ("open data", "/open-data")]

    def buyer(w, page):
        pages = [("cart", "/cart"), ("checkout", "/checkout"), ("order page", f"/orders/{w['order'].number}")]
        page.goto("/services/agricultural-input-subsidy")
        page.get_by_role("button", name="Start now").click()
        step = "/" + page.url.split("/", 3)[3]  # /applications/<key>/step/1
        key = step.split("/")[2]
        return pages + [("form step", step), ("check answers", f"/applications/{key}/check"),
                        ("my applications", "/applications"), ("report a problem", "/reports/new")]

    def farmer(w, page):
        return [("listing form", "/sell/new"), ("my listings", "/sell"), ("incoming orders", "/sell/orders"),
                ("my farm", "/farm"), ("my money", "/sell/money"), ("packing list", "/sell/packing"),
                ("my activity", "/activity"), ("messages", "/inbox"), ("notification choices", "/profile/notifications"),
                ("phone PIN", "/profile/pin")]

    def official(w, page):
        return [("official queue", "/official/queue"), ("residents' reports", "/official/reports")]

    return {None: anonymous, "buyer": buyer, "wanjiru": farmer, "official": official}
