"""The report's Methods and references section stands on its own: every indicator has a
definition in both languages and every cited work a full reference."""

from __future__ import annotations

from chainatlas.reporting import names
from chainatlas.reporting.methods import INDICATORS, methods_html, references


def test_every_cited_work_has_a_full_reference_and_every_indicator_a_definition():
    table = references()
    for key, cited in INDICATORS.items():
        for lang in names.LANGUAGES:
            assert names.text(f"methods.def.{key}", lang)
            assert names.text(f"methods.name.{key}", lang)
        for ref in cited:
            row = table.loc[ref]
            assert row["authors"] and row["year"].isdigit() and row["title"] and row["publication"]
    for lang in names.LANGUAGES:
        body = methods_html(lang, "WIOD", {"trade", "scenario"})
        assert "METHODS" not in body and "§" not in body
        assert "Koopman, Robert; Wang, Zhi; Wei, Shang-Jin (2014)" in body
        assert "Wang, Wei, Yu and Zhu (2017a)" in body and "(2017b)" in body


def test_no_spec_pointer_in_any_reader_facing_string():
    for key, text in names.all_texts().items():
        for lang in names.LANGUAGES:
            assert "METHODS" not in text[lang] and "§" not in text[lang], key
