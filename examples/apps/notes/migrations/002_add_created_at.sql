-- v2: every note gets the time it was written (existing ones: the time of the migration).
BEGIN;
ALTER TABLE notes ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
COMMIT;
