"""Catalog rules: who may list and edit, what a valid listing is, stock, status and moderation.

Ownership: a listing belongs to a farmer. The farmer may manage it; so may
the agent who entered it for them (service-centre operators list for farmers
without a smartphone). Admins moderate but do not edit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts import api as codes
from marketplace.accounts import api as presence
from marketplace.accounts.api import Role, User, Village
from marketplace.catalog import search, states
from marketplace.catalog.models import (
    Category,
    Listing,
    ListingPhoto,
    ListingStatus,
    Photo,
)
from marketplace.catalog.units import ORDER_STEP, Unit, parse_quantity, quantity_decimal
from marketplace.core import header, idempotency
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.core.images import check_photo, process_photo
from marketplace.core.jobs import enqueue
from marketplace.core.money import Money
from marketplace.core.numbers import UnreadableNumber, read_money
from marketplace.core.phone import normalise_phone
from marketplace.core.storage import get_private_storage, get_storage
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url, site_path
from marketplace.extensions import db
from marketplace.notifications.api import notify_user

MAX_PHOTOS = 5
MAX_PRICE_MINOR = 10_000_000_00  # a sanity bound that catches a farmer typing the phone number into the price
MAX_STOCK_MILLI = 1_000_000_000

@dataclass
class ListingInput:
    """What the listing form sends, as typed (quantities and prices are text)."""

    title: str = ""
    description: str = ""
    category_id: int | None = None
    unit: str = ""
    price: str = ""
    stock: str = ""
    min_order: str = ""
    harvest_date: date | None = None
    available_until: date | None = None
    village_id: int | None = None
    pickup_point: str = ""
    delivery_available: bool = False
    delivery_fee: str = ""
    is_organic: bool = False
    is_natural: bool = False
    photo_ids: list[int] = field(default_factory=list)
    publish: bool = True
    price_confirmed: bool = False  # "yes, this price is right", after a warning that it is far from the usual


# --- who may do what ----------------------------------------------------------------

def can_manage(actor: User | None, listing: Listing) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    if actor.id == listing.farmer_id:
        return True
    return actor.has_role(Role.AGENT) and listing.entered_by_id == actor.id


def listing_to_manage(actor: User, listing_id: int) -> Listing:
    """The listing `actor` may change (require_manage), or NotFound."""
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(_l("This listing does not exist."))
    require_manage(actor, listing)
    return listing


#: What a farmer handles from a basic phone: listings not archived and not drafts.
LIVE = (ListingStatus.ACTIVE, ListingStatus.PAUSED, ListingStatus.SOLD_OUT)


def live_listings_of(farmer: User, limit: int = 30) -> list[Listing]:
    """The farmer's listings on sale, paused or sold out, newest first."""
    return list(db.session.scalars(select(Listing).where(Listing.farmer_id == farmer.id, Listing.status.in_(LIVE))
                                   .order_by(Listing.id.desc()).limit(limit)))


def produce_categories() -> list[Category]:
    """The kinds a farmer sells: categories without subcategories (Tomatoes and peppers, Eggs…),
    in the tree's order."""
    parents = select(Category.parent_id).where(Category.parent_id.is_not(None))
    return list(db.session.scalars(select(Category).where(Category.id.not_in(parents)).order_by(
        Category.parent_id.is_(None), Category.parent_id, Category.position, Category.id)))


