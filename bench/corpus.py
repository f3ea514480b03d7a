# ruff: noqa: SIM905 - word lists read better as text
"""A deterministic corpus of news-like articles for the benchmark.

Every article is a Markdown file with YAML front matter (title, date, author),
a title-case headline and 2-60 body paragraphs built from sentence templates
filled with people, organisations, places, dates, numbers and direct quotations
with a cue verb, so every built-in plugin has realistic work: NER, quotes,
dates resolved against the publication date, boilerplate and Markdown cleaning.
Sizes follow a skewed distribution between 0.5 and 20 KB (most articles are 2-6
KB). The same ``seed`` and target size always give byte-identical files.

    .venv/bin/python bench/corpus.py OUT_DIR --mb 10
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

FIRST = """
    Anna Ben Carla Daniel Elena Farid Grace Hiro Ines Jonas Kwame Lena Marco Nadia Omar
    Priya Quentin Rosa Samuel Tomas Ulla Victor Wen Yusuf Zofia Aisha Bruno Chloe Dmitri
    Eva Felix Greta Hamid Ingrid Jamal Katja Luis Maria Nils Olga Pablo Ruth Sven Tariq
    Vera William Yara Amir Beatrice Conor Delia Emil Fatima Gustav Helen Ivan Julia
""".split()
LAST = """
    Okafor Lindqvist Moreau Tanaka Schmidt Rossi Haddad Novak Kowalski Fischer Dubois
    Petrova Mensah Nakamura Silva Jensen Horvat Costa Weber Ibrahim Larsen Murphy Keller
    Andersson Bianchi Yilmaz Brennan Castillo Duarte Eriksen Ferreira Gallagher Hoffmann
    Ivanova Jovanovic Kaur Laurent Mbeki Nowak Oyelaran Pereira Quinn Romero Sato Toivonen
""".split()
ROLES = """
    minister spokeswoman spokesman director chairman mayor governor economist analyst
    professor commissioner ambassador councillor engineer inspector
""".split()
ORGS = [
    "the European Central Bank", "the World Health Organization", "Nordvik Energy",
    "the Ministry of Transport", "the City Council", "Harbour Rail Ltd", "the Red Cross",
    "the National Weather Service", "Brightwater Holdings", "the University of Lisbon",
    "the International Monetary Fund", "the Port Authority", "Kestrel Aerospace",
    "the Federal Reserve", "Meridian Foods Inc.", "the United Nations", "the Senate",
    "the Coastal Guard", "Atlas Mining Corp.", "the Environment Agency",
]
PLACES = """
    Lisbon Rotterdam Nairobi Osaka Gdansk Porto Valencia Bergen Accra Lyon Tallinn Cork
    Marseille Dundee Antwerp Krakow Seville Bremen Malmo Turin Ghent Leipzig Bilbao Aarhus
    Canada Brazil Kenya Japan Norway Portugal Ghana Poland Chile Vietnam Egypt Ireland
""".split()
TOPICS = """
    budget bridge tunnel harbour pipeline school hospital railway election tariff strike
    vaccine reservoir airport festival reactor wildfire flood subsidy contract merger
    census curriculum ferry highway pension drought satellite museum stadium
""".split()
VERBS = """
    approved rejected delayed announced reviewed postponed expanded funded criticised
    defended suspended renewed cancelled endorsed questioned unveiled
""".split()
CUES = "said added noted warned told explained insisted argued stressed".split()
MONTHS = """
    January February March April May June July August September October November December
""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
ADJ = """
    new major regional national long-awaited controversial ambitious costly modest
    temporary permanent delayed expanded public private
""".split()
NOUNS = """
    plan proposal report review investment project agreement study programme policy
    inquiry deal framework scheme initiative
""".split()

BOILERPLATE = "Sign up for our newsletter to get the latest news in your inbox."


