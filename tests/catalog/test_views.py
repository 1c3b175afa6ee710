"""Catalog pages over HTTP: who reaches what, forms that lose nothing, and queries per page."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Listing, ListingStatus, Photo
from tests import factories


def form_data(village, category, **overrides):
    data = {"title": "Sweet potatoes", "category_id": str(category.id), "unit": "kg", "price": "80", "stock": "30",
            "min_order": "", "village_id": str(village.id), "pickup_point": "Mbeu market", "description": "", "publish": "1"}
    data.update(overrides)
    return data


@pytest.fixture
def own_listing(farmer, cats):
    return factories.listing(farmer, cats["root-vegetables"])


def _person(kind, places, farmer, other_farmer, agent, admin):
    return {"farmer": farmer, "other_farmer": other_farmer, "agent": agent, "admin": admin,
            "buyer": factories.user("Buyer B"), "anonymous": None}[kind]


MATRIX = [
    # (page, {kind: expected status})
    # Someone who does not sell yet is led to set up a farm (302 to /farm), not refused.
    ("/sell", {"anonymous": 302, "buyer": 302, "farmer": 200, "other_farmer": 200, "agent": 200, "admin": 302}),
    ("/sell/new", {"anonymous": 302, "buyer": 302, "farmer": 200, "other_farmer": 200, "agent": 302, "admin": 302}),
    ("/sell/{id}/edit", {"anonymous": 302, "buyer": 403, "farmer": 200, "other_farmer": 403, "agent": 403, "admin": 403}),
    ("/sell/for-farmer", {"anonymous": 302, "buyer": 403, "farmer": 403, "other_farmer": 403, "agent": 200, "admin": 403}),
    ("/admin/reports", {"anonymous": 302, "buyer": 403, "farmer": 403, "other_farmer": 403, "agent": 403, "admin": 200}),
    ("/listing/{id}", {"anonymous": 200, "buyer": 200, "farmer": 200, "other_farmer": 200, "agent": 200, "admin": 200}),
    ("/produce", {"anonymous": 200, "buyer": 200, "farmer": 200, "other_farmer": 200, "agent": 200, "admin": 200}),
]


@pytest.mark.parametrize("kind", ["anonymous", "buyer", "farmer", "other_farmer", "agent", "admin"])
@pytest.mark.parametrize("page,expected", MATRIX, ids=[m[0] for m in MATRIX])
def test_each_role_reaches_only_the_catalog_pages_it_may(client, login, places, farmer, other_farmer, agent, admin, own_listing, kind, page,
                                                         expected):
    person = _person(kind, places, farmer, other_farmer, agent, admin)
    if person is not None:
        login(person)
    assert client.get(page.format(id=own_listing.id)).status_code == expected[kind]


@pytest.mark.parametrize("kind", ["buyer", "other_farmer", "agent", "admin"])
def test_nobody_else_can_change_a_farmers_listing_by_posting(client, login, places, farmer, other_farmer, agent, admin, own_listing, cats, kind, db):
    login(_person(kind, places, farmer, other_farmer, agent, admin))
    village = farmer.farmer_profile.village
    responses = [
        client.post(f"/sell/{own_listing.id}/edit", data=form_data(village, cats["maize"], title="Hacked")),
        client.post(f"/sell/{own_listing.id}/stock", data={"stock": "0"}),
        client.post(f"/sell/{own_listing.id}/status", data={"status": "archived"}),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    db.session.expire_all()
    listing = db.session.get(Listing, own_listing.id)
    assert (listing.title, listing.stock_milli, listing.status) == ("Ripe tomatoes", 50000, ListingStatus.ACTIVE)


def test_a_farmer_creates_a_listing_with_a_photo(client, login, farmer, cats, db):
    login(farmer)
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"])
    data["photos"] = [(io.BytesIO(factories.photo_bytes()), "IMG_0001.JPG")]
    response = client.post("/sell/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing).where(Listing.title == "Sweet potatoes"))
    assert listing.status is ListingStatus.ACTIVE and len(listing.photos) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    photo = listing.photos[0].photo
    assert f'src="/media/{photo.display_key}"' in page and 'application/ld+json' in page
    media = client.get(f"/media/{photo.display_key}")
    assert media.status_code == 200 and "immutable" in media.headers["Cache-Control"]
    assert client.get(f"/media/{photo.display_key}%0A").status_code == 404  # a key is matched whole, newline and all


def test_a_form_error_keeps_what_was_typed_and_the_photo_already_sent(client, login, farmer, cats, db):
    login(farmer)
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"], price="eighty", description="Orange flesh")
    data["photos"] = [(io.BytesIO(factories.photo_bytes()), "IMG_0002.JPG")]
    response = client.post("/sell/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write a number" in page and 'href="#price"' in page
    assert 'value="Sweet potatoes"' in page and 'value="eighty"' in page and "Orange flesh" in page
    photo = db.session.scalar(select(Photo))
    assert f'name="photo_ids" type="hidden" value="{photo.id}"' in page and photo.thumb_key in page
    # Correcting the price is enough: the photo comes along without being sent again.
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"], photo_ids=str(photo.id))
    assert client.post("/sell/new", data=data).status_code == 302
    assert db.session.scalar(select(Listing)).photos[0].photo_id == photo.id


def test_a_bad_photo_is_explained_and_the_rest_of_the_form_kept(client, login, farmer, cats):
    login(farmer)
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"])
    data["photos"] = [(io.BytesIO(b"%PDF-1.4 a document"), "photo.jpg")]
    page = client.post("/sell/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "This file is not a photo we can use" in page and 'value="Sweet potatoes"' in page


def test_the_new_listing_form_is_built_for_a_phone(client, login, farmer):
    login(farmer)
    page = client.get("/sell/new").get_data(as_text=True)
    assert 'accept="image/*"' in page and 'capture="environment"' in page and 'enctype="multipart/form-data"' in page
    assert re.search(r'id="price"[^>]*inputmode="decimal"|inputmode="decimal"[^>]*id="price"', page)
    assert farmer.farmer_profile.pickup_point in page  # remembered


def test_one_tap_stock_update_and_pause_from_the_dashboard(client, login, farmer, own_listing, db):
    login(farmer)
    dashboard = client.get("/sell").get_data(as_text=True)
    assert "Ripe tomatoes" in dashboard and "Mark sold out" in dashboard and "0 views" in dashboard
    client.post(f"/sell/{own_listing.id}/stock", data={"stock": "0"})
    db.session.expire_all()
    assert db.session.get(Listing, own_listing.id).status is ListingStatus.SOLD_OUT
    client.post(f"/sell/{own_listing.id}/stock", data={"stock": "12.5"})
    client.post(f"/sell/{own_listing.id}/status", data={"status": "paused"})
    db.session.expire_all()
    listing = db.session.get(Listing, own_listing.id)
    assert (listing.stock_milli, listing.status) == (12500, ListingStatus.PAUSED)
    bad = client.post(f"/sell/{own_listing.id}/stock", data={"stock": "1.3"}, follow_redirects=True).get_data(as_text=True)
    assert "Use steps of 0.5 for this unit." in bad


def test_an_agent_finds_a_farmer_and_lists_for_them(client, login, agent, farmer, cats, db):
    login(agent)
    response = client.post("/sell/for-farmer", data={"phone": farmer.phone})
    assert response.headers["Location"].endswith(f"/sell/new?farmer={farmer.id}")
    # Without the farmer beside them, the agent is sent to prove it first.
    assert client.get(response.headers["Location"]).headers["Location"].endswith(f"/agent/residents?person={farmer.id}")
    assert client.post("/sell/new", data=form_data(farmer.farmer_profile.village, cats["maize"], farmer=str(farmer.id))).status_code == 302
    assert db.session.scalar(select(Listing)) is None
    factories.present(agent, farmer)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are listing for" in page
    data = form_data(farmer.farmer_profile.village, cats["maize"], farmer=str(farmer.id))
    assert client.post("/sell/new", data=data).status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (listing.farmer_id, listing.entered_by_id) == (farmer.id, agent.id)
    unknown = client.post("/sell/for-farmer", data={"phone": "0799000123"}).get_data(as_text=True)
    assert "No farmer is registered with this phone number." in unknown


def test_an_agent_cannot_list_for_someone_who_is_not_a_farmer(client, login, agent, places):
    login(agent)
    buyer = factories.user()
    assert client.get(f"/sell/new?farmer={buyer.id}").status_code == 403


def test_admin_hides_and_the_farmer_sees_why(client, login, admin, farmer, own_listing, app):
    login(admin)
    client.post(f"/admin/listings/{own_listing.id}/hide", data={"hide-reason": "Wrong category"})
    client.post("/logout")
    assert client.get(f"/listing/{own_listing.id}").status_code == 404
    login(farmer)
    assert "Hidden by Village Square: Wrong category" in client.get("/sell").get_data(as_text=True)
    assert "Hidden by Village Square: Wrong category" in client.get(f"/listing/{own_listing.id}").get_data(as_text=True)


def test_reporting_a_listing(client, login, own_listing, places):
    login(factories.user())
    page = client.post(f"/listing/{own_listing.id}/report", data={"report-reason": "Looks like a scam"}, follow_redirects=True).get_data(as_text=True)
    assert "Thank you. We will look at this listing." in page


def test_views_are_counted_for_buyers_but_not_for_the_farmer(client, login, farmer, own_listing, db):
    client.get(f"/listing/{own_listing.id}")
    login(farmer)
    client.get(f"/listing/{own_listing.id}")
    db.session.expire_all()
    assert db.session.get(Listing, own_listing.id).view_count == 1


def test_listing_page_speaks_spanish(client, own_listing):
    page = client.get(f"/listing/{own_listing.id}?lang=es").get_data(as_text=True)
    assert "50 kg" in page and "el kg" in page and "Tomates y pimientos" not in page and "Tubérculos y raíces" in page


def _fill_market(farmer, cats, n):
    photo = factories.photo_bytes(200, 150)
    from marketplace.catalog.services import upload_photos

    for i in range(n):
        ids = [p.id for p in upload_photos(farmer, [photo])]
        factories.listing(farmer, cats["root-vegetables"], title=f"Cassava lot {i}", photo_ids=ids)


PAGES = ["/", "/produce", "/produce/vegetables", "/produce?q=cassava", "/farmers/{farmer}"]


@pytest.mark.parametrize("page", PAGES)
def test_queries_per_page_do_not_grow_with_the_number_of_listings(client, count_queries, farmer, cats, page):
    _fill_market(farmer, cats, 2)
    with count_queries() as few:
        assert client.get(page.format(farmer=farmer.id)).status_code == 200
    _fill_market(farmer, cats, 20)
    with count_queries() as many:
        assert client.get(page.format(farmer=farmer.id)).status_code == 200
    assert many.n == few.n <= 6, many.statements


def test_listing_detail_queries_do_not_grow_with_photos(client, count_queries, farmer, cats):
    from marketplace.catalog.services import upload_photos

    one = factories.listing(farmer, cats["maize"], photo_ids=[p.id for p in upload_photos(farmer, [factories.photo_bytes(300, 200)])])
    photos = upload_photos(farmer, [factories.photo_bytes(300, 200, color=(i, 9, 9)) for i in range(5)])
    five = factories.listing(farmer, cats["maize"], photo_ids=[p.id for p in photos])
    paths = [f"/listing/{one.id}", f"/listing/{five.id}"]  # read before counting: a refresh of the test's objects is not the page's
    with count_queries() as q_one:
        client.get(paths[0])
    with count_queries() as q_five:
        client.get(paths[1])
    assert q_one.n == q_five.n <= 6, "\n".join(s[:70] for s in q_five.statements)


def test_a_photo_over_its_limit_comes_back_on_the_form_with_everything_typed(client, login, farmer, cats, db):
    """Issue 20: a 20 MB photo gave a bare English 'Request Entity Too Large' page and lost the form."""
    login(farmer)
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"], title="Orange sweet potatoes", description="Sweet and orange")
    data["photos"] = [(io.BytesIO(b"\xff\xd8" + b"\0" * (20 * 1024 * 1024)), "IMG_0001.JPG")]
    response = client.post("/sell/new?lang=sw", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Orange sweet potatoes"' in page and "Sweet and orange" in page
    assert "Picha hii ni kubwa kuliko MB 15" in page and 'href="#photos"' in page  # in the person's language
    assert db.session.query(Listing).count() == 0


def test_the_form_says_the_photo_limit_and_carries_it_for_the_browser_check(client, login, farmer):
    login(farmer)
    page = client.get("/sell/new").get_data(as_text=True)
    assert "Each file up to 15 MB." in page and f'data-max-bytes="{15 * 1024 * 1024}"' in page
    assert "Too large to send: %(names)s. Each file can be up to 15 MB." in page and "js/photo-size.js" in page


def test_a_request_over_the_whole_cap_gets_a_translated_page_at_phone_width(client, login, farmer, cats, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    login(farmer)
    data = form_data(farmer.farmer_profile.village, cats["root-vegetables"])
    data["photos"] = [(io.BytesIO(b"\0" * (2 * 1024 * 1024)), "big.jpg")]
    response = client.post("/sell/new?lang=fr", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and 'lang="fr"' in page and 'name="viewport"' in page
    assert "Request Entity Too Large" not in page and "1\u202fMo" in page  # the limit as French writes it


def test_becoming_a_seller_leads_from_register_to_the_farm_to_the_first_listing(client, login, places):
    """Issue 20 item 6: "Register to sell" landed on a buyer profile and /sell answered 403."""
    home = client.get("/").get_data(as_text=True)
    assert 'href="/register?next=/farm"' in home
    buyer = factories.user("New Seller", village=places["villages"]["Mbeu"])
    login(buyer)
    led = client.get("/sell")
    assert led.status_code == 302 and led.headers["Location"].endswith("/farm")
    saved = client.post("/farm", data={"farm_name": "Hill Farm", "village_id": str(places["villages"]["Mbeu"].id),
                                       "pickup_point": "By the church", "accepts_pay_on_pickup": "y"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/sell/new")
    assert client.get("/sell/new").status_code == 200


def test_search_says_how_many_it_found_without_counting_the_whole_catalogue(client, farmer, cats):
    for number in range(3):
        factories.listing(farmer, cats["maize"], title=f"Dry maize {number}", unit="sack", price="4200", stock="5")
    page = client.get("/produce?q=maize").get_data(as_text=True)
    assert "3 found" in page and "Page 1" not in page


def test_my_listings_come_twenty_at_a_time_newest_first(client, login, farmer, cats):
    from marketplace.catalog.services import MANAGE_PER_PAGE

    titles = [factories.listing(farmer, cats["maize"], title=f"Maize lot {i:02d}").title for i in range(MANAGE_PER_PAGE + 1)]
    login(farmer)
    first = client.get("/sell").get_data(as_text=True)
    assert titles[-1] in first and titles[1] in first and titles[0] not in first and "Next page" in first
    second = client.get("/sell?page=2").get_data(as_text=True)
    assert titles[0] in second and titles[1] not in second
