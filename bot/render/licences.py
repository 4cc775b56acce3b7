"""Rendering for /licence and /rights: the chooser's screens and result, attribution lines, comparisons, facts.

Every fact shown comes from the catalogues (``bot/data/licences.toml``, ``rights.toml``); the words around them
come from the i18n catalogue. Only the attribution line carries member text: it is escaped (markdown and
mentions) where it is shown, and shown once more inside a code block (no backtick can end it) for copying.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.licences.attribution import Attribution, LineWording
from bot.domain.licences.catalogue import LicenceCatalogue, Tool
from bot.domain.licences.chooser import Chooser, ChooserState
from bot.domain.licences.compat import Comparison, Constraint
from bot.domain.licences.rights import RightsCatalogue, RightsStatement
from bot.i18n import I18n
from bot.render.common import Colours, embed_builder, link_target, neutral, safe, safe_link, truncate

CHECKBOX = "☐"


def _line_wording(i18n: I18n, locale: str) -> LineWording:
    """The words of an attribution line in ``locale`` (templates, filled in by :meth:`Attribution.line`)."""
    key = "licences.attribution.line"

    def t(name: str, locale: str) -> str:
        own, english = i18n.catalogue(locale), i18n.catalogue("en")
        return own.get(name) or english[name]

    return LineWording(
        title=t(f"{key}.title", locale),
        year=t(f"{key}.year", locale),
        year_marked=t(f"{key}.year_marked", locale),
        creator=t(f"{key}.creator", locale),
        source=t(f"{key}.source", locale),
        licensed=t(f"{key}.licensed", locale),
        marked=t(f"{key}.marked", locale),
    )


def _source_link(url: str) -> str:
    """A member's link as plain, safe text: normalised, nothing in it can end it early or ping."""
    return link_target(url) or safe(url)


def attribution_line(attribution: Attribution, i18n: I18n, locale: str, *, escaped: bool = True) -> str:
    """The TASL line in ``locale``: member words escaped for a message, or raw (for the copy block)."""
    escape = safe if escaped else str
    return attribution.line(_line_wording(i18n, locale), locale, escape=escape, link=_source_link)


def _permit_lines(tool: Tool, i18n: I18n, locale: str) -> str:
    """What others may and may not do with a tool's material, one line each, from its permits."""
    return "\n".join(
        i18n.t(f"licences.{'permit' if allowed else 'forbid'}.{name}", locale) for name, allowed in tool.permits.items()
    )


def _condition_lines(tool: Tool, catalogue: LicenceCatalogue, i18n: I18n, locale: str) -> str:
    """The conditions a tool sets, one line per element with what it means; or "none"."""
    lines = []
    for code in tool.elements:
        element = catalogue.elements[code]
        lines.append(f"• **{element.name(locale)}** ({code}): {element.meaning(locale)}")
    return "\n".join(lines) or i18n.t("licences.result.no_conditions", locale)


def _link_lines(tool: Tool, i18n: I18n, locale: str) -> str:
    """The deed and (when there is one) the legal code, as links."""
    lines = [safe_link(i18n.t("licences.result.deed", locale), tool.deed(locale))]
    legalcode = tool.legalcode(locale)
    if legalcode:
        lines.append(safe_link(i18n.t("licences.result.legalcode", locale), legalcode))
    return "\n".join(lines)


def _checklist(chooser: Chooser, confirmations: Sequence[str], locale: str) -> str:
    """The confirmations of an outcome as a checklist (our wording of A.3's confirmations)."""
    return "\n".join(f"{CHECKBOX} {chooser.confirmation(c, locale)}" for c in confirmations)


def _tool_heading(tool: Tool, i18n: I18n, locale: str) -> str:
    return i18n.t("licences.result.title", locale, short=tool.short, name=tool.name(locale))


@embed_builder
def chooser_step_embed(state: ChooserState, chooser: Chooser, i18n: I18n, locale: str) -> discord.Embed:
    """One screen of the licence chooser: its questions (A.3's wording, or ours for the public-domain path)."""
    assert state.step is not None
    questions = [chooser.question(q) for q in state.step.questions]
    text = "\n\n".join(f"**{q.text(locale)}**" for q in questions if q is not None)
    embed = discord.Embed(
        title=i18n.t("licences.choose.title", locale, number=state.number), description=text, colour=Colours.brand
    )
    embed.set_footer(text=i18n.t("licences.choose.footer", locale))
    return embed


