"""Build the search lexicon, ``bot/data/lexicon/lexicon.txt.gz``, from OpenTaal's Dutch and SCOWL's English words.

Usage, from the repository root, on a machine that reaches Debian's package archive::

    .venv/bin/python scripts/build_lexicon.py --download

``--download`` fetches the pinned Debian packages (:data:`PACKAGES`) with ``apt-get download`` and unpacks
them with ``dpkg-deb`` into a temporary folder. Without it the lists are read from the system (after
``apt-get install hunspell-nl wbritish-small``) or from ``--dic``, ``--aff`` and ``--english``. The output is
deterministic: the same lists give the same bytes (and so the same lexicon fingerprint).

The file has two sections (see :mod:`bot.domain.search.lexicon` and ``bot/data/lexicon/README.md``):

* ``[parts]``, the words a Dutch compound may be split into: the OpenTaal Hunspell entries that OpenTaal
  itself flags as compound parts (:data:`COMPOUND_FLAGS`), with the forms their suffix flags make (plurals,
  diminutives, adjective endings), minus stop words and :data:`NOT_PARTS`, a few words that would cut common
  words apart (``duide+lijk``, ``bezoeker+sonder+zoek``);
* ``[words]``, other words worth knowing for spelling corrections: OpenTaal's other nouns, adjectives and
  infinitives as listed (no inflections, and not the compounds of parts, which splitting finds), and
  SCOWL's common British English words (size 35).

Every word is folded as the analyser folds text (lower case, no accents), letters a-z only, 4 to 30 of them;
proper names, abbreviations written in capitals and the misspellings OpenTaal lists as wrong are left out.
"""

from __future__ import annotations

import argparse
import gzip
import re
import string
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.search.analysis import STOPWORDS, fold, split_compound  # noqa: E402
from bot.domain.search.lexicon import FORMAT_HEADER, PARTS_SECTION, WORDS_SECTION, Lexicon  # noqa: E402

OUTPUT = ROOT / "bot" / "data" / "lexicon" / "lexicon.txt.gz"
PACKAGES = ("hunspell-nl=2:2.20.19-2", "wbritish-small=2020.12.07-2")
"""The Debian (bookworm) packages the shipped file was built from."""
LICENCES = {"hunspell-nl": "LICENSE-OpenTaal.txt", "wbritish-small": "LICENSE-SCOWL.txt"}
"""Each package's copyright file, copied beside the lexicon (both licences ask for their notice to be kept)."""
SYSTEM_DIC = Path("/usr/share/hunspell/nl.dic")
SYSTEM_AFF = Path("/usr/share/hunspell/nl.aff")
SYSTEM_ENGLISH = Path("/usr/share/dict/british-english-small")

COMPOUND_FLAGS = frozenset({"Ca", "Cb", "Cc", "CA", "CB", "Cd", "Ce", "Ch", "Cl", "Cx"})
"""OpenTaal's compounding flags: may begin (Ca), sit in the middle of (Cb) or end (Cc) a compound, and variants."""
ONLY_IN_COMPOUND = "Cx"
SKIP_FLAGS = frozenset({"Fw", "PN", "Kc"})
"""Forbidden (misspelt) words, proper names, and abbreviations whose case must be kept."""
NOT_PARTS = frozenset(
    {
        # derivational suffixes that are also words: duide+lijk, digitalise+ring, digitali+sering, mini+ster
        *("lijk", "lijke", "lijken", "ring", "ringen", "rings", "sering", "seringen", "ster", "sterren"),
        # rare words that swallow a linking s or a prefix: bezoeker+sonder+zoek, gesp+rekken, vers+lagen
        *("sonder", "sonders", "gesp", "gespen", "vers", "verzen", "toep", "engel", "engelen", "engels"),
        # rare words that end common words: verschil+lende, budget+teren, combi+neren
        *("lende", "lenden", "teer", "teren", "neer"),
        # foxglove: through its English stem it makes digitalise(rings) a word, before digitalisering
        "digitalis",
    }
)
"""Words that cut common non-compounds apart far more often than they are a compound's part."""
OTHER_FLAGS = frozenset({"Vi", *(f"{kind}{c}" for kind in "ZA" for c in string.ascii_lowercase)})
"""The other entries kept as words: infinitives (Vi), nouns (Z*: plural endings) and adjectives (A*: inflections)."""
MIN_LEN = 4
MAX_LEN = 30


def read_aff(path: Path) -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    """The suffix rules of a Hunspell affix file with two-character flags: flag -> (strip, add, condition).

    Rules whose form may only stand inside a compound (continuation flag ``Cx``: the linking s of
    ``digitaliserings-``) are left out: such a form is not a word, and the splitter strips linking letters.
    """
    rules: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        head = lines[i].split()
        i += 1
        if len(head) < 4 or head[0] != "SFX" or head[2] not in "YN" or not head[3].isdigit():
            continue
        flag, count = head[1], int(head[3])
        found = []
        for line in lines[i : i + count]:
            rule = line.split()
            strip = "" if rule[2] == "0" else rule[2]
            add, _, then = rule[3].partition("/")
            if ONLY_IN_COMPOUND in {then[j : j + 2] for j in range(0, len(then), 2)}:
                continue
            condition = rule[4] if len(rule) > 4 else "."
            found.append((strip, "" if add == "0" else add, re.compile(f"(?:{condition})$")))
        rules[flag] = found
        i += count
    return rules


