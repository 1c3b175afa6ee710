"""Catalog forms. Quantities and prices are text fields with a numeric keypad: the service
parses them exactly (no floats) and explains what is wrong."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, MultipleFileField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.api import optional_int
from marketplace.core.forms import Form, MayBeLeftEmpty, OnceForm
from marketplace.core.images import MAX_UPLOAD_BYTES

DECIMAL_KEYPAD = {"inputmode": "decimal", "autocomplete": "off"}


class ListingForm(OnceForm):
    photos = MultipleFileField(
        _l("Photos (up to 5)"), description=_l("Take them with your phone's camera. Good light sells."),
        render_kw={"accept": "image/*", "capture": "environment", "multiple": True, "data-max-bytes": MAX_UPLOAD_BYTES},
    )
    photo_ids = HiddenField()
    title = StringField(_l("What are you selling?"), validators=[DataRequired(), Length(max=120)],
                        description=_l("e.g. 'Ripe tomatoes' or 'Fresh cow milk'"))
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])
    unit = SelectField(_l("Sold by"), validators=[DataRequired()])
    price = StringField(_l("Price per unit"), validators=[DataRequired(), Length(max=16)], render_kw=DECIMAL_KEYPAD)
    stock = StringField(_l("How much do you have?"), validators=[DataRequired(), Length(max=16)], render_kw=DECIMAL_KEYPAD)
    min_order = StringField(_l("Smallest order (optional)"), validators=[Optional(), Length(max=16)], render_kw=DECIMAL_KEYPAD)
    harvest_date = DateField(_l("Harvest date"), validators=[MayBeLeftEmpty()])
    available_until = DateField(_l("Available until (optional)"), validators=[Optional()])
    village_id = SelectField(_l("Pickup village"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])
    pickup_point = TextAreaField(_l("Where buyers collect"), validators=[DataRequired(), Length(max=500)])
    delivery_available = BooleanField(_l("I can deliver within my district"))
    delivery_fee = StringField(_l("Delivery fee (empty for free)"), validators=[Optional(), Length(max=16)], render_kw=DECIMAL_KEYPAD)
    is_organic = BooleanField(_l("Certified organic"))
    is_natural = BooleanField(_l("Grown without chemicals (not certified)"))
    description = TextAreaField(_l("More about it (optional)"), validators=[Optional(), Length(max=4000)])
    price_confirmed = BooleanField(_l("Yes, this price is right"))
    publish = SubmitField(_l("Put on sale"))
    save_draft = SubmitField(_l("Save as draft"))


class StockForm(Form):
    stock = StringField(_l("Quantity in stock"), validators=[DataRequired(), Length(max=16)], render_kw=DECIMAL_KEYPAD)


class StatusForm(Form):
    status = HiddenField(validators=[DataRequired()])


class FindFarmerForm(Form):
    phone = StringField(_l("Farmer's phone number"), validators=[DataRequired(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
