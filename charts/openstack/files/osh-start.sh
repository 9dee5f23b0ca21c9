#!/bin/sh
# Start-up of every Kolla service container: apply the hot-fix patches mounted
# at /*-patches/*.patch to the Kolla venv's site-packages, then exec "$@".
# It must never start a service on a half-patched tree: a patch for a file that
# exists but does not apply stops the start. Patches for files that are not in
# this image are skipped; patches already applied (a restart) are left alone.
#
# Environment (defaults are what a Kolla container has; tests override them):
#   OSH_KOLLA_VENV      the Kolla venv                  (/var/lib/kolla/venv)
#   OSH_SITE_PACKAGES   site-packages; skips discovery  (<venv>/lib/python3.*/site-packages)
#   OSH_PATCHES_ROOT    prefix of the patch dirs        ("" : /*-patches/*.patch)
set -eu

log() { printf 'osh-start: %s\n' "$*" >&2; }

venv=${OSH_KOLLA_VENV:-/var/lib/kolla/venv}
root=${OSH_PATCHES_ROOT:-}
tab=$(printf '\t')

# Lexical order by file name across all mounted dirs (C collation, so every
# node sorts alike); the full path breaks ties between dirs.
list=$(
    for file in "$root"/*-patches/*.patch; do
        [ -f "$file" ] && printf '%s\t%s\n' "${file##*/}" "$file"
    done | LC_ALL=C sort -t "$tab" -k1,1 -k2,2
)

if [ -z "$list" ]; then
    exec "$@"
fi

if [ -n "${OSH_SITE_PACKAGES:-}" ]; then
    site=$OSH_SITE_PACKAGES
else
    # The Python version differs between Kolla releases: discover it.
    site=
    for dir in "$venv"/lib/python3*/site-packages; do
        [ -d "$dir" ] || continue
        if [ -n "$site" ]; then
            log "error: several site-packages under $venv ($site, $dir); set OSH_SITE_PACKAGES"
            exit 1
        fi
        site=$dir
    done
fi
if [ -z "$site" ] || [ ! -d "$site" ]; then
    log "no site-packages under $venv: this image has no Kolla venv, no patch applied"
    exec "$@"
fi
if ! patch --version 2>/dev/null | grep -q 'GNU patch'; then
    log "error: GNU patch is not installed in this image; cannot apply the hot-fix patches"
    exit 1
fi

# Fuzz 0: a hot-fix applies where it was made, or the start fails.
opts="-p1 --batch --fuzz=0 --silent"

# The first file a patch changes: its first '+++ ' path (the '--- ' path when
# that file is deleted), one level stripped; a timestamp after a tab is cut.
first_target() {
    path=$(sed -n "/^+++ /{s/^+++ //;s/${tab}.*//;p;q;}" "$1")
    if [ "$path" = /dev/null ]; then
        path=$(sed -n "/^--- /{s/^--- //;s/${tab}.*//;p;q;}" "$1")
    fi
    printf '%s\n' "${path#*/}"
}

applied=0
while IFS="$tab" read -r name file; do
    [ -n "$file" ] || continue
    target=$(first_target "$file")
    if [ -z "$target" ] || [ ! -f "$site/$target" ]; then
        log "$file: skipped (first file ${target:-?} not in $site)"
        continue
    fi
    if patch $opts -d "$site" --forward --dry-run <"$file" >/dev/null 2>&1; then
        if ! out=$(patch $opts -d "$site" --forward --no-backup-if-mismatch --reject-file=- <"$file" 2>&1); then
            log "error: $file: failed to apply to $site: $out"
            exit 1
        fi
        log "$file: applied"
        applied=$((applied + 1))
    elif patch $opts -d "$site" --reverse --dry-run <"$file" >/dev/null 2>&1; then
        log "$file: already applied"
    else
        log "error: $file: conflict: it does not apply to $site/$target (nor is it already applied); refusing to start"
        exit 1
    fi
done <<EOF
$list
EOF

log "$applied patch(es) applied to $site"
exec "$@"
