-- Creates the login role :user, or sets its password when it exists (its login failed).
-- Run by psql as postgres with ON_ERROR_STOP; the password comes from the environment
-- (DOT_PW), never from a command line, and reaches SQL as a quoted literal.
-- A failing statement must not land in the server log with the password in it.
SET log_min_error_statement = panic;
SET log_statement = 'none';
\getenv pw DOT_PW
SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :'user') AS missing \gset
\if :missing
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
\echo created
\else
ALTER ROLE :"user" LOGIN PASSWORD :'pw';
\echo updated
\endif
