-- Creates database :db owned by :owner (only its owner may connect), or gives it to :owner.
-- Run by psql as postgres with ON_ERROR_STOP; names reach SQL as quoted identifiers.
SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = :'db') AS missing \gset
\if :missing
CREATE DATABASE :"db" OWNER :"owner";
REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
\echo created
\else
SELECT pg_catalog.pg_get_userbyid(datdba) <> :'owner' AS moved FROM pg_catalog.pg_database WHERE datname = :'db' \gset
\if :moved
ALTER DATABASE :"db" OWNER TO :"owner";
\echo updated
\else
\echo unchanged
\endif
\endif
