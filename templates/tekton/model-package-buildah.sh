#!/bin/sh
# nbgitops ModelCar packager, the buildah alternative: one layer holding the whole model under
# /models on top of the digest-pinned base, written as an OCI layout for the same push and
# verify Tasks. buildah runs as root with only SETFCAP added, never privileged: on OpenShift its
# own ServiceAccount is bound to pipelines-scc, on Kubernetes the namespace is Pod Security
# baseline. Its storage (vfs), HOME and TMPDIR are on the workspace, never the node's ephemeral
# storage (a model's layers fill it and the pod is evicted). Peak use, three times the model: `buildah commit`
# holds the container's vfs copy, the layer blob it writes under TMPDIR and that blob copied into
# the OCI layout at once (containers/buildah image.go). The download is removed once it is in
# the container (four times otherwise), and the commit writes the layout directly (no image in
# buildah's storage). The planner sizes the workspace from the same multiplier
# (workspace-peaks.json; the real-buildah test measures the peak against it).
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
# A retried step starts from empty storage.
rm -rf "$NBG_STORAGE"
mkdir -p "$NBG_STORAGE"
set -- --root "$NBG_STORAGE/root" --runroot "$NBG_STORAGE/run" --storage-driver vfs
container=$("$buildah" "$@" from --quiet --name nbgitops-modelcar "$NBG_BASE_IMAGE")
"$buildah" "$@" copy --chown 0:0 "$container" "$NBG_MODEL_DIR" /models/
# The model is in the container: the download goes before the commit needs room for two copies.
rm -rf "$NBG_MODEL_DIR"
rm -rf "$NBG_OCI_LAYOUT"
"$buildah" "$@" commit --format oci --rm "$container" "oci:$NBG_OCI_LAYOUT:latest"
rm -rf "$NBG_STORAGE"
chmod -R g+rwX "$NBG_OCI_LAYOUT"
total=$(sh "$(dirname "$0")/model-layers.sh" "$NBG_OCI_LAYOUT")
if [ -n "${NBG_RESULT_LAYERS:-}" ]; then printf '%s' "$total" > "$NBG_RESULT_LAYERS"; fi
echo "nbgitops model package: $count files in one layer under /models ($total layers in all)"
