"""The cart pages: add from a listing, see it grouped by farmer, change or remove amounts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in

from marketplace.core.errors import DomainError
from marketplace.extensions import csrf
from marketplace.orders import cart
from marketplace.orders.forms import QuantityForm

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
    flash(_("%(title)s is in your cart.", title=listing.title), "success")
    return redirect(url_for("orders.view_cart"))


@bp.get("/cart")
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
