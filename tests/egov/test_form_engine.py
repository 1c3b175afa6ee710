"""The form engine without HTTP: every field type with good and bad input, show-if, definition checks."""
from __future__ import annotations

import copy
import json

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.egov import form_engine
from marketplace.egov.form_engine import BuildContext, DefinitionError, validate_definition
from marketplace.egov.versions import DEFINITIONS


def _definition(*fields):
    return {"title": {"en": "Test form"}, "steps": [{"id": "one", "title": {"en": "One"}, "fields": list(fields)}]}


def _field(name, type_, **extra):
    return {"name": name, "type": type_, "label": {"en": name.replace("_", " "), "es": "es " + name}, "required": True, **extra}


CONTEXT = BuildContext(villages=lambda: [("North — Hill", [(7, "Mbeu")])], village_name=lambda i: {7: "Mbeu"}.get(i, "?"))

# (field spec, good posted value, stored answer, bad posted value, expected error words)
CASES = [
    (_field("name", "short_text", max_length=5), "Amina", "Amina", "Aminata", "longer than 5"),
    (_field("code", "short_text", pattern="[A-Z]{3}", pattern_message={"en": "Three capitals."}), "ABC", "ABC", "abc", "Three capitals."),
    (_field("story", "long_text", max_length=20), "Short story", "Short story", "x" * 21, "longer than 20"),
    (_field("size", "number", min=1, max=5), "2.5", "2.5", "9", "between"),
    (_field("size_nan", "number"), "3", "3", "three", "Write a number"),
    (_field("turnover", "money", min=0, max=100000), "1500.50", 150050, "-1", "between 0 and"),
    (_field("born", "date", max="2026-01-01"), "1990-05-04", "1990-05-04", "2030-01-01", "on or before"),
    (_field("when", "date"), "2026-02-03", "2026-02-03", "3rd Feb", "Not a valid date"),
    (_field("colour", "single_choice", choices=[{"value": "r", "label": {"en": "Red"}}, {"value": "g", "label": {"en": "Green"}}]),
     "g", "g", "blue", "Not a valid choice"),
    (_field("crops", "multiple_choice", choices=[{"value": "m", "label": {"en": "Maize"}}, {"value": "b", "label": {"en": "Beans"}}]),
     ["m", "b"], ["m", "b"], ["rice"], "not a valid choice"),
    (_field("irrigated", "yes_no"), "yes", "yes", "maybe", "Not a valid choice"),
    (_field("phone", "phone"), "0712 345 678", "+254712345678", "12", "phone number"),
    (_field("email", "email"), "Amina@Example.org", "amina@example.org", "amina-at-example", "email address"),
    (_field("village", "village"), "7", 7, "", "Choose a village"),
]


def _post(spec, value):
    data = MultiDict()
    for item in (value if isinstance(value, list) else [value]):
        data.add(spec["name"], item)
    return data


@pytest.mark.parametrize("spec, good, stored, bad, error", CASES, ids=[c[0]["type"] + ":" + c[0]["name"] for c in CASES])
def test_each_field_type_accepts_good_input_and_explains_bad(app, spec, good, stored, bad, error):
    definition = _definition(spec)
    validate_definition(definition)
    with app.test_request_context(method="POST"):
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=_post(spec, good))
        assert form.validate(), form.errors
        assert form_engine.read_step(definition, 0, form, {}) == {spec["name"]: stored}
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=_post(spec, bad))
        valid = form.validate()
        form_engine.read_step(definition, 0, form, {})
        assert not valid or form.errors
        assert error.lower() in " ".join(map(str, form[spec["name"]].errors)).lower()


def test_html5_attributes_mirror_the_rules(app):
    definition = _definition(_field("code", "short_text", pattern="[0-9]{4}", max_length=4), _field("size", "number", min=1, max=5),
                             _field("born", "date", max="2026-01-01"))
    with app.test_request_context():
        form = form_engine.step_form(definition, 0, {}, "es", CONTEXT)
        html = str(form["code"]) + str(form["size"]) + str(form["born"])
        assert 'pattern="[0-9]{4}"' in html and 'maxlength="4"' in html and "required" in html
        assert 'min="1"' in html and 'max="5"' in html and 'max="2026-01-01"' in html
        assert form["code"].label.text == "es code"  # labels in the reader's language


def test_required_questions_refuse_empty_answers(app):
    definition = _definition(_field("name", "short_text"), {**_field("nick", "short_text"), "required": False})
    with app.test_request_context(method="POST"):
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=MultiDict({"name": "", "nick": ""}))
        assert not form.validate() and "Answer this question." in map(str, form["name"].errors) and not form["nick"].errors


