"""Cart, checkout, card payment page, orders for buyers and farmers, and the packing list."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in

from marketplace.accounts.api import Role, village_choices
from marketplace.core import header, params
from marketplace.core.auth import role_required
from marketplace.core.bidi import isolate, left_to_right
from marketplace.core.cache import personal_page
from marketplace.core.errors import REFUSALS, DomainError, InvalidInput
from marketplace.core.idempotency import new_key
from marketplace.core.money import Money
from marketplace.core.phone import display_phone
from marketplace.core.views import act, safe_next, signed_in_person
from marketplace.extensions import csrf, db, limiter
from marketplace.orders import card_payments, cart, collection_points, mobile_payments, services, shared_trips
from marketplace.orders.checkout import card_payments_enabled, choices_from_form, outcome_of, pickup_slots_of, place_checkout
from marketplace.orders.forms import BookTripForm, CollectionPointForm, QuantityForm, TripForm
from marketplace.orders.models import OrderStatus
from marketplace.payments.api import ProviderUnavailable, mobile_money_enabled

bp = Blueprint("orders", __name__)


@user_logged_in.connect
def _merge_cart_at_sign_in(sender, user, **extra) -> None:
    """What a guest put in the cart is still there after signing in (or registering)."""
    cart.merge_guest_cart(user, session)


@bp.post("/cart/add/<int:listing_id>")
@csrf.exempt
def add_to_cart(listing_id: int):
    """Exempt from CSRF on purpose: putting produce in a cart changes nothing of value (every
    checkout step carries a token, and the SameSite=Lax session cookie is not sent on cross-site
    POSTs), while a token would give every visitor a session and make listing pages uncacheable."""
    form = QuantityForm(meta={"csrf": False})
    if not form.validate_on_submit():
        flash(_("Say how much you want."), "error")
        return redirect(url_for("catalog.listing_detail", listing_id=listing_id))
    try:
        listing = cart.add_to_cart(current_user, session, listing_id, form.quantity.data)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("catalog.listing_detail", listing_id=listing_id, quantity=form.quantity.data))
    flash(_("%(title)s is in your cart.", title=isolate(listing.title)), "success")
    return redirect(url_for("orders.view_cart"))


@bp.get("/cart")
@personal_page(lambda: cart.stored_cart_version(current_user))  # a guest's, in their session, is not kept
def view_cart():
    return render_template("orders/cart.html", cart=cart.view_cart(current_user, session))


@bp.post("/cart/<int:listing_id>")
def update_line(listing_id: int):
    form = QuantityForm()
    try:
        if request.form.get("remove"):
            cart.remove(current_user, session, listing_id)
        elif form.validate_on_submit():
            cart.set_quantity(current_user, session, listing_id, form.quantity.data)
        else:
            raise DomainError(_("Say how much you want."))
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your cart is updated."), "success")
    return redirect(url_for("orders.view_cart"))


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout():
    """One page: per farmer, pickup or delivery and how to pay; then place the order."""
    submission_key = request.form.get("submission_key") or new_key()
    errors: dict[str, str] = {}
    if request.method == "POST":
        # The service reads the cart once, after looking for what this very form already made
        # (another tab, a second tap): the page reads it again only to show the form's errors.
        try:
            placed = place_checkout(current_user, session, choices_from_form(request.form), submission_key)
        except InvalidInput as error:
            errors = {name: str(message) for name, message in error.errors.items()}
        except DomainError as error:
            flash(str(error.message), "error")
            return redirect(url_for("orders.view_cart"))
        else:
            return _after_placing(placed)
    view = cart.view_cart(current_user, session)
    if view.is_empty:
        return redirect(url_for("orders.view_cart"))
    slots = {group.farmer.id: pickup_slots_of(group.farmer) for group in view.groups}
    point_offers = {group.farmer.id: collection_points.offers_for(group.lines[0].listing.village) for group in view.groups}
    return render_template("orders/checkout.html", cart=view, errors=errors, form=request.form, pickup_slots=slots,
                           point_offers=point_offers,
                           card_enabled=card_payments_enabled(), mobile_enabled=mobile_money_enabled(),
                           submission_key=submission_key), (422 if errors else 200)


def _after_placing(placed):
    # From what the service computed before its commit: no database read can fail this response.
    outcome = outcome_of(placed)
    if outcome.card_payment_due:
        return redirect(url_for("orders.pay", reference=outcome.reference))
    if outcome.mobile_payment_due:
        return redirect(url_for("orders.pay_by_mpesa", reference=outcome.reference))
    flash(_("Thank you! Your order is placed. The farmers have been told."), "success")
    return redirect(url_for("orders.checkout_done", reference=outcome.reference))


@bp.get("/checkout/<reference>/pay")
@login_required
def pay(reference: str):
    """Stripe.js confirms the card on this page; the next page asks Stripe whether it was paid."""
    try:
        checkout, payment, client_secret = card_payments.start_payment(current_user, reference)
    except REFUSALS:
        raise
    except ProviderUnavailable as error:
        flash(str(error.message), "error")
        return redirect(url_for("orders.checkout_done", reference=reference))
    except DomainError as error:
        flash(str(error.message), "info")
        return redirect(url_for("orders.checkout_done", reference=reference))
    return render_template("orders/pay.html", checkout=checkout, payment=payment, client_secret=client_secret,
                           due=card_payments.card_orders_due(checkout))


@bp.route("/checkout/<reference>/mpesa", methods=["GET", "POST"])
@login_required
# Each POST may make a phone ring with a request for money: a few per person, wherever they type it from.
@limiter.limit(lambda: current_app.config["MPESA_PROMPT_RATE_LIMIT"], key_func=signed_in_person, methods=["POST"])
def pay_by_mpesa(reference: str):
    """The M-Pesa prompt goes to the phone the buyer confirms; this page waits for the answer, asking
    M-Pesa each time it is shown, and refreshes itself (no JavaScript needed)."""
    checkout = card_payments.checkout_of(current_user, reference)
    phone, error = request.form.get("phone", "")[:32], None
    if request.method == "POST":
        try:
            mobile_payments.start_payment(current_user, reference, phone)
        except REFUSALS:
            raise
        except DomainError as refused:
            error = str(refused.message)
        else:
            return redirect(url_for("orders.pay_by_mpesa", reference=reference))
    try:
        payment = mobile_payments.payment_of(checkout, refresh=request.method == "GET")
    except ProviderUnavailable:
        payment = mobile_payments.payment_of(checkout)
    if payment is not None and payment.status.value == "paid":
        return redirect(url_for("orders.checkout_done", reference=reference))  # which says so, with the receipt
    due = mobile_payments.mobile_orders_due(checkout)
    if not due and payment is None:
        return redirect(url_for("orders.checkout_done", reference=reference))
    prompt_out = bool(payment and payment.prompt_is_out and not error)
    return render_template("orders/pay_mobile.html", checkout=checkout, payment=payment, due=due, error=error, prompt_out=prompt_out,
                           phone=phone or display_phone(current_user.phone or ""),
                           total=Money(checkout.currency, sum(o.total_minor for o in due))), (422 if error else 200)


@bp.post("/checkout/<reference>/stop")
@login_required
def stop_paying(reference: str):
    services.stop_paying(current_user, reference)
    flash(_("The unpaid orders are cancelled. Your cart is kept."), "info")
    return redirect(url_for("orders.view_cart"))


@bp.get("/checkout/<reference>")
@login_required
def checkout_done(reference: str):
    checkout = card_payments.checkout_of(current_user, reference)
    try:
        payment = card_payments.payment_of(checkout, refresh=True)  # Stripe's word, not the browser's
    except ProviderUnavailable:
        payment = card_payments.payment_of(checkout)
    return render_template("orders/checkout_done.html", orders=checkout.orders, reference=checkout.reference,
                           payment=payment, due=card_payments.card_orders_due(checkout),
                           mobile_payment=mobile_payments.payment_of(checkout), mobile_due=mobile_payments.mobile_orders_due(checkout))


@bp.get("/sell/packing")
@role_required(Role.FARMER)
def packing_list():
    """What to bring on one pickup day: totals per produce, then each order. Printable."""
    days = services.pickup_days(current_user)
    day = services.parse_day(request.args.get("day")) or (days[0] if days else None)
    return render_template("orders/packing.html", day=day, days=days,
                           packing=services.packing_list(current_user, day) if day else None)


@bp.get("/orders")
@login_required
@personal_page(lambda: services.buyer_orders_version(current_user))
def my_orders():
    return render_template("orders/my_orders.html", result=services.orders_as_buyer(current_user, params.page_arg()))


@bp.get("/sell/orders")
@role_required(Role.FARMER)
@personal_page(lambda: services.farmer_orders_version(current_user))
def incoming_orders():
    return render_template("orders/incoming.html", result=services.orders_as_farmer(current_user, params.page_arg()))


@bp.get("/orders/<number>")
@login_required
def order_page(number: str):
    order = services.get_order_for(current_user, number)
    return render_template("orders/order.html", order=order, moves=services.allowed_moves(current_user, order))


@bp.post("/orders/<number>/move")
@login_required
def move_order(number: str):
    order = services.get_order_for(current_user, number)
    try:
        to = OrderStatus(request.form.get("to", ""))
    except ValueError:
        abort(400)  # not a state the page offers
    return act(lambda: services.move(current_user, order, to, request.form.get("reason", ""), request.form.get("pickup_code", "")[:12]),
               _("Order %(number)s updated.", number=left_to_right(order.number)),
               safe_next(request.form.get("next"), url_for("orders.order_page", number=number)))


# --- collection points: the manager's day ---------------------------------------------------------

@bp.get("/points")
@login_required
def my_points():
    points = collection_points.managed_points(current_user)
    if len(points) == 1:
        return redirect(url_for("orders.point_day", point_id=points[0].id))
    return render_template("orders/points.html", points=points)


@bp.route("/points/<int:point_id>", methods=["GET", "POST"])
@login_required
def point_day(point_id: int):
    """The manager's day at a point: orders to receive from farmers, buyers to hand theirs to by code."""
    day = services.parse_day(request.args.get("day")) or collection_points.local_now().date()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if "number" in request.form:
                order = collection_points.mark_dropped(current_user, request.form["number"][:12])
                flash(_("Order %(number)s is at the point. The buyer has been told.", number=left_to_right(order.number)), "success")
            else:
                handed = collection_points.collect_at_points(current_user, request.form.get("code", "")[:12])
                flash(collection_points.handed_sentence(handed), "success")
        except REFUSALS:
            raise  # not their point, no such order there: the app's 403 and 404
        except DomainError as error:
            db.session.rollback()
            errors = {error.field or "code": str(error.message)}
        else:
            return redirect(url_for("orders.point_day", point_id=point_id, day=day.isoformat()))
    sheet = collection_points.day_sheet(current_user, point_id, day)
    return render_template("orders/point.html", sheet=sheet, errors=errors, form=request.form), (422 if errors else 200)


