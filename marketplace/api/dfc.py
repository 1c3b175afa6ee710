"""The catalogue in the Data Food Consortium's standard (DFC 1.16, JSON-LD), read-only, under /api/dfc.

Open Food Network hubs and other DFC platforms list our farmers' produce from it: each farm is a
`dfc-b:Enterprise` (its name and where it is, never a person's contact), each public listing a
`dfc-b:SuppliedProduct` (what it is, per which unit), a `dfc-b:CatalogItem` (the farm offers it,
with its stock) and a `dfc-b:Offer` (its price). The paths and shapes follow OFN's DFC API
(`/api/dfc/enterprises/{id}`, `…/supplied_products/{id}`, `…/catalog_items/{id}`, `…/offers/{id}`).

The data is a graph first (rdflib: the triples, typed literals, IRIs), then JSON-LD (pyld: compacted
with the DFC prefixes, blank nodes nested in place as DFC documents write them), with the DFC 1.16
context's URL as `@context`, so a DFC client reads it as it reads OFN's. Nothing is written as a
string template.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, url_for
from pyld import jsonld
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from marketplace.catalog import api as catalog
from marketplace.core.money import Money
from marketplace.extensions import limiter

CONTEXT_URL = "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
DFC_B = Namespace("https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#")
DFC_M = Namespace("https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#")
COUNTRIES = "http://publications.europa.eu/resource/authority/country/"
#: The DFC 1.16 context as far as our documents use it: its prefixes, and the properties whose values
#: are IRIs (the published context types every object property so; a client loads it from CONTEXT_URL).
CONTEXT: dict[str, Any] = {
    "dfc-b": str(DFC_B), "dfc-m": str(DFC_M),
    **{f"dfc-b:{name}": {"@type": "@id"} for name in (
        "hasAddress", "hasCountry", "supplies", "manages", "managedBy", "references", "offeredThrough", "hasUnit", "image")},
}
#: Our units as the DFC measures taxonomy names them.
UNITS = {"kg": "Kilogram", "g": "Gram", "litre": "Litre", "piece": "Piece", "dozen": "Dozen", "bunch": "Bunch",
         "crate": "Crate", "sack": "Sack"}
#: Currencies as the measures taxonomy names them (Euro, PoundSterling, USDollar…).
CURRENCIES = {"KES": "KenyanShilling", "EUR": "Euro", "GBP": "PoundSterling", "USD": "USDollar", "UGX": "UgandanShilling",
              "TZS": "TanzanianShilling"}

bp = Blueprint("dfc", __name__, url_prefix="/api/dfc")
limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", "120 per minute"))(bp)


# --- the graph -------------------------------------------------------------------------------

def _iri(endpoint: str, **values: Any) -> URIRef:
    return URIRef(url_for(endpoint, _external=True, **values))


def _enterprise(graph: Graph, profile: Any, listings: list) -> URIRef:
    farm = _iri("dfc.enterprise", enterprise_id=profile.user_id)
    graph.add((farm, RDF.type, DFC_B.Enterprise))
    graph.add((farm, DFC_B.name, Literal(profile.farm_name)))
    address = URIRef(f"{farm}#address")
    village = profile.village
    graph.add((farm, DFC_B.hasAddress, address))
    graph.add((address, RDF.type, DFC_B.Address))
    graph.add((address, DFC_B.hasCity, Literal(village.name)))
    graph.add((address, DFC_B.region, Literal(f"{village.district.name}, {village.district.region.name}")))
    graph.add((address, DFC_B.hasCountry, URIRef(COUNTRIES + current_app.config["DFC_COUNTRY"])))
    for listing in listings:
        graph.add((farm, DFC_B.supplies, _iri("dfc.supplied_product", enterprise_id=profile.user_id, item_id=listing.id)))
        graph.add((farm, DFC_B.manages, _iri("dfc.catalog_item", enterprise_id=profile.user_id, item_id=listing.id)))
    return farm


def _supplied_product(graph: Graph, listing: Any) -> URIRef:
    product = _iri("dfc.supplied_product", enterprise_id=listing.farmer_id, item_id=listing.id)
    graph.add((product, RDF.type, DFC_B.SuppliedProduct))
    graph.add((product, DFC_B.name, Literal(listing.title)))
    if listing.description:
        graph.add((product, DFC_B.description, Literal(listing.description)))
    per = BNode()
    graph.add((product, DFC_B.hasQuantity, per))
    graph.add((per, RDF.type, DFC_B.QuantitativeValue))
    graph.add((per, DFC_B.hasUnit, DFC_M[UNITS[listing.unit.value]]))
    graph.add((per, DFC_B.value, Literal(1.0)))
    photo = next(iter(listing.photos), None)
    if photo is not None:
        from marketplace.core.storage import get_storage

        graph.add((product, DFC_B.image, URIRef(get_storage().url(photo.photo.display_key))))
    return product


def _catalog_item(graph: Graph, listing: Any) -> URIRef:
    farm = listing.farmer_id
    item = _iri("dfc.catalog_item", enterprise_id=farm, item_id=listing.id)
    graph.add((item, RDF.type, DFC_B.CatalogItem))
    graph.add((item, DFC_B.references, _iri("dfc.supplied_product", enterprise_id=farm, item_id=listing.id)))
    graph.add((item, DFC_B.sku, Literal(f"VS-{listing.id}")))
    graph.add((item, DFC_B.stockLimitation, _number(catalog.quantity_decimal(listing.stock_milli))))
    graph.add((item, DFC_B.offeredThrough, _iri("dfc.offer", enterprise_id=farm, item_id=listing.id)))
    graph.add((item, DFC_B.managedBy, _iri("dfc.enterprise", enterprise_id=farm)))
    return item


def _offer(graph: Graph, listing: Any) -> URIRef:
    offer = _iri("dfc.offer", enterprise_id=listing.farmer_id, item_id=listing.id)
    graph.add((offer, RDF.type, DFC_B.Offer))
    price = BNode()
    graph.add((offer, DFC_B.hasPrice, price))
    graph.add((price, RDF.type, DFC_B.Price))
    graph.add((price, DFC_B.value, _number(Money(listing.currency, listing.price_minor).as_decimal())))
    graph.add((price, DFC_B.hasUnit, DFC_M[CURRENCIES.get(listing.currency, listing.currency)]))
    graph.add((offer, DFC_B.stockLimitation, _number(catalog.quantity_decimal(listing.stock_milli))))
    return offer


def _number(value: Decimal) -> Literal:
    """A JSON number, as DFC documents write prices and stock (19.99, 5): the exact decimal is turned
    into one only here, at the edge (a whole number as an integer, else a double, which holds every
    amount of two decimals people read)."""
    return Literal(int(value)) if value == value.to_integral_value() else Literal(float(value))


# --- JSON-LD ---------------------------------------------------------------------------------

def as_jsonld(graph: Graph) -> dict:
    """The graph compacted with the DFC prefixes; a blank node (a price, a quantity) nested where it is
    used, as DFC documents write it; the DFC context's URL as `@context`."""
    # N-Quads from rdflib, read by pyld with native types: numbers come out as JSON numbers, as in DFC's documents
    expanded = jsonld.from_rdf(graph.serialize(format="nt"), {"format": "application/n-quads", "useNativeTypes": True})
    compacted = jsonld.compact(expanded, {"@context": CONTEXT})
    nodes = compacted.get("@graph", [compacted])
    blanks = {node["@id"]: node for node in nodes if str(node.get("@id", "")).startswith("_:")}

    def nest(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"@id"} and value["@id"] in blanks:
                inner = dict(blanks[value["@id"]])
                inner.pop("@id")
                return nest(inner)
            return {key: nest(item) for key, item in value.items()}
        if isinstance(value, list):
            return [nest(item) for item in value]
        return value

    kept = [nest({key: value for key, value in node.items() if key != "@context"}) for node in nodes
            if node.get("@id") not in blanks]
    if len(kept) == 1:
        return {"@context": CONTEXT_URL, **kept[0]}
    return {"@context": CONTEXT_URL, "@graph": kept}


