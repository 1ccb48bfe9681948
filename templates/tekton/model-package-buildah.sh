#!/bin/sh
# nbgitops ModelCar packager, the buildah alternative: one layer holding the whole model under
# /models on top of the digest-pinned base, written as an OCI layout for the same push and
# verify Tasks. buildah runs as root with only SETFCAP added, never privileged: on OpenShift its
# own ServiceAccount is bound to pipelines-scc, on Kubernetes the namespace is Pod Security
# baseline. Its storage (vfs), HOME and TMPDIR are on the workspace, never the node's ephemeral
# storage (seed 004's buildah filled it). Peak use: the download plus one copy (the download is
# removed once it is in buildah's storage, buildah's storage once the layout is written).
#
#   NBG_MODEL_DIR, NBG_OCI_LAYOUT, NBG_BASE_IMAGE (a reference buildah's FROM accepts),
#   NBG_STORAGE (a scratch folder on the workspace), NBG_LAYER_LIMIT, NBG_RESULT_LAYERS,
#   NBG_BUILDAH (default buildah)
set -eu
umask 0002
: "${NBG_MODEL_DIR:?}" "${NBG_OCI_LAYOUT:?}" "${NBG_BASE_IMAGE:?}" "${NBG_STORAGE:?}"
buildah=${NBG_BUILDAH:-buildah}
limit=${NBG_LAYER_LIMIT:-0}
count=$(find "$NBG_MODEL_DIR" -type f | wc -l)
[ "$count" -gt 0 ] || { echo "nbgitops model package: no model files in $NBG_MODEL_DIR" >&2; exit 2; }
size=$(du -sb "$NBG_MODEL_DIR" | cut -f1)
if [ "$limit" -gt 0 ] && [ "$size" -gt "$limit" ]; then
  # One layer holds the whole model: it must fit the registry's layer limit.
  echo "nbgitops model package: the model ($size bytes) is one buildah layer, larger than the registry's layer limit ($limit bytes); use the olot packager (a layer per file)" >&2
  exit 3
fi
chmod -R a+rX "$NBG_MODEL_DIR"
mkdir -p "$NBG_STORAGE"
set -- --root "$NBG_STORAGE/root" --runroot "$NBG_STORAGE/run" --storage-driver vfs
printf 'FROM %s\nCOPY . /models/\n' "$NBG_BASE_IMAGE" > "$NBG_STORAGE/Containerfile"
"$buildah" "$@" bud --isolation chroot --format oci --layers=false --pull-always=false \
  -f "$NBG_STORAGE/Containerfile" -t localhost/nbgitops-modelcar "$NBG_MODEL_DIR"
rm -rf "$NBG_MODEL_DIR"
rm -rf "$NBG_OCI_LAYOUT"
"$buildah" "$@" push localhost/nbgitops-modelcar "oci:$NBG_OCI_LAYOUT:latest"
rm -rf "$NBG_STORAGE"
chmod -R g+rwX "$NBG_OCI_LAYOUT"
total=$(sh "$(dirname "$0")/model-layers.sh" "$NBG_OCI_LAYOUT")
if [ -n "${NBG_RESULT_LAYERS:-}" ]; then printf '%s' "$total" > "$NBG_RESULT_LAYERS"; fi
echo "nbgitops model package: $count files in one layer under /models ($total layers in all)"
