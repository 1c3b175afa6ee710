from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from marketplace.core.forms import Form


class QuantityForm(Form):
    quantity = StringField(_l("How much?"), validators=[DataRequired(), Length(max=16)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
