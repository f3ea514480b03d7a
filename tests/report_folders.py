"""Run folders written by hand for report tests: exact spans, crossing and nested on purpose.

The folder is written the way a run writes it (the real JSONL sink, a manifest with
the same keys), so the report reads it through exactly the code path of a real run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from docmill.records import (
    CORE_RECORD_TYPES,
    DateMention,
    Document,
    Edit,
    Entity,
    Finding,
    Quote,
    Record,
    Reject,
    Span,
    sort_key,
    stable_id,
)
from docmill.runs.manifest import Manifest, write_manifest
from docmill.sinks import RunInfo
from docmill_builtins.export_jsonl import JsonlSink


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(start, end) of the ``nth`` occurrence of ``needle`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def entity(doc: Document, needle: str, label: str, canonical: str = "", nth: int = 0) -> Entity:
    s, e = span(doc.text, needle, nth)
    return Entity(
        doc_id=doc.id,
        id=stable_id(doc.id, "entity", s, e, label),
        start=s,
        end=e,
        text=doc.text[s:e],
        label=label,
        canonical=canonical or needle,
        plugin="extract_entities",
    )


def write_run(
    folder: Path,
    docs: Sequence[tuple[Document, Sequence[Record]]],
    rejects: Sequence[Reject] = (),
    plugin_kinds: Sequence[type[Record]] = (),
) -> Path:
    """Write ``docs`` (each with its records) and ``rejects`` as a complete run folder.

    ``plugin_kinds`` are record types a plugin would declare, written beside the core kinds.
    """
    folder.mkdir(parents=True)
    kinds = {t.kind_name(): t for t in (*CORE_RECORD_TYPES, *plugin_kinds)}
    sink = JsonlSink(RunInfo(run_id=folder.name, folder=folder, kinds=kinds))
    counts = dict.fromkeys(kinds, 0)
    for doc, records in docs:
        batch = [doc, *sorted(records, key=sort_key)]
        sink.write(batch)
        for r in batch:
            counts[r.kind] += 1
    sink.write(list(rejects))
    counts["reject"] = len(rejects)
    sink.close()
    inputs: list[dict[str, Any]] = [
        {"source": doc.source, "sha256": doc.sha256, "status": "document", "id": doc.id}
        for doc, _ in docs
    ]
    inputs += [
        {"source": r.source, "sha256": r.sha256, "status": "reject", "id": None} for r in rejects
    ]
    manifest = Manifest.model_validate(
        {
            "run_id": folder.name,
            "schema_version": "1",
            "docmill_version": "0.1.0",
            "started": "2026-11-26T10:00:00+00:00",
            "finished": "2026-11-26T10:00:02+00:00",
            "seconds": 2.0,
            "batch_size": 64,
            "inputs": inputs,
            "n_inputs": len(docs) + len(rejects),
            "documents": len(docs),
            "rejects": len(rejects),
            "plugins": {"extract_entities": "0.1.0", "extract_quotes": "0.1.0"},
            "counts": counts,
            "files": {k: t.file_name() for k, t in sorted(kinds.items())},
            "timings": {
                "load": 0.1,
                "clean": 0.05,
                "segment": 0.2,
                "extract": 1.2,
                "validate": 0.1,
                "export": 0.05,
            },
        }
    )
    write_manifest(folder, manifest)
    return folder


def document(text: str, title: str) -> Document:
    return Document(
        id=stable_id("doc", text),
        source=f"{title.lower().replace(' ', '_')}.txt",
        media_type="text/plain",
        sha256="0" * 64,
        text=text,
        title=title,
        published="2025-02-25",
        language="en",
    )


HOSTILE = (
    "Breaking <script>window.__pwned = 1</script> news\n\n"
    '<img src=x onerror="window.__pwned = 2"> and <b>bold</b> &amp; </script> stay text.\n\n'
    "Read also: another story\n\n"
    "Jens Stoltenberg said, “NATO will help Ukraine today.” Kyiv Mayor Vitali Klitschko agreed.\n"
)


def hostile_run(out: Path) -> tuple[Path, Document, list[Record]]:
    """One document full of markup and overlapping spans, plus a plain second document."""
    doc = document(
        HOSTILE
        + "".join(f"\nLine {i} of filler text." for i in range(80))
        + "\nThe minister met Kyiv officials.\n",
        "Hostile <script> title",
    )
    t = doc.text
    q_start = t.index("“")
    q_end = t.index("”") + 1
    crossing_start = t.index("today")
    records: list[Record] = [
        entity(doc, "Jens Stoltenberg", "PERSON"),
        entity(doc, "NATO", "ORG", "North Atlantic Treaty Organization"),  # inside the quote
        entity(doc, "Ukraine", "GPE"),  # inside the quote
        # crosses the quote's end: "today.” Kyiv"
        Entity(
            doc_id=doc.id,
            id="cross",
            start=crossing_start,
            end=t.index("Kyiv") + 4,
            text=t[crossing_start : t.index("Kyiv") + 4],
            label="EVENT",
            canonical="odd span",
            plugin="extract_entities",
        ),
        entity(doc, "Vitali Klitschko", "PERSON"),
        entity(doc, "Kyiv", "GPE", nth=1),
        Quote(
            doc_id=doc.id,
            id="q1",
            start=q_start,
            end=q_end,
            text=t[q_start:q_end],
            speaker="Jens Stoltenberg",
            cue="said",
            plugin="extract_quotes",
        ),
        DateMention(
            doc_id=doc.id,
            id="d1",
            start=crossing_start,
            end=crossing_start + 5,
            text="today",
            value="2025-02-25",
            plugin="extract_dates",
        ),
    ]
    s, e = span(t, "Read also: another story\n")
    records.append(
        Edit(
            doc_id=doc.id,
            start=s,
            end=e,
            replacement="",
            reason="boilerplate: teaser for another article",
            plugin="clean_boilerplate",
        )
    )
    s, e = span(t, "Kyiv officials")
    records.append(
        Finding(
            doc_id=doc.id,
            code="far-away",
            severity="warning",
            message="a finding far below the fold",
            start=s,
            end=e,
            related=[span(t, "Line 40 of filler text")],
            plugin="validate_consistency",
        )
    )
    records.append(
        Finding(
            doc_id=doc.id,
            code="whole-doc",
            severity="info",
            message="a finding with no span",
            plugin="validate_consistency",
        )
    )
    plain = document("Harbour bridge reopens after repairs.\n", "Harbour bridge reopens")
    folder = write_run(
        out / "20261126T100000000000Z-abcdef",
        [(doc, records), (plain, [entity(plain, "Harbour", "FAC")])],
        [
            Reject(
                source="broken.bin", stage="load", plugin="load_text", error="binary file <refused>"
            )
        ],
    )
    return folder, doc, records


class Money(Span):
    """A plugin's own span kind (as an extractor package would declare it)."""

    kind: Literal["money"] = "money"
    amount: float
    currency: str
    report_fields: ClassVar[tuple[str, ...]] = ("amount", "currency")


def money_run(out: Path) -> Path:
    """A run of one document with an entity and a plugin's ``money`` span (12.50 EUR)."""
    doc = document("The harbour board spent 12.50 EUR on Monday.\n", "Harbour board")
    start = doc.text.index("12.50 EUR")
    money = Money(
        doc_id=doc.id,
        id="m1",
        start=start,
        end=start + 9,
        text="12.50 EUR",
        amount=12.5,
        currency="EUR",
        plugin="money",
    )
    return write_run(
        out / "20261126T100000000000Z-money0",
        [(doc, [entity(doc, "harbour board", "ORG"), money])],
        plugin_kinds=[Money],
    )
