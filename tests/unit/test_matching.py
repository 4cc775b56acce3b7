"""Matching a need to offers: each scoring rule, each exclusion, the order, the reasons, determinism, properties."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import matching as m
from bot.domain.matching import (
    LEVELS,
    MAX_BONUS,
    ORG_SIZES,
    REASON_CODES,
    History,
    MemberFacts,
    Need,
    Offer,
    Suggestion,
    line_reasons,
    parse_level,
    parse_org_size,
    rank_offers,
    score_offer,
    text_similarity,
)

REQUESTER = 1
SKILL, GROUP = "cms-use", "collections-metadata"
OTHER_SKILL_IN_GROUP = "metadata-standards"


def member(user_id: int = 2, **facts: Any) -> MemberFacts:
    """A member with nothing known beyond being available (active, not paused, room for three introductions)."""
    return MemberFacts(user_id=user_id, **{"capacity": 3, **facts})


def offer(offer_id: int = 10, owner: MemberFacts | None = None, **fields: Any) -> Offer:
    """A basic-level offer of the need's skill, with no formats: it scores exactly SAME_SKILL for a neutral need."""
    defaults: dict[str, Any] = {"skill_id": SKILL, "group_id": GROUP, "level": "basic"}
    return Offer(offer_id=offer_id, owner=owner or member(), **{**defaults, **fields})


def need(owner: MemberFacts | None = None, **fields: Any) -> Need:
    """A need for one taxonomy skill, with no level, format, language, region or size given."""
    defaults: dict[str, Any] = {"skill_id": SKILL, "group_id": GROUP}
    return Need(need_id=1, owner=owner or member(REQUESTER), **{**defaults, **fields})


def scored(n: Need, o: Offer, history: History | None = None) -> Suggestion:
    result = score_offer(n, o, history)
    assert result is not None
    return result


# --- the skill -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("need_fields", "offer_fields", "points", "first_reason"),
    [
        ({}, {}, m.SAME_SKILL, ("same_skill",)),
        ({}, {"skill_id": OTHER_SKILL_IN_GROUP}, m.SAME_GROUP, ("same_group", GROUP)),
        (
            {"skill_id": None, "free_text": "collectie beheren"},
            {"skill_id": None, "free_text": "Collectie beheren"},
            m.SAME_GROUP + m.GROUP_TEXT,
            ("same_group", GROUP),
        ),
        (
            {"skill_id": None, "group_id": None, "free_text": "crowdfunding campagne"},
            {"skill_id": None, "group_id": None, "free_text": "Crowdfunding-campagne"},
            m.SIMILAR_TEXT,
            ("similar_skill",),
        ),
        (
            {"skill_id": None, "group_id": None, "free_text": "crowdfunding campagne opzetten"},
            {"skill_id": None, "group_id": "strategy-business", "free_text": "crowdfunding"},
            m.SIMILAR_TEXT * text_similarity("crowdfunding campagne opzetten", "crowdfunding"),
            ("similar_skill",),
        ),
    ],
    ids=["exact", "same-group", "same-group-and-same-words", "same-words", "some-words"],
)
def test_skill_points(
    need_fields: dict[str, Any], offer_fields: dict[str, Any], points: float, first_reason: m.Reason
) -> None:
    """The skill gives its points, and how the skills relate is always the first reason."""
    result = scored(need(**need_fields), offer(**offer_fields))
    assert result.score == pytest.approx(points)
    assert result.reasons[0] == first_reason


@pytest.mark.parametrize(
    ("need_fields", "offer_fields"),
    [
        ({}, {"skill_id": "flat-scanning", "group_id": "digitisation"}),
        ({}, {"skill_id": None, "group_id": None, "free_text": "collectie beheren"}),
        ({"skill_id": None, "group_id": None, "free_text": "museum"}, {"skill_id": None, "free_text": "archief"}),
        ({"skill_id": None, "group_id": None, "free_text": "crowdfunding"}, {}),
        ({"skill_id": None, "group_id": None}, {"skill_id": None, "group_id": None}),
    ],
    ids=["other-group", "words-for-a-taxonomy-need", "unlike-words", "words-against-a-taxonomy-offer", "nothing"],
)
def test_unrelated_offers_are_no_candidates(need_fields: dict[str, Any], offer_fields: dict[str, Any]) -> None:
    """An offer that shares no skill, no group and too few words is never suggested."""
    assert score_offer(need(**need_fields), offer(**offer_fields)) is None
    assert rank_offers(need(**need_fields), [offer(**offer_fields)]) == []


