"""Gateway faults in the middle of a burst of /help, against the real bot, for each way discord.py 2.7 recovers.

discord.py RESUMEs after every close code except the fatal ones (a server-sent 1000 included), after op 7
RECONNECT and after op 9 INVALID_SESSION d=true. Where Discord keeps the session (most codes), the fake replays
what the client missed, so no interaction is lost or answered twice. Where Discord ends it (4007, 4009, op 9
d=false), discord.py's RESUME is refused and it IDENTIFYs a new session: interactions created in that gap never
reach the bot, on Discord as in the fake; the ones delivered before are answered once, and the bot answers again
afterwards. After 4004 and 4010-4014 the client stops with an error `steunpunt run` turns into one clear line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.app import SteunpuntBot
from bot.cli import discord_problem
from tests.e2e.conftest import Launcher
from tests.fakediscord import BotCrashedError, FakeDiscord, InteractionResult
from tests.fakediscord.gateway import FATAL_CLOSES, SESSION_ENDING_CLOSES, close_outcome

Env = tuple[FakeDiscord, SteunpuntBot]
Fault = Callable[[FakeDiscord], Awaitable[None]]

RESUMABLE_CLOSES = (1000, 1001, 4000, 4001, 4002, 4003, 4005, 4008)
BURST = 10  # half before the fault, half while the client is away


def close(code: int) -> Fault:
    """Discord closes the socket with `code` (the test waits for the client itself)."""
    return lambda fake: fake.close_gateway(code, wait=False)


RESUMING_FAULTS: dict[str, Fault] = {
    **{f"close-{code}": close(code) for code in RESUMABLE_CLOSES},
    "op7-reconnect": lambda fake: fake.reconnect_gateway(wait=False),
    "op9-resumable": lambda fake: fake.invalidate_session(resumable=True, wait=False),
}
SESSION_ENDING_FAULTS: dict[str, Fault] = {
    **{f"close-{code}": close(code) for code in sorted(SESSION_ENDING_CLOSES)},
    "op9-not-resumable": lambda fake: fake.invalidate_session(resumable=False, wait=False),
}


async def send_help(fake: FakeDiscord, n: int) -> list[InteractionResult]:
    """`n` /help invocations, alternately by alice (nl) and bob (en-GB), dispatched without waiting for answers."""
    return [await fake.send_slash("help", user=fake.alice if i % 2 == 0 else fake.bob) for i in range(n)]


async def assert_each_answered_once(fake: FakeDiscord, results: list[InteractionResult]) -> None:
    """Each interaction got exactly one callback, accepted, with the help embed in its member's language.

    Waits for an answer to each, then for one more /help: the gateway is ordered, so a second delivery of any
    of them would have reached the bot before that one.
    """
    await fake.wait_until(lambda: all(r.record.callbacks for r in results), what="an answer to every /help")
    assert (await fake.slash("help", user=fake.bob)).ephemeral
    callbacks = [[(c.status, c.code) for c in r.record.callbacks] for r in results]
    assert callbacks == [[(200, None)]] * len(results), callbacks
    titles = {"nl": "Steunpunt — wat ik kan", "en-GB": "Steunpunt — what I can do"}
    for r in results:
        assert r.ephemeral and r.message is not None
        assert r.message.embeds[0]["title"] == titles[r.record.payload["locale"]]


def double_acks(fake: FakeDiscord) -> list[int]:
    """Ids of interactions that got a 40060 (already acknowledged) anywhere in the test."""
    return [rec.id for rec in fake.state.interactions.values() if any(c.code == 40060 for c in rec.callbacks)]


@pytest.mark.parametrize("fault", list(RESUMING_FAULTS), ids=list(RESUMING_FAULTS))
async def test_resumed_session_loses_nothing_and_answers_nothing_twice(steunpunt: Env, fault: str) -> None:
    fake, _ = steunpunt
    session = fake.gateway.session
    assert session is not None
    before = await send_help(fake, BURST // 2)
    await RESUMING_FAULTS[fault](fake)
    away = await send_help(fake, BURST // 2)
    assert [r.delivery for r in before] == ["sent"] * len(before)
    assert [r.delivery for r in away] == ["buffered"] * len(away)  # the client is away: kept for its RESUME

    await fake.gateway.wait_connected(fake.timeout)
    assert fake.gateway.session is session and session.resumes == 1  # RESUMEd, not a new session
    replayed = [e.data["id"] for e in session.replayed if e.event == "INTERACTION_CREATE"]
    assert replayed == [str(r.record.id) for r in away]
    await assert_each_answered_once(fake, before + away)
    assert double_acks(fake) == [] and fake.gateway.lost == []


@pytest.mark.parametrize("fault", list(SESSION_ENDING_FAULTS), ids=list(SESSION_ENDING_FAULTS))
async def test_new_session_answers_what_it_got_once_and_the_gap_is_lost(steunpunt: Env, fault: str) -> None:
    """As on Discord, /help invoked while the bot has no session never reaches it (the member sees "The
    application did not respond"); nothing is answered twice, and the new session answers again."""
    fake, _ = steunpunt
    fake.reidentify_delay = 0.05  # discord.py's before_identify_hook waits 5 s before this re-IDENTIFY
    old = fake.gateway.session
    before = await send_help(fake, BURST // 2)
    await SESSION_ENDING_FAULTS[fault](fake)
    gap = await send_help(fake, BURST // 2)
    assert [r.delivery for r in gap] == ["lost"] * len(gap)

    await fake.gateway.wait_connected(fake.timeout)
    new = fake.gateway.session
    assert new is not None and new is not old and new.resumes == 0  # a fresh IDENTIFY, nothing replayed
    if fault.startswith("close-"):
        assert close_outcome(int(fault.removeprefix("close-"))) == "reidentify"
        assert [p["d"] for p in fake.gateway.sent if p["op"] == 9] == [False]  # its RESUME was refused
    after = await send_help(fake, BURST // 2)
    await assert_each_answered_once(fake, before + after)
    assert all(r.record.callbacks == [] for r in gap)
    assert {e.data["id"] for e in fake.gateway.lost if e.event == "INTERACTION_CREATE"} == {
        str(r.record.id) for r in gap
    }
    assert double_acks(fake) == []


@pytest.mark.parametrize("code", sorted(FATAL_CLOSES))
async def test_fatal_close_stops_the_bot_with_a_clear_error(
    fake_discord: FakeDiscord, launch: Launcher, code: int
) -> None:
    fake = fake_discord
    with pytest.raises(BotCrashedError) as crashed:
        async with launch(auto_sync=False) as bot:
            await bot.sync_commands(guild_id=None)
            settings = bot.settings
            await send_help(fake, BURST // 2)
            await fake.close_gateway(code)  # waits until the client task has ended
            assert fake.gateway.live is None and fake.gateway.connections == 1  # no reconnect attempt
    problem = discord_problem(crashed.value.__cause__ or crashed.value, settings, None, "DEV_GUILD_ID")
    if code == 4014:
        assert problem == "Discord refused a privileged intent; see `steunpunt check` for the intents to switch on."
    else:
        assert problem is not None and problem.startswith(f"Discord closed the gateway connection (code {code})")
    assert double_acks(fake) == []
