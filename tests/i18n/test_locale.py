"""Which language a page is served in, and formatting through Babel."""
from __future__ import annotations

from flask_babel import force_locale

from marketplace.core.money import Money
from marketplace.i18n import money
from tests import factories


def test_accept_language_picks_the_language_for_a_visitor(client):
    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es"' in page and "Cultivo alimentos" in page


def test_default_language_without_any_hint(client):
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_explicit_choice_is_remembered_across_pages(client):
    client.get("/?lang=es")
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es"' in page


def test_unknown_language_is_ignored(client):
    assert '<html lang="en"' in client.get("/?lang=xx").get_data(as_text=True)


def test_a_signed_in_persons_preference_wins_and_the_switcher_changes_this_browser(client, login, places, db):
    user = factories.user(locale="es")
    login(user)
    assert '<html lang="es"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.get("/?lang=en")
    assert '<html lang="en"' in client.get("/profile").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).preferred_locale == "es"  # a GET saves nothing on the account


def test_switcher_links_keep_the_current_page_and_query(client):
    page = client.get("/login?next=%2Fprofile").get_data(as_text=True)
    assert 'href="/login?next=%2Fprofile&amp;lang=es"' in page


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert response.status_code == 404 and "Página no encontrada" in response.get_data(as_text=True)


def test_money_is_formatted_per_locale_from_minor_units(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert money(Money("KES", 12550)) == "Ksh\xa0125.50"
        with force_locale("es"):
            assert "125,50" in money(Money("KES", 12550))


def test_every_shipped_language_serves_the_home_page_in_its_own_words_and_direction(client):
    words = {"en": "Village Square", "es": "Productos", "fr": "Produits", "pt": "Produtos", "sw": "Mazao",
             "zh": "农产品", "ar": "المنتجات"}
    for code, word in words.items():
        page = client.get(f"/?lang={code}").get_data(as_text=True)
        assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in page, code
        assert word in page, code
        for name in ("English", "Español", "Français", "Português", "Kiswahili", "中文", "العربية"):
            assert name in page  # each language named in itself, whatever the page's language


def test_a_latin_farm_name_keeps_its_direction_inside_arabic_text(client, places):
    from tests import factories

    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Green Valley")
    listing = factories.listing(farmer, cats["honey"], title="Acacia honey", unit="litre", price="800", stock="3")
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    page = client.get("/cart?lang=ar").get_data(as_text=True)
    assert "من <bdi>Green Valley&#39;s farm</bdi>" in page


def test_wtforms_own_messages_are_translated_even_where_wtforms_has_no_catalog(client, login, places):
    """WTForms ships no Swahili: its built-in messages come from translations/sw/LC_MESSAGES/wtforms.po."""
    from tests import factories

    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    login(farmer)
    swahili = client.post("/farm?lang=sw", data={"farm_name": "x" * 200, "village_id": places["villages"]["Mbeu"].id,
                                                  "pickup_point": "Soko", "opens_2": "nine"}).get_data(as_text=True)
    assert "Jibu liwe na herufi kati ya" in swahili or "Jibu lisizidi herufi" in swahili
    assert "Si saa sahihi." in swahili
    french = client.post("/farm?lang=fr", data={"farm_name": "x", "village_id": places["villages"]["Mbeu"].id,
                                                 "pickup_point": "Soko", "opens_2": "nine"}).get_data(as_text=True)
    assert "Not a valid time value." not in french  # WTForms' own French catalog
