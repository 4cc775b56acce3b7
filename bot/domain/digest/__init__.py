"""The weekly digest (issue 12): a per-server schedule, a channel post and opt-in personal DMs, each exactly once.

:mod:`~bot.domain.digest.models` holds the values, :mod:`~bot.domain.digest.schedule` the pure slot arithmetic,
:mod:`~bot.domain.digest.content` what a digest holds and a member's selection of it, and
:mod:`~bot.domain.digest.service` the use cases. Kept free of imports here, so the settings can name the sections.
"""
