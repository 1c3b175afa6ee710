"""Fixed forms of the e-services pages (a form definition's own questions come from form_engine)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileSize
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from marketplace.core.forms import Form
from marketplace.egov.attachments import MAX_ATTACHMENT_BYTES

WAYS_TO_PAY = {"mpesa": _l("By M-Pesa, now"), "card": _l("By card, now"), "office": _l("At the office")}


class DeclarationForm(Form):
    declared = BooleanField(_l("I declare that the information I have given is true and complete."))
    payment = RadioField(_l("How will you pay the fee?"), choices=list(WAYS_TO_PAY.items()), validators=[Optional()])

    def offer(self, ways: list[str]) -> None:
        """Only the ways that work here now; the first is chosen until the person chooses."""
        self.payment.choices = [(way, WAYS_TO_PAY[way]) for way in ways]
        if self.payment.data not in ways:
            self.payment.data = ways[0] if ways else None


class WayToPayForm(Form):
    way = RadioField(_l("How will you pay the fee?"), choices=list(WAYS_TO_PAY.items()), validators=[InputRequired()])


class InfoResponseForm(Form):
    answer = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=5000)])
    document = FileField(_l("Add a document (optional)"),
                         render_kw={"accept": "application/pdf,image/jpeg,image/png", "data-max-bytes": MAX_ATTACHMENT_BYTES})


class RatingForm(Form):
    stars = RadioField(_l("How was this service?"), choices=[(str(n), str(n)) for n in range(5, 0, -1)],
                       validators=[InputRequired(message=_l("Choose from 1 to 5 stars."))])
    comment = TextAreaField(_l("Anything to tell the office? (optional)"), validators=[Optional(), Length(max=1000)])


class WithdrawForm(Form):
    reason = StringField(_l("Why are you withdrawing? (optional)"), validators=[Optional(), Length(max=500)])


class FindResidentForm(Form):
    phone = TelField(_l("Resident's mobile phone number"), validators=[DataRequired(), Length(max=32)])


class RegisterResidentForm(Form):
    name = StringField(_l("Resident's full name"), validators=[DataRequired(), Length(max=120)])
    phone = TelField(_l("Resident's mobile phone number"), validators=[DataRequired(), Length(max=32)])
    village_id = SelectField(_l("Home village"), validate_choice=False, validators=[Optional()])
    preferred_locale = SelectField(_l("Language for messages"), validators=[DataRequired()])


class QuestionForm(Form):
    question = TextAreaField(_l("What must the applicant add?"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(Form):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                          validators=[InputRequired(message=_l("Choose approve or reject."))])
    reason = TextAreaField(_l("Reason (the applicant reads it)"), validators=[DataRequired(), Length(max=2000)])


class NoteForm(Form):
    note = TextAreaField(_l("Internal note (the applicant never sees it)"), validators=[DataRequired(), Length(max=2000)])


class AssignForm(Form):
    official_id = SelectField(_l("Assign to"), coerce=int, validate_choice=False)


class DefinitionForm(Form):
    definition = TextAreaField(_l("Form definition (JSON, see docs/forms.md)"), validators=[DataRequired()],
                               render_kw={"rows": 30, "spellcheck": "false", "dir": "ltr"})


class XLSFormImportForm(Form):
    """An XLSForm workbook for a service's draft: an existing service, or a new one in a department."""

    workbook = FileField(_l("XLSForm workbook (.xlsx, .xls, .csv or .md)"), validators=[
        DataRequired(message=_l("Choose the workbook to import.")),
        FileSize(max_size=5 * 1024 * 1024, message=_l("A workbook is at most 5 MB; a form's questions fit in far less."))])
    slug = StringField(_l("Service's short name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("An existing service gets a new draft; a new short name makes a new service."))
    department = SelectField(_l("Department (for a new service)"), validators=[Optional()], validate_choice=False)


class OfflineFilingForm(Form):
    """What the page that works without a signal sends besides the answers (egov.views.offline)."""

    version_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    instance_id = StringField(widget=HiddenInput(), validators=[Optional(), Length(max=100)])
    applicant_phone = TelField(_l("Phone number of the person applying"), validators=[Optional(), Length(max=32)],
                               description=_l("They must be registered on Village Square."))
    declared = BooleanField(_l("I declare that the information I have given is true and complete."))
