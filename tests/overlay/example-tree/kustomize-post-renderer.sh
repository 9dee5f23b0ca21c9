#!/bin/sh
# Helm's post-renderer before osh-postrender: Helm's output becomes
# base/all.yaml, and kustomize builds the overlay named by the argument.
set -eu
cd "$(dirname -- "$0")"
cat > base/all.yaml
exec kubectl kustomize "overlays/$1"
