from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from marketplace.accounts.api import Role
from marketplace.catalog import api as browse
from marketplace.catalog.api import catalog_version
from marketplace.core.cache import fragment, public_page
from marketplace.orders import api as orders

bp = Blueprint("public", __name__)


@bp.get("/")
@public_page(catalog_version)
def home():
    """Fresh produce near the person's home district first (when we know it), then the rest."""
    district_id = current_user.village.district_id if current_user.is_authenticated and current_user.village else None
    # The same for everyone in a district and language: rendered once, shared by every app server.
    listings = fragment("listings", f"home:{catalog_version()}:{district_id}:{get_locale()}", lambda: render_template(
        "public/_home_listings.html", sections=browse.home_sections(district_id), categories=browse.category_tree()))
    # A farmer's home starts with what needs them now: the orders to get ready, each one tap away.
    to_prepare = orders.orders_to_prepare(current_user) if current_user.is_authenticated and current_user.has_role(Role.FARMER) else []
    return render_template("public/home.html", listings=Markup(listings), to_prepare=to_prepare)
