"""Admins read the outbox: what was sent, to whom, and what failed."""
from flask import Blueprint, render_template

from marketplace.accounts.models import Role
from marketplace.core.auth import role_required
from marketplace.notifications.services import recent_messages

bp = Blueprint("notifications", __name__)


@bp.get("/admin/outbox")
@role_required(Role.ADMIN)
def admin_outbox():
    return render_template("notifications/admin_outbox.html", messages=recent_messages())
