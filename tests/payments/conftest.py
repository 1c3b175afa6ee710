from __future__ import annotations

import pytest

from marketplace.orders import cart
from marketplace.orders.checkout import FarmerChoice, place_checkout
from tests import factories


@pytest.fixture
def market(places):
    """Two farmers, one buyer, produce in the buyer's cart from both."""
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    market = {
        "tomatoes": factories.listing(wanjiru, cats["tomatoes-peppers"], unit="kg", price="120", stock="10"),
        "maize": factories.listing(otieno, cats["maize"], unit="sack", price="4200", stock="3"),
        "wanjiru": wanjiru, "otieno": otieno, "buyer": factories.user("Amina Buyer"),
    }
    cart.add_to_cart(market["buyer"], {}, market["tomatoes"].id, "2.5")  # 300.00
    cart.add_to_cart(market["buyer"], {}, market["maize"].id, "1")  # 4200.00
    return market


@pytest.fixture
def card_checkout(market, stripe_on):
    """Both farmers' orders placed for card payment, not yet paid."""
    choices = {market[name].id: FarmerChoice(payment_method="card") for name in ("wanjiru", "otieno")}
    return place_checkout(market["buyer"], {}, choices)
