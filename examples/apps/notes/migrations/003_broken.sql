-- The broken version's migration (tests): it loses the data half-way and then fails, outside a
-- transaction, as a careless migration would; the backup taken before it brings the data back.
DELETE FROM notes;
ALTER TABLE notes ADD COLUMN author text NOT NULL REFERENCES no_such_table (id);