def test_show_if_on_an_earlier_step_and_on_the_same_page(app):
    definition = {"title": {"en": "T"}, "steps": [
        {"id": "a", "title": {"en": "A"}, "fields": [_field("has_land", "yes_no")]},
        {"id": "b", "title": {"en": "B"}, "fields": [
            _field("plot", "short_text", show_if={"field": "has_land", "equals": "yes"}),
            _field("kind", "single_choice", choices=[{"value": "x", "label": {"en": "X"}}, {"value": "y", "label": {"en": "Y"}}]),
            _field("why_y", "long_text", show_if={"field": "kind", "in": ["y"]}),
        ]},
    ]}
    validate_definition(definition)
    assert [s["name"] for s in form_engine.shown_fields(definition, 1, {"has_land": "no"})] == ["kind"]
    assert form_engine.shown_steps(definition, {"has_land": "no"}) == [0, 1]
    with app.test_request_context(method="POST"):
        # Drawn first: the same-page question is visible (no JavaScript needed); judged on the posted answer.
        assert [f.name for f in form_engine.step_form(definition, 1, {"has_land": "no"}, "en", CONTEXT)
                if f.type != "CSRFTokenField"] == ["kind", "why_y"]
        posted = form_engine.step_form(definition, 1, {"has_land": "no"}, "en", CONTEXT, formdata=MultiDict({"kind": "x"}))
        assert [f.name for f in posted if f.type != "CSRFTokenField"] == ["kind"] and posted.validate()
    answers = {"has_land": "no", "plot": "12", "kind": "x", "why_y": "old answer"}
    assert form_engine.drop_hidden(definition, answers) == {"has_land": "no", "kind": "x"}
    missing = form_engine.missing_answers(definition, {"has_land": "yes", "kind": "y"}, {})
    assert [spec["name"] for _, spec in missing] == ["plot", "why_y"]


@pytest.mark.parametrize("break_it, reason", [
    (lambda d: d.pop("title"), "title needs at least an English text"),
    (lambda d: d.update(steps=[]), "steps must be a non-empty list"),
    (lambda d: d["steps"][0]["fields"].append(_field("name", "short_text")), "the name is used twice"),
    (lambda d: d["steps"][0]["fields"].append(_field("Bad Name", "short_text")), "name must be lower-case"),
    (lambda d: d["steps"][0]["fields"].append(_field("x", "colour_picker")), "unknown type 'colour_picker'"),
    (lambda d: d["steps"][0]["fields"].append(_field("c", "single_choice", choices=[{"value": "a", "label": {"en": "A"}}])), "at least two choices"),
    (lambda d: d["steps"][0]["fields"].append(_field("p", "short_text", pattern="([")), "pattern does not compile"),
    (lambda d: d["steps"][0]["fields"].append(_field("n", "number", min=5, max=1)), "min is above max"),
    (lambda d: d["steps"][0]["fields"].append(_field("s", "short_text", show_if={"field": "later", "equals": "x"})),
     "show_if: the condition names 'later', which is not an earlier question"),
    (lambda d: d["steps"][0]["fields"].append(_field("d", "date", max="next week")), "ISO dates"),
    (lambda d: d.update(fee={"amount": "-5", "currency": "KES"}), "fee.amount must be a positive amount"),
    (lambda d: d["steps"][0]["fields"].append(_field("q", "short_text", prefill="person.salary")), "unknown prefill source"),
])
def test_bad_definitions_are_refused_with_the_reason(app, break_it, reason):
    definition = _definition(_field("name", "short_text"))
    break_it(definition)
    with pytest.raises(DefinitionError) as caught:
        validate_definition(definition)
    assert any(reason in r for r in caught.value.reasons), caught.value.reasons


def test_every_shipped_definition_is_valid_and_translated(app):
    paths = sorted(DEFINITIONS.glob("*.json"))
    assert len(paths) == 5
    for path in paths:
        definition = json.loads(path.read_text(encoding="utf-8"))
        definition.pop("department")
        validate_definition(copy.deepcopy(definition))
        for language in app.config["LANGUAGES"]:
            assert definition["title"].get(language), (path.name, language)
            for step in definition["steps"]:
                assert step["title"].get(language), (path.name, step["id"], language)
                for spec in step["fields"]:
                    assert spec["label"].get(language), (path.name, spec["name"], language)
                    for choice in spec.get("choices", []):
                        assert choice["label"].get(language), (path.name, spec["name"], choice["value"], language)


def test_a_constraint_refuses_an_answer_with_the_definitions_own_words_and_an_empty_one_passes(app):
    """XLSForm's constraint, as read into a definition: compared with another answer on the page."""
    definition = _definition(_field("herd", "number"), {
        **_field("sick", "number", required=False), "constraint": {"field": "sick", "compare": "<=", "than": "herd"},
        "constraint_message": {"en": "Cannot be more than the herd.", "es": "No puede ser más que el rebaño."}})
    validate_definition(definition)
    with app.test_request_context(method="POST"):
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=MultiDict({"herd": "10", "sick": "12"}))
        form.validate()
        answers = form_engine.read_step(definition, 0, form, {})
        assert "Cannot be more than the herd." in form["sick"].errors and answers["sick"] == "12"
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=MultiDict({"herd": "10", "sick": ""}))
        form.validate()
        form_engine.read_step(definition, 0, form, {})
        assert not form["sick"].errors


def test_a_note_shows_text_and_takes_no_answer(app):
    definition = _definition({"name": "intro", "type": "note", "label": {"en": "Bring your ID card."}}, _field("name", "short_text"))
    validate_definition(definition)
    with app.test_request_context(method="POST"):
        form = form_engine.step_form(definition, 0, {}, "en", CONTEXT, formdata=MultiDict({"name": "Achieng", "intro": "typed anyway"}))
        assert form.validate()
        assert form_engine.read_step(definition, 0, form, {}) == {"name": "Achieng"}
    with pytest.raises(DefinitionError, match="a note cannot be required"):
        validate_definition(_definition({"name": "intro", "type": "note", "label": {"en": "x"}, "required": True}))


def test_a_field_name_ending_in_a_newline_is_refused():
    """Python's $ matches before a final newline: names are checked whole (fullmatch)."""
    with pytest.raises(DefinitionError, match="name must be lower-case letters"):
        validate_definition(_definition(_field("village\n", "short_text")))
