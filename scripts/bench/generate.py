#!/usr/bin/env python3
"""Writes a synthetic nbgitops project of N NotebookValidationJobs for scripts/bench.

    generate.py DIR N [ENVIRONMENTS]      ENVIRONMENTS: 1 or 3 (default 3)

Mixed features, cycling by index: public repo; private HTTPS + golden notebook pinned to a
SHA; SSH; volumes (a claim declared in the spec, a ConfigMap, scratch); GPU requests; model
validation (least-privilege Role). Specs are spread over N/10 files, ten documents each.
Deterministic: the same N gives the same bytes.
"""
import os
import sys


def job(i):
    name = f"nb-{i:05d}"
    kind = i % 6
    lines = [
        "apiVersion: mlops.mlops.dev/v1alpha1",
        "kind: NotebookValidationJob",
        "metadata:",
        f"  name: {name}",
        "spec:",
        "  notebook:",
        "    git:",
    ]
    if kind == 2:
        lines += [f"      url: git@github.com:example-org/repo-{i % 37}.git", "      ref: main",
                  "      credentialsSecret: git-ssh-credentials"]
    elif kind == 1:
        lines += [f"      url: https://git.example.com/ml/repo-{i % 37}.git", "      ref: main",
                  "      credentialsSecret: git-https-credentials"]
    else:
        lines += [f"      url: https://github.com/example-org/repo-{i % 37}.git", f"      ref: v1.{i % 11}.0"]
    lines += [f"    path: notebooks/{name}.ipynb"]
    if kind == 1:
        lines += [
            "  goldenNotebook:",
            "    git:",
            f"      url: https://git.example.com/ml/golden-{i % 13}.git",
            f"      ref: {(i * 2654435761) % (1 << 32):08x}4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d",
            "      credentialsSecret: git-https-credentials",
            f"    path: golden/{name}.ipynb",
            "  comparisonConfig:",
            "    strategy: normalized",
            '    floatingPointTolerance: "0.001"',
        ]
    lines += ["  podConfig:", f"    containerImage: {IMAGES[i % len(IMAGES)]}"]
    if kind == 3:
        lines += [
            "    volumes:",
            "    - name: output",
            "      persistentVolumeClaim:",
            f"        claimName: out-{name}",
            "    - name: settings",
            "      configMap:",
            "        name: bench-settings",
            "    - name: scratch",
            "      emptyDir:",
            "        sizeLimit: 2Gi",
            "    volumeMounts:",
            "    - name: output",
            "      mountPath: /output",
            "    - name: settings",
            "      mountPath: /config",
            "      readOnly: true",
            "    - name: scratch",
            "      mountPath: /scratch",
        ]
    if kind == 4:
        lines += [
            "    resources:",
            "      requests:",
            '        cpu: "2"',
            "        memory: 8Gi",
            '        nvidia.com/gpu: "1"',
            "      limits:",
            "        memory: 8Gi",
            '        nvidia.com/gpu: "1"',
        ]
    else:
        lines += ["    resources:", "      requests:", "        cpu: 500m", "        memory: 1Gi",
                  "      limits:", "        memory: 2Gi"]
    if kind == 5:
        lines += [f"    serviceAccountName: checker-{i % 7}", "  modelValidation:", "    enabled: true",
                  "    platform: kserve", "    targetModels:", f"    - model-{i % 5}"]
    lines += [f"  timeout: {10 + i % 50}m"]
    if kind == 3:
        lines += ["---", "apiVersion: v1", "kind: PersistentVolumeClaim", "metadata:", f"  name: out-{name}",
                  "spec:", "  accessModes:", "  - ReadWriteOnce", "  resources:", "    requests:",
                  "      storage: 1Gi"]
    return "\n".join(lines) + "\n"


SHARED = """apiVersion: v1
kind: ConfigMap
metadata:
  name: bench-settings
data:
  settings.yaml: |
    epochs: 1
  shuffle: "yes"
"""

# Digest-pinned, as the project's examples are (NBG137 warns about tag-only images); the
# digests are the examples' published ones (see docs/robustness.md).
IMAGES = [
    "quay.io/jupyter/scipy-notebook:2025-06-02@sha256:08e4c32e10df101bcee46fba936b728721cf574c5d0153157c806dc96e56d8cf",
    "quay.io/jupyter/datascience-notebook:2025-06-02@sha256:2014f3b923d90d48dc45a9df5935efa97258ed557159a994921f4651d571b101",
    "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2",
]

ENVIRONMENTS = [
    ("openshift-gpu", "[openshift, rwo, gpu-taints, argocd, site.yaml]"),
    ("openshift-rwx", "[openshift, rwx, argocd, site.yaml]"),
    ("kubernetes", "[kubernetes, rwo, flux, site.yaml]"),
]


def main():
    root, count = sys.argv[1], int(sys.argv[2])
    env_count = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(os.path.join(root, "specs"), exist_ok=True)
    per_file = 10
    for start in range(0, count, per_file):
        docs = [job(i) for i in range(start, min(count, start + per_file))]
        with open(os.path.join(root, "specs", f"jobs-{start // per_file:05d}.yaml"), "w") as handle:
            handle.write("---\n".join(docs))
    with open(os.path.join(root, "specs", "shared.yaml"), "w") as handle:
        handle.write(SHARED)
    with open(os.path.join(root, "site.yaml"), "w") as handle:
        handle.write("apiVersion: nbgitops.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: site\nspec:\n"
                     "  delivery:\n    repositoryURL: https://github.com/example-org/bench.git\n"
                     # Site defaults for specs without resources (NBG274 warns otherwise).
                     "  defaults:\n    resources:\n      requests: {cpu: 500m, memory: 2Gi}\n"
                     "      limits: {cpu: '2', memory: 4Gi}\n"
                     # BENCH_NODE_POOLS=1: node pools, so the schedulability rules (NBG300/301)
                     # judge every pod (untainted pools: every generated pod fits one).
                     + ("  cluster:\n    nodePools:\n"
                        "    - {name: worker, count: 3, labels: {node-role.kubernetes.io/worker: ''},"
                        " allocatable: {cpu: '16', memory: 64Gi}}\n"
                        "    - {name: gpu, count: 3, labels: {nvidia.com/gpu.present: 'true'},"
                        " allocatable: {cpu: '32', memory: 128Gi, nvidia.com/gpu: '4'}}\n"
                        if os.environ.get("BENCH_NODE_POOLS") == "1" else ""))
    environments = "".join(f"  - name: {name}\n    overlays: {stack}\n" for name, stack in ENVIRONMENTS[:env_count])
    with open(os.path.join(root, "nbgitops.yaml"), "w") as handle:
        handle.write("apiVersion: nbgitops.dev/v1alpha1\nkind: Project\nmetadata:\n  name: bench\nspec:\n"
                     "  specs: [specs]\n  output: gitops\n  environments:\n" + environments)


if __name__ == "__main__":
    main()