def get_category(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def require_manage(actor: User | None, listing: Listing) -> None:
    """Before any change: the farmer, or the agent who listed it while the farmer is beside them."""
    if not can_manage(actor, listing):
        raise PermissionDenied(_l("Only the farmer, or the agent who listed it for them, can change this listing."))
    if actor.id != listing.farmer_id:
        presence.require_presence(actor, listing.farmer)


def _require_can_list_for(actor: User, farmer: User) -> None:
    if farmer.farmer_profile is None:
        raise DomainError(_l("This person has not set up a farm yet."), field="farmer")
    if actor.id == farmer.id:
        require_role(actor, Role.FARMER)
    else:
        require_role(actor, Role.AGENT)
        presence.require_presence(actor, farmer)  # an agent lists only with the farmer beside them


def farmer_to_list_for(actor: User, farmer_id: int | None) -> User:
    """Whose listing the actor is about to create: their own, or (agents) a farmer's by id."""
    if farmer_id is None or farmer_id == actor.id:
        require_role(actor, Role.FARMER)
        return actor
    farmer = db.session.get(User, farmer_id)
    if farmer is None:
        raise PermissionDenied(_l("You do not have permission to do this."))
    _require_can_list_for(actor, farmer)
    return farmer


def find_farmer_by_phone(actor: User, phone: str) -> User:
    """Agents find the farmer they list for by the farmer's phone number."""
    require_role(actor, Role.AGENT)
    normalised = normalise_phone(phone)
    farmer = db.session.scalar(select(User).where(User.phone == normalised))
    if farmer is None or farmer.farmer_profile is None:
        raise DomainError(_l("No farmer is registered with this phone number."), field="phone")
    return farmer


# --- validation -------------------------------------------------------------------------

def _clean(data: ListingInput, photo_owner_ids: set[int], price_before: int | None = None) -> dict:
    """Every field of the listing form checked at once: the clean values, or InvalidInput with a
    translated message per field (the form is shown again with everything typed).

    A price far from what farmers nearby ask is asked about once (`price_confirmed`), unless it is
    the price the listing already had."""
    errors: dict[str, object] = {}
    clean: dict = {}
    currency = current_app.config["DEFAULT_CURRENCY"]
    _clean_words(data, clean, errors)
    _clean_kind(data, clean, errors)
    try:
        clean["price_minor"] = price_amount(data.price, currency).minor_units
    except DomainError as error:
        errors["price"] = error.message
    _clean_amounts(data, clean, errors)
    _clean_dates(data, clean, errors)
    _clean_place(data, clean, errors, currency)
    _clean_photos(data, clean, errors, photo_owner_ids)
    if not errors and not data.price_confirmed and clean["price_minor"] != price_before:
        warning = _price_warning(clean, currency)
        if warning:
            errors["price_confirmed"] = warning
    if errors:
        raise InvalidInput(errors)
    return clean


PRICE_CHECKS = "catalog.price_checks"


def register_price_check(app, check) -> None:
    """Another domain that knows what prices are usual (open data) adds its check in init_app:
    check(category, unit, village, price: Money) -> a warning to show, or None."""
    app.extensions.setdefault(PRICE_CHECKS, []).append(check)


def _price_warning(clean: dict, currency: str):
    price = Money(currency, clean["price_minor"])
    for check in current_app.extensions.get(PRICE_CHECKS, []):
        warning = check(clean["category"], clean["unit"].value, clean["village"], price)
        if warning:
            return warning
    return None


def _clean_words(data: ListingInput, clean: dict, errors: dict) -> None:
    title = data.title.strip()
    if not title:
        errors["title"] = _l("Say what you are selling, e.g. 'Ripe tomatoes'.")
    elif len(title) > 120:
        errors["title"] = _l("Keep the title under 120 characters.")
    clean["title"] = title
    clean["description"] = data.description.strip()[:4000]


def _clean_kind(data: ListingInput, clean: dict, errors: dict) -> None:
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        errors["category_id"] = _l("Choose a category.")
    clean["category"] = category
    try:
        clean["unit"] = Unit(data.unit)
    except ValueError:
        errors["unit"] = _l("Choose the unit you sell by.")
        clean["unit"] = None


def _clean_amounts(data: ListingInput, clean: dict, errors: dict) -> None:
    """Stock (required) and the minimum order (optional), in steps of the unit."""
    unit = clean["unit"]
    step = ORDER_STEP[unit] if unit else 1
    for name, text_value, required in (("stock", data.stock, True), ("min_order", data.min_order, False)):
        if not text_value.strip():
            if required:
                errors[name] = _l("Say how much you have to sell.")
            clean[name] = 0
            continue
        try:
            milli = parse_quantity(text_value)
        except UnreadableNumber as problem:
            errors[name] = problem.message
            continue
        if milli < 0 or milli > MAX_STOCK_MILLI:
            errors[name] = _l("This amount is not possible. Check the number.")
        elif unit and milli % step:
            errors[name] = _l("Use steps of %(step)s for this unit.", step=_format_step(step))
        clean[name] = milli
    if not errors.get("min_order") and unit and clean.get("min_order") and clean.get("stock") is not None \
            and clean["min_order"] > clean["stock"] > 0:
        errors["min_order"] = _l("The minimum order cannot be more than what you have.")


def _clean_dates(data: ListingInput, clean: dict, errors: dict) -> None:
    if data.harvest_date and data.harvest_date > date.today():
        errors["harvest_date"] = _l("The harvest date cannot be in the future.")
    if data.available_until and data.available_until < date.today():
        errors["available_until"] = _l("This date has passed. Choose today or later.")
    if data.harvest_date and data.available_until and data.available_until < data.harvest_date:
        errors["available_until"] = _l("Produce cannot be available until before it was harvested.")
    clean["harvest_date"], clean["available_until"] = data.harvest_date, data.available_until


def _clean_place(data: ListingInput, clean: dict, errors: dict, currency: str) -> None:
    """Where buyers collect, and delivery with its fee."""
    village = db.session.get(Village, data.village_id) if data.village_id else None
    if village is None:
        errors["village_id"] = _l("Choose the village where buyers collect.")
    clean["village"] = village
    pickup = data.pickup_point.strip()
    if not pickup:
        errors["pickup_point"] = _l("Say where buyers collect, e.g. 'Market square, stall 4'.")
    clean["pickup_point"] = pickup[:500]
    clean["delivery_available"] = bool(data.delivery_available)
    clean["delivery_fee_minor"] = 0
    if data.delivery_available and data.delivery_fee.strip():
        try:
            fee = read_money(data.delivery_fee, currency)
        except UnreadableNumber as problem:
            errors["delivery_fee"] = problem.message
        else:
            if fee.minor_units < 0:
                errors["delivery_fee"] = _l("Write the delivery fee as a number, or leave it empty for free delivery.")
            clean["delivery_fee_minor"] = max(fee.minor_units, 0)
    clean["is_organic"], clean["is_natural"] = bool(data.is_organic), bool(data.is_natural)


def _clean_photos(data: ListingInput, clean: dict, errors: dict, photo_owner_ids: set[int]) -> None:
    """Photos already uploaded by the farmer or their agent, at most MAX_PHOTOS, in the order given."""
    photo_ids = list(dict.fromkeys(data.photo_ids))
    if len(photo_ids) > MAX_PHOTOS:
        errors["photos"] = _l("Up to %(n)d photos.", n=MAX_PHOTOS)
    photos = list(db.session.scalars(select(Photo).where(Photo.id.in_(photo_ids)))) if photo_ids else []
    by_id = {p.id: p for p in photos}
    if any(pid not in by_id or by_id[pid].owner_id not in photo_owner_ids for pid in photo_ids):
        errors["photos"] = _l("A photo could not be found. Add it again.")
    clean["photos"] = [by_id[pid] for pid in photo_ids if pid in by_id]


def _format_step(step_milli: int) -> str:
    return format_decimal(quantity_decimal(step_milli))


def _apply(listing: Listing, clean: dict) -> None:
    for name in ("title", "description", "category", "unit", "price_minor", "harvest_date", "available_until",
                 "village", "pickup_point", "delivery_available", "delivery_fee_minor", "is_organic", "is_natural"):
        setattr(listing, name, clean[name])
    listing.stock_milli = clean["stock"]
    listing.min_order_milli = clean["min_order"]
    listing.district_id = clean["village"].district_id
    listing.region_id = clean["village"].district.region_id
    listing.currency = current_app.config["DEFAULT_CURRENCY"]
    wanted = [p.id for p in clean["photos"]]
    listing.photos = [ListingPhoto(photo=photo, position=i) for i, photo in enumerate(clean["photos"])] \
        if [lp.photo_id for lp in listing.photos] != wanted else listing.photos


# --- creating and editing ----------------------------------------------------------------

def require_may_sell(farmer: User) -> None:
    """Nobody sells from a phone number that is not proved theirs (accounts.codes)."""
    codes.require_confirmed_phone(farmer)


def create_listing(actor: User, farmer: User, data: ListingInput, submission_key: str | None = None) -> Listing:
    """One listing per submission of the form (`submission_key`, core.idempotency)."""
    _require_can_list_for(actor, farmer)
    require_may_sell(farmer)
    actor_id = actor.id
    earlier = idempotency.claim(actor_id, "listing", submission_key)
    if earlier:
        return db.session.get(Listing, int(earlier))
    # An agent's uploads stay theirs until attached to the farmer's listing.
    clean = _clean(data, photo_owner_ids={farmer.id, actor.id})
    if data.publish and clean["stock"] == 0:
        raise InvalidInput({"stock": _l("Add stock before putting this listing on sale, or save it as a draft.")})
    listing = Listing(farmer=farmer, entered_by=actor, status=ListingStatus.DRAFT)  # the machine's (None, DRAFT)
    _apply(listing, clean)
    db.session.add(listing)
    db.session.flush()
    states.record(listing, actor.id, "create")
    if data.publish:
        states.transition(listing, ListingStatus.ACTIVE, actor_id=actor.id)
    search.index_listing(listing)
    idempotency.done(actor_id, "listing", submission_key, listing.id)
    if actor.id != farmer.id:
        _tell_farmer_an_agent_listed(listing, actor)
    db.session.commit()
    return listing


def _tell_farmer_an_agent_listed(listing: Listing, agent: User) -> None:
    link = external_url("catalog.listing_detail", listing_id=listing.id)
    notify_user(listing.farmer, "listing_entered_by_agent", lambda: (
        _("New listing on Village Square"),
        _("%(agent)s listed \"%(title)s\" for you on Village Square: %(link)s", agent=agent.name, title=listing.title, link=link),
    ), link=site_path("catalog.edit_listing", listing_id=listing.id))


def update_listing(actor: User, listing: Listing, data: ListingInput) -> Listing:
    require_manage(actor, listing)
    clean = _clean(data, photo_owner_ids={listing.farmer_id, actor.id}, price_before=listing.price_minor)
    _apply(listing, clean)
    _follow_stock(listing, actor)
    states.record(listing, actor.id, "edit")
    search.index_listing(listing)
    db.session.commit()
    return listing


PHOTO_VARIANTS_JOB = "catalog.photo_variants"


def upload_photos(actor: User, files: list[bytes]) -> list[Photo]:
    """Check each file now (the first bad one stops with its reason, while the farmer is on the form);
    the two sizes are made by a job after the commit, from the original kept privately meanwhile."""
    private = get_private_storage()
    photos = []
    for data in files[:MAX_PHOTOS]:
        check_photo(data)
        photo = Photo(owner_id=actor.id, original_key=private.save(data, "orig"), thumb_key="", display_key="",
                      thumb_width=0, thumb_height=0, display_width=0, display_height=0)
        db.session.add(photo)
        photos.append(photo)
    db.session.flush()
    for photo in photos:
        enqueue(PHOTO_VARIANTS_JOB, photo.id)
    db.session.commit()
    return photos


def make_photo_variants(photo_id: int) -> None:
    """Resize, strip and store the two sizes, then forget the original (it holds the phone's EXIF
    and GPS). Idempotent: a photo with its sizes is left alone."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.ready:
        return
    private = get_private_storage()
    try:
        data = private.open(photo.original_key)
    except FileNotFoundError:
        # The same picture, uploaded twice at once: the other photo's job made the sizes and removed
        # the shared original. Same content, same sizes.
        twin = db.session.scalar(select(Photo).where(Photo.original_key == photo.original_key, Photo.thumb_key != "").limit(1))
        if twin is None:
            raise
        _set_variants(photo_id, twin.thumb_key, twin.display_key, (twin.thumb_width, twin.thumb_height),
                      (twin.display_width, twin.display_height))
        return
    processed = process_photo(data, get_storage())
    _set_variants(photo_id, processed.thumb.key, processed.display.key, (processed.thumb.width, processed.thumb.height),
                  (processed.display.width, processed.display.height))
    # Originals are named by content: keep one until no photo is still waiting for it.
    if not db.session.scalar(select(Photo.id).where(Photo.original_key == photo.original_key, Photo.thumb_key == "").limit(1)):
        private.delete(photo.original_key)


def _set_variants(photo_id: int, thumb_key: str, display_key: str, thumb_size: tuple[int, int], display_size: tuple[int, int]) -> None:
    # Conditional: of two runs at once the first one's keys stay.
    db.session.execute(update(Photo).where(Photo.id == photo_id, Photo.thumb_key == "").values(
        thumb_key=thumb_key, display_key=display_key, thumb_width=thumb_size[0], thumb_height=thumb_size[1],
        display_width=display_size[0], display_height=display_size[1]))
    db.session.commit()


def sweep_photos(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the photos still without their sizes (their job was lost)."""
    ids = list(db.session.scalars(select(Photo.id).where(Photo.thumb_key == "", Photo.created_at < utcnow() - older_than)))
    for photo_id in ids:
        enqueue(PHOTO_VARIANTS_JOB, photo_id)
    db.session.commit()
    return len(ids)


def photos_by_ids(actor: User, ids: list[int]) -> list[Photo]:
    """The actor's own uploaded photos, in the order given (to re-show them after a form error)."""
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(select(Photo).where(Photo.id.in_(ids), Photo.owner_id == actor.id))}
    return [found[i] for i in ids if i in found]


