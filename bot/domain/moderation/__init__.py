"""Moderation (issue 15 item 1): every moderators' queue in one overview, claims, reports, the weekly post."""
