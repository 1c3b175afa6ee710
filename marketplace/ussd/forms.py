from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import HiddenField

from marketplace.ussd.prompts import MAX_RECORDING_BYTES


class RecordingForm(FlaskForm):
    """An admin's recording of one voice prompt (the file's kind is checked by ussd.prompts.record)."""

    text = HiddenField()
    recording = FileField(_l("Recording (WAV, MP3 or Ogg)"), validators=[
        FileRequired(_l("Choose a sound file of at most 2 MB.")),
        FileSize(MAX_RECORDING_BYTES, message=_l("Choose a sound file of at most 2 MB."))])