def _answer(graph: Graph) -> Response:
    response = Response(json.dumps(as_jsonld(graph), ensure_ascii=False), content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Link"] = f'<{CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"'
    return response


def _farm_and_listings(enterprise_id: int) -> tuple[Any, list]:
    return catalog.farmer_page(enterprise_id)  # NotFound (404) for no such farm


def _listing_of(enterprise_id: int, item_id: int) -> Any:
    _profile, listings = _farm_and_listings(enterprise_id)
    listing = next((listing for listing in listings if listing.id == item_id), None)
    if listing is None:
        abort(404)
    return listing


# --- the endpoints ---------------------------------------------------------------------------

@bp.get("/enterprises")
def enterprises():
    graph = Graph()
    for profile in catalog.farms_on_sale():
        farm = _iri("dfc.enterprise", enterprise_id=profile.user_id)
        graph.add((farm, RDF.type, DFC_B.Enterprise))
        graph.add((farm, DFC_B.name, Literal(profile.farm_name)))
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>")
def enterprise(enterprise_id: int):
    """The farm with its address, and each product it supplies with its catalog item (whose offer is
    one more request, as in OFN's answer)."""
    profile, listings = _farm_and_listings(enterprise_id)
    graph = Graph()
    _enterprise(graph, profile, listings)
    for listing in listings:
        _supplied_product(graph, listing)
        _catalog_item(graph, listing)
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>/supplied_products")
def supplied_products(enterprise_id: int):
    _profile, listings = _farm_and_listings(enterprise_id)
    graph = Graph()
    for listing in listings:
        _supplied_product(graph, listing)
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>/supplied_products/<int:item_id>")
def supplied_product(enterprise_id: int, item_id: int):
    graph = Graph()
    _supplied_product(graph, _listing_of(enterprise_id, item_id))
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>/catalog_items")
def catalog_items(enterprise_id: int):
    _profile, listings = _farm_and_listings(enterprise_id)
    graph = Graph()
    for listing in listings:
        _catalog_item(graph, listing)
        _offer(graph, listing)
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>/catalog_items/<int:item_id>")
def catalog_item(enterprise_id: int, item_id: int):
    listing = _listing_of(enterprise_id, item_id)
    graph = Graph()
    _catalog_item(graph, listing)
    _offer(graph, listing)
    return _answer(graph)


@bp.get("/enterprises/<int:enterprise_id>/offers/<int:item_id>")
def offer(enterprise_id: int, item_id: int):
    graph = Graph()
    _offer(graph, _listing_of(enterprise_id, item_id))
    return _answer(graph)
