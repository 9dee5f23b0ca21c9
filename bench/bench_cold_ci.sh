#!/bin/sh
# The test suite as CI runs it, cold: a fresh clone of HEAD in DIR (default:
# a new dir beside this checkout, so that ../shared and its third-party
# fixtures are found as in CI), with empty caches (uv's, pip's and npm's in
# DIR.cache instead of ~/.cache and ~/.npm), timed in its two phases,
# tools/setup and pytest, with the load average every 30 s: other work on
# the machine moves the figures, so compare phases run under like load.
# Both dirs are left for a look; remove them after. Extra arguments go to
# pytest.
#
#   bench/bench_cold_ci.sh [-d DIR] [PYTEST ARGS...]     (default: --durations=30)
set -eu
root=$(cd "$(dirname -- "$0")/.." && pwd)
dir=
if [ "${1:-}" = -d ]; then dir=$2; shift 2; fi
[ -n "$dir" ] || dir=$(mktemp -d "$(dirname -- "$root")/cold-ci.XXXXXX")
[ $# -gt 0 ] || set -- --durations=30
rm -rf "$dir" "$dir.cache"
git clone --quiet "$root" "$dir"
mkdir -p "$dir.cache"
export XDG_CACHE_HOME="$dir.cache" npm_config_cache="$dir.cache/npm" CI=true
cd "$dir"
load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s; }
echo "commit $(git rev-parse --short HEAD), in $dir; load $(load)"
( while sleep 30; do echo "  load $(load)"; done ) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null' EXIT
start=$(now)
tools/setup
setup=$(($(now) - start))
echo "tools/setup: ${setup} s; load $(load)"
status=0
.venv/bin/python -m pytest "$@" || status=$?
echo "tools/setup: ${setup} s; pytest: $(($(now) - start - setup)) s; total: $(($(now) - start)) s;" \
     "load $(load); pytest exit $status"
exit "$status"
