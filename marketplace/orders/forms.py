from flask_babel import lazy_gettext as _l
from marketplace.core.forms import Form
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class QuantityForm(Form):
    quantity = StringField(_l("How much?"), validators=[DataRequired(), Length(max=16)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