# --- status and stock ------------------------------------------------------------------------

def _follow_stock(listing: Listing, actor: User) -> None:
    """No stock is sold out, stock again is back on sale: whoever changed the amount."""
    if listing.stock_milli == 0 and listing.status is ListingStatus.ACTIVE:
        states.transition(listing, ListingStatus.SOLD_OUT, actor_id=actor.id)
    elif listing.stock_milli > 0 and listing.status is ListingStatus.SOLD_OUT:
        states.transition(listing, ListingStatus.ACTIVE, actor_id=actor.id)


def change_status(actor: User, listing: Listing, new: ListingStatus, reason: str = "") -> Listing:
    require_manage(actor, listing)
    states.transition(listing, new, actor_id=actor.id, reason=reason)
    db.session.commit()
    return listing


def price_amount(text: str, currency: str) -> Money:
    """The price a farmer typed, per unit; DomainError with the reason otherwise (the web form and
    the phone menus read prices by this one rule)."""
    try:
        price = read_money(text, currency)
    except UnreadableNumber as problem:
        raise DomainError(problem.message, field="price") from None
    if price.minor_units <= 0:
        raise DomainError(_l("The price must be more than zero."), field="price")
    if price.minor_units > MAX_PRICE_MINOR:
        raise DomainError(_l("This price looks too high. Check the number."), field="price")
    return price