def test_text_similarity_ignores_case_accents_and_inflection() -> None:
    """Descriptions are compared on folded stems: the same words score 1, unrelated ones 0."""
    assert text_similarity("Financiële administratie", "financiele ADMINISTRATIE") == 1.0
    assert text_similarity("objecten fotograferen", "Fotografeer objecten") > 0.5
    assert text_similarity("museum", "archief") == 0.0
    assert text_similarity("", "archief") == 0.0


def test_weights_keep_exact_skill_above_every_same_group_offer() -> None:
    """All bonuses together cannot lift the best same-group offer over a plain exact match."""
    assert m.SAME_SKILL - (m.SAME_GROUP + m.GROUP_TEXT) > MAX_BONUS
    assert m.SAME_GROUP > m.SIMILAR_TEXT


# --- the other rules -------------------------------------------------------------------------------------------


def _case(
    case_id: str,
    points: float,
    reason: m.Reason | None,
    *,
    need_owner: dict[str, Any] | None = None,
    offer_owner: dict[str, Any] | None = None,
    need_fields: dict[str, Any] | None = None,
    offer_fields: dict[str, Any] | None = None,
    outcome: tuple[int, int] | None = None,
) -> Any:
    return pytest.param(
        need_owner or {}, offer_owner or {}, need_fields or {}, offer_fields or {}, outcome, points, reason, id=case_id
    )


