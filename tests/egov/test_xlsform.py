"""XLSForm in and out, checked against pyxform's own example workbooks (read from ../shared/data,
never copied here) and against the shipped definitions; the XPath subset both ways."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from marketplace.egov import conditions, form_engine, versions, xlsform, xpath
from marketplace.egov.models import EService, VersionStatus
from marketplace.extensions import db

DEFINITIONS = sorted(Path("marketplace/egov/definitions").glob("*.json"))
PYXFORM_EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "pyxform-examples"
#: What pyxform's example workbooks must give: imported and round-tripped, or refused with reasons.
#: Counted in docs/forms.md; a change in either number is a change in what we support.
EXPECTED_ROUND_TRIPS = 32
EXPECTED_REFUSED = 46


def _shipped(path: Path) -> dict:
    definition = json.loads(path.read_text(encoding="utf-8"))
    definition.pop("department")
    return definition


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.stem)
def test_every_shipped_definition_comes_back_equal_from_its_workbook(app, path):
    definition = _shipped(path)
    workbook = xlsform.write_xlsx(definition, villages=[(1, "Mbeu (Kisumu)")])
    assert xlsform.read_xlsform(workbook, "edited.xlsx").definition == definition


def test_the_workbook_is_plain_xlsform_a_spreadsheet_can_edit(app):
    definition = _shipped(Path("marketplace/egov/definitions/livestock-movement-permit.json"))
    book = load_workbook(io.BytesIO(xlsform.write_xlsx(definition, villages=[(7, "Mbeu")])))
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [cell.value for cell in book["survey"][1]]
    assert {"type", "name", "label::English (en)", "label::Kiswahili (sw)", "relevant", "required"} <= set(header)
    rows = {row[1]: dict(zip(header, row, strict=False)) for row in book["survey"].iter_rows(min_row=2, values_only=True)}
    assert rows["vaccination_date"]["relevant"] == "${vaccinated} = 'yes'"
    assert rows["head_count"]["type"].startswith(("integer", "decimal"))
    assert rows["species"]["type"] == "select_one species"


def test_an_edited_label_in_the_spreadsheet_is_read_back(app):
    definition = _shipped(Path("marketplace/egov/definitions/livestock-movement-permit.json"))
    book = load_workbook(io.BytesIO(xlsform.write_xlsx(definition)))
    sheet = book["survey"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("name")].value == "head_count":
            row[header.index("label::English (en)")].value = "How many animals?"
    out = io.BytesIO()
    book.save(out)
    imported = xlsform.read_xlsform(out.getvalue(), "edited.xlsx").definition
    field = next(spec for step in imported["steps"] for spec in step["fields"] if spec["name"] == "head_count")
    assert field["label"]["en"] == "How many animals?" and field["label"]["fr"] == "Combien ?"


def _examples():
    return sorted(p for p in PYXFORM_EXAMPLES.glob("*") if p.suffix in (".xls", ".xlsx", ".xlsm", ".csv", ".md"))


def test_pyxforms_own_examples_import_and_round_trip_or_are_refused_with_reasons(app):
    if not PYXFORM_EXAMPLES.is_dir():
        pytest.skip(f"pyxform's example workbooks are not at {PYXFORM_EXAMPLES} (../shared/data)")
    round_trips, refused = [], []
    for path in _examples():
        try:
            imported = xlsform.read_xlsform(path.read_bytes(), path.name)
        except xlsform.XLSFormRefused as error:
            assert error.reasons and all(reason.strip() for reason in error.reasons)
            refused.append(path.name)
            continue
        again = xlsform.read_xlsform(xlsform.write_xlsx(imported.definition), "again.xlsx")
        assert again.definition == imported.definition, path.name
        round_trips.append(path.name)
    assert "yes_or_no_question.xlsx" in round_trips and "group.xlsx" in round_trips and "specify_other.xlsx" in round_trips
    assert (len(round_trips), len(refused)) == (EXPECTED_ROUND_TRIPS, EXPECTED_REFUSED)


def test_a_group_becomes_a_page_and_languages_become_locales(app):
    if not PYXFORM_EXAMPLES.is_dir():
        pytest.skip(f"pyxform's example workbooks are not at {PYXFORM_EXAMPLES} (../shared/data)")
    definition = xlsform.read_xlsform((PYXFORM_EXAMPLES / "group.xlsx").read_bytes(), "group.xlsx").definition
    assert [step["id"] for step in definition["steps"]] == ["family_name", "father"]
    father = definition["steps"][1]
    assert father["title"] == {"en": "Father"}
    assert [(f["name"], f["type"], f.get("whole")) for f in father["fields"]] == [
        ("phone_number", "phone", None), ("age", "number", True)]


def test_what_cannot_be_translated_is_refused_with_its_row(app):
    if not PYXFORM_EXAMPLES.is_dir():
        pytest.skip(f"pyxform's example workbooks are not at {PYXFORM_EXAMPLES} (../shared/data)")
    with pytest.raises(xlsform.XLSFormRefused) as refused:
        xlsform.read_xlsform((PYXFORM_EXAMPLES / "calculate.xls").read_bytes(), "calculate.xls")
    assert "row 2: 'calculate_test' is a calculation" in refused.value.reasons[0]
    with pytest.raises(xlsform.XLSFormRefused) as refused:
        xlsform.read_xlsform((PYXFORM_EXAMPLES / "or_other.xlsx").read_bytes(), "or_other.xlsx")
    assert any(reason.startswith("row 3: choice_filter 'pastel=yes'") for reason in refused.value.reasons)


def test_cascading_choices_offer_only_those_of_the_earlier_answer(app):
    """pyxform's choice_filter example: counties of the state chosen, cities of the county chosen;
    King county exists in both states (a name repeated under another filter)."""
    if not PYXFORM_EXAMPLES.is_dir():
        pytest.skip(f"pyxform's example workbooks are not at {PYXFORM_EXAMPLES} (../shared/data)")
    definition = xlsform.read_xlsform((PYXFORM_EXAMPLES / "choice_filter_test.xlsx").read_bytes(), "c.xlsx").definition
    fields = {spec["name"]: spec for step in definition["steps"] for spec in step["fields"]}
    assert fields["county"]["choice_filter"] == {"column": "cf", "field": "state"}
    texas = [c["value"] for c in form_engine.offered_choices(fields["county"], {"state": "texas"})]
    assert texas == ["king", "cameron"]
    assert len(form_engine.offered_choices(fields["county"], {})) == 4  # nothing chosen yet: all, judged when posted
    county_step = next(i for i, step in enumerate(definition["steps"]) if step["fields"][0]["name"] == "county")
    with app.test_request_context():
        form = form_engine.step_form(definition, county_step, {"state": "washington"}, "en", form_engine.BuildContext(),
                                     formdata=MultiDict({"county": "cameron"}), csrf=False)
        assert not form.validate() and "county" in form.errors  # Cameron is in Texas
        form = form_engine.step_form(definition, county_step, {"state": "washington"}, "en", form_engine.BuildContext(),
                                     formdata=MultiDict({"county": "pierce"}), csrf=False)
        assert form.validate()
    xform = xlsform.to_xform(definition, "cascade", "1", [])
    assert "cf = " in xform or "cf=" in xform  # ODK Collect narrows the list itself


def test_a_damaged_file_is_refused_not_a_server_error(app):
    with pytest.raises(xlsform.XLSFormRefused):
        xlsform.read_xlsform(b"PK\x03\x04 not really a workbook", "form.xlsx")


@pytest.mark.parametrize(("expression", "own", "condition"), [
    ("${q} = 'yes'", None, {"field": "q", "equals": "yes"}),
    ("selected(${q}, 'a')", None, {"field": "q", "equals": "a"}),
    (". > 0 and . < 120", "age", {"all": [{"field": "age", "compare": ">", "value": 0}, {"field": "age", "compare": "<", "value": 120}]}),
    ("${a}='x' or ${a}='y'", None, {"field": "a", "in": ["x", "y"]}),
    ("not(${q} = 'no')", None, {"not": {"field": "q", "equals": "no"}}),
    ("string-length(.) <= 10", "code", {"length_of": "code", "compare": "<=", "value": 10}),
    (". <= today()", "born", {"field": "born", "compare": "<=", "today": True}),
    ("5 < ${n}", None, {"field": "n", "compare": ">", "value": 5}),
    (". <= ${total}", "part", {"field": "part", "compare": "<=", "than": "total"}),
    ("regex(., '^[0-9]{4}$')", "pin", {"field": "pin", "matches": "^[0-9]{4}$"}),
    ("selected(../sex, 'other')", None, {"field": "sex", "equals": "other"}),
])
def test_the_xpath_subset_reads_into_conditions(expression, own, condition):
    assert xpath.to_condition(expression, own_name=own) == condition
    # and written back, it reads the same again
    assert xpath.to_condition(xpath.to_xpath(condition, own_name=own), own_name=own) == condition


@pytest.mark.parametrize("expression", ["${a} + 1 > 3", "pulldata('x', 'y', 'z', 'w')", "${x}", "count(${r})", ". > 3"])
def test_other_xpath_is_refused_with_a_reason(expression):
    with pytest.raises(xpath.Untranslatable) as refused:
        xpath.to_condition(expression)
    assert str(refused.value)


@pytest.mark.parametrize(("condition", "answers", "holds"), [
    ({"field": "n", "compare": ">", "value": 5}, {"n": "6.5"}, True),
    ({"field": "n", "compare": ">", "value": 5}, {}, False),
    ({"field": "n", "compare": "!=", "value": 5}, {}, True),
    ({"field": "d", "compare": "<=", "today": True}, {"d": "2001-01-01"}, True),
    ({"field": "d", "compare": "<=", "today": True}, {"d": "2999-01-01"}, False),
    ({"length_of": "c", "compare": ">=", "value": 3}, {"c": "ab"}, False),
    ({"count_of": "m", "compare": ">=", "value": 2}, {"m": ["a", "b"]}, True),
    ({"field": "m", "equals": "b"}, {"m": ["a", "b"]}, True),
    ({"field": "p", "compare": "<=", "than": "t"}, {"p": "3", "t": "10"}, True),
    ({"any": [{"field": "a", "equals": "x"}, {"not": {"field": "b", "equals": ""}}]}, {"b": "filled"}, True),
])
def test_conditions_hold_as_xlsform_means_them(condition, answers, holds):
    assert conditions.holds(condition, answers) is holds


def test_an_admin_imports_a_workbook_as_a_draft_and_downloads_any_version(client, egov, login):
    login(egov["admin"])
    service = egov["services"]["livestock-movement-permit"]
    workbook = client.get(f"/admin/services/versions/{service.published_version_id}.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    page = client.get("/admin/services/import")
    assert page.status_code == 200
    response = client.post("/admin/services/import", data={
        "slug": service.slug, "department": "",
        "workbook": (io.BytesIO(workbook.data), "livestock.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    draft = next(v for v in db.session.get(EService, service.id).versions if v.status is VersionStatus.DRAFT)
    assert draft.number == 2 and draft.definition == service.published_version.definition


def test_a_refused_workbook_is_listed_row_by_row_on_the_admin_page(client, egov, login):
    if not PYXFORM_EXAMPLES.is_dir():
        pytest.skip(f"pyxform's example workbooks are not at {PYXFORM_EXAMPLES} (../shared/data)")
    login(egov["admin"])
    client.get("/admin/services/import")
    response = client.post("/admin/services/import", data={
        "slug": "new-survey", "department": "AGR",
        "workbook": (io.BytesIO((PYXFORM_EXAMPLES / "calculate.xls").read_bytes()), "calculate.xls")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert b"row 2: &#39;calculate_test&#39; is a calculation" in response.data
    assert db.session.scalar(db.select(EService).where(EService.slug == "new-survey")) is None


def test_only_admins_import(client, egov, login):
    login(egov["official"])
    assert client.get("/admin/services/import").status_code == 403
    with pytest.raises(Exception, match="permission"):
        versions.import_xlsform(egov["official"], "x", b"", "x.xlsx")


def test_the_command_line_imports_a_new_service(app, egov, tmp_path):
    path = tmp_path / "permit.xlsx"
    path.write_bytes(xlsform.write_xlsx(_shipped(Path("marketplace/egov/definitions/market-trading-permit.json"))))
    result = app.test_cli_runner().invoke(args=["egov", "import-xlsform", str(path), "--service", "stall-permit", "--department", "TRD"])
    assert result.exit_code == 0, result.output
    service = db.session.scalar(db.select(EService).where(EService.slug == "stall-permit"))
    assert service.versions[0].status is VersionStatus.DRAFT and service.department.code == "TRD"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nonsense")
    result = app.test_cli_runner().invoke(args=["egov", "import-xlsform", str(bad), "--service", "stall-permit"])
    assert result.exit_code != 0 and "cannot be imported" in result.output

