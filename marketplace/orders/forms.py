from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.accounts.api import optional_int
from marketplace.core.forms import Form, MayBeLeftEmpty
from marketplace.i18n import weekday_name


class QuantityForm(Form):
    quantity = StringField(_l("How much?"), validators=[DataRequired(), Length(max=16)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})


class CollectionPointForm(Form):
    """An admin opens a collection point: where, who runs it, the days and hours it takes orders, how many."""

    name = StringField(_l("Name of the point"), validators=[DataRequired(), Length(max=120)],
                       description=_l("As people know it: \"Kianjai Cooperative Store\"."))
    place = StringField(_l("Where in the village"), validators=[MayBeLeftEmpty(), Length(max=300)])
    village_id = SelectField(_l("Village"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])
    manager = StringField(_l("Manager's phone or email"), validators=[DataRequired(), Length(max=254)],
                          description=_l("An agent or a cooperative's person with an account: they mark drops and collections."))
    opening_days = SelectMultipleField(_l("Opening days"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput(), validators=[DataRequired()])
    opens = TimeField(_l("Opens at"), validators=[DataRequired()])
    closes = TimeField(_l("Closes at"), validators=[DataRequired()])
    capacity_per_day = IntegerField(_l("Orders it can hold a day"), validators=[DataRequired(), NumberRange(min=1, max=10_000)],
                                    render_kw={"inputmode": "numeric"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opening_days.choices = [(day, weekday_name(day)) for day in range(7)]


class TripForm(Form):
    """A farmer or cooperative announces a trip to town with space to share."""

    vehicle = StringField(_l("Vehicle"), validators=[DataRequired(), Length(max=120)],
                          description=_l("What it is and its plate, e.g. \"Isuzu lorry KCA 123X\"."))
    day = DateField(_l("Day"), validators=[DataRequired()])
    departs = TimeField(_l("Leaves at"), validators=[DataRequired()])
    stops = SelectMultipleField(_l("Villages it passes"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                validate_choice=False, description=_l("It starts at your village. Farmers of these villages can book space."))
    destination_id = SelectField(_l("Town it goes to"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])
    delivers_from = TimeField(_l("Delivers in town from"), validators=[DataRequired()])
    delivers_until = TimeField(_l("Delivers in town until"), validators=[DataRequired()])
    capacity_kg = StringField(_l("Space to share (kg)"), validators=[DataRequired(), Length(max=16)], render_kw={"inputmode": "decimal"})
    cost = StringField(_l("What the whole trip costs"), validators=[DataRequired(), Length(max=16)], render_kw={"inputmode": "decimal"},
                       description=_l("Fuel, driver and vehicle. Each farmer pays their kilograms' part of it."))


class BookTripForm(Form):
    weight = StringField(_l("Weight of the order (kg)"), validators=[DataRequired(), Length(max=16)], render_kw={"inputmode": "decimal"})
