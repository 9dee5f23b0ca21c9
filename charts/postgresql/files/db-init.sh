#!/bin/sh
# Create (or update) one service's PostgreSQL role and database. Idempotent:
# an existing role gets the current password, an existing database is kept.
# Inputs (env): PGHOST, PGUSER, PGPASSWORD (superuser), DB_NAME, DB_USER, DB_PASSWORD.
set -eu

tries=0
until pg_isready -q; do
    tries=$((tries + 1))
    [ "$tries" -lt 150 ] || { echo "db-init: $PGHOST not ready after 300s" >&2; exit 1; }
    sleep 2
done

# psql variables (:'x' quoted literal, :"x" quoted identifier) keep the
# password and names out of the SQL text and out of the process list.
psql -v ON_ERROR_STOP=1 -v db="$DB_NAME" -v user="$DB_USER" -v password="$DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"user";
GRANT ALL PRIVILEGES ON DATABASE :"db" TO :"user";
SQL
echo "db-init: database $DB_NAME and role $DB_USER ready"