@bp.route("/admin/collection-points", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_points():
    form = CollectionPointForm()
    if request.form.get("close") or request.form.get("reopen"):
        reopen = bool(request.form.get("reopen"))
        point = collection_points.set_point_open(current_user, params.int_arg("reopen" if reopen else "close", minimum=1), reopen)
        flash(_("%(point)s is open for new orders.", point=isolate(point.name)) if point.active
              else _("%(point)s takes no new orders.", point=isolate(point.name)), "success")
        return redirect(url_for("orders.admin_points"))
    if form.validate_on_submit():
        try:
            point = collection_points.open_point(current_user, collection_points.PointDetails(
                name=form.name.data, place=form.place.data or "", village_id=form.village_id.data, manager_identifier=form.manager.data,
                opening_days=form.opening_days.data, opens_minute=form.opens.data.hour * 60 + form.opens.data.minute,
                closes_minute=form.closes.data.hour * 60 + form.closes.data.minute, capacity_per_day=form.capacity_per_day.data))
        except InvalidInput as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [str(message)]
        else:
            flash(_("%(point)s is open: farmers of its district can be given orders to bring there.", point=isolate(point.name)), "success")
            return redirect(url_for("orders.admin_points"))
    return render_template("orders/admin_points.html", form=form, points=collection_points.all_points(current_user),
                           villages=village_choices()), (422 if form.errors else 200)


# --- shared trips to town -------------------------------------------------------------------------

def _minute(value) -> int:
    return value.hour * 60 + value.minute


@bp.get("/trips")
@role_required(Role.FARMER)
def my_trips():
    return render_template("orders/trips.html", trips=shared_trips.trips_of(current_user))


@bp.route("/trips/new", methods=["GET", "POST"])
@role_required(Role.FARMER)
def announce_trip():
    form = TripForm()
    form.stops.choices = [(v.id, f"{v.name} ({v.district.name})") for v in shared_trips.stop_choices(current_user)]
    if form.validate_on_submit():
        try:
            trip = shared_trips.announce(current_user, shared_trips.TripPlan(
                vehicle=form.vehicle.data, day=form.day.data, departs_minute=_minute(form.departs.data), stop_ids=form.stops.data or [],
                destination_id=form.destination_id.data, delivers_from_minute=_minute(form.delivers_from.data),
                delivers_until_minute=_minute(form.delivers_until.data), capacity_kg=form.capacity_kg.data, cost=form.cost.data),
                current_app.config["DEFAULT_CURRENCY"])
        except InvalidInput as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [str(message)]
        else:
            flash(_("Your trip is announced: farmers on its way can book space now."), "success")
            return redirect(url_for("orders.trip_page", trip_id=trip.id))
    return render_template("orders/trip_form.html", form=form, towns=village_choices(),
                           start=shared_trips.start_of(current_user)), (422 if form.errors else 200)


@bp.route("/trips/<int:trip_id>", methods=["GET", "POST"])
@role_required(Role.FARMER)
def trip_page(trip_id: int):
    """The organizer's trip: who booked how many kilograms, and what each pays."""
    if request.method == "POST":
        return act(lambda: shared_trips.close(current_user, trip_id), _("The trip takes no more bookings."),
                   url_for("orders.trip_page", trip_id=trip_id))
    trip = shared_trips.trip_for(current_user, trip_id)
    return render_template("orders/trip.html", trip=trip, booked=shared_trips.booked_share(trip))


@bp.route("/orders/<number>/trip", methods=["GET", "POST"])
@role_required(Role.FARMER)
def order_trip(number: str):
    """A farmer puts a delivery order to town on a shared trip that passes their village."""
    form = BookTripForm()
    if request.method == "POST" and request.form.get("take_off"):
        return act(lambda: shared_trips.take_off(current_user, number), _("The order is off the trip."),
                   url_for("orders.order_page", number=number))
    order, offers = shared_trips.trips_for(current_user, number)
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            shared_trips.book(current_user, number, params.int_arg("trip", minimum=1) or 0, form.weight.data)
        except REFUSALS:
            raise
        except DomainError as error:
            if error.field == "weight":
                form.weight.errors = [str(error.message)]
            else:
                errors = {error.field or "trip": str(error.message)}
        else:
            flash(_("Order %(number)s goes on the trip. The buyer has been told when it comes.", number=left_to_right(order.number)), "success")
            return redirect(url_for("orders.order_page", number=order.number))
    grams = shared_trips.order_grams(order)
    if not form.weight.data and grams:
        form.weight.data = shared_trips.weight_text(grams)
    return render_template("orders/order_trip.html", order=order, offers=offers, form=form, errors=errors,
                           may_ride=shared_trips.may_ride(order)), (422 if errors or form.errors else 200)


@bp.app_context_processor
def orders_badge():
    def orders_to_prepare() -> int:
        """The header's count of a farmer's orders to get ready (with the header's other counts)."""
        return header.counts().get("orders_to_prepare", 0)

    def cart_count() -> int:
        """The header's count of lines in the cart: a guest's from the session, a signed-in person's
        with the header's other counts."""
        if current_user.is_authenticated:
            return header.counts().get("cart", 0)
        return cart.lines_in_cart(None, session)

    def collection_points_run() -> list:
        """The points the signed-in person manages (the profile page links each)."""
        return collection_points.managed_points(current_user) if current_user.is_authenticated else []

    return {"orders_to_prepare": orders_to_prepare, "cart_count": cart_count, "collection_points_run": collection_points_run}
