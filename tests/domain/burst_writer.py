"""A process that writes a burst of mixed use cases and confirms each one on stdout (killed by test_crash).

Run as ``python -m tests.domain.burst_writer DATABASE ROUND``. After every use case that returned, it prints
one line (``resource ID``, ``faq ID VERSION`` or ``solved THREAD``) and flushes, so the parent knows which
writes were confirmed before it sends SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.services import build_services

GUILD, MEMBER, MOD = 10, 1001, 1002


def confirm(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def burst(path: str, round_no: int) -> None:
    async with Database.open(path) as db:
        await apply_migrations(db)
        services = build_services(db, FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
        for i in range(10_000):
            n = round_no * 100_000 + i
            draft = make_draft(
                title=f"Handleiding {n}",
                url=f"https://example.org/gids/{n}",
                summary=f"Stap {n}: een beeldbank opzetten en beheren.",
                theme="skills",
                type="guide",
                language="nl",
                tags="beeldbank",
            )
            resource = await services.library.suggest(GUILD, MEMBER + n, draft)
            await services.library.approve(GUILD, resource.id, MOD)
            confirm(f"resource {resource.id}")
            entry = await services.qa.faq_save(GUILD, MOD, title=f"Vraag {n}", body=f"Antwoord {n} over depots.")
            confirm(f"faq {entry.id} {entry.version}")
            entry = await services.qa.faq_save(
                GUILD, MOD, title=f"Vraag {n}", body=f"Beter antwoord {n}.", entry_id=entry.id
            )
            confirm(f"faq {entry.id} {entry.version}")
            thread = 10**9 + n
            await services.qa.post_opened(HelpPost(thread, GUILD, 50, MEMBER, f"Vraag over klimaatbeheer {n}"))
            await services.qa.mark_solution(
                GUILD,
                thread,
                marker_id=MEMBER,
                is_moderator=False,
                answer_message_id=n + 1,
                answer_author_id=MOD,
                answer_text=f"Antwoord {n}: houd de luchtvochtigheid stabiel.",
            )
            confirm(f"solved {thread}")


if __name__ == "__main__":
    asyncio.run(burst(sys.argv[1], int(sys.argv[2])))
