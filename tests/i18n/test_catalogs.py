from marketplace.i18n.check import catalog_problems, extract_source_ids


def test_every_shipped_catalog_translates_every_source_string():
    source = extract_source_ids()
    assert "Village Square" in source and "There is a problem" in source  # templates and macros are extracted
    assert catalog_problems(source) == {}


def test_the_check_reports_a_string_no_catalog_has(tmp_path):
    problems = catalog_problems({"A sentence nobody translated yet"} | extract_source_ids())
    assert any("A sentence nobody translated yet" in line for line in problems["es"])


def test_no_catalog_holds_another_languages_script():
    """A translation pasted into the wrong catalog (Arabic in French, Chinese in Swahili) passes the
    completeness check but shows a person a page they cannot read."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    scripts = {"ar": re.compile("[\u0600-\u06ff]"), "zh": re.compile("[\u4e00-\u9fff]")}
    wrong = []
    for po in sorted((Path(__file__).resolve().parents[2] / "translations").glob("*/LC_MESSAGES/messages.po")):
        language = po.parts[-3]
        for message in read_po(po.open("rb")):
            if not message.id:
                continue
            source = " ".join([message.id] if isinstance(message.id, str) else message.id)
            text = " ".join([message.string] if isinstance(message.string, str) else message.string)
            for owner, script in scripts.items():
                if language != owner and script.search(text) and not script.search(source):
                    wrong.append((language, source))
    assert wrong == []
