from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.catalog import browse
from marketplace.catalog.services import catalog_version
from marketplace.core.cache import public_page

bp = Blueprint("public", __name__)


@bp.get("/")
@public_page(catalog_version)
def home():
    """Fresh produce near the person's home district first (when we know it), then the rest."""
    district_id = current_user.village.district_id if current_user.is_authenticated and current_user.village else None
    return render_template("public/home.html", sections=browse.home_sections(district_id), categories=browse.category_tree())