RULES = [
    # level
    _case("level-met", m.LEVEL_MET, ("level", "intermediate"), need_fields={"preferred_level": "intermediate"},
          offer_fields={"level": "intermediate"}),
    _case("level-above", m.LEVEL_MET + m.LEVEL_ABOVE, ("level", "expert"),
          need_fields={"preferred_level": "intermediate"}, offer_fields={"level": "expert"}),
    _case("level-short", m.LEVEL_SHORT, None, need_fields={"preferred_level": "intermediate"}),
    _case("level-two-short", 2 * m.LEVEL_SHORT, None, need_fields={"preferred_level": "expert"}),
    _case("level-unasked-expert", 2 * m.LEVEL_UNASKED, ("level", "expert"), offer_fields={"level": "expert"}),
    _case("level-unasked-basic", 0.0, None),
    # language
    _case("language-shared", m.LANGUAGE_SHARED, ("language", "nl"), need_owner={"languages": frozenset({"nl"})},
          offer_owner={"languages": frozenset({"nl", "en"})}),
    _case("language-dutch-named-first", m.LANGUAGE_SHARED, ("language", "nl"),
          need_owner={"languages": frozenset({"en", "nl"})}, offer_owner={"languages": frozenset({"nl", "en"})}),
    _case("language-english", m.LANGUAGE_SHARED, ("language", "en"), need_owner={"languages": frozenset({"en"})},
          offer_owner={"languages": frozenset({"nl", "en"})}),
    _case("language-none-shared", m.NO_SHARED_LANGUAGE, None, need_owner={"languages": frozenset({"en"})},
          offer_owner={"languages": frozenset({"nl"})}),
    _case("language-unknown-offerer", 0.0, None, need_owner={"languages": frozenset({"en"})}),
    _case("language-unknown-requester", 0.0, None, offer_owner={"languages": frozenset({"nl"})}),
    # region
    _case("region-same", m.SAME_REGION, ("region", "utrecht"), need_owner={"region": "utrecht"},
          offer_owner={"region": "utrecht"}),
    _case("region-other-is-no-region", 0.0, None, need_owner={"region": "other"}, offer_owner={"region": "other"}),
    _case("region-different", 0.0, None, need_owner={"region": "utrecht"}, offer_owner={"region": "limburg"}),
    _case("region-unknown", 0.0, None, need_owner={"region": "utrecht"}),
    # format
    _case("format-shared", m.FORMAT_MATCH, ("format", "1:1"), need_fields={"formats": frozenset({"1:1"})},
          offer_fields={"formats": frozenset({"review", "1:1"})}),
    _case("format-named-in-fixed-order", m.FORMAT_MATCH, ("format", "workshop"),
          need_fields={"formats": frozenset({"review", "workshop"})},
          offer_fields={"formats": frozenset({"workshop", "review"})}),
    _case("format-none-shared", m.FORMAT_MISMATCH, None, need_fields={"formats": frozenset({"workshop"})},
          offer_fields={"formats": frozenset({"review"})}),
    _case("format-no-wish", 0.0, None, offer_fields={"formats": frozenset({"review"})}),
    _case("format-offer-unspecified", 0.0, None, need_fields={"formats": frozenset({"review"})}),
    # mentoring between organisations
    _case("mentor-large-for-volunteer-run", 3 * m.MENTOR_PER_SIZE_STEP,
          ("mentor_larger_org", "large", "volunteer-run"), need_owner={"org_size": "volunteer-run"},
          offer_owner={"org_size": "large"}, offer_fields={"mentor": True}),
    _case("mentor-medium-for-small", m.MENTOR_PER_SIZE_STEP, ("mentor_larger_org", "medium", "small"),
          need_owner={"org_size": "small"}, offer_owner={"org_size": "medium"}, offer_fields={"mentor": True}),
    _case("mentor-same-size", 0.0, None, need_owner={"org_size": "medium"}, offer_owner={"org_size": "medium"},
          offer_fields={"mentor": True}),
    _case("mentor-smaller-org", 0.0, None, need_owner={"org_size": "large"}, offer_owner={"org_size": "small"},
          offer_fields={"mentor": True}),
    _case("larger-org-but-no-mentor", 0.0, None, need_owner={"org_size": "volunteer-run"},
          offer_owner={"org_size": "large"}),
    _case("mentor-requester-size-unknown", 0.0, None, offer_owner={"org_size": "large"},
          offer_fields={"mentor": True}),
    # organisation type
    _case("org-type-same", m.SAME_ORG_TYPE, ("same_org_type", "museum"), need_owner={"org_type": "museum"},
          offer_owner={"org_type": "museum"}),
    _case("org-type-other-is-no-type", 0.0, None, need_owner={"org_type": "other"}, offer_owner={"org_type": "other"}),
    # past outcomes
    _case("helped-three-times", m.OUTCOME * 3 / 5, ("helped_before", 3), outcome=(3, 0)),
    _case("not-helped-twice", -m.OUTCOME * 2 / 4, None, outcome=(0, 2)),
    _case("helped-as-often-as-not", 0.0, None, outcome=(2, 2)),
    _case("helped-once-is-cautious", m.OUTCOME / 3, ("helped_before", 1), outcome=(1, 0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("need_owner", "offer_owner", "need_fields", "offer_fields", "outcome", "points", "reason"), RULES
)
def test_rule_points_and_reason(
    need_owner: dict[str, Any],
    offer_owner: dict[str, Any],
    need_fields: dict[str, Any],
    offer_fields: dict[str, Any],
    outcome: tuple[int, int] | None,
    points: float,
    reason: m.Reason | None,
) -> None:
    """Each rule adds its points to the exact-skill base, and names a reason only when it helps."""
    n = need(member(REQUESTER, **need_owner), **need_fields)
    o = offer(owner=member(2, **offer_owner), **offer_fields)
    history = History(outcomes={2: outcome}) if outcome else History()
    result = scored(n, o, history)
    assert result.score == pytest.approx(m.SAME_SKILL + points)
    assert result.reasons == (("same_skill",),) + ((reason,) if reason else ())


@pytest.mark.parametrize("helped", [1, 10, 1_000, 10**9])
def test_past_outcomes_are_bounded(helped: int) -> None:
    """However often someone helped (or did not), the outcome term stays within ±OUTCOME."""
    up = scored(need(), offer(), History(outcomes={2: (helped, 0)})).score - m.SAME_SKILL
    down = scored(need(), offer(), History(outcomes={2: (0, helped)})).score - m.SAME_SKILL
    assert 0 < up < m.OUTCOME
    assert -m.OUTCOME < down < 0


def test_outcomes_of_others_do_not_count() -> None:
    """Only the offerer's own outcomes move their offer."""
    assert scored(need(), offer(), History(outcomes={99: (5, 0)})).score == m.SAME_SKILL


def test_urgency_and_visibility_do_not_change_the_score() -> None:
    """Urgency shifts every offer alike and visibility only governs /skills find: neither is scored."""
    base = scored(need(), offer()).score
    assert scored(need(urgency="high"), offer()).score == base
    assert scored(need(), offer(visible=True)).score == base


# --- exclusions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer_owner", "requester_blocked", "history"),
    [
        (member(REQUESTER), frozenset(), History()),
        (member(paused=True), frozenset(), History()),
        (member(active=False), frozenset(), History()),
        (member(open_introductions=2, capacity=2), frozenset(), History()),
        (member(open_introductions=0, capacity=0), frozenset(), History()),
        (member(), frozenset({2}), History()),
        (member(blocked=frozenset({REQUESTER})), frozenset(), History()),
        (member(), frozenset(), History(declined_pairs=frozenset({(REQUESTER, 2)}))),
    ],
    ids=["oneself", "paused", "inactive", "at-capacity", "no-capacity", "blocked-by-requester", "blocked-requester",
         "declined-before"],
)  # fmt: skip
def test_exclusions(offer_owner: MemberFacts, requester_blocked: frozenset[int], history: History) -> None:
    """An excluded owner is never suggested, however well their offer fits."""
    n = need(member(REQUESTER, blocked=requester_blocked, languages=frozenset({"nl"}), org_size="volunteer-run"))
    perfect = offer(owner=replace(offer_owner, languages=frozenset({"nl"}), org_size="large"), level="expert",
                    mentor=True)  # fmt: skip
    assert score_offer(n, perfect, history) is None
    assert rank_offers(n, [perfect], history) == []


@pytest.mark.parametrize(
    ("offer_owner", "requester_blocked", "history"),
    [
        (member(open_introductions=1, capacity=2), frozenset(), History()),
        (member(blocked=frozenset({99})), frozenset({98}), History()),
        (member(), frozenset(), History(declined_pairs=frozenset({(2, REQUESTER), (REQUESTER, 3)}))),
    ],
    ids=["room-left", "blocked-others", "declined-other-pairs"],
)
def test_near_exclusions_still_match(
    offer_owner: MemberFacts, requester_blocked: frozenset[int], history: History
) -> None:
    """Room left, blocks between other members and declines of other pairs (or the other way round) exclude nobody."""
    n = need(member(REQUESTER, blocked=requester_blocked))
    assert [s.offer.offer_id for s in rank_offers(n, [offer(owner=offer_owner)], history)] == [10]


def test_invisible_offers_are_matched() -> None:
    """Visibility governs /skills find only: an offer its owner keeps out of search is still suggested."""
    hidden = offer(visible=False)
    assert rank_offers(need(), [hidden]) == [Suggestion(hidden, m.SAME_SKILL, (("same_skill",),))]


# --- order -----------------------------------------------------------------------------------------------------


def ids(suggestions: list[Suggestion]) -> list[int]:
    return [s.offer.offer_id for s in suggestions]


def test_mentor_from_large_org_beats_same_level_peer_for_volunteer_run_need() -> None:
    """A volunteer-run foundation is first shown the large organisation's mentor, then the peer."""
    n = need(member(REQUESTER, org_size="volunteer-run"), preferred_level="intermediate")
    peer = offer(11, member(2, org_size="volunteer-run"), level="intermediate")
    mentor = offer(12, member(3, org_size="large"), level="intermediate", mentor=True)
    result = rank_offers(n, [peer, mentor])
    assert ids(result) == [12, 11]
    assert result[0].reasons[:2] == (("same_skill",), ("mentor_larger_org", "large", "volunteer-run"))


def test_exact_skill_beats_same_group_with_every_bonus() -> None:
    """A plain offer of the skill itself ranks above a same-group offer that has everything else going for it."""
    facts = {"languages": frozenset({"nl"}), "region": "utrecht", "org_type": "museum"}
    n = need(member(REQUESTER, org_size="volunteer-run", **facts), formats=frozenset({"1:1"}), preferred_level="basic",
             free_text="collectiebeheersysteem")  # fmt: skip
    group = offer(11, member(2, org_size="large", **facts), skill_id=OTHER_SKILL_IN_GROUP, level="expert",
                  mentor=True, formats=frozenset({"1:1"}), free_text="collectiebeheersysteem")  # fmt: skip
    exact = offer(12, member(3))
    history = History(outcomes={2: (10**6, 0)})
    assert scored(n, group, history).score > m.SAME_GROUP + m.GROUP_TEXT + MAX_BONUS - 0.001
    assert ids(rank_offers(n, [group, exact], history)) == [12, 11]


def test_same_group_beats_similar_words_on_equal_facts() -> None:
    """For a need described in words that names a group, a skill of that group outranks a look-alike description."""
    n = need(skill_id=None, free_text="crowdfunding campagne", group_id="strategy-business")
    words = offer(11, member(2), skill_id=None, group_id=None, free_text="crowdfunding campagne")
    group = offer(12, member(3), skill_id="fundraising", group_id="strategy-business")
    assert ids(rank_offers(n, [words, group])) == [12, 11]


def test_no_shared_language_ranks_below_a_group_match_one_can_talk_to() -> None:
    """An exact match in a language the requester does not speak comes after a same-group match in theirs."""
    n = need(member(REQUESTER, languages=frozenset({"nl"})))
    foreign = offer(11, member(2, languages=frozenset({"en"})))
    talkable = offer(12, member(3, languages=frozenset({"nl"})), skill_id=OTHER_SKILL_IN_GROUP)
    assert ids(rank_offers(n, [foreign, talkable])) == [12, 11]


def test_a_declined_pair_is_never_suggested_again() -> None:
    """After the offerer declined this requester, their offers disappear for this requester only."""
    offers = [offer(11, member(2)), offer(12, member(3)), offer(13, member(2), skill_id=OTHER_SKILL_IN_GROUP)]
    history = History(declined_pairs=frozenset({(REQUESTER, 2)}))
    assert sorted(ids(rank_offers(need(), offers))) == [11, 12]
    assert ids(rank_offers(need(), offers, history)) == [12]
    assert sorted(ids(rank_offers(need(member(4)), offers, history))) == [11, 12]


def test_each_member_is_suggested_once_with_their_best_offer() -> None:
    """Two fitting offers of one member give one suggestion: the better one."""
    owner = member(2)
    offers = [offer(11, owner, skill_id=OTHER_SKILL_IN_GROUP), offer(12, owner), offer(13, member(3), level="expert")]
    assert ids(rank_offers(need(), offers)) == [13, 12]


def test_limit() -> None:
    """At most `limit` suggestions; zero gives none; a negative limit is a mistake."""
    offers = [offer(100 + i, member(2 + i)) for i in range(8)]
    assert len(rank_offers(need(), offers)) == 5
    assert len(rank_offers(need(), offers, limit=3)) == 3
    assert rank_offers(need(), offers, limit=0) == []
    with pytest.raises(ValueError, match="negative"):
        rank_offers(need(), offers, limit=-1)


@pytest.mark.parametrize("need_id", range(1, 9))
def test_ties_prefer_the_less_busy_member(need_id: int) -> None:
    """On equal scores the member with fewer open introductions comes first, for every need."""
    busy = offer(11, member(2, open_introductions=2))
    free = offer(12, member(3, open_introductions=0))
    assert ids(rank_offers(replace(need(), need_id=need_id), [busy, free])) == [12, 11]


def test_ties_are_broken_the_same_way_every_time_and_vary_across_needs() -> None:
    """Equal offers come in a fixed order per need, not always the oldest offer first for every need."""
    offers = [offer(100 + i, member(2 + i)) for i in range(20)]
    firsts = set()
    for need_id in range(1, 40):
        n = replace(need(), need_id=need_id)
        order = ids(rank_offers(n, offers, limit=20))
        assert order == ids(rank_offers(n, list(reversed(offers)), limit=20))
        firsts.add(order[0])
    assert len(firsts) > 3


# --- reasons ---------------------------------------------------------------------------------------------------


def test_reasons_are_strongest_first_after_the_skill() -> None:
    """The reasons come as: how the skills relate, then by points, equal points in REASON_CODES order."""
    n = need(member(REQUESTER, org_size="small", languages=frozenset({"nl"}), region="utrecht"),
             preferred_level="intermediate", formats=frozenset({"review"}))  # fmt: skip
    o = offer(owner=member(2, org_size="large", languages=frozenset({"nl"}), region="utrecht"), level="expert",
              mentor=True, formats=frozenset({"review"}))  # fmt: skip
    result = scored(n, o, History(outcomes={2: (4, 0)}))
    assert result.reasons == (
        ("same_skill",),
        ("mentor_larger_org", "large", "small"),  # 12
        ("level", "expert"),  # 10
        ("helped_before", 4),  # 6.67
        ("language", "nl"),  # 6, named before region on equal points
        ("region", "utrecht"),  # 6
        ("format", "review"),  # 5
    )
    assert {r[0] for r in result.reasons} <= set(REASON_CODES)


@pytest.mark.parametrize(("limit", "count"), [(1, 1), (2, 2), (3, 3), (10, 7)])
def test_line_reasons_picks_the_strongest(limit: int, count: int) -> None:
    """The one-line explanation names the skill link and then the strongest other reasons."""
    n = need(member(REQUESTER, org_size="small", languages=frozenset({"nl"}), region="utrecht"),
             preferred_level="intermediate", formats=frozenset({"review"}))  # fmt: skip
    o = offer(owner=member(2, org_size="large", languages=frozenset({"nl"}), region="utrecht"), level="expert",
              mentor=True, formats=frozenset({"review"}))  # fmt: skip
    result = scored(n, o, History(outcomes={2: (4, 0)}))
    assert line_reasons(result, limit=limit) == result.reasons[:count]
    assert line_reasons(result)[:2] == (("same_skill",), ("mentor_larger_org", "large", "small"))


def test_line_reasons_with_only_the_skill() -> None:
    """With nothing else in common, the line says only how the skills relate; a line needs a reason."""
    result = scored(need(), offer(skill_id=OTHER_SKILL_IN_GROUP))
    assert line_reasons(result) == (("same_group", GROUP),)
    with pytest.raises(ValueError, match="at least one"):
        line_reasons(result, limit=0)


# --- the facts are checked -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: MemberFacts(1, org_size="huge"),  # type: ignore[arg-type]
        lambda: MemberFacts(1, capacity=-1),
        lambda: MemberFacts(1, open_introductions=-1),
        lambda: offer(level="guru"),
        lambda: need(preferred_level="guru"),
        lambda: History(outcomes={2: (-1, 0)}),
    ],
    ids=["size", "capacity", "open", "offer-level", "need-level", "outcome"],
)
def test_impossible_facts_are_refused(make: Any) -> None:
    """Unknown sizes or levels and negative counts are programming mistakes, refused at once."""
    with pytest.raises(ValueError):
        make()


