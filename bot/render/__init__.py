"""Pure rendering: (domain model, locale) → discord.Embed or text, within Discord's limits."""
