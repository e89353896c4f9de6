-- v1: the notes table.
BEGIN;
CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL);
COMMIT;
