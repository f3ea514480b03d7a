"""``docmill.read_run``: any run folder read back as typed records (:mod:`docmill.runs.read`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import docmill
from docmill import DateMention, Document, Entity, Quote, Segment, Span
from docmill.runs.manifest import NotARunError
from docmill.runs.read import UnknownKindError
from tests.report_folders import Money, money_run

OLD_RUN = Path(__file__).parent / "fixtures" / "run-0.1.0"


def test_a_real_run_reads_back_as_typed_records_whose_offsets_point_at_their_text() -> None:
    run = docmill.read_run(OLD_RUN)  # written by `docmill run` (0.1.0)
    assert run.folder == OLD_RUN and run.manifest.run_id == "20261130T045034699334Z-b94c9d"
    assert run.manifest.documents == 1
    assert run.kinds == tuple(sorted(run.manifest.files)) and "entity" in run.kinds
    (doc,) = run.records(Document)
    assert isinstance(doc, Document) and doc.source == "tiny/note.txt"
    spans: list[Span] = []
    for kind, model in (("entity", Entity), ("quote", Quote), ("date", DateMention)):
        records = list(run.records(kind))
        assert records and all(type(r) is model for r in records)
        assert len(records) == run.manifest.counts[kind]
        spans.extend(r for r in records if isinstance(r, Span))
    spans.extend(run.records(Segment))
    # no cleaning edits in this run, so each span's source text is its surface
    assert not list(run.records("edit"))
    for span in spans:
        assert span.doc_id == doc.id
        assert doc.text[span.start : span.end] == span.text
    names = {e.canonical for e in run.records(Entity)}
    assert "Anna Berg" in names
    assert [d["id"] for d in run.dicts("document")] == [doc.id]


def test_a_plugin_kind_reads_typed_with_its_model_and_as_dicts_without(tmp_path: Path) -> None:
    folder = money_run(tmp_path)
    run = docmill.read_run(folder, kinds={"money": Money})
    (money,) = run.records("money")
    assert isinstance(money, Money) and (money.amount, money.currency) == (12.5, "EUR")
    (doc,) = run.records(Document)
    assert doc.text[money.start : money.end] == "12.50 EUR"

    # No model given, and no installed plugin declares "money": a clear error, and dicts.
    bare = docmill.read_run(folder, kinds={})
    with pytest.raises(UnknownKindError, match=r"no record model for kind 'money'.*\.dicts"):
        list(bare.records("money"))
    assert [d["amount"] for d in bare.dicts("money")] == [12.5]
    assert [type(e) for e in bare.records("entity")] == [Entity]  # core kinds always known
    with pytest.raises(UnknownKindError, match=r"has no 'invoice' records \(its kinds: date, "):
        bare.path("invoice")


def test_a_folder_that_is_no_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotARunError, match="is not a run folder"):
        docmill.read_run(tmp_path)


class _MoneyPlugin:
    """Declares the money kind, as the installed plugin that wrote it would."""

    @docmill.hookimpl
    def record_types(self) -> list[type[docmill.Record]]:
        return [Money]


def test_without_a_mapping_the_installed_plugins_say_which_model_a_kind_has(
    tmp_path: Path,
) -> None:
    from docmill.testing import registered

    folder = money_run(tmp_path)
    with registered(("money", _MoneyPlugin())):
        (money,) = docmill.read_run(folder).records("money")
    assert isinstance(money, Money) and money.currency == "EUR"
    with pytest.raises(UnknownKindError, match="install the plugin that declares it"):
        list(docmill.read_run(folder).records("money"))  # not installed any more