@embed_builder
def chooser_result_embed(state: ChooserState, catalogue: LicenceCatalogue, i18n: I18n, locale: str) -> discord.Embed:
    """Where the chooser led: the tool's name and code, deed, what it allows and requires, and what to confirm."""
    assert state.outcome is not None
    tool = catalogue.tool(state.outcome.result)
    assert tool is not None
    t = i18n.t
    embed = discord.Embed(
        title=_tool_heading(tool, i18n, locale),
        url=tool.deed(locale),
        description=tool.about(locale),
        colour=Colours.success,
    )
    embed.add_field(name=t("licences.result.allows", locale), value=_permit_lines(tool, i18n, locale), inline=False)
    embed.add_field(
        name=t("licences.result.requires", locale), value=_condition_lines(tool, catalogue, i18n, locale), inline=False
    )
    embed.add_field(name=t("licences.result.links", locale), value=_link_lines(tool, i18n, locale), inline=False)
    embed.add_field(
        name=t("licences.result.confirm", locale),
        value=_checklist(catalogue.chooser, state.outcome.confirmations, locale),
        inline=False,
    )
    embed.set_footer(text=t("licences.result.footer", locale))
    return embed


@embed_builder
def attribution_embed(
    attribution: Attribution, confirmations: Sequence[str], chooser: Chooser, i18n: I18n, locale: str
) -> discord.Embed:
    """The ready attribution line (escaped), the same line to copy, and the checklist."""
    t = i18n.t
    embed = discord.Embed(
        title=t("licences.attribution.title", locale),
        description=attribution_line(attribution, i18n, locale),
        colour=Colours.success,
    )
    raw = truncate(neutral(attribution_line(attribution, i18n, locale, escaped=False)), 1000)
    embed.add_field(name=t("licences.attribution.copy", locale), value=f"```\n{raw}\n```", inline=False)
    if confirmations:
        embed.add_field(
            name=t("licences.result.confirm", locale), value=_checklist(chooser, confirmations, locale), inline=False
        )
    embed.set_footer(text=t("licences.attribution.tasl", locale))
    return embed


def _option_label(code: str, catalogue: LicenceCatalogue, i18n: I18n, locale: str) -> str:
    """A chart-1 code as members read it: the tool's short name, or "public domain (CC0 1.0 / PDM 1.0)"."""
    tools = catalogue.row_tools(code)
    own = [tool for tool in tools if tool.kind != "public_domain_mark"]  # PDM is not for one's own work (A.2)
    names = " / ".join(tool.short for tool in own or tools)
    if len(tools) == 1:
        return names
    return i18n.t("licences.compare.pd_option", locale, tools=names or code)


@embed_builder
def comparison_embed(comparison: Comparison, catalogue: LicenceCatalogue, i18n: I18n, locale: str) -> discord.Embed:
    """Can the two be combined into one adaptation, why, with which licences; and the note on collections."""
    t = i18n.t
    a, b = comparison.a.short, comparison.b.short
    verdict = t("licences.compare.can" if comparison.can_remix else "licences.compare.cannot", locale, a=a, b=b)
    why = [t(f"licences.why.{c.kind}", locale, licence=c.tool.short) for c in _distinct(comparison)]
    if not comparison.can_remix and not any(c.kind == "nd" for c in comparison.constraints):
        why.append(t("licences.compare.no_licence", locale))
    embed = discord.Embed(
        title=t("licences.compare.title", locale, a=a, b=b),
        description=verdict,
        colour=Colours.success if comparison.can_remix else Colours.error,
    )
    embed.add_field(name=t("licences.compare.why", locale), value="\n".join(why), inline=False)
    if comparison.can_remix:
        lines = []
        for code in comparison.allowed:
            label = _option_label(code, catalogue, i18n, locale)
            most_open = f" ({t('licences.compare.most_open', locale)})" if code == comparison.most_open else ""
            lines.append(f"✅ {label}{most_open}")
        for code in comparison.discouraged:
            lines.append(
                t("licences.compare.discouraged", locale, licence=_option_label(code, catalogue, i18n, locale))
            )
        lines.append(t("licences.compare.both_apply", locale))
        embed.add_field(name=t("licences.compare.options", locale), value="\n".join(lines), inline=False)
    embed.add_field(name=t("licences.compare.collections", locale), value=_collection_text(comparison, i18n, locale))
    embed.set_footer(text=t("licences.source_footer", locale))
    return embed


