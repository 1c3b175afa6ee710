from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class QuantityForm(FlaskForm):
    quantity = StringField(_l("How much?"), validators=[DataRequired(), Length(max=16)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
