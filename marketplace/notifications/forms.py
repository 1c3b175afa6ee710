"""The preferences page is a grid of checkboxes: one per topic and channel."""
from __future__ import annotations

from wtforms import BooleanField

from marketplace.core.forms import Form
from marketplace.notifications import preferences


def field_name(topic: str, channel: str) -> str:
    return f"{topic}__{channel}"


def preferences_form(current: dict[tuple[str, str], bool]) -> Form:
    """A form with the person's current choices; on POST the submitted boxes win."""

    class PreferencesForm(Form):
        pass

    for topic in preferences.CHOOSABLE_TOPICS:
        for channel in preferences.CHANNELS:
            setattr(PreferencesForm, field_name(topic, channel), BooleanField(default=current[(topic, channel)]))
    return PreferencesForm()


def chosen(form: Form) -> set[tuple[str, str]]:
    return {
        (topic, channel)
        for topic in preferences.CHOOSABLE_TOPICS for channel in preferences.CHANNELS
        if form[field_name(topic, channel)].data
    }
