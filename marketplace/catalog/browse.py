"""What buyers see: home sections, browse with filters and sorts, search, detail, farmer pages.

Every page's queries are here and eager-load what the page shows (tests pin the
count). Pagination fetches one row more than a page instead of counting: a
COUNT over a hundred thousand listings costs more than the page itself.

"Newest" is the highest id (ids follow creation), and it is the default even for
a text search: buyers of fresh produce want the latest lots, and walking ids
backwards stops after one page, where ranking thousands of matches by relevance
costs 200 times more at 100,000 listings (`make bench`). "Best match" remains a choice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.accounts.api import District, FarmerProfile, Region, User, Village, positions
from marketplace.catalog import search
from marketplace.catalog.models import Category, Listing, ListingPhoto, ListingStatus
from marketplace.catalog.services import can_manage
from marketplace.core.errors import NotFound
from marketplace.extensions import db

PAGE_SIZE = 20
HOME_SECTION_SIZE = 8


class Sort:
    NEWEST = "newest"
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"
    HARVEST = "harvest"
    RELEVANCE = "relevance"
    CLOSEST = "closest"  # to the place in `near` (a village or town of the gazetteer)
    CHOICES = (NEWEST, PRICE_LOW, PRICE_HIGH, HARVEST, RELEVANCE, CLOSEST)


@dataclass
class BrowseFilters:
    query: str = ""
    category_slug: str = ""
    region_id: int | None = None
    district_id: int | None = None
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    organic: bool = False
    delivery: bool = False
    available_now: bool = False
    sort: str = ""
    near_village_id: int | None = None
    page: int = 1


@dataclass
class ListingPage:
    listings: list[Listing]
    page: int
    has_next: bool
    filters: BrowseFilters
    category: Category | None = None
    words: list[str] = field(default_factory=list)

    # How many were found, without a COUNT over the whole catalogue: exact on the last page,
    # "more than" before it (the page already reads one row beyond what it shows).
    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.listings else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.listings)


def _with_card_data(stmt: Select) -> Select:
    """Exactly what a listing card shows, in the same query or one more (photos): each object
    loaded costs time on every browse page, so nothing the card does not show."""
    return stmt.options(
        joinedload(Listing.village).joinedload(Village.district),
        selectinload(Listing.photos),
    )


def _public() -> Select:
    return select(Listing).where(Listing.status == ListingStatus.ACTIVE, Listing.hidden_at.is_(None))


def category_tree() -> list[Category]:
    """Top-level categories with their children filled in, from one query."""
    categories = list(db.session.scalars(select(Category).order_by(Category.position)))
    children: dict[int, list[Category]] = {c.id: [] for c in categories}
    for category in categories:
        if category.parent_id is not None:
            children[category.parent_id].append(category)
    for category in categories:
        set_committed_value(category, "children", children[category.id])
    return [c for c in categories if c.parent_id is None]


def category_by_slug(slug: str, tree: list[Category] | None = None) -> Category:
    for top in tree if tree is not None else category_tree():
        for category in [top, *top.children]:
            if category.slug == slug:
                return category
    raise NotFound(_l("There is no such category."))


def home_sections(district_id: int | None) -> dict[str, list[Listing]]:
    """'Near you' (the person's district) first, then the newest from everywhere else."""
    sections: dict[str, list[Listing]] = {}
    if district_id:
        near = _with_card_data(_public().where(Listing.district_id == district_id).order_by(Listing.id.desc()).limit(HOME_SECTION_SIZE))
        sections["near"] = list(db.session.scalars(near).unique())
    newest = _public()
    if district_id:
        newest = newest.where(Listing.district_id != district_id)
    sections["newest"] = list(db.session.scalars(_with_card_data(newest.order_by(Listing.id.desc()).limit(HOME_SECTION_SIZE))).unique())
    return sections


def browse(filters: BrowseFilters, tree: list[Category] | None = None) -> ListingPage:
    """One page of listings. Pass the page's category `tree` to save its query."""
    stmt = _public()
    category = None
    if filters.category_slug:
        category = category_by_slug(filters.category_slug, tree)
        ids = [category.id] + [child.id for child in category.children]
        stmt = stmt.where(Listing.category_id.in_(ids))
    if filters.district_id:
        stmt = stmt.where(Listing.district_id == filters.district_id)
    elif filters.region_id:
        stmt = stmt.where(Listing.region_id == filters.region_id)
    if filters.min_price_minor is not None:
        stmt = stmt.where(Listing.price_minor >= filters.min_price_minor)
    if filters.max_price_minor is not None:
        stmt = stmt.where(Listing.price_minor <= filters.max_price_minor)
    if filters.organic:
        stmt = stmt.where(Listing.is_organic.is_(True))
    if filters.delivery:
        stmt = stmt.where(Listing.delivery_available.is_(True))
    if filters.available_now:
        today = date.today()
        stmt = stmt.where(Listing.stock_milli > 0, db.or_(Listing.available_until.is_(None), Listing.available_until >= today))

    words = search.query_words(filters.query)
    sort = filters.sort if filters.sort in Sort.CHOICES else Sort.NEWEST
    here = positions().get(filters.near_village_id or 0)
    if sort == Sort.CLOSEST and here is None:
        sort = Sort.NEWEST  # closest to an unknown place: the usual order
    stmt = search.apply_text_search(stmt, words, rank=bool(words) and sort == Sort.RELEVANCE, newest_first=sort == Sort.NEWEST)
    page = max(1, min(filters.page, 500))
    filters.sort = sort
    if sort == Sort.CLOSEST:
        rows = _closest_page(stmt, here, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)  # type: ignore[arg-type]
        return ListingPage(listings=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, filters=filters,
                           category=category, words=words)
    order = {
        Sort.NEWEST: [],  # set by apply_text_search, which knows the fastest way on each database
        Sort.PRICE_LOW: [Listing.price_minor.asc(), Listing.id.desc()],
        Sort.PRICE_HIGH: [Listing.price_minor.desc(), Listing.id.desc()],
        Sort.HARVEST: [Listing.harvest_date.desc().nulls_last(), Listing.id.desc()],
        Sort.RELEVANCE: [Listing.id.desc()],
    }[sort]
    stmt = _with_card_data(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    rows = list(db.session.scalars(stmt).unique())
    return ListingPage(listings=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, filters=filters, category=category, words=words)


def place(village_id: int | None) -> Village | None:
    return db.session.get(Village, village_id) if village_id else None


#: "Closest to me" walks this many of the nearest villages one by one (each a walk of the
#: (village, status, id) index that stops after a page); what they do not fill is sorted in one query.
WALK_VILLAGES = 40


def _closest_page(stmt: Select, here: tuple[float, float], offset: int, limit: int) -> list[Listing]:
    """The listings nearest `here`, newest first within a village, `limit` of them after `offset`.

    Measuring every listing's distance and sorting them all costs over 100 ms at 100,000 listings.
    Instead the villages are put in order here (the gazetteer is in memory) and walked nearest first:
    a page usually comes from one or two villages, each read through its index. A later page counts
    the villages it passes. Villages past the walk, and unplaced ones (last), come from one sorted query."""
    latitude, longitude = here
    shrink = math.cos(math.radians(latitude))
    nearest_first = sorted(positions().items(), key=lambda item: (
        (item[1][0] - latitude) ** 2 + ((item[1][1] - longitude) * shrink) ** 2, item[0]))
    rows: list[Listing] = []
    walked: list[int] = []
    for village_id, _position in nearest_first[:WALK_VILLAGES]:
        walked.append(village_id)
        in_village = stmt.where(Listing.village_id == village_id)
        if offset:
            passed = db.session.scalar(select(func.count()).select_from(in_village.order_by(None).subquery()))
            if passed <= offset:
                offset -= passed
                continue
        rows += db.session.scalars(_with_card_data(in_village.order_by(Listing.id.desc()).offset(offset).limit(limit - len(rows)))).unique()
        offset = 0
        if len(rows) >= limit:
            return rows
    rest, key = _closest_first(stmt.where(Listing.village_id.not_in(walked)) if walked else stmt, latitude, longitude)
    rows += db.session.scalars(_with_card_data(rest.order_by(key.asc().nulls_last(), Listing.id.desc())
                                               .offset(offset).limit(limit - len(rows)))).unique()
    return rows


def _closest_first(stmt: Select, latitude: float, longitude: float) -> tuple[Select, Any]:
    """The listings' villages joined, and a key that orders them by distance from the point: the
    squared equirectangular distance, plain arithmetic that both databases compute (SQLite has no
    trigonometry); within a country it orders places as the geodesic does, and the cards show the
    exact figure (accounts.places.distance_km). Unplaced villages come last."""
    place = aliased(Village)
    shrink = math.cos(math.radians(latitude))
    north = place.latitude - latitude
    east = (place.longitude - longitude) * shrink
    return stmt.join(place, place.id == Listing.village_id), north * north + east * east


@dataclass(frozen=True)
class ListingAccess:
    """What deciding who sees a listing needs, read without loading the listing itself."""

    id: int
    status: ListingStatus
    hidden_at: datetime | None
    hidden_reason: str | None
    farmer_id: int
    entered_by_id: int
    updated_at: datetime  # the listing's own version: what its kept parts are keyed by

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_public(self) -> bool:
        return self.status is ListingStatus.ACTIVE and not self.is_hidden


def listing_access(listing_id: int, viewer: User | None = None) -> ListingAccess:
    """As `public_listing` decides, in one narrow query: NotFound unless public, or the viewer manages it or is an admin."""
    row = db.session.execute(select(Listing.id, Listing.status, Listing.hidden_at, Listing.hidden_reason, Listing.farmer_id,
                                    Listing.entered_by_id, Listing.updated_at).where(Listing.id == listing_id)).first()
    if row is None:
        raise NotFound(_l("This listing does not exist."))
    access = ListingAccess(*row)
    if access.is_public:
        return access
    if viewer is not None and viewer.is_authenticated and (can_manage(viewer, access) or viewer.has_role("admin")):  # type: ignore[arg-type]
        return access
    raise NotFound(_l("This listing is not on sale."))


def public_listing(listing_id: int, viewer: User | None = None) -> Listing:
    """A listing anyone may see; its farmer, agent and admins also see it when not public."""
    listing = db.session.scalar(
        select(Listing).where(Listing.id == listing_id).options(
            joinedload(Listing.village).joinedload(Village.district).joinedload(District.region),
            joinedload(Listing.farmer).joinedload(User.farmer_profile),
            joinedload(Listing.category).joinedload(Category.parent),
            selectinload(Listing.photos).joinedload(ListingPhoto.photo),
        )
    )
    if listing is None:
        raise NotFound(_l("This listing does not exist."))
    if listing.is_public:
        return listing
    if viewer is not None and viewer.is_authenticated and (can_manage(viewer, listing) or viewer.has_role("admin")):
        return listing
    raise NotFound(_l("This listing is not on sale."))


def farmer_page(farmer_id: int) -> tuple[FarmerProfile, list[Listing]]:
    profile = db.session.scalar(
        select(FarmerProfile).where(FarmerProfile.user_id == farmer_id).options(
            joinedload(FarmerProfile.user), joinedload(FarmerProfile.village).joinedload(Village.district).joinedload(District.region)
        )
    )
    if profile is None:
        raise NotFound(_l("There is no such farmer."))
    query = _public().where(Listing.farmer_id == farmer_id).order_by(Listing.id.desc()).limit(60)
    listings = list(db.session.scalars(_with_card_data(query)).unique())
    return profile, listings


def farms_on_sale() -> list[FarmerProfile]:
    """Every farm with at least one listing anyone may see (the open catalogue's enterprises)."""
    selling = _public().with_only_columns(Listing.farmer_id).distinct()
    return list(db.session.scalars(select(FarmerProfile).where(FarmerProfile.user_id.in_(selling)).order_by(FarmerProfile.user_id)
                                   .options(joinedload(FarmerProfile.village).joinedload(Village.district).joinedload(District.region))))


def regions_with_districts() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name).options(joinedload(Region.districts))).unique())
