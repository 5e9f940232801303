"""A generated database of fictional reports whose facts are known, for answers from text.

Every report is about one invented place (a mill, a lake, a bridge, a mine, a lighthouse) whose name has a
look-alike in the database ("Korvath Mill" beside "Korvash Mill"), and every number in the database is unique,
so which report an answer's number comes from is known. The questions ask one fact of one place, or ask about a
place the database does not hold but whose name looks like one it does (the answer should be "Not found", or be
warned), or ask of something the database holds nothing of (the answer should be "Not found"). Nothing is in any
model's training data.

    build(path, seed) -> questions: {"question", "kind": "fact" | "absent" | "unrelated", "title", "value"}
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

ONSETS = ["K", "Br", "V", "T", "D", "M", "S", "Gr", "L", "N", "Th", "Ost", "Fen", "Hal", "Rav", "Mer", "Cal", "Ul"]
VOWELS = ["a", "e", "i", "o", "u", "ae", "ei"]
CODAS = ["rv", "ll", "nd", "rr", "st", "th", "lk", "mb", "n", "r"]
ENDINGS = ["ath", "in", "ow", "ek", "ard", "ine", "as", "or", "um", "ey"]
FIRST = ["Ada", "Tomas", "Greta", "Ivo", "Marta", "Osric", "Lene", "Pavel", "Ines", "Rurik", "Sabine", "Edda"]
LAST = ["Morrow", "Kellan", "Vost", "Ambry", "Dunmore", "Hask", "Ollery", "Prenn", "Quill", "Sarrow", "Tidd"]

# kind: (title form, facts as (key, question, sentence, value range)); a sentence's {v} is the fact.
KINDS = {
    "mill": (
        "{} Mill",
        [
            ("workers", "How many workers did {t} employ?", "At its height it employed {v} workers.", (120, 990)),
            (
                "output",
                "How many tons of flour did {t} produce a year?",
                "It ground {v} tons of flour a year.",
                (1000, 9999),
            ),
            ("founded", "In which year was {t} founded?", "It was founded in {v}.", (1700, 1899)),
            ("founder", "Who founded {t}?", "Its founder was {v}, a grain merchant.", None),
        ],
    ),
    "lake": (
        "Lake {}",
        [
            ("depth", "How deep is {t}?", "Its greatest depth is {v} metres.", (20, 499)),
            (
                "species",
                "How many fish species live in {t}?",
                "Surveys have counted {v} species of fish in it.",
                (11, 89),
            ),
            ("surveyed", "In which year was {t} first surveyed?", "It was first surveyed in {v}.", (1700, 1899)),
            ("surveyor", "Who first surveyed {t}?", "The first survey was led by {v}.", None),
        ],
    ),
    "bridge": (
        "{} Bridge",
        [
            ("length", "How long is {t}?", "The bridge is {v} metres long.", (100, 999)),
            ("arches", "How many arches does {t} have?", "It rests on {v} stone arches.", (3, 39)),
            ("opened", "In which year did {t} open?", "It opened to traffic in {v}.", (1700, 1899)),
            ("engineer", "Who designed {t}?", "It was designed by the engineer {v}.", None),
        ],
    ),
    "mine": (
        "{} Mine",
        [
            ("shaft", "How deep is the main shaft of {t}?", "Its main shaft reaches {v} metres.", (100, 999)),
            ("miners", "How many miners worked at {t}?", "At most {v} miners worked there.", (100, 999)),
            ("closed", "In which year did {t} close?", "The mine closed in {v}.", (1800, 1999)),
            ("owner", "Who owned {t}?", "It was owned by {v} for most of its life.", None),
        ],
    ),
    "lighthouse": (
        "{} Lighthouse",
        [
            ("height", "How tall is {t}?", "The tower stands {v} metres tall.", (12, 99)),
            (
                "range",
                "How far can the light of {t} be seen?",
                "Its light can be seen {v} kilometres out to sea.",
                (20, 60),
            ),
            ("lit", "In which year was {t} first lit?", "It was first lit in {v}.", (1700, 1899)),
            ("keeper", "Who was the first keeper of {t}?", "Its first keeper was {v}.", None),
        ],
    ),
}
RIVERS = ["Ostel", "Marrow", "Quenna", "Dalve", "Sirrin", "Tobble"]
# Questions of kinds the database holds nothing of, about invented names and about general knowledge.
UNRELATED = [
    "How many seats does the {} Opera House have?",
    "What was the top speed of the steamship {}?",
    "How many pupils attend {} School?",
    "In which year did the {} Railway open?",
    "Who painted the ceiling of {} Chapel?",
    "How many books does the {} Library hold?",
    "What is the boiling point of liquid nitrogen in kelvin?",
    "How many moons does Mars have?",
]
FILLER = [
    "Local people still tell stories about it.",
    "The site lies at the end of a narrow road through the hills.",
    "Records of its early years were kept by the parish.",
    "A society of volunteers looks after what remains.",
    "Visitors come mostly in the summer months.",
    "Several painters of the region chose it as a subject.",
    "The nearest village grew up around it.",
    "Its history is told in a small museum nearby.",
    "Floods in a wet spring once damaged part of it.",
    "The old account books survive in a regional archive.",
    "Its appearance has changed little over the generations.",
    "A footpath along the water leads to it from the village green.",
    "Some of its original fittings were sold to collectors.",
    "Schoolchildren of the district visit it every autumn.",
]


def _name(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) + rng.choice(ENDINGS)


def _look_alike(name: str, rng: random.Random, taken: set[str]) -> str:
    """A different name one or two letters away from `name` (a letter changed, added or dropped)."""
    letters = "aeioulnrstvkm"
    for _ in range(100):
        i = rng.randrange(1, len(name))
        how = rng.choice(["change", "add", "drop"])
        if how == "change":
            other = name[:i] + rng.choice(letters) + name[i + 1 :]
        elif how == "add":
            other = name[:i] + rng.choice(letters) + name[i:]
        else:
            other = name[:i] + name[i + 1 :]
        if other != name and other not in taken and len(other) >= 4:
            return other
    raise RuntimeError(f"no look-alike for {name}")


def _number(rng: random.Random, low: int, high: int, used: set[int]) -> int:
    for _ in range(10_000):
        value = rng.randint(low, high)
        if value not in used:
            used.add(value)
            return value
    raise RuntimeError("ran out of unique numbers")


def shown(value) -> str:
    """A number as the reports write it (thousands with commas: "4,150"), a name as it is."""
    return f"{value:,}" if isinstance(value, int) and value >= 10_000 else str(value)


def build(path: Path, seed: int = 0, pairs: int = 30, facts: int = 48, absent: int = 12) -> list[dict]:
    """Write the database at `path` (table `reports`: id, title, report) and return the questions."""
    rng = random.Random(seed)
    taken: set[str] = set()
    used: set[int] = set()
    people: set[str] = set()
    places = []
    for _ in range(pairs):
        kind = rng.choice(sorted(KINDS))
        base = _name(rng)
        while base in taken:
            base = _name(rng)
        taken.add(base)
        twin = _look_alike(base, rng, taken)
        taken.add(twin)
        for name in (base, twin):
            form, templates = KINDS[kind]
            values = {}
            for key, _, _, span in templates:
                if span is None:
                    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    while person in people:
                        person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    people.add(person)
                    values[key] = person
                else:
                    values[key] = _number(rng, *span, used)
            places.append({"kind": kind, "name": name, "title": form.format(name), "values": values})
    rng.shuffle(places)
    rows = []
    for i, place in enumerate(places, 1):
        _, templates = KINDS[place["kind"]]
        stated = [sentence.format(v=shown(place["values"][key])) for key, _, sentence, _ in templates]
        rng.shuffle(stated)
        sentences = [f"{place['title']} is a {place['kind']} in the valley of the {rng.choice(RIVERS)}.", *stated]
        for filler in rng.sample(FILLER, 6):
            sentences.insert(rng.randrange(1, len(sentences) + 1), filler)
        rows.append((i, place["title"], " ".join(sentences)))
    path = Path(path)
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("create table reports (id integer primary key, title text, report text)")
    conn.executemany("insert into reports values (?, ?, ?)", rows)
    conn.commit()
    conn.close()
    questions = []
    for place in rng.sample(places, facts):
        _, templates = KINDS[place["kind"]]
        key, question, _, _ = rng.choice(templates)
        value = place["values"][key]
        questions.append(
            {"question": question.format(t=place["title"]), "kind": "fact", "title": place["title"], "value": value}
        )
    for place in rng.sample(places, absent):
        form, templates = KINDS[place["kind"]]
        missing = _look_alike(place["name"], rng, taken)
        taken.add(missing)
        _, question, _, _ = rng.choice(templates)
        questions.append(
            {
                "question": question.format(t=form.format(missing)),
                "kind": "absent",
                "title": form.format(missing),
                "value": None,
                "look_alike": place["title"],
            }
        )
    for form in UNRELATED:
        name = _name(rng)
        questions.append({"question": form.format(name), "kind": "unrelated", "title": None, "value": None})
    return questions


def states(answer: str, value) -> bool:
    """Whether `answer` states `value` (a number written with or without thousands commas; a person's name)."""
    if isinstance(value, int):
        numbers = {n.replace(",", "") for n in re.findall(r"\d[\d,]*", answer)}
        return str(value) in numbers
    return value.lower() in answer.lower()
