from marketplace.i18n.check import catalog_problems, extract_source_ids


def test_every_shipped_catalog_translates_every_source_string():
    source = extract_source_ids()
    assert "Village Square" in source and "There is a problem" in source  # templates and macros are extracted
    assert catalog_problems(source) == {}


def test_the_check_reports_a_string_no_catalog_has(tmp_path):
    problems = catalog_problems({"A sentence nobody translated yet"} | extract_source_ids())
    assert any("A sentence nobody translated yet" in line for line in problems["es"])
