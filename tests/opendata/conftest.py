import pytest

from tests import factories
from tests.egov.conftest import egov  # noqa: F401  (the shipped services, for service performance)


@pytest.fixture
def market(places):
    """Hill district: three farmers list tomatoes by the kg at 100, 200 (the same farmer), 120 and 150;
    Lake district: only two farmers. Both are in the Northland region."""
    cats = factories.categories()
    v = places["villages"]
    a = factories.farmer(v["Mbeu"], "Achieng")
    b = factories.farmer(v["Mbeu"], "Baraka")
    c = factories.farmer(v["Kianjai"], "Chebet")
    d = factories.farmer(v["Ahero"], "Daudi")
    e = factories.farmer(v["Ahero"], "Esther")
    tomatoes = cats["tomatoes-peppers"]
    listings = {
        "a100": factories.listing(a, tomatoes, price="100", stock="50"),
        "a200": factories.listing(a, tomatoes, price="200", stock="50"),
        "b120": factories.listing(b, tomatoes, price="120", stock="50"),
        "c150": factories.listing(c, tomatoes, price="150", stock="50"),
        "d90": factories.listing(d, tomatoes, price="90", stock="50"),
        "e110": factories.listing(e, tomatoes, price="110", stock="50"),
        "a_crate": factories.listing(a, tomatoes, unit="crate", price="2500", stock="5"),
    }
    return {"farmers": (a, b, c, d, e), "listings": listings, "cats": cats, "places": places}