class Writer:
    """Sentences and articles from one seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def person(self) -> str:
        return f"{self.r.choice(FIRST)} {self.r.choice(LAST)}"

    def date(self, year: int) -> str:
        r = self.r
        kind = r.randrange(6)
        if kind == 0:
            return f"{r.choice(MONTHS)} {r.randint(1, 28)}, {year}"
        if kind == 1:
            return f"{r.randint(1, 28)} {r.choice(MONTHS)} {year}"
        if kind == 2:
            return f"on {r.choice(DAYS)}"
        if kind == 3:
            return r.choice(["last year", "next month", "last month", "this year"])
        if kind == 4:
            return f"in {r.choice(MONTHS)} {year - r.randint(0, 3)}"
        return f"in {year - r.randint(1, 30)}"

    def quote(self) -> str:
        r = self.r
        n = r.randint(6, 24)
        words = [r.choice(TOPICS + NOUNS + ADJ + VERBS) for _ in range(n)]
        return "We " + " ".join(words) + r.choice([" and we will keep going", "", " today"])

    def sentence(self, year: int, people: list[str]) -> str:
        r = self.r
        who = r.choice(people)
        org = r.choice(ORGS)
        place = r.choice(PLACES)
        kind = r.randrange(8)
        if kind == 0:
            return (
                f"{org[0].upper() + org[1:]} {r.choice(VERBS)} the {r.choice(ADJ)} "
                f"{r.choice(TOPICS)} {r.choice(NOUNS)} in {place} {self.date(year)}."
            )
        if kind == 1:
            return (
                f"“{self.quote()},” {who} {r.choice(CUES)}, adding that the "
                f"{r.choice(TOPICS)} would cost {r.randint(2, 900)} million euros."
            )
        if kind == 2:
            return (
                f"{who}, the {r.choice(ROLES)} of {org}, {r.choice(CUES)}: "
                f"“{self.quote()}.”"
            )
        if kind == 3:
            return (
                f"About {r.randint(10, 9000):,} people in {place} were affected, "
                f"according to figures published by {org} {self.date(year)}."
            )
        if kind == 4:
            return (
                f"The {r.choice(NOUNS)} was first {r.choice(VERBS)} {self.date(year)}, "
                f"when {who} led talks between {place} and {r.choice(PLACES)}."
            )
        if kind == 5:
            return (
                f"Critics {r.choice(VERBS)} the {r.choice(ADJ)} {r.choice(NOUNS)}, saying it "
                f"did little for residents of {place}, where the {r.choice(TOPICS)} has "
                f"been closed since {r.choice(MONTHS)}."
            )
        if kind == 6:
            return (
                f"{who.split()[1]} {r.choice(CUES)} the {r.choice(TOPICS)} "
                f"{r.choice(NOUNS)} would be reviewed {self.date(year)}."
            )
        return (
            f"Shares in {r.choice(ORGS[2::3])} rose {r.randint(1, 19)}.{r.randint(0, 9)} "
            f"per cent {self.date(year)} after the {r.choice(ADJ)} {r.choice(NOUNS)} "
            f"was {r.choice(VERBS)}."
        )

    def size(self) -> int:
        """Target bytes of one article: 0.5-20 KB, skewed towards 2-6 KB."""
        return int(min(20_000, max(500, self.r.lognormvariate(8.2, 0.6))))

    def article(self) -> str:
        r = self.r
        year = r.randint(2019, 2026)
        published = f"{year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        people = [self.person() for _ in range(r.randint(1, 5))]
        place = r.choice(PLACES)
        title = (
            f"{place} {r.choice(['Council', 'Court', 'Government', 'Port'])} "
            f"{r.choice(['Backs', 'Blocks', 'Delays', 'Reviews'])} "
            f"{r.choice(TOPICS).title()} {r.choice(NOUNS).title()}"
        )
        target = self.size()
        body: list[str] = []
        size = 0
        while size < target:
            para = " ".join(
                self.sentence(year, people) for _ in range(r.randint(1, 4))
            )
            body.append(para)
            size += len(para.encode()) + 2
        if r.random() < 0.3:
            body.append(BOILERPLATE)
        front = f"---\ntitle: {title}\ndate: {published}\nauthor: {self.person()}\n---\n\n"
        return front + f"# {title}\n\n" + "\n\n".join(body) + "\n"


def generate(out: Path, megabytes: float, seed: int = 7) -> dict[str, float]:
    """Write articles into ``out`` until they total ``megabytes`` MB; returns the corpus stats.

    A folder already holding this corpus (same seed and size, recorded in
    ``.corpus.json``) is kept as it is.
    """
    stamp = out / ".corpus.json"
    spec = {"seed": seed, "megabytes": megabytes, "version": 1}
    if stamp.is_file():
        stats: dict[str, float] = json.loads(stamp.read_text())
        if stats.get("spec") == spec:  # type: ignore[comparison-overlap]
            return stats
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.md"):
        old.unlink()
    writer = Writer(seed)
    total = words = docs = 0
    digest = hashlib.sha256()
    target = int(megabytes * 1_000_000)
    while total < target:
        text = writer.article()
        data = text.encode("utf-8")
        (out / f"article-{docs:06d}.md").write_bytes(data)
        digest.update(data)
        total += len(data)
        words += len(text.split())
        docs += 1
    result = {"documents": docs, "bytes": total, "words": words, "sha256": digest.hexdigest()}
    stamp.write_text(json.dumps({**result, "spec": spec}))
    return {**result, "spec": spec}  # type: ignore[dict-item]


def long_document(
    corpus: Path, out: Path, megabytes: float, pieces_dir: Path | None = None
) -> dict[str, float]:
    """One long plain-text document of about ``megabytes`` MB: the corpus's articles'
    bodies (front matter dropped) one after another, blank lines between them.

    With ``pieces_dir``, the same pieces are also written there, one ``.txt`` file
    each, so one long document can be compared with the same text as many files.
    """
    pieces: list[str] = []
    total = 0
    target = int(megabytes * 1_000_000)
    for path in sorted(corpus.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            text = text.split("\n---\n", 1)[1].lstrip("\n")
        pieces.append(text.strip())
        total += len(text.encode()) + 2
        if total >= target:
            break
    if total < target:
        raise SystemExit(f"{corpus} holds only {total:,} bytes of articles")
    out.parent.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(pieces) + "\n"
    out.write_text(body, encoding="utf-8")
    if pieces_dir is not None:
        pieces_dir.mkdir(parents=True, exist_ok=True)
        for old in pieces_dir.glob("*.txt"):
            old.unlink()
        for i, piece in enumerate(pieces):
            (pieces_dir / f"piece-{i:06d}.txt").write_text(piece + "\n", encoding="utf-8")
    return {
        "documents": len(pieces),
        "bytes": len(body.encode()),
        "words": len(body.split()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.mb, args.seed)))


if __name__ == "__main__":
    main()
