"""Reference metadata: the paper's reference list entries against references.json and each source
file's header (authors, year, title, venue, URL)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.text import strip_markdown
from ..core.types import Record
from ..corpus import REFERENCES_FILE, Reference
from .words import norm


@dataclass(frozen=True)
class SourceHeader:
    title: str
    authors: tuple[str, ...]
    year_line: str
    years: tuple[int, ...]
    url: str


def parse_source_header(text: str) -> SourceHeader:
    """Title, authors, dates and URL from a source file's header ("# Title", "- Key: value" lines)."""
    lines = text.split("\n")
    title = lines[0][2:].strip() if lines and lines[0].startswith("# ") else ""
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("## "):
            break
        m = re.match(r"^-\s+([^:]+):\s*(.*)$", line)
        if m:
            fields[m.group(1).strip().lower()] = m.group(2).strip()
    author_field = fields.get("authors") or fields.get("author") or fields.get("author / publisher") or ""
    author_field = re.sub(r"\s*\(.*$", "", author_field)  # "(described on the page as …)"
    if re.search(r"\b[A-Z][\w'’-]+, (?:[A-Z]\.)+", author_field):
        authors = tuple(f"{m.group(2)} {m.group(1)}" for m in re.finditer(r"([^,]+?), ((?:[A-Z]\.\s?)+)", author_field))
    else:
        authors = tuple(a.strip() for a in author_field.split(",") if a.strip())
    year_line = fields.get("year") or fields.get("date") or ""
    years = tuple(dict.fromkeys(int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", year_line)))
    url = re.split(r"\s", fields.get("url", ""), maxsplit=1)[0]
    return SourceHeader(title, tuple(a for a in authors if a and a.lower() != "et al."), year_line, years, url)


@dataclass(frozen=True)
class PaperEntry:
    ref: int
    text: str
    authors: tuple[str, ...]  # surnames, or the organisation
    year: int | None
    url: str


def parse_paper_references(paper_text: str) -> dict[int, PaperEntry]:
    """The paper's own reference list ("- [n] Authors: Title. Venue (year)")."""
    entries: dict[int, PaperEntry] = {}
    section = paper_text.split("\n## References", 1)
    if len(section) < 2:
        return entries
    for m in re.finditer(r"^- \[(\d+)\]\s+(.*)$", section[1], re.M):
        entries[int(m.group(1))] = parse_paper_entry(int(m.group(1)), m.group(2))
    return entries


def parse_paper_entry(n: int, text: str) -> PaperEntry:
    """One entry of the paper's reference list, without its "[n]": "Authors: Title. Venue (year)"."""
    text = text.strip()
    author_part = text.split(": ", 1)[0]
    surnames = [s.strip() for s, _ in re.findall(r"([^,]+?), ((?:[A-Z][a-zà-ÿ]?\.\s?-?)+)", author_part)]
    authors = tuple(surnames) if surnames else (author_part.strip(),)
    year = re.search(r"\((\d{4})\)", text)
    url = re.search(r"<(https?://[^>]+)>", text)
    return PaperEntry(n, text, authors, int(year.group(1)) if year else None, url.group(1) if url else "")


@dataclass(frozen=True)
class MetadataCheck(Record):
    ref: int
    field: str  # authors | year | title | url | entry
    status: str  # ok | mismatch | note
    paper: str
    references_json: str
    source: str
    detail: str = ""


def _surname(name: str) -> str:
    name = re.sub(r"\s*\(.*\)$", "", name).strip()
    return name.split()[-1] if name.split() else name


def compare_authors(paper: Sequence[str], other: Sequence[str]) -> list[str]:
    """Differences between the paper's author surnames and another author list, in order. An
    organisation matches its own name ("Amazon.com" ~ "Amazon")."""
    problems = []
    named = [a for a in other if a.lower() not in ("et al.", "et al")]
    others = [_surname(a) for a in named]
    joined = norm(" ".join(other))
    if len(paper) == 1 and " " not in paper[0].strip() and (norm(paper[0]) in joined or joined in norm(paper[0])):
        return []
    for i, name in enumerate(paper):
        if name.strip("* ").lower() in ("et al.", "et al"):
            break
        if i >= len(others):
            problems.append(f"'{name}' is not in the list ({len(others)} authors)")
            continue
        a, b = norm(name), norm(others[i])
        if a == b or (a and a in joined):
            continue
        ratio = difflib.SequenceMatcher(None, a, b).ratio()
        full = re.sub(r"\s*\(.*\)$", "", named[i]).strip()  # "Ajay Mandlekar": the name a reader can check
        problems.append(f"author {i + 1}: '{name}' vs '{full}'" + (" (spelling)" if ratio >= 0.75 else ""))
    return problems


def _title_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", strip_markdown(text).lower()) if len(w) > 2}


_VENUE = re.compile(
    r"\b(NeurIPS|NIPS|ICLR|ICML|ACL|EMNLP|TMLR|Transactions on Machine Learning Research|SC)"
    r"\s?'?((?:19|20)?\d\d)?\b"
)


def _venues(text: str) -> set[tuple[str, str]]:
    """(venue, year) pairs named in a text: "Published at ICLR 2023" → ("iclr", "2023")."""
    out = set()
    for m in _VENUE.finditer(text):
        name = {"nips": "neurips", "transactions on machine learning research": "tmlr"}.get(
            m.group(1).lower(), m.group(1).lower()
        )
        year = m.group(2) or ""
        if len(year) == 2:
            year = "20" + year
        if name == "sc" and not year:
            continue
        out.add((name, year))
    return out


def compare_metadata(entry: PaperEntry | None, ref: Reference, header: SourceHeader | None) -> list[MetadataCheck]:
    """The paper's reference entry against references.json and the source file's header: authors,
    year, title, venue and URL. status "mismatch" for a disagreement, "note" for what a reader should
    know (no date in the source, a later publication the paper does not cite)."""
    n = ref.id
    if entry is None:
        return [
            MetadataCheck(
                n,
                "entry",
                "mismatch",
                "",
                ref.reference_text_in_paper,
                "",
                f"{REFERENCES_FILE} lists [{n}] but the paper's reference list does not",
            )
        ]
    checks: list[MetadataCheck] = []
    if norm(strip_markdown(entry.text)) != norm(strip_markdown(ref.reference_text_in_paper)):
        checks.append(
            MetadataCheck(
                n,
                "entry",
                "mismatch",
                entry.text,
                ref.reference_text_in_paper,
                "",
                f"{REFERENCES_FILE} quotes the paper's entry differently",
            )
        )
    checks.append(_authors_check(entry, ref, header))
    checks.append(_year_check(entry, ref, header))
    checks.append(_title_check(entry, ref, header))
    checks.append(_venue_check(entry, ref, header))
    checks.append(_url_check(entry, ref, header))
    return checks


def _authors_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    in_json = compare_authors(entry.authors, ref.authors)
    in_header = compare_authors(entry.authors, header.authors) if header and header.authors else []
    problems = list(dict.fromkeys(in_json + in_header))
    where = " and ".join(w for w, p in ((REFERENCES_FILE, in_json), ("the source header", in_header)) if p)
    return MetadataCheck(
        ref.id,
        "authors",
        "mismatch" if problems else "ok",
        ", ".join(entry.authors),
        ", ".join(ref.authors[:8]),
        ", ".join(header.authors[:8]) if header else "",
        f"{'; '.join(problems)} (per {where})" if problems else "",
    )


def _year_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    years = header.years if header else ()
    source_desc = header.year_line if header else ""
    status, detail = "ok", ""
    if entry.year is None:
        status, detail = "mismatch", "the paper's entry has no year"
    elif (ref.year and entry.year != ref.year) or (years and entry.year not in years):
        others = []
        if ref.year and entry.year != ref.year:
            others.append(f"{REFERENCES_FILE} gives {ref.year}")
        if years and entry.year not in years:
            others.append(f"the source header gives {', '.join(map(str, years))}")
        status, detail = "mismatch", f"the paper says {entry.year}; " + "; ".join(others)
    elif header is not None and not years:
        status, detail = "note", "the source gives no date, so the paper's year cannot be checked against it"
    return MetadataCheck(ref.id, "year", status, str(entry.year or ""), str(ref.year or ""), source_desc, detail)


def _title_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    """The words of each title we hold should (mostly) appear in the paper's entry."""
    entry_words = _title_words(entry.text)
    titles = [t for t in (ref.title, header.title if header else "") if t]
    share, worst = min((len(_title_words(t) & entry_words) / max(1, len(_title_words(t))), t) for t in titles)
    ok = share >= 0.6
    return MetadataCheck(
        ref.id,
        "title",
        "ok" if ok else "mismatch",
        entry.text.split(": ", 1)[-1][:160],
        ref.title,
        header.title if header else "",
        "" if ok else f"only {share:.0%} of the words of “{worst}” appear in the paper's entry",
    )


def _venue_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    """A peer-reviewed venue the source names that the paper's entry does not (it cites the preprint),
    or names with another year."""
    held: dict[str, str] = {}
    for name, year in sorted(_venues(f"{ref.venue} {header.year_line if header else ''}")):
        held[name] = held.get(name) or year  # "TMLR" and "TMLR 2023" are one venue
    cited: dict[str, str] = {}
    for name, year in sorted(_venues(entry.text)):
        cited[name] = cited.get(name) or year or str(entry.year or "")  # "NeurIPS (2017)": the entry's year

    def label(name: str, year: str) -> str:
        return f"{'NIPS/NeurIPS' if name == 'neurips' else name.upper()} {year}".strip()

    missing = [label(name, year) for name, year in held.items() if name not in cited]
    other_year = [
        f"{label(name, year)} (the paper: {cited[name]})"
        for name, year in held.items()
        if name in cited and year and cited[name] != year
    ]
    detail = []
    if missing:
        detail.append(f"the source says it appeared at {', '.join(missing)}; the paper's entry does not say so")
    if other_year:
        detail.append(f"the source dates the venue {', '.join(other_year)}")
    return MetadataCheck(
        ref.id,
        "venue",
        "note" if detail else "ok",
        entry.text.split(". ", 1)[-1][:120],
        ref.venue,
        header.year_line if header else "",
        "; ".join(detail),
    )


def _url_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    urls = [u for u in (ref.url, header.url if header else "") if u]
    source_url = header.url if header else ""
    if not entry.url:
        identified = re.search(r"arXiv:\s?\d{4}\.\d{4,5}", entry.text)
        status = "ok" if identified or not urls else "note"
        return MetadataCheck(
            ref.id,
            "url",
            status,
            "",
            ref.url,
            source_url,
            "" if status == "ok" else "the paper's entry gives neither a URL nor an arXiv id",
        )
    same = all(norm(u).rstrip("/") == norm(entry.url).rstrip("/") for u in urls)
    return MetadataCheck(
        ref.id, "url", "ok" if same else "mismatch", entry.url, ref.url, source_url, "" if same else "the URLs differ"
    )
