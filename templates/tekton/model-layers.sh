#!/bin/sh
# nbgitops: the number of layers of the image tagged latest in an OCI layout (no jq, no python:
# it runs in the olot, buildah and skopeo images alike). Usage: model-layers.sh LAYOUT
set -eu
layout=${1:?usage: model-layers.sh LAYOUT}
digest=$(tr -d ' \n' < "$layout/index.json" | grep -o '"digest":"sha256:[0-9a-f]*"' | head -1 | cut -d: -f3 | tr -d '"')
[ -n "$digest" ] || { echo "nbgitops: no manifest in $layout/index.json" >&2; exit 2; }
tr -d ' \n' < "$layout/blobs/sha256/$digest" | grep -o '"mediaType":"application/vnd\.oci\.image\.layer\.v1\.tar[^"]*"' | wc -l | tr -d ' '
