"""The person's inbox and notification preferences; admins read the outbox."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.api import Role
from marketplace.core import header, params
from marketplace.core.auth import role_required
from marketplace.core.errors import REFUSALS, DomainError
from marketplace.notifications import inbox, preferences, services
from marketplace.notifications.forms import chosen, field_name, preferences_form

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_badge():
    def unread_messages() -> int:
        # Asked by the header with its other counts, in one query per page (core.header).
        return header.counts().get("unread_messages", 0)

    return {"unread_messages": unread_messages}


@bp.get("/admin/outbox")
@role_required(Role.ADMIN)
def admin_outbox():
    problems_only = request.args.get("show") == "problems"
    return render_template("notifications/admin_outbox.html", messages=services.recent_messages(problems_only=problems_only),
                           problems_only=problems_only, interrupted=services.interrupted)


@bp.post("/admin/outbox/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_message(message_id: int):
    try:
        services.retry(current_user, message_id, checked_with_recipient=request.form.get("checked") == "yes")
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The message is queued to be sent again."), "success")
    return redirect(url_for("notifications.admin_outbox", show=request.form.get("show") or None))


@bp.get("/inbox")
@login_required
def inbox_page():
    page = params.page_arg()
    return render_template("notifications/inbox.html", result=inbox.inbox_page(current_user, page))


@bp.post("/inbox/<int:message_id>/read")
@login_required
def mark_read(message_id: int):
    inbox.mark_read(current_user, message_id)
    return redirect(url_for("notifications.inbox_page", page=request.form.get("page", 1, type=int)) + f"#message-{message_id}")


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    inbox.mark_all_read(current_user)
    flash(_("All messages are marked as read."), "success")
    return redirect(url_for("notifications.inbox_page"))


@bp.route("/profile/notifications", methods=["GET", "POST"])
@login_required
def notification_preferences():
    form = preferences_form(preferences.choices(current_user))
    if form.validate_on_submit():
        preferences.save_choices(current_user, chosen(form))
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notifications.notification_preferences"))
    return render_template("notifications/preferences.html", form=form, field_name=field_name,
                           topics=preferences.CHOOSABLE_TOPICS, channels=preferences.CHANNELS)
