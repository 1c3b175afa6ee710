from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.core.forms import Form, LocalDecimalField, OnceForm


class ManualPayoutForm(OnceForm):
    amount = LocalDecimalField(_l("Amount paid"), validators=[DataRequired(), NumberRange(min=0)])
    reference = StringField(_l("Mobile-money or bank reference"), validators=[DataRequired(), Length(max=64)])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class ReportPeriodForm(Form):
    class Meta:
        csrf = False  # a GET filter

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until (inclusive)"), validators=[Optional()])
