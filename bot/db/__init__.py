"""Storage: the SQLite connection, migrations and repositories. No discord imports here."""