def stock_amount(unit: Unit, quantity: str) -> int:
    """The stock a farmer typed, in milli-units of `unit`; DomainError with the reason otherwise."""
    try:
        milli = parse_quantity(quantity)
    except UnreadableNumber as problem:
        raise DomainError(problem.message, field="stock") from None
    if milli < 0 or milli > MAX_STOCK_MILLI:
        raise DomainError(_l("This amount is not possible. Check the number."), field="stock")
    if milli % ORDER_STEP[unit]:
        raise DomainError(_l("Use steps of %(step)s for this unit.", step=_format_step(ORDER_STEP[unit])), field="stock")
    return milli


def set_stock(actor: User, listing: Listing, quantity: str) -> Listing:
    """One-tap stock update from the dashboard; zero marks it sold out, stock brings it back."""
    require_manage(actor, listing)
    milli = stock_amount(listing.unit, quantity)
    old_stock = listing.stock_milli
    listing.stock_milli = milli
    _follow_stock(listing, actor)
    states.record(listing, actor.id, "stock", f"{old_stock} -> {milli}")
    db.session.commit()
    return listing




# --- reading for the one who manages -----------------------------------------------------------

def get_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(_l("This listing does not exist."))
    return listing


def get_listing_to_manage(actor: User, listing_id: int) -> Listing:
    listing = get_listing(listing_id)
    require_manage(actor, listing)
    return listing


