"""Agents' pages: finding or registering the resident they file for, beside them."""
from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role, language_choices
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.bidi import isolate
from marketplace.core.errors import (
    DomainError,
)
from marketplace.core.views import show_domain_error
from marketplace.egov import (
    form_engine,
    services,
)
from marketplace.egov.forms import (
    FindResidentForm,
    RegisterResidentForm,
)
from marketplace.egov.views import _locale, bp

# --- agents -------------------------------------------------------------------------------

@bp.route("/agent/residents", methods=["GET", "POST"])
@role_required(Role.AGENT)
def agent_residents():
    find_form = FindResidentForm(prefix="find")
    register_form = RegisterResidentForm(prefix="new")
    register_form.preferred_locale.choices = language_choices(current_app.config["LANGUAGES"])
    register_form.village_id.choices = [("", "")] + [(str(i), n) for _, vs in accounts.village_choices() for i, n in vs]
    resident = services.resident_for_agent(current_user, params.id_arg("person")) if request.method == "GET" else None
    if request.method == "POST" and "find-phone" in request.form and find_form.validate_on_submit():
        found = services.find_resident(current_user, find_form.phone.data)
        if found is not None:
            return redirect(url_for("egov.agent_residents", person=found.id))
        flash(_("Nobody is registered with this number. Register the resident below."), "info")
        register_form.phone.data = find_form.phone.data
    elif request.method == "POST" and "new-name" in request.form and register_form.validate_on_submit():
        try:
            resident = services.register_resident(current_user, register_form.name.data, register_form.phone.data,
                                                  int(register_form.village_id.data) if register_form.village_id.data else None,
                                                  register_form.preferred_locale.data)
        except DomainError as error:
            show_domain_error(register_form, error)
        else:
            flash(_("%(name)s is registered. Now ask them for the code we texted them.", name=isolate(resident.name)), "success")
            return redirect(url_for("egov.agent_residents", person=resident.id))
    # Until the resident proves they are here (a code to their phone, or their PIN), the agent sees
    # only the number they typed: no name, no services to file for them.
    present = resident is not None and services.resident_is_present(current_user, resident)
    return render_template("egov/agent_residents.html", find_form=find_form, register_form=register_form, resident=resident,
                           present=present, services=services.catalogue(locale=_locale()) if present else [],
                           text=form_engine.text, villages=accounts.village_choices())