def _distinct(comparison: Comparison) -> list[Constraint]:
    """The two constraints, once when both originals are under the same tool."""
    first, second = comparison.constraints
    return [first] if first.tool.id == second.tool.id else [first, second]


def _collection_text(comparison: Comparison, i18n: I18n, locale: str) -> str:
    """The collections note: each original's place in commercial and non-commercial collections (A.4)."""
    t = i18n.t
    lines = [t("licences.compare.collection_intro", locale)]
    tools = [comparison.a] if comparison.a.id == comparison.b.id else [comparison.a, comparison.b]
    for index, tool in enumerate(tools):
        commercial = comparison.commercial_collection[index]
        lines.append(
            t(f"licences.compare.collection_{'both' if commercial else 'nc_only'}", locale, licence=tool.short)
        )
    both = all(comparison.commercial_collection)
    lines.append(t(f"licences.compare.collection_{'commercial' if both else 'noncommercial'}", locale))
    return "\n".join(lines)


@embed_builder
def licence_embed(tool: Tool, catalogue: LicenceCatalogue, i18n: I18n, locale: str) -> discord.Embed:
    """The facts of one tool: what it is, allows and requires, how open it is, and where to read it."""
    t = i18n.t
    embed = discord.Embed(
        title=_tool_heading(tool, i18n, locale),
        url=tool.deed(locale),
        description=tool.about(locale),
        colour=Colours.brand,
    )
    embed.add_field(name=t("licences.result.allows", locale), value=_permit_lines(tool, i18n, locale), inline=False)
    embed.add_field(
        name=t("licences.result.requires", locale), value=_condition_lines(tool, catalogue, i18n, locale), inline=False
    )
    scale = " › ".join(
        f"**{other.short}**" if other.id == tool.id else other.short for other in catalogue.by_openness()
    )
    embed.add_field(name=t("licences.info.openness", locale), value=scale, inline=False)
    yes, no = t("licences.yes", locale), t("licences.no", locale)
    embed.add_field(name=t("licences.info.free_cultural", locale), value=yes if tool.free_cultural_work else no)
    embed.add_field(name=t("licences.info.europeana", locale), value=yes if tool.europeana_supported else no)
    embed.add_field(name=t("licences.result.links", locale), value=_link_lines(tool, i18n, locale), inline=False)
    embed.set_footer(text=t("licences.source_footer", locale))
    return embed


@embed_builder
def rights_embed(statement: RightsStatement, catalogue: RightsCatalogue, i18n: I18n, locale: str) -> discord.Embed:
    """One rights statement: its name and code, when to use it, its category and URI, Europeana, the notes."""
    t = i18n.t
    embed = discord.Embed(
        title=t("licences.rights.title", locale, code=statement.id, label=statement.label(locale)),
        colour=Colours.brand,
    )
    embed.add_field(name=t("licences.rights.when", locale), value=statement.summary(locale), inline=False)
    collection = catalogue.collection_of(statement)
    if collection is not None:
        embed.add_field(name=t("licences.rights.category", locale), value=collection.label(locale), inline=False)
    embed.add_field(name=t("licences.rights.uri", locale), value=f"`{neutral(statement.uri)}`", inline=False)
    yes, no = t("licences.yes", locale), t("licences.no", locale)
    embed.add_field(name=t("licences.rights.europeana", locale), value=yes if statement.europeana_supported else no)
    notes = [catalogue.note(n, locale) for n in catalogue.notes]
    embed.set_footer(text="\n".join(n for n in notes if n))
    return embed