#: Listings on one page of "My listings": each card carries its forms, and a phone on 3G wants the newest first.
MANAGE_PER_PAGE = 20


@dataclass
class ManagePage:
    listings: list[Listing]
    page: int
    has_next: bool


def listings_to_manage(actor: User, page: int = 1) -> ManagePage:
    """The farmer's own listings, or those an agent entered, newest first (not archived), a page at a time."""
    stmt = select(Listing).options(selectinload(Listing.photos), selectinload(Listing.farmer)).where(_MANAGED_BY[_manages_as(actor)])
    rows = list(db.session.scalars(stmt.order_by(Listing.id.desc()).offset((page - 1) * MANAGE_PER_PAGE).limit(MANAGE_PER_PAGE + 1),
                                   {"actor_id": actor.id}))
    return ManagePage(listings=rows[:MANAGE_PER_PAGE], page=page, has_next=len(rows) > MANAGE_PER_PAGE)


def managed_listings_version(actor: User) -> tuple[object, ...]:
    """The key of the person's kept "My listings" page: it changes whenever a listing they manage is
    added or changes, or is viewed (the page shows the views, which are written without touching
    updated_at). A farmer's is read with them (core.header); an agent's, rarer, is asked on its own;
    someone who manages nothing has none (their page leads them to set up a farm)."""
    if not actor.has_role(Role.FARMER, Role.AGENT):
        return ()
    if actor.has_role(Role.AGENT):
        return tuple(db.session.execute(_MANAGED_VERSION[_manages_as(actor)], {"actor_id": actor.id}).one())
    return header.figure("listings_managed", actor.id, lambda: tuple(db.session.execute(select(*farmer_listing_figures(actor.id))).one()))


