"""The validation container's verdict: the compact JSON validate-notebook.py writes to
the pod's termination log, at most 4096 bytes and always valid JSON.

Unit tests of the encoder, then real papermill runs of small notebooks (pass, exception, golden
mismatch) under a non-root UID, as the pod runs them. The papermill runs need a Python with
papermill and ipykernel that any UID can execute: NBG_PAPERMILL_PYTHON (default
../../../.venv-papermill/bin/python, which .ci/run creates from Debian's /usr/bin/python3);
without it they are skipped, unless NBGITOPS_REQUIRE_TOOLS=1 (CI), where
they fail.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "validate-notebook.py")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
_spec = importlib.util.spec_from_file_location("validate_notebook_verdict", SCRIPT)
vn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vn)

PAPERMILL_PYTHON = os.environ.get("NBG_PAPERMILL_PYTHON", os.path.join(REPO, ".venv-papermill", "bin", "python"))
REQUIRE = os.environ.get("NBGITOPS_REQUIRE_TOOLS") == "1"
# The UID the pods run as on OpenShift (the first of a namespace's range), never root.
POD_UID = 1000680000


class EncodeVerdictTest(unittest.TestCase):
    def test_small_verdict_is_compact_sorted_json(self):
        data = vn.encode_verdict({"verdict": "passed", "v": 1, "durationSeconds": 3})
        self.assertEqual(data, b'{"durationSeconds":3,"v":1,"verdict":"passed"}')

    def test_long_verdict_is_shortened_deterministically_and_stays_json(self):
        cells = [{"index": i, "error": "AssertionError: " + "x" * 250} for i in range(60)]
        verdict = {"v": 1, "verdict": "failed", "reason": "validation", "failedCells": cells,
                   "comparison": {"total": 60, "matched": 0, "mismatched": 60, "mismatchedCells": list(range(60))}}
        first = vn.encode_verdict(verdict)
        self.assertLessEqual(len(first), 4096)
        self.assertEqual(first, vn.encode_verdict(json.loads(json.dumps(verdict))), "same input, same bytes")
        decoded = json.loads(first)
        kept = decoded["failedCells"]
        self.assertEqual([c["index"] for c in kept], list(range(len(kept))), "the first cells are kept, in order")
        self.assertEqual(decoded["truncated"], 60 - len(kept))
        self.assertEqual(decoded["comparison"]["mismatchedCells"], list(range(60)))

    def test_every_limit_gives_valid_json_within_it(self):
        verdict = {"v": 1, "verdict": "failed", "reason": "execution", "message": "m" * 5000,
                   "failedCells": [{"index": 1, "error": "E" * 300}], "image": "i" * 3000}
        for limit in (4096, 1024, 200, 60):
            data = vn.encode_verdict(verdict, limit=limit)
            self.assertLessEqual(len(data), limit, limit)
            self.assertEqual(json.loads(data)["verdict"], "failed")


class VerdictOfTest(unittest.TestCase):
    def test_comparison_counts_and_reason(self):
        report = {"validation": [], "comparison": {"cells_compared": 5, "notes": [], "mismatches": [
            {"cell": 2, "golden_cell": 2, "reason": "r", "diff": []},
            {"cell": 4, "golden_cell": 4, "reason": "r", "diff": []}]}}
        verdict = vn.verdict_of(vn.EXIT_MISMATCH, report, {}, 1.4)
        self.assertEqual(verdict, {"v": 1, "verdict": "failed", "reason": "comparison", "durationSeconds": 1,
                                   "comparison": {"total": 5, "matched": 3, "mismatched": 2, "mismatchedCells": [2, 4]}})

    def test_configuration_error(self):
        verdict = vn.verdict_of(vn.EXIT_CONFIG, {"error": "NBG_NOTEBOOK and NBG_OUTPUT_NOTEBOOK must be set"}, {}, 0)
        self.assertEqual(verdict["verdict"], "error")
        self.assertEqual(verdict["reason"], "configuration")
        self.assertIn("NBG_NOTEBOOK", verdict["message"])

    def test_resolved_commit_reads_git_without_git(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, ".git", "refs", "heads"))
            os.makedirs(os.path.join(root, "nb"))
            sha = "3f2a9c1" + "0" * 33
            with open(os.path.join(root, ".git", "HEAD"), "w") as f:
                f.write(sha + "\n")
            self.assertEqual(vn.resolved_commit(os.path.join(root, "nb", "a.ipynb")), sha)
            with open(os.path.join(root, ".git", "HEAD"), "w") as f:
                f.write("ref: refs/heads/main\n")
            with open(os.path.join(root, ".git", "packed-refs"), "w") as f:
                f.write("# pack-refs with: peeled\n" + "a" * 40 + " refs/heads/main\n")
            self.assertEqual(vn.resolved_commit(os.path.join(root, "nb", "a.ipynb")), "a" * 40)
        self.assertIsNone(vn.resolved_commit("/nonexistent/x.ipynb"))


def nb(*sources):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s} for s in sources]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}}


@unittest.skipUnless(os.path.exists(PAPERMILL_PYTHON) or REQUIRE, "no papermill Python (NBG_PAPERMILL_PYTHON)")
class PapermillVerdictTest(unittest.TestCase):
    """validate-notebook.py run for real: papermill executes the notebook in a python3 kernel,
    as UID 1000680000 (setpriv when the tests run as root)."""

    def setUp(self):
        self.assertTrue(os.path.exists(PAPERMILL_PYTHON), f"missing {PAPERMILL_PYTHON} (.ci/run creates it)")
        self.root = tempfile.mkdtemp(prefix="nbg-verdict-")
        os.chmod(self.root, 0o777)
        # The checkout as git-clone.sh leaves it: a work tree at a detached commit.
        self.checkout = os.path.join(self.root, "notebook")
        os.makedirs(os.path.join(self.checkout, ".git"))
        self.sha = "0123456789abcdef0123456789abcdef01234567"
        with open(os.path.join(self.checkout, ".git", "HEAD"), "w") as f:
            f.write(self.sha + "\n")
        for folder in ("output", "home"):
            os.makedirs(os.path.join(self.root, folder))
            os.chmod(os.path.join(self.root, folder), 0o777)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def write(self, name, notebook):
        path = os.path.join(self.checkout, name)
        with open(path, "w") as f:
            json.dump(notebook, f)
        os.chmod(path, 0o644)
        return path

    def validate(self, notebook, golden=None, extra=None):
        log = os.path.join(self.root, "output", "termination-log")
        env = {
            "PATH": os.path.dirname(PAPERMILL_PYTHON) + ":/usr/bin:/bin",
            "HOME": os.path.join(self.root, "home"),
            "NBG_NOTEBOOK": notebook,
            "NBG_OUTPUT_NOTEBOOK": os.path.join(self.root, "output", "executed.ipynb"),
            "NBG_REPORT_FILE": os.path.join(self.root, "output", "report.json"),
            "NBG_TERMINATION_LOG": log,
            "NBG_IMAGE": "quay.io/jupyter/minimal-notebook:2024-10-07",
            "NBG_CELL_TIMEOUT_SECONDS": "120",
        }
        if golden:
            env["NBG_GOLDEN_NOTEBOOK"] = golden
        env.update(extra or {})
        command = [PAPERMILL_PYTHON, SCRIPT]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={POD_UID}", "--regid=0", "--clear-groups"] + command
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        with open(log, "rb") as f:
            data = f.read()
        self.assertLessEqual(len(data), 4096)
        return run, json.loads(data), data

    def test_passing_notebook(self):
        path = self.write("pass.ipynb", nb("import os\nprint(os.getuid())", "1 + 1"))
        run, verdict, _ = self.validate(path)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        with open(os.path.join(self.root, "output", "executed.ipynb")) as f:
            executed = json.load(f)
        printed = "".join(executed["cells"][0]["outputs"][0]["text"]).strip()
        self.assertEqual(printed, str(POD_UID if os.geteuid() == 0 else os.geteuid()), "the kernel ran as the pod's UID")
        duration = verdict.pop("durationSeconds")
        self.assertGreaterEqual(duration, 0)
        self.assertEqual(verdict, {"v": 1, "verdict": "passed", "commit": self.sha,
                                   "image": "quay.io/jupyter/minimal-notebook:2024-10-07"})

    def test_exception_names_the_cell_and_its_first_error_line(self):
        path = self.write("fail.ipynb", nb("x = 1", "1 / 0", "print('never')"))
        run, verdict, _ = self.validate(path)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertEqual(verdict["verdict"], "failed")
        self.assertEqual(verdict["reason"], "execution")
        self.assertEqual(verdict["failedCells"], [{"index": 1, "error": "ZeroDivisionError: division by zero"}])
        self.assertEqual(verdict["commit"], self.sha)

    def test_golden_mismatch_counts_cells(self):
        golden = self.write("golden.ipynb", nb("print(1)", "print(2)", "print(3)"))
        subprocess.run([PAPERMILL_PYTHON, "-m", "papermill", "--log-level", "ERROR", golden, golden],
                       check=True, capture_output=True, timeout=300)
        os.chmod(golden, 0o644)
        path = self.write("changed.ipynb", nb("print(1)", "print(20)", "print(3)"))
        run, verdict, _ = self.validate(path, golden=golden)
        self.assertEqual(run.returncode, 4, run.stdout + run.stderr)
        self.assertEqual(verdict["reason"], "comparison")
        self.assertEqual(verdict["comparison"], {"total": 3, "matched": 2, "mismatched": 1, "mismatchedCells": [1]})

    def test_many_failures_stay_within_the_limit(self):
        # 200 cells that each write to stderr, under failOnStderr: 200 validation errors.
        path = self.write("noisy.ipynb", nb(*[f"import sys; sys.stderr.write('problem {i} ' * 40)" for i in range(200)]))
        run, verdict, data = self.validate(path, extra={"NBG_VALIDATION_CONFIG": json.dumps({"failOnStderr": True})})
        self.assertEqual(run.returncode, 3, run.stdout[-2000:] + run.stderr[-2000:])
        self.assertEqual(verdict["reason"], "validation")
        self.assertGreater(verdict["truncated"], 0)
        self.assertEqual(verdict["failedCells"][0]["index"], 0)
        self.assertEqual(len(verdict["failedCells"]) + verdict["truncated"], 200)


if __name__ == "__main__":
    unittest.main()
