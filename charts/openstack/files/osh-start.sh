#!/bin/sh
# Start-up of every Kolla service container: apply the hot-fix patches mounted
# at /*-patches/*.patch to the Kolla venv's site-packages, then exec "$@".
# It must never start a service on a half-patched tree: a patch for a file that
# exists but does not apply stops the start. Patches for files that are not in
# this image are skipped; patches already applied (a restart, or a fix built
# into the image) are left alone.
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

# Fuzz 0: a hot-fix applies where it was made, or the start fails. --force:
# patch never guesses that a patch is reversed; this script decides that.
opts="-p1 --force --fuzz=0 --silent"

# The first file a patch changes: its first '+++ ' path (the '--- ' path when
# that file is deleted), one level stripped; a timestamp after a tab is cut.
first_target() {
    path=$(sed -n "/^+++ /{s/^+++ //;s/${tab}.*//;p;q;}" "$1")
    if [ "$path" = /dev/null ]; then
        path=$(sed -n "/^--- /{s/^--- //;s/${tab}.*//;p;q;}" "$1")
    fi
    printf '%s\n' "${path#*/}"
}

# Every path a patch names in a '--- ' or '+++ ' line, one level stripped.
# Hunk lines can look alike; they only ever name files that get copied or not.
named_files() {
    sed -n "s/^[-+][-+][-+] \([^${tab}]*\).*/\1/p" "$1" | sed 's#^[^/]*/##'
}

# Which patches are already in this tree (a restarted container, or an image
# that has the fix built in)? A patch stacked on an earlier one hides the
# earlier one from a plain reverse check, so peel them off a scratch copy of
# the files they touch, last patch first.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/osh-start.XXXXXX") || {
    log "error: cannot create a scratch dir under ${TMPDIR:-/tmp}"
    exit 1
}
set -f  # file names from patch text are never globbed
while IFS="$tab" read -r name file; do
    [ -n "$file" ] || continue
    for path in $(named_files "$file"); do
        case "$path" in /* | *..*) continue ;; esac
        if [ -f "$site/$path" ] && [ ! -e "$scratch/$path" ]; then
            mkdir -p "$scratch/$(dirname "$path")"
            cp -p "$site/$path" "$scratch/$path"
        fi
    done
done <<EOF
$list
EOF
nl='
'
already=$nl
reversed=$(printf '%s\n' "$list" | LC_ALL=C sort -r -t "$tab" -k1,1 -k2,2)
while IFS="$tab" read -r name file; do
    [ -n "$file" ] || continue
    target=$(first_target "$file")
    [ -n "$target" ] && [ -f "$scratch/$target" ] || continue
    if patch $opts -d "$scratch" --reverse --dry-run <"$file" >/dev/null 2>&1 \
            && patch $opts -d "$scratch" --reverse --no-backup-if-mismatch --reject-file=- \
                <"$file" >/dev/null 2>&1; then
        already="$already$file$nl"
    fi
done <<EOF
$reversed
EOF
rm -rf "$scratch"

applied=0
while IFS="$tab" read -r name file; do
    [ -n "$file" ] || continue
    target=$(first_target "$file")
    if [ -z "$target" ] || [ ! -f "$site/$target" ]; then
        log "$file: skipped (first file ${target:-?} not in $site)"
        continue
    fi
    case "$already" in
        *"$nl$file$nl"*)
            log "$file: already applied"
            continue
            ;;
    esac
    if ! patch $opts -d "$site" --forward --dry-run <"$file" >/dev/null 2>&1; then
        log "error: $file: conflict: it does not apply to $site/$target (nor is it already applied); refusing to start"
        exit 1
    fi
    if ! out=$(patch $opts -d "$site" --forward --no-backup-if-mismatch --reject-file=- <"$file" 2>&1); then
        log "error: $file: failed to apply to $site: $out"
        exit 1
    fi
    log "$file: applied"
    applied=$((applied + 1))
done <<EOF
$list
EOF

log "$applied patch(es) applied to $site"
exec "$@"
