"""The "My activity" page."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from marketplace.activity import services
from marketplace.core import params
from marketplace.egov.api import FEE_PURPOSE, service_title

bp = Blueprint("activity", __name__)


@bp.get("/activity")
@login_required
def my_activity():
    page = params.page_arg()
    return render_template("activity/my_activity.html", result=services.activity_page(current_user, page),
                           service_title=service_title, fee_purpose=FEE_PURPOSE)