def test_stored_values_are_parsed_into_the_closed_types() -> None:
    """Levels and sizes read from storage become the typed values; unknown ones are refused."""
    assert [parse_level(v) for v in ("basic", "intermediate", "expert")] == list(LEVELS)
    assert [parse_org_size(v) for v in (*ORG_SIZES, None)] == [*ORG_SIZES, None]
    with pytest.raises(ValueError, match="level"):
        parse_level("guru")
    with pytest.raises(ValueError, match="size"):
        parse_org_size("huge")


# --- properties ------------------------------------------------------------------------------------------------

SKILLS = [("cms-use", GROUP), (OTHER_SKILL_IN_GROUP, GROUP), ("flat-scanning", "digitisation"), (None, GROUP),
          (None, None)]  # fmt: skip
TEXTS = [None, "collectie beheren", "crowdfunding campagne", "scannen van foto's", "Collectiebeheer"]

members = st.builds(
    MemberFacts,
    user_id=st.integers(1, 12),
    org_type=st.sampled_from([None, "museum", "archive", "other"]),
    org_size=st.sampled_from([None, *ORG_SIZES]),
    region=st.sampled_from([None, "utrecht", "limburg", "other"]),
    languages=st.frozensets(st.sampled_from(["nl", "en", "fy"]), max_size=2),
    active=st.booleans(),
    paused=st.booleans(),
    open_introductions=st.integers(0, 3),
    capacity=st.integers(0, 3),
    blocked=st.frozensets(st.integers(1, 12), max_size=3),
)
formats = st.frozensets(st.sampled_from(["1:1", "workshop", "review", "documentation"]), max_size=3)


