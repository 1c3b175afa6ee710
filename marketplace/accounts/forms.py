"""Field-level checks (required, lengths, formats). Rules that need the database live in services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from marketplace.core.forms import Form
from marketplace.i18n import LANGUAGE_NAMES


def optional_int(value):
    """The village picker sends '' for 'not chosen'."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # an id that never exists; the service answers with a clear message


def language_choices(languages) -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in languages]



# Messages that say how to fix it (WTForms' own say "Field must be between 8 and 128 characters long").
PASSWORD_RULES = [DataRequired(message=_l("Choose a password.")),
                  Length(min=8, max=128, message=_l("Use 8 to 128 characters for your password: a few words are easy to remember."))]
PIN_RULES = [DataRequired(message=_l("Choose a PIN.")), Length(min=4, max=4, message=_l("A PIN has exactly 4 digits."))]

class RegisterForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)], render_kw={"autocomplete": "name"})
    phone = TelField(
        _l("Mobile phone number"), validators=[Optional(), Length(max=32)],
        description=_l("We send order and application updates here by SMS."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = EmailField(_l("Email (optional if you give a phone)"), validators=[Optional(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Password"), validators=PASSWORD_RULES,
        description=_l("At least 8 characters."), render_kw={"autocomplete": "new-password"},
    )
    preferred_locale = SelectField(_l("Language"), validators=[DataRequired()])
    village_id = SelectField(_l("Home village"), coerce=optional_int, validate_choice=False)
    next = HiddenField()  # where to continue after registering (the checkout, for a guest with a cart)


class LoginForm(Form):
    identifier = StringField(
        _l("Phone number or email"), validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this phone"))
    next = HiddenField()


class ForgotPasswordForm(Form):
    identifier = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Type it again"), validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    preferred_locale = SelectField(_l("Language"), validators=[DataRequired()])
    village_id = SelectField(_l("Home village"), coerce=optional_int, validate_choice=False)


class FarmerProfileForm(Form):
    farm_name = StringField(_l("Farm name"), validators=[DataRequired(), Length(max=120)])
    village_id = SelectField(_l("Village of the farm"), coerce=optional_int, validate_choice=False, validators=[DataRequired()])
    pickup_point = TextAreaField(
        _l("Pickup point"), validators=[DataRequired(), Length(max=500)],
        description=_l("Where buyers collect produce, e.g. 'Njoro market, stall 12, by the water tank'."),
    )
    accepts_pay_on_pickup = BooleanField(_l("Buyers may pay me in cash or by mobile money when they collect"), default=True)

    def pickup_day(self, weekday: int):
        """(opens, closes) fields of one weekday, Monday = 0."""
        return self[f"opens_{weekday}"], self[f"closes_{weekday}"]


# Pickup hours: a pair of times per weekday; both empty means closed that day.
for _weekday in range(7):
    setattr(FarmerProfileForm, f"opens_{_weekday}", TimeField(_l("From"), validators=[Optional()]))
    setattr(FarmerProfileForm, f"closes_{_weekday}", TimeField(_l("Until"), validators=[Optional()]))


class GrantRoleForm(Form):
    role = SelectField(_l("Role"), choices=[("agent", _l("Service-centre agent")), ("official", _l("Official")), ("admin", _l("Administrator"))])
    department = SelectField(_l("Department (officials only)"), validate_choice=False)
    district = SelectField(_l("District the official works for (empty: the whole department)"), validate_choice=False)
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)])


class RevokeRoleForm(Form):
    role = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)])


class PhoneCodeForm(Form):
    code = StringField(_l("Code from the SMS (6 digits)"), validators=[Optional(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PresenceForm(Form):
    """The person beside an agent proves it: the code texted to them, or their PIN."""

    code = StringField(_l("Code they received by SMS (6 digits)"), validators=[Optional(), Length(max=12)],
                       render_kw={"autocomplete": "off", "inputmode": "numeric"})
    pin = PasswordField(_l("Or they type their PIN"), validators=[Optional(), Length(max=12)],
                        render_kw={"autocomplete": "off", "inputmode": "numeric"})


class SignOutEverywhereForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)])


class PinForm(Form):
    resident_phone = TelField(_l("Resident's phone number (when you set it for someone)"), validators=[Optional(), Length(max=32)],
                              render_kw={"autocomplete": "off", "inputmode": "tel"})
    pin = PasswordField(_l("New PIN (4 digits)"), validators=PIN_RULES,
                        render_kw={"inputmode": "numeric", "autocomplete": "new-password", "pattern": "[0-9]*"})
    pin_again = PasswordField(_l("The same PIN again"), validators=[DataRequired(), EqualTo("pin", message=_l("The two PINs are not the same."))],
                              render_kw={"inputmode": "numeric", "autocomplete": "new-password", "pattern": "[0-9]*"})


class DeviceForm(Form):
    label = StringField(_l("Name of the device"), validators=[DataRequired(message=_l("Name the device, so you know which one to revoke later.")),
                                                             Length(max=60)],
                        description=_l("For example: the centre's tablet, my phone."))
