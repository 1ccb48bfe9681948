#!/usr/bin/env python3
"""nbgitops model download: fetch the files of one commit of a Hugging Face model repository.

Runs in the download step of the nbgitops-model-download Task (and in the tests, against two
loopback servers: a Hub API and a "CDN" it redirects to). The transfer is huggingface_hub's
(PyPI; the version the Task pins, see model-download.yaml): `snapshot_download` into the
model folder. This script adds what nbgitops promises around it: a full-SHA revision, the
size check against size.model before anything is fetched, and every LFS file verified
against the sha256 the repository lists. Reads its inputs from the environment:

  NBG_HF_REPO        owner/name
  NBG_HF_REVISION    a full 40-hex commit SHA (nbgitops refuses branches at compile time)
  NBG_HF_ALLOW       fnmatch patterns, one per line (a file is fetched when one matches)
  NBG_HF_IGNORE      fnmatch patterns, one per line (applied after NBG_HF_ALLOW)
  NBG_HF_ENDPOINT    https://huggingface.co unless set
  NBG_HF_TOKEN_FILE  a file holding the token (the tokenSecret, mounted in this step only);
                     the token is handed to huggingface_hub as an argument, never put into
                     the environment, a command line or a log line
  NBG_MODEL_DIR      where the files go (relative paths kept)
  NBG_MODEL_BYTES    size.model in bytes: the selected files may not exceed it by more than
                     5 % (the workspace was sized from it)
  NBG_SUMMARY_FILE   where to write a JSON summary (files, bytes, revision)
  NBG_HF_WORKERS     parallel file downloads (default 8)

What huggingface_hub guarantees here, read in its source (huggingface_hub 2.5.0):
- The token never leaves the Hub. `file_download._get_metadata_or_catch_error` resolves each
  file with a HEAD that follows only redirects to the same origin (scheme, host, port) or a
  known Hub origin (`utils/_http._httpx2_follow_hub_redirects_with_backoff`,
  `_is_same_or_hub_host`); when `/resolve/` redirects elsewhere (the LFS/Xet CDN) it drops the
  `authorization` header before the GET to the signed URL. Xet files are fetched with a
  short-lived Xet token the Hub hands out; the Xet storage requests carry the Hub headers
  without authorization (`xet_get`, `utils/_xet.xet_headers_without_auth`).
- An interrupted transfer resumes. `file_download.http_get` catches a connection error,
  timeout or a body cut short (httpx2 `RemoteProtocolError`) and retries up to 5 times in a
  row with `Range: bytes=<received>-`, appending to the same temporary file; a server that
  answers 200 instead of 206 rewrites it from the start. The file is renamed into place only
  once complete (`_download_to_tmp_and_move`).

Exit status: 0 done, 2 bad input, 3 the selection is larger than size.model, 4 the repository
or a file cannot be fetched, 5 a checksum mismatch.
"""

import hashlib
import json
import os
import shutil
import sys

CHUNK = 1 << 20


def fail(status, message):
    print(f"nbgitops model download: {message}", file=sys.stderr)
    sys.exit(status)


def patterns(name):
    return [line.strip() for line in os.environ.get(name, "").splitlines() if line.strip()]


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return digest.hexdigest()
            digest.update(chunk)


