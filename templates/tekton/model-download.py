#!/usr/bin/env python3
"""nbgitops model download: fetch the files of one commit of a Hugging Face model repository.

Runs in the download step of the nbgitops-model-download Task (and in the tests, against a
loopback server). Standard library only. Reads its inputs from the environment:

  NBG_HF_REPO        owner/name
  NBG_HF_REVISION    a full 40-hex commit SHA (nbgitops refuses branches at compile time)
  NBG_HF_ALLOW       fnmatch patterns, one per line (a file is fetched when one matches)
  NBG_HF_IGNORE      fnmatch patterns, one per line (applied after NBG_HF_ALLOW)
  NBG_HF_ENDPOINT    https://huggingface.co unless set
  NBG_HF_TOKEN_FILE  a file holding the token (the tokenSecret, mounted in this step only);
                     the token goes only into the Authorization header, never into the
                     environment, a command line or a log line
  NBG_MODEL_DIR      where the files go (relative paths kept)
  NBG_MODEL_BYTES    size.model in bytes: the selected files may not exceed it by more than
                     5 % (the workspace was sized from it)
  NBG_SUMMARY_FILE   where to write a JSON summary (files, bytes, revision)

Every file the API lists with an LFS sha256 is verified against it; a partial file is
written as <name>.part and renamed only once complete. Exit status: 0 done, 2 bad input,
3 the selection is larger than size.model, 4 the repository or a file cannot be fetched,
5 a checksum mismatch.
"""

import fnmatch
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

CHUNK = 1 << 20


def fail(status, message):
    print(f"nbgitops model download: {message}", file=sys.stderr)
    sys.exit(status)


def patterns(name):
    return [line.strip() for line in os.environ.get(name, "").splitlines() if line.strip()]


def selected(path, allow, ignore):
    return any(fnmatch.fnmatch(path, p) for p in allow) and not any(fnmatch.fnmatch(path, p) for p in ignore)


def request(url, token):
    headers = {"User-Agent": "nbgitops-model-download"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return urllib.request.Request(url, headers=headers)


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
    token = None
    token_file = os.environ.get("NBG_HF_TOKEN_FILE", "")
    if token_file and os.path.exists(token_file):
        with open(token_file, encoding="utf-8") as handle:
            token = handle.read().strip() or None

    quoted_repo = urllib.parse.quote(repo, safe="/")
    info_url = f"{endpoint}/api/models/{quoted_repo}/revision/{revision}?blobs=true"
    try:
        with urllib.request.urlopen(request(info_url, token), timeout=60) as response:
            info = json.load(response)
    except urllib.error.HTTPError as error:
        hint = " (a gated or private repository needs tokenSecret)" if error.code in (401, 403) else ""
        fail(4, f"cannot read {repo}@{revision}: HTTP {error.code}{hint}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        fail(4, f"cannot read {repo}@{revision}: {error}")
    if info.get("sha") not in (None, revision):
        fail(4, f"the repository answered for commit {info.get('sha')}, not {revision}")

    files = []
    for sibling in info.get("siblings", []):
        path = sibling.get("rfilename", "")
        parts = path.split("/")
        if not path or path.startswith("/") or ".." in parts or "" in parts:
            fail(4, f"the repository lists an unsafe file name {path!r}")
        if selected(path, allow, ignore):
            lfs = sibling.get("lfs") or {}
            files.append((path, sibling.get("size", lfs.get("size")), lfs.get("sha256")))
    if not files:
        fail(2, f"no file of {repo}@{revision} matches the allow patterns {allow} (ignoring {ignore})")
    total = sum(size or 0 for _, size, _ in files)
    declared = int(os.environ.get("NBG_MODEL_BYTES", "0") or "0")
    if declared and total > declared * 1.05:
        fail(
            3,
            f"the selected files of {repo}@{revision} hold {total} bytes, more than size.model ({declared} bytes);"
            " raise size.model (the workspace is sized from it) or narrow the patterns",
        )
    print(f"nbgitops model download: {len(files)} files, {total} bytes of {repo}@{revision}")

    for path, size, sha256 in sorted(files):
        target = os.path.join(model_dir, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if size is not None and os.path.exists(target) and os.path.getsize(target) == size and not sha256:
            continue
        url = f"{endpoint}/{quoted_repo}/resolve/{revision}/{urllib.parse.quote(path)}"
        digest = hashlib.sha256()
        written = 0
        try:
            with urllib.request.urlopen(request(url, token), timeout=300) as response, open(target + ".part", "wb") as out:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
        except (urllib.error.URLError, OSError) as error:
            fail(4, f"cannot fetch {path}: {error}")
        if size is not None and written != size:
            fail(4, f"{path}: received {written} bytes, the repository lists {size}")
        if sha256 and digest.hexdigest() != sha256:
            fail(5, f"{path}: sha256 {digest.hexdigest()} does not match the repository's {sha256}")
        os.replace(target + ".part", target)
        os.chmod(target, 0o664)
        print(f"  {path} ({written} bytes)")

    summary = os.environ.get("NBG_SUMMARY_FILE")
    if summary:
        with open(summary, "w", encoding="utf-8") as handle:
            json.dump({"repo": repo, "revision": revision, "files": len(files), "bytes": total}, handle, sort_keys=True)


if __name__ == "__main__":
    main()
