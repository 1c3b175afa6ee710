"""Catalog pages: browse, search, detail, farmer page; the farmer's listing form and dashboard;
agents listing for farmers; moderation. Each view parses, calls a service, renders."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from marketplace.accounts.api import Role, User, village_choices
from marketplace.catalog import browse, moderation, prefill, services, states, view_counts
from marketplace.catalog.forms import FindFarmerForm, ListingForm, ReasonForm, StatusForm, StockForm
from marketplace.catalog.models import ListingStatus
from marketplace.catalog.presentation import category_name, price_per_unit
from marketplace.catalog.units import UNIT_LABELS, Unit
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.cache import fragment, keep_page_personal, personal_page, public_page
from marketplace.core.errors import REFUSALS, DomainError, PermissionDenied
from marketplace.core.numbers import UnreadableNumber, read_money
from marketplace.core.views import safe_next, show_domain_error, take_photos, validate_with_photo_errors
from marketplace.extensions import db

bp = Blueprint("catalog", __name__)


# --- buyers ----------------------------------------------------------------------------------

def _filters_from_args() -> browse.BrowseFilters:
    args = request.args
    currency = current_app.config["DEFAULT_CURRENCY"]

    def money_arg(name: str):
        try:
            return read_money(args[name], currency).minor_units if args.get(name, "").strip() else None
        except UnreadableNumber:
            return None

    return browse.BrowseFilters(
        query=args.get("q", "")[:100], category_slug=args.get("category", ""), region_id=params.id_arg("region"),
        district_id=params.id_arg("district"), min_price_minor=money_arg("min_price"), max_price_minor=money_arg("max_price"),
        organic=bool(args.get("organic")), delivery=bool(args.get("delivery")), available_now=bool(args.get("now")),
        sort=args.get("sort", ""), near_village_id=params.id_arg("near"), page=params.page_arg(),
    )


def _browse_page(filters: browse.BrowseFilters):
    """The results and filters are the same for everyone reading this address in this language: built
    once per catalog version and kept as a fragment, so a signed-in buyer (whose header is their own)
    is served nearly as fast as an anonymous visitor from the page cache."""
    key = lambda: f"{services.catalog_version()}:{get_locale()}:{request.full_path}"  # noqa: E731
    title, content = fragment("browse", key, lambda: _browse_content(filters))
    return render_template("catalog/browse.html", page_title=title, content=Markup(content))


def _browse_content(filters: browse.BrowseFilters) -> tuple[str, str]:
    tree = browse.category_tree()
    page = browse.browse(filters, tree)
    if page.category:
        title = category_name(page.category.slug)
    elif page.filters.query:
        title = _("Search: %(q)s", q=page.filters.query)
    else:
        title = _("All produce")
    near = browse.place(page.filters.near_village_id) if page.filters.sort == browse.Sort.CLOSEST else None
    return title, render_template("catalog/_browse_content.html", result=page, categories=tree,
                                  regions=browse.regions_with_districts(), args=request.args, near=near)


@bp.get("/produce")
@public_page(services.catalog_version)
def browse_listings():
    return _browse_page(_filters_from_args())


@bp.get("/produce/<slug>")
@public_page(services.catalog_version)
def category_page(slug: str):
    filters = _filters_from_args()
    filters.category_slug = slug
    return _browse_page(filters)


@bp.get("/listing/<int:listing_id>")
@public_page(services.catalog_version, on_hit=view_counts.record_view)
def listing_detail(listing_id: int):
    access = browse.listing_access(listing_id, current_user)
    can_manage = services.can_manage(current_user, access)  # type: ignore[arg-type]  # reads farmer_id and entered_by_id
    if access.is_public and not can_manage:
        # What every buyer reads is the same in a language: kept as a fragment, the listing not even loaded on a hit.
        # Keyed by the listing's own last change, read with its access: no query for the catalog's version.
        key = f"{listing_id}:{access.updated_at.isoformat()}:{get_locale()}:{request.full_path}"
        shown = fragment("listing", key, lambda: _listing_parts(listing_id, can_manage=False))
    else:
        keep_page_personal()  # their own listing, with its tools, or one only they may see
        shown = _listing_parts(listing_id, can_manage=can_manage)
    # Forms only for those who see them: building one writes a CSRF token into the session,
    # which would give every visitor a cookie and make the page uncacheable.
    signed_in = current_user.is_authenticated
    page = render_template("catalog/detail.html", listing=access, shown=shown, can_manage=can_manage,
                           report_form=ReasonForm(prefix="report") if signed_in else None,
                           hide_form=ReasonForm(prefix="hide") if signed_in else None)
    if access.is_public and not can_manage:
        view_counts.record_view(listing_id)  # after rendering: its commit would expire what the page shows
    return page


def _listing_parts(listing_id: int, *, can_manage: bool) -> dict[str, Markup | str]:
    listing = browse.public_listing(listing_id, current_user)
    return {"title": listing.title, "description": f"{listing.title} — {price_per_unit(listing)} — {listing.village.name}",
            "head": Markup(render_template("catalog/_listing_head.html", listing=listing)),
            "article": Markup(render_template("catalog/_listing_article.html", listing=listing, can_manage=can_manage))}


@bp.get("/farmers/<int:farmer_id>")
@public_page(services.catalog_version)
def farmer_page(farmer_id: int):
    profile, listings = browse.farmer_page(farmer_id)
    return render_template("catalog/farmer.html", profile=profile, listings=listings)


@bp.post("/listing/<int:listing_id>/report")
@login_required
def report_listing(listing_id: int):
    form = ReasonForm(prefix="report")
    try:
        listing = services.get_listing(listing_id)
        if not form.validate_on_submit():
            raise DomainError(_("Tell us what is wrong with this listing."))
        moderation.report_listing(current_user, listing, form.reason.data)
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Thank you. We will look at this listing."), "success")
    return redirect(url_for("catalog.listing_detail", listing_id=listing_id))


# --- farmers and agents ----------------------------------------------------------------------

def _not_a_seller_yet():
    """Someone signed in who does not sell yet is led to set up their farm, not refused."""
    if not current_user.has_role(Role.FARMER, Role.AGENT):
        flash(_("Tell us about your farm to start selling."), "info")
        return redirect(url_for("accounts.farmer_profile"))
    return None


@bp.get("/sell")
@login_required
@personal_page(lambda: services.managed_listings_version(current_user))
def dashboard():
    if (lead := _not_a_seller_yet()) is not None:
        return lead
    result = services.listings_to_manage(current_user, params.page_arg())
    return render_template("catalog/dashboard.html", result=result, listings=result.listings, Status=ListingStatus,
                           may_become=states.may_become)


def _populate_choices(form: ListingForm) -> None:
    form.unit.choices = [(u.value, str(UNIT_LABELS[u])) for u in Unit]


def _form_from_input(data: services.ListingInput) -> ListingForm:
    form = ListingForm(data={
        "title": data.title, "description": data.description, "category_id": data.category_id, "unit": data.unit or Unit.KG.value,
        "price": data.price, "stock": data.stock, "min_order": data.min_order, "harvest_date": data.harvest_date,
        "available_until": data.available_until, "village_id": data.village_id, "pickup_point": data.pickup_point,
        "delivery_available": data.delivery_available, "delivery_fee": data.delivery_fee, "is_organic": data.is_organic,
        "is_natural": data.is_natural, "photo_ids": ",".join(str(i) for i in data.photo_ids),
    })
    _populate_choices(form)
    return form


def _photo_ids(form: ListingForm) -> list[int]:
    removed = {i for i in (params.parse_int(v, minimum=1) for v in request.form.getlist("remove_photo")) if i is not None}
    ids = [i for i in (params.parse_int(v, minimum=1) for v in (form.photo_ids.data or "").split(",")) if i is not None]
    return [i for i in ids if i not in removed]


def _input_from_form(form: ListingForm, photo_ids: list[int]) -> services.ListingInput:
    return services.ListingInput(
        title=form.title.data or "", description=form.description.data or "", category_id=form.category_id.data,
        unit=form.unit.data or "", price=form.price.data or "", stock=form.stock.data or "", min_order=form.min_order.data or "",
        harvest_date=form.harvest_date.data, available_until=form.available_until.data, village_id=form.village_id.data,
        pickup_point=form.pickup_point.data or "", delivery_available=form.delivery_available.data,
        delivery_fee=form.delivery_fee.data or "", is_organic=form.is_organic.data, is_natural=form.is_natural.data,
        photo_ids=photo_ids, publish=not form.save_draft.data, price_confirmed=form.price_confirmed.data,
    )


def _save_listing_form(form: ListingForm, save):
    """Upload new photos first, so a mistake elsewhere never costs the farmer their pictures."""
    photo_ids, photo_errors = take_photos(form.photos, _photo_ids(form), services.MAX_PHOTOS, _("Up to %(n)d photos.", n=services.MAX_PHOTOS),
                                          lambda uploads: [p.id for p in services.upload_photos(current_user, uploads)])
    form.photo_ids.data = ",".join(str(i) for i in photo_ids)
    if validate_with_photo_errors(form, form.photos, photo_errors):
        try:
            return save(_input_from_form(form, photo_ids))
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
    return None


def _render_listing_form(form: ListingForm, farmer: User, listing=None):
    photos = services.photos_by_ids(current_user, _photo_ids(form)) if form.photo_ids.data else []
    if listing is not None:
        attached = {lp.photo_id: lp.photo for lp in listing.photos}
        wanted = _photo_ids(form)
        own = {p.id: p for p in photos}
        photos = [own.get(i) or attached.get(i) for i in wanted if (own.get(i) or attached.get(i))]
    return render_template("catalog/listing_form.html", form=form, farmer=farmer, listing=listing, photos=photos,
                           categories=browse.category_tree(), villages=village_choices(),
                           currency=current_app.config["DEFAULT_CURRENCY"]), (200 if not form.errors else 422)


@bp.route("/sell/new", methods=["GET", "POST"])
@login_required
def new_listing():
    if (lead := _not_a_seller_yet()) is not None:
        return lead
    farmer_id = params.id_arg("farmer")
    if farmer_id is None and not current_user.has_role(Role.FARMER):
        return redirect(url_for("catalog.find_farmer"))  # an agent starts by finding the farmer
    try:
        farmer = services.farmer_to_list_for(current_user, farmer_id)
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError:
        abort(403)
    try:
        services.require_may_sell(farmer)  # before the form, so nobody types a listing for nothing
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.confirm_phone", next=request.full_path) if farmer.id == current_user.id
                        else url_for("egov.agent_residents", person=farmer.id))
    if request.method == "GET":
        again = params.id_arg("again")
        try:
            data = prefill.listing_again(current_user, services.get_listing(again)) if again else prefill.defaults_for_new_listing(farmer)
        except PermissionDenied:  # another farmer's listing is not even said to exist
            abort(404)
        return _render_listing_form(_form_from_input(data), farmer)
    form = ListingForm()
    _populate_choices(form)
    listing = _save_listing_form(form, lambda data: services.create_listing(current_user, farmer, data, form.submission_key.data))
    if listing is not None:
        flash(_("Your listing is on sale at %(price)s.", price=price_per_unit(listing)) if listing.status is ListingStatus.ACTIVE
              else _("Your listing is saved."), "success")
        return redirect(url_for("catalog.listing_detail", listing_id=listing.id))
    return _render_listing_form(form, farmer)


@bp.route("/sell/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit_listing(listing_id: int):
    listing = services.get_listing_to_manage(current_user, listing_id)
    if request.method == "GET":
        return _render_listing_form(_form_from_input(prefill.input_from_listing(listing)), listing.farmer, listing)
    form = ListingForm()
    _populate_choices(form)
    saved = _save_listing_form(form, lambda data: services.update_listing(current_user, listing, data))
    if saved is not None:
        flash(_("Your changes are saved."), "success")
        return redirect(url_for("catalog.listing_detail", listing_id=listing.id))
    return _render_listing_form(form, listing.farmer, listing)


def _manage_action(listing_id: int, action):
    try:
        listing = services.get_listing_to_manage(current_user, listing_id)
        action(listing)
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("catalog.dashboard")))


@bp.post("/sell/<int:listing_id>/stock")
@login_required
def update_stock(listing_id: int):
    form = StockForm()
    return _manage_action(listing_id, lambda listing: services.set_stock(current_user, listing, form.stock.data or ""))


@bp.post("/sell/<int:listing_id>/status")
@login_required
def update_status(listing_id: int):
    form = StatusForm()

    def change(listing):
        try:
            status = ListingStatus(form.status.data)
        except ValueError:
            raise DomainError(_("Choose what to do with the listing.")) from None
        services.change_status(current_user, listing, status)

    return _manage_action(listing_id, change)


@bp.route("/sell/for-farmer", methods=["GET", "POST"])
@role_required(Role.AGENT)
def find_farmer():
    form = FindFarmerForm()
    if form.validate_on_submit():
        try:
            farmer = services.find_farmer_by_phone(current_user, form.phone.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            return redirect(url_for("catalog.new_listing", farmer=farmer.id))
    return render_template("catalog/find_farmer.html", form=form)


# --- moderation ------------------------------------------------------------------------------

@bp.post("/admin/listings/<int:listing_id>/hide")
@role_required(Role.ADMIN)
def hide_listing(listing_id: int):
    form = ReasonForm(prefix="hide")
    try:
        listing = services.get_listing(listing_id)
        moderation.hide_listing(current_user, listing, form.reason.data or "")
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The listing is hidden and the farmer has been told why."), "success")
    return redirect(url_for("catalog.listing_detail", listing_id=listing_id))


@bp.post("/admin/listings/<int:listing_id>/unhide")
@role_required(Role.ADMIN)
def unhide_listing(listing_id: int):
    moderation.unhide_listing(current_user, services.get_listing(listing_id))
    flash(_("The listing is visible again."), "success")
    return redirect(url_for("catalog.listing_detail", listing_id=listing_id))


@bp.get("/admin/reports")
@role_required(Role.ADMIN)
def reports():
    return render_template("catalog/admin_reports.html", reports=moderation.open_reports(current_user))