@st.composite
def offer_lists(draw: st.DrawFn) -> list[Offer]:
    """Offers with distinct ids; one member may own several."""
    offer_ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=25))
    result = []
    for offer_id in offer_ids:
        skill_id, group_id = draw(st.sampled_from(SKILLS))
        result.append(
            Offer(
                offer_id=offer_id,
                owner=draw(members),
                skill_id=skill_id,
                group_id=group_id,
                free_text=draw(st.sampled_from(TEXTS)),
                level=draw(st.sampled_from(LEVELS)),
                formats=draw(formats),
                mentor=draw(st.booleans()),
                visible=draw(st.booleans()),
            )
        )
    return result


@st.composite
def needs(draw: st.DrawFn) -> Need:
    skill_id, group_id = draw(st.sampled_from(SKILLS))
    return Need(
        need_id=draw(st.integers(1, 10**6)),
        owner=draw(members),
        skill_id=skill_id,
        group_id=group_id,
        free_text=draw(st.sampled_from(TEXTS)),
        urgency="normal",
        formats=draw(formats),
        preferred_level=draw(st.sampled_from([None, *LEVELS])),
    )


histories = st.builds(
    History,
    declined_pairs=st.frozensets(st.tuples(st.integers(1, 12), st.integers(1, 12)), max_size=10),
    outcomes=st.dictionaries(st.integers(1, 12), st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(need=needs(), offers=offer_lists(), history=histories, limit=st.integers(0, 8))
def test_properties(need: Need, offers: list[Offer], history: History, limit: int) -> None:
    """Never an excluded owner; finite, sorted scores; the limit holds; one suggestion per member."""
    result = rank_offers(need, offers, history, limit=limit)
    me = need.owner
    assert len(result) <= limit
    assert len({s.offer.owner.user_id for s in result}) == len(result)
    for s in result:
        owner = s.offer.owner
        assert owner.user_id != me.user_id
        assert not owner.paused and owner.active
        assert owner.open_introductions < owner.capacity
        assert owner.user_id not in me.blocked and me.user_id not in owner.blocked
        assert (me.user_id, owner.user_id) not in history.declined_pairs
        assert math.isfinite(s.score)
        assert s.reasons and s.reasons[0][0] in {"same_skill", "same_group", "similar_skill"}
        assert {r[0] for r in s.reasons} <= set(REASON_CODES)
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)


@settings(max_examples=200, deadline=None)
@given(need=needs(), offers=offer_lists(), history=histories, data=st.data())
def test_input_order_does_not_matter(need: Need, offers: list[Offer], history: History, data: st.DataObject) -> None:
    """Permuting the offers gives exactly the same suggestions, and so does asking again."""
    shuffled = data.draw(st.permutations(offers))
    result = rank_offers(need, offers, history, limit=8)
    assert rank_offers(need, shuffled, history, limit=8) == result
    assert rank_offers(need, offers, history, limit=8) == result


@settings(max_examples=200, deadline=None)
@given(need=needs(), offers=offer_lists(), history=histories, limit=st.integers(1, 8))
def test_ranking_agrees_with_scoring_each_offer(need: Need, offers: list[Offer], history: History, limit: int) -> None:
    """The ranking gives the top scores of scoring every offer on its own, each member's best counted once."""
    best: dict[int, float] = {}
    for o in offers:
        s = score_offer(need, o, history)
        if s is not None:
            best[o.owner.user_id] = max(s.score, best.get(o.owner.user_id, -math.inf))
    expected = sorted(best.values(), reverse=True)[:limit]
    result = rank_offers(need, offers, history, limit=limit)
    assert [s.score for s in result] == expected
    assert all(score_offer(need, s.offer, history) == s for s in result)
