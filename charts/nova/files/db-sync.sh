#!/bin/sh
# Nova's databases and cells, idempotent: the API database, cell0 (its URL
# comes from the env, it is never written to a file), cell1 on [database]
# connection, then the main schema and its online data migrations.
set -eu

nova-manage api_db sync
nova-manage cell_v2 map_cell0 --database_connection "$NOVA_CELL0_CONNECTION"
# create_cell fails when cell1 exists, so ask first: re-runs must succeed.
nova-manage cell_v2 list_cells | grep -q ' cell1 ' || nova-manage cell_v2 create_cell --name cell1
nova-manage db sync
nova-manage db online_data_migrations
