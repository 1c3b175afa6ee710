"""The catalogue in the Data Food Consortium standard, checked against Open Food Network's DFC API
description (../shared/data/ofn-dfc/dfc.yaml, read there, never copied): each of its examples for
what we serve expands (pyld) to terms our answers use too, ours use no term theirs do not, and
schemathesis calls our endpoints as that description says."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pyld import jsonld

from marketplace.api import dfc
from tests.browser.pages import two_farmers_market

DESCRIPTION = Path(__file__).resolve().parents[3] / "shared" / "data" / "ofn-dfc" / "dfc.yaml"
#: Our paths and the description's, for the operations we serve.
SERVED = {
    "/api/dfc/enterprises": "/api/dfc/enterprises",
    "/api/dfc/enterprises/{id}": "/api/dfc/enterprises/{farm}",
    "/api/dfc/enterprises/{enterprise_id}/catalog_items": "/api/dfc/enterprises/{farm}/catalog_items",
    "/api/dfc/enterprises/{enterprise_id}/catalog_items/{id}": "/api/dfc/enterprises/{farm}/catalog_items/{item}",
    "/api/dfc/enterprises/{enterprise_id}/supplied_products/{id}": "/api/dfc/enterprises/{farm}/supplied_products/{item}",
    "/api/dfc/enterprises/{enterprise_id}/offers/{id}": "/api/dfc/enterprises/{farm}/offers/{item}",
}


def _description() -> dict:
    if not DESCRIPTION.exists():
        pytest.skip(f"OFN's DFC API description is not at {DESCRIPTION} (../shared/data)")
    return yaml.safe_load(DESCRIPTION.read_text())


def _offline_loader(url, options=None):
    """The DFC context's URL answered from our copy of its prefixes (no test reaches the internet)."""
    if url.rstrip("/") == dfc.CONTEXT_URL:
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": dfc.CONTEXT}}
    raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed", code="loading document failed")


def _terms(document: dict) -> tuple[set[str], set[str]]:
    """The types and the properties a JSON-LD document states, as full IRIs."""
    types, properties = set(), set()

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "@value" in node:  # a literal: its @type is a datatype, not a class
                return
            for key, value in node.items():
                if key == "@type":
                    types.update(value if isinstance(value, list) else [value])
                elif not key.startswith("@"):
                    properties.add(key)
                walk(value)

    walk(jsonld.expand(document, {"documentLoader": _offline_loader}))
    return types, properties


def _examples(description: dict, path: str) -> list[dict]:
    found = []
    for content in description["paths"][path]["get"]["responses"]["200"]["content"].values():
        found += [example["value"] for example in (content.get("examples") or {}).values()]
        if content.get("example"):
            found.append(content["example"])
    return [example for example in found if example.get("@context") == dfc.CONTEXT_URL]


@pytest.fixture
def market(places):
    return two_farmers_market(places)


def _ours(path: str, market: dict) -> str:
    eggs = market["eggs"]
    return path.format(farm=eggs.farmer_id, item=eggs.id)


def test_ofns_examples_and_our_answers_speak_the_same_terms(client, market):
    description = _description()
    examples_read, compared = 0, 0
    for theirs_path, ours_path in SERVED.items():
        examples = _examples(description, theirs_path)
        their_types, their_properties = set(), set()
        for example in examples:
            types, properties = _terms(example)
            their_types |= types
            their_properties |= properties
            examples_read += 1
        answer = client.get(_ours(ours_path, market))
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json; charset=utf-8"
        our_types, our_properties = _terms(answer.get_json())
        assert our_types <= their_types, (theirs_path, our_types - their_types)
        assert our_properties <= their_properties | {str(dfc.DFC_B.description), str(dfc.DFC_B.image)}, (
            theirs_path, our_properties - their_properties)
        compared += 1
    # the closing note's figures
    assert (examples_read, compared) == (13, 6)


def test_a_farm_says_where_it_is_and_nothing_about_a_person(client, market):
    answer = client.get(_ours("/api/dfc/enterprises/{farm}", market)).get_json()
    text = str(answer)
    farmer = market["eggs"].farmer
    assert farmer.phone not in text and (farmer.email or "@@") not in text and farmer.name not in text.replace(
        farmer.farmer_profile.farm_name, "")
    nodes = {node["@id"]: node for node in answer["@graph"]}
    farm = nodes[answer["@graph"][0]["@id"]] if answer["@graph"][0]["@type"] == "dfc-b:Enterprise" else next(
        node for node in answer["@graph"] if node["@type"] == "dfc-b:Enterprise")
    address = nodes[farm["dfc-b:hasAddress"]]
    assert address["dfc-b:hasCity"] == market["eggs"].village.name
    assert address["dfc-b:hasCountry"].endswith("/country/KEN")


def test_an_offer_carries_the_price_as_typed_and_the_stock(client, market):
    eggs = market["eggs"]
    offer = client.get(_ours("/api/dfc/enterprises/{farm}/offers/{item}", market)).get_json()
    assert offer["@type"] == "dfc-b:Offer"
    assert offer["dfc-b:hasPrice"] == {"@type": "dfc-b:Price", "dfc-b:value": eggs.price_minor // 100, "dfc-b:hasUnit": "dfc-m:KenyanShilling"}
    assert offer["dfc-b:stockLimitation"] == eggs.stock_milli // 1000


def test_a_listing_not_on_sale_or_of_another_farm_is_not_found(client, market):
    eggs, maize = market["eggs"], market["maize"]
    assert client.get(f"/api/dfc/enterprises/{eggs.farmer_id}/offers/{maize.id}").status_code == 404
    assert client.get("/api/dfc/enterprises/99999").status_code == 404


def test_schemathesis_calls_our_endpoints_as_ofns_description_says(app, market):
    """Every check but one: OFN's catalogue needs a signed-in platform, ours is open data on purpose
    (the catalogue anyone sees on our pages), so "answers without authentication" is not a fault here."""
    import schemathesis
    from schemathesis.specs.openapi.checks import ignored_auth

    description = _description()
    description = {**description, "paths": {path: {"get": description["paths"][path]["get"], **(
        {"parameters": description["paths"][path]["parameters"]} if "parameters" in description["paths"][path] else {})}
        for path in SERVED}}
    schema = schemathesis.openapi.from_dict(description)
    eggs = market["eggs"]
    calls = 0
    for theirs_path in SERVED:
        operation = schema[theirs_path]["GET"]
        values = {"id": str(eggs.farmer_id if theirs_path.endswith("enterprises/{id}") else eggs.id), "enterprise_id": str(eggs.farmer_id)}
        wanted = {name: values[name] for name in ("id", "enterprise_id") if "{" + name + "}" in theirs_path}
        case = operation.Case(path_parameters=wanted or None)
        case.call_and_validate(app=app, excluded_checks=[ignored_auth])
        calls += 1
        missing = {name: "0" for name in wanted}  # an id nobody has: the 404 the description names
        if missing and "404" in description["paths"][theirs_path]["get"]["responses"]:
            operation.Case(path_parameters=missing).call_and_validate(app=app, excluded_checks=[ignored_auth])
            calls += 1
    assert calls == 10
