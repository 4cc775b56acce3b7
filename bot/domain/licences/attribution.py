"""The attribution line, following TASL: Title, Author, Source, Licence.

A member fills in the work's title, its creator, a link to it and a year; :func:`make_attribution` checks and
trims them, and :meth:`Attribution.line` writes the line in the reader's language, e.g.
``"Molen bij Wijk" © 1670 by Jacob van Ruisdael (https://example.org/molen) is licensed under CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/)``. CC0 and PDM are no licences: the work "is marked" (domain.md
A.3), and its year is written without ©, since such a work is free of copyright (``"Kaart" (1890) by ...``). The
wording and the escaping of the member's words are passed in, so this stays free of Discord and of catalogues.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.licences.catalogue import Tool
from bot.domain.resources import url_host
from bot.errors import Invalid

TITLE_MAX = 200
CREATOR_MAX = 200
SOURCE_MAX = 500
YEAR = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True, slots=True)
class LineWording:
    """The words of the line in one language; each template names its placeholders."""

    title: str
    """e.g. ``“{title}”``"""
    year: str
    """e.g. `` © {year}``: the year of a work under a licence"""
    creator: str
    """e.g. `` by {creator}``"""
    source: str
    """e.g. `` ({source})``"""
    licensed: str
    """e.g. ``{work} is licensed under {licence} ({url})``"""
    marked: str
    """e.g. ``{work} is marked {licence} ({url})``"""
    year_marked: str = " ({year})"
    """The year of a work under a tool that is no licence (CC0, PDM): without ©, as it is free of copyright.

    Catalogue key ``licences.attribution.line.year_marked``; the default is that wording (the same in nl and en).
    """


@dataclass(frozen=True, slots=True)
class Attribution:
    """What a member filled in for one work, checked, and the tool it is under."""

    tool: Tool
    title: str
    creator: str
    source: str | None = None
    year: str | None = None

    def line(
        self,
        wording: LineWording,
        locale: str,
        *,
        escape: Callable[[str], str] = str,
        link: Callable[[str], str] = str,
    ) -> str:
        """The TASL line: ``escape`` is applied to the member's words, ``link`` to the source address."""
        work = wording.title.format(title=escape(self.title))
        if self.year:
            year = wording.year if self.tool.is_licence else wording.year_marked
            work += year.format(year=escape(self.year))
        work += wording.creator.format(creator=escape(self.creator))
        if self.source:
            work += wording.source.format(source=link(self.source))
        template = wording.licensed if self.tool.is_licence else wording.marked
        return template.format(work=work, licence=self.tool.short, url=self.tool.deed(locale))


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def make_attribution(
    tool: Tool, *, title: str, creator: str, source: str | None = None, year: str | None = None
) -> Attribution:
    """Check and tidy what a member typed (spaces collapsed); raises :class:`Invalid` naming the field."""
    title, creator, source, year = _clean(title), _clean(creator), _clean(source), _clean(year)
    if not title or len(title) > TITLE_MAX:
        raise Invalid("licences.attribution.bad_title", limit=TITLE_MAX)
    if not creator or len(creator) > CREATOR_MAX:
        raise Invalid("licences.attribution.bad_creator", limit=CREATOR_MAX)
    if source and (len(source) > SOURCE_MAX or " " in source or url_host(source) is None):
        raise Invalid("licences.attribution.bad_source")
    if year and not YEAR.fullmatch(year):
        raise Invalid("licences.attribution.bad_year", value=year[:10])
    return Attribution(tool, title, creator, source or None, year or None)
