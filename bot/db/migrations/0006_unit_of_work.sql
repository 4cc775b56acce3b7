-- Migration 0006: unit_of_work
-- Reason: optimistic locking by a version number instead of a one-second timestamp. Every row that a
--         member or moderator edits while another may be editing it carries a version that each
--         change increments; a change based on an older version is refused (Conflict), not lost.

ALTER TABLE resources ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE faq_entries ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