def read_dic(path: Path) -> list[tuple[str, set[str]]]:
    """The entries of a Hunspell dictionary with two-character flags, as (word, flags), one per line.

    A word may have several entries (``keer`` the noun, a compound part, and ``keer`` the verb, not one):
    each keeps its own flags, so only the noun's forms become compound parts.
    """
    entries: list[tuple[str, set[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        word, _, flags = line.split("\t")[0].strip().partition("/")
        if word:
            entries.append((word, {flags[i : i + 2] for i in range(0, len(flags), 2)}))
    return entries


def expand(word: str, flags: Iterable[str], rules: dict[str, list[tuple[str, str, re.Pattern[str]]]]) -> set[str]:
    """A dictionary word and every form its suffix flags make (one level, as Hunspell's unmunch does)."""
    forms = {word}
    for flag in flags:
        for strip, add, condition in rules.get(flag, ()):
            if word.endswith(strip) and condition.search(word):
                forms.add(word[: len(word) - len(strip)] + add)
    return forms


def clean(word: str) -> str | None:
    """The folded word if the lexicon may hold it: letters a-z only, 4 to 30 of them; else None."""
    folded = fold(word)
    if folded.isascii() and folded.isalpha() and MIN_LEN <= len(folded) <= MAX_LEN:
        return folded
    return None


def lower_case(word: str) -> bool:
    """Whether an entry is written in lower case (``ĳ`` counts as lower case; ``Ĳ`` at the start does not)."""
    return not any(c.isupper() for c in word)


def dutch(dic: Path, aff: Path) -> tuple[set[str], set[str]]:
    """The Dutch compound parts (with their inflected forms) and the other Dutch words worth knowing.

    The other words are the dictionary's nouns, adjectives and infinitives as listed (no inflected forms),
    without the compounds of parts: splitting finds those, and they would only cost memory.
    """
    rules = read_aff(aff)
    parts: set[str] = set()
    lemmas: set[str] = set()
    for word, flags in read_dic(dic):
        if flags & SKIP_FLAGS or not lower_case(word) or fold(word) in STOPWORDS:
            continue
        if flags & COMPOUND_FLAGS:
            parts.update(w for w in map(clean, expand(word, flags, rules)) if w is not None)
        elif flags & OTHER_FLAGS and (lemma := clean(word)) is not None:
            lemmas.add(lemma)
    parts -= NOT_PARTS | STOPWORDS
    known = Lexicon.of(parts).known
    return parts, {w for w in lemmas - parts if not split_compound(w, known)}


def english(path: Path) -> set[str]:
    """The lower-case words of a SCOWL list (names and abbreviations start with a capital and are left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {w for w in (clean(line) for line in lines if line and lower_case(line)) if w is not None}


def render(parts: set[str], words: set[str]) -> bytes:
    """The lexicon file's text: a header, then each section's words sorted, one a line."""
    lines = [FORMAT_HEADER, PARTS_SECTION, *sorted(parts), WORDS_SECTION, *sorted(words - parts)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def download(into: Path, licences: Path) -> tuple[Path, Path, Path]:
    """Fetch and unpack the pinned Debian packages, copy their licences into ``licences``.

    Returns the paths of nl.dic, nl.aff and the English list.
    """
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=into, check=True)  # noqa: S603, S607
    for deb in sorted(into.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(into / "root")], check=True)  # noqa: S603, S607
    share = into / "root" / "usr" / "share"
    for package, name in LICENCES.items():
        (licences / name).write_bytes((share / "doc" / package / "copyright").read_bytes())
    return share / "hunspell" / "nl.dic", share / "hunspell" / "nl.aff", share / "dict" / "british-english-small"


def build(dic: Path, aff: Path, english_list: Path | None, output: Path) -> None:
    """Write the lexicon file and report its size."""
    parts, others = dutch(dic, aff)
    words = others | (english(english_list) if english_list is not None else set())
    data = gzip.compress(render(parts, words), compresslevel=9, mtime=0)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    sys.stdout.write(f"{output}: {len(parts)} parts, {len(words - parts)} other words, {len(data)} bytes\n")


def main() -> None:
    """Parse the command line and build the lexicon."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--download", action="store_true", help="fetch the pinned Debian packages first")
    parser.add_argument("--dic", type=Path, default=SYSTEM_DIC, help="OpenTaal Hunspell nl.dic")
    parser.add_argument("--aff", type=Path, default=SYSTEM_AFF, help="OpenTaal Hunspell nl.aff")
    parser.add_argument("--english", type=Path, default=SYSTEM_ENGLISH, help="SCOWL word list")
    parser.add_argument("--no-english", action="store_true", help="leave the English words out")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    english_list = None if args.no_english else args.english
    if args.download:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            dic, aff, eng = download(Path(tmp), args.output.parent)
            build(dic, aff, None if args.no_english else eng, args.output)
    else:
        build(args.dic, args.aff, english_list, args.output)


if __name__ == "__main__":
    main()