def farmer_listing_figures(farmer_id: Any) -> list[Any]:
    """A farmer's listings (not archived): how many, the newest change and the views, each read from
    one index alone (ix_listings_farmer_status_updated_views)."""
    theirs = db.and_(Listing.farmer_id == farmer_id, Listing.status != ListingStatus.ARCHIVED)
    return [select(func.count()).select_from(Listing).where(theirs).scalar_subquery(),
            select(func.max(Listing.updated_at)).where(theirs).scalar_subquery(),
            select(func.sum(Listing.view_count)).where(theirs).scalar_subquery()]


def catalog_version_figures(_person_id: Any) -> list[Any]:
    """The catalog's version, read with the signed-in person on the pages kept by it (core.header)."""
    return [select(db.func.max(Listing.updated_at)).scalar_subquery()]


def _manages_as(actor: User) -> str:
    farmer, agent = actor.has_role(Role.FARMER), actor.has_role(Role.AGENT)
    if not (farmer or agent):
        raise PermissionDenied(_l("Only farmers and agents have listings to manage."))
    return "farmer+agent" if farmer and agent else "farmer" if farmer else "agent"


# What a farmer, an agent, or someone who is both manages (not archived): their own listings, those they
# entered for farmers, or both. Built once with the person as a parameter (building costs more than running).
_ACTOR = bindparam("actor_id")
_MANAGED_BY = {as_: db.and_(Listing.status != ListingStatus.ARCHIVED, mine) for as_, mine in {
    "farmer": Listing.farmer_id == _ACTOR, "agent": Listing.entered_by_id == _ACTOR,
    "farmer+agent": db.or_(Listing.farmer_id == _ACTOR, Listing.entered_by_id == _ACTOR)}.items()}
_MANAGED_VERSION = {as_: select(func.count(), func.max(Listing.updated_at), func.sum(Listing.view_count)).where(where)
                    for as_, where in _MANAGED_BY.items()}


def catalog_version() -> object:
    """Changes whenever any listing changes (cached public pages include it in their key). On the pages
    kept by it, a signed-in person's load has read it already (catalog_version_figures)."""
    return header.figure("catalog_version", None, lambda: (db.session.scalar(select(db.func.max(Listing.updated_at))),))[0]
