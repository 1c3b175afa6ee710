"""Field checks for reports, comments and the department's moves; rules live in services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.api import optional_int
from marketplace.core.forms import Form, OnceForm
from marketplace.core.images import MAX_UPLOAD_BYTES
from marketplace.voice.labels import CATEGORY_LABELS, STATUS_LABELS
from marketplace.voice.services import MAX_COMMENT, MAX_DESCRIPTION


class ReportForm(OnceForm):
    resident_phone = TelField(_l("Resident's phone number (when you file for someone)"), validators=[Optional(), Length(max=32)],
                              render_kw={"autocomplete": "off", "inputmode": "tel"})
    category = SelectField(_l("What is it about?"), validators=[DataRequired()])
    # Required unless a pin is on the map (the service then takes the nearest village)
    village_id = SelectField(_l("Village"), coerce=optional_int, validate_choice=False, validators=[Optional()])
    description = TextAreaField(_l("What is wrong, or what do you suggest?"), validators=[DataRequired(), Length(max=MAX_DESCRIPTION)],
                                description=_l("Say where exactly and since when. Do not write anyone's name or phone number."))
    photos = MultipleFileField(_l("Photos (up to 3, optional)"), description=_l("Location data is removed from photos."),
                               render_kw={"accept": "image/*", "capture": "environment", "multiple": True, "data-max-bytes": MAX_UPLOAD_BYTES})
    photo_token = HiddenField()  # photos already processed, kept (signed) across a correction
    new_problem = BooleanField(_l("It is a different problem: send my report"))
    latitude = HiddenField()  # filled by the map pin or "Add where I am" where JavaScript runs (static/js/report-map.js)
    longitude = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("Choose one"))] + [(c.value, label) for c, label in CATEGORY_LABELS.items()]


class CommentForm(Form):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)])


class StatusForm(Form):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason or what was done (shown in public)"), validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s.value, label) for s, label in STATUS_LABELS.items()]


class HideForm(Form):
    reason = StringField(_l("Why hide it? (the reporter sees this)"), validators=[DataRequired(), Length(max=500)])


class RuleForm(Form):
    category = SelectField(_l("Category"), validators=[DataRequired()])
    district_id = SelectField(_l("District"), coerce=optional_int, validate_choice=False)
    department_id = SelectField(_l("Department"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(c.value, label) for c, label in CATEGORY_LABELS.items()]
