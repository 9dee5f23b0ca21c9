#!/bin/sh
# Create (or update) one service's MariaDB user and database. Idempotent:
# an existing user gets the current password, an existing database is kept.
# Inputs (env): DB_HOST, MYSQL_PWD (root), DB_NAME, DB_USER, DB_PASSWORD.
set -eu

tries=0
until mariadb-admin --host="$DB_HOST" --user=root ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 150 ] || { echo "db-init: $DB_HOST not ready after 300s" >&2; exit 1; }
    sleep 2
done

# SQL string literal: double every single quote and backslash.
literal() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
# Identifier: double every backquote.
ident() { printf '%s' "$1" | sed -e 's/`/``/g'; }

db=$(ident "$DB_NAME")
user=$(literal "$DB_USER")
password=$(literal "$DB_PASSWORD")

# The SQL goes through stdin, so no password is on a command line.
mariadb --host="$DB_HOST" --user=root <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
SQL
echo "db-init: database $DB_NAME and user $DB_USER ready"