def http_status(error):
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def main():
    repo = os.environ.get("NBG_HF_REPO", "")
    revision = os.environ.get("NBG_HF_REVISION", "")
    model_dir = os.environ.get("NBG_MODEL_DIR", "")
    if not repo or "/" not in repo or not model_dir:
        fail(2, "NBG_HF_REPO (owner/name) and NBG_MODEL_DIR are required")
    if len(revision) != 40 or any(c not in "0123456789abcdef" for c in revision):
        fail(2, f"revision '{revision}' is not a full commit SHA")
    endpoint = os.environ.get("NBG_HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    allow = patterns("NBG_HF_ALLOW") or ["*"]
    ignore = patterns("NBG_HF_IGNORE")
    try:
        declared = int(os.environ.get("NBG_MODEL_BYTES", "0") or "0")
        workers = max(1, int(os.environ.get("NBG_HF_WORKERS", "8") or "8"))
    except ValueError:
        fail(2, "NBG_MODEL_BYTES and NBG_HF_WORKERS must be whole numbers")
    token = None
    token_file = os.environ.get("NBG_HF_TOKEN_FILE", "")
    if token_file and os.path.exists(token_file):
        with open(token_file, encoding="utf-8") as handle:
            token = handle.read().strip() or None

    # Before the import: huggingface_hub reads its settings once. No telemetry; no token but the
    # one passed as an argument (not HF_TOKEN, not a token file under HF_HOME); no progress bars
    # in the step log; its metadata and Xet caches on the workspace (HOME is there), and no Xet
    # chunk cache (xet-runtime's default can be 10 GB: the workspace is sized for the model only).
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_XET_CHUNK_CACHE_SIZE_BYTES"] = "0"
    os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.pop("HF_TOKEN", None)
    os.environ.setdefault("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    try:
        import huggingface_hub
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.hf_api import RepoFile
        from huggingface_hub.utils import filter_repo_objects
    except ImportError as error:
        fail(
            4,
            f"huggingface_hub is not installed in this image ({error}); images.modelTools needs it,"
            " or network access to PyPI for the step to install it",
        )

    api = HfApi(endpoint=endpoint, token=token or False, library_name="nbgitops-model-download")
    hint_401 = " (a gated or private repository needs tokenSecret)"
    try:
        listing = {
            entry.path: entry
            for entry in api.list_repo_tree(repo, revision=revision, recursive=True, repo_type="model")
            if isinstance(entry, RepoFile)
        }
    except HfHubHTTPError as error:
        status = http_status(error)
        hint = hint_401 if status in (401, 403) else ""
        fail(4, f"cannot read {repo}@{revision}: HTTP {status}{hint}")
    except Exception as error:  # network errors: httpx2's, OSError, bad JSON
        fail(4, f"cannot read {repo}@{revision}: {type(error).__name__}: {error}")

    for path in listing:
        parts = path.split("/")
        if not path or path.startswith("/") or ".." in parts or "" in parts or "\\" in path:
            fail(4, f"the repository lists an unsafe file name {path!r}")
    # The very selection snapshot_download makes (same function, same patterns).
    chosen = sorted(filter_repo_objects(items=listing.keys(), allow_patterns=allow, ignore_patterns=ignore or None))
    if not chosen:
        fail(2, f"no file of {repo}@{revision} matches the allow patterns {allow} (ignoring {ignore})")
    total = sum(listing[path].size or 0 for path in chosen)
    if declared and total > declared * 1.05:
        fail(
            3,
            f"the selected files of {repo}@{revision} hold {total} bytes, more than size.model ({declared} bytes);"
            " raise size.model (the workspace is sized from it) or narrow the patterns",
        )
    print(
        f"nbgitops model download: {len(chosen)} files, {total} bytes of {repo}@{revision}"
        f" (huggingface_hub {huggingface_hub.__version__}, {workers} in parallel)",
        flush=True,
    )

    os.makedirs(model_dir, exist_ok=True)
    try:
        snapshot_download(
            repo,
            repo_type="model",
            revision=revision,
            endpoint=endpoint,
            token=token or False,
            local_dir=model_dir,
            allow_patterns=allow,
            ignore_patterns=ignore or None,
            max_workers=workers,
            library_name="nbgitops-model-download",
        )
    except HfHubHTTPError as error:
        status = http_status(error)
        hint = hint_401 if status in (401, 403) else ""
        fail(4, f"cannot fetch {repo}@{revision}: HTTP {status}{hint}")
    except Exception as error:  # network errors after the retries, size mismatches, a full disk
        fail(4, f"cannot fetch {repo}@{revision}: {type(error).__name__}: {error}")
    finally:
        # huggingface_hub's bookkeeping for local_dir (metadata, unfinished temporary files):
        # never part of the model that is packaged or served.
        shutil.rmtree(os.path.join(model_dir, ".cache"), ignore_errors=True)

    for path in chosen:
        entry = listing[path]
        target = os.path.join(model_dir, path)
        if not os.path.isfile(target) or os.path.islink(target):
            fail(4, f"{path}: not downloaded")
        written = os.path.getsize(target)
        if entry.size is not None and written != entry.size:
            os.unlink(target)
            fail(4, f"{path}: received {written} bytes, the repository lists {entry.size}")
        expected = entry.lfs.sha256 if entry.lfs is not None else None
        if expected:
            actual = sha256_of(target)
            if actual != expected:
                os.unlink(target)
                fail(5, f"{path}: sha256 {actual} does not match the repository's {expected}")
        os.chmod(target, 0o664)
        print(f"  {path} ({written} bytes{', sha256 verified' if expected else ''})", flush=True)

    summary = os.environ.get("NBG_SUMMARY_FILE")
    if summary:
        with open(summary, "w", encoding="utf-8") as handle:
            json.dump({"repo": repo, "revision": revision, "files": len(chosen), "bytes": total}, handle, sort_keys=True)


if __name__ == "__main__":
    main()
