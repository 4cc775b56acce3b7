"""Domain services: use cases over plain ids and dataclasses. No discord imports here."""
