#!/bin/sh
# nbgitops ModelCar packager: put every file of the downloaded model on top of the base image's
# OCI layout with olot (PyPI), one uncompressed layer per file under /models, files 0644 so
# KServe's modelcar container (uidModelcar) reads them. Daemonless and unprivileged: runs under
# Pod Security restricted / SCC restricted-v2. olot removes each original once its layer is
# written, so packaging needs the model plus its largest file, not twice the model.
#
#   NBG_MODEL_DIR       the downloaded files (relative paths become /models/<path>)
#   NBG_OCI_LAYOUT      an OCI image layout holding the base image (tag latest)
#   NBG_OLOT            an olot executable; unset: olot==$NBG_OLOT_VERSION is installed into $NBG_VENV
#   NBG_LAYER_LIMIT     the registry's largest layer in bytes (0: no limit)
#   NBG_RESULT_LAYERS   where to write the image's number of layers (base + model), which verify checks
set -eu
umask 0002
: "${NBG_MODEL_DIR:?}" "${NBG_OCI_LAYOUT:?}"
limit=${NBG_LAYER_LIMIT:-0}
[ -f "$NBG_OCI_LAYOUT/index.json" ] || { echo "nbgitops model package: no OCI layout at $NBG_OCI_LAYOUT" >&2; exit 2; }
count=$(find "$NBG_MODEL_DIR" -type f | wc -l)
[ "$count" -gt 0 ] || { echo "nbgitops model package: no model files in $NBG_MODEL_DIR" >&2; exit 2; }
if [ "$limit" -gt 0 ]; then
  # A file over the registry's layer limit would fail the push after hours of upload.
  big=$(find "$NBG_MODEL_DIR" -type f -size +"$limit"c | head -1)
  if [ -n "$big" ]; then
    echo "nbgitops model package: $big is larger than the registry's layer limit ($limit bytes)" >&2
    exit 3
  fi
fi
olot=${NBG_OLOT:-}
if [ -z "$olot" ]; then
  : "${NBG_VENV:?}" "${NBG_OLOT_VERSION:?}"
  python3 -m venv "$NBG_VENV"
  "$NBG_VENV/bin/pip" install --quiet --no-cache-dir "olot==$NBG_OLOT_VERSION"
  olot="$NBG_VENV/bin/olot"
fi
chmod -R a+rX "$NBG_MODEL_DIR"
find "$NBG_MODEL_DIR" -type f -print0 | sort -z | xargs -0 "$olot" --remove-originals default --root-dir "$NBG_MODEL_DIR" "$NBG_OCI_LAYOUT"
left=$(find "$NBG_MODEL_DIR" -type f | wc -l)
[ "$left" -eq 0 ] || { echo "nbgitops model package: $left files were not packaged" >&2; exit 4; }
chmod -R g+rwX "$NBG_OCI_LAYOUT"
total=$(sh "$(dirname "$0")/model-layers.sh" "$NBG_OCI_LAYOUT")
if [ -n "${NBG_RESULT_LAYERS:-}" ]; then printf '%s' "$total" > "$NBG_RESULT_LAYERS"; fi
echo "nbgitops model package: $count model layers under /models ($total layers in all)"
