"""Unit tests for ../validate-notebook.py (stdlib unittest; no papermill, no network).

Run from the repository root:
    python3 -m unittest discover -s templates/scripts/tests -v
"""

import contextlib
import copy
import importlib.util
import io
import json
import os
import sys
import tempfile
import types
import unittest
from unittest import mock

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "validate-notebook.py")
_spec = importlib.util.spec_from_file_location("validate_notebook", SCRIPT)
vn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vn)


# --- tiny notebook builders ----------------------------------------------------------

def notebook(*cells, kernel="python3"):
    meta = {"kernelspec": {"name": kernel, "language": "python", "display_name": "Python 3"}} if kernel else {}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": list(cells)}


def code(*outputs, source="x", execution_count=1):
    return {"cell_type": "code", "source": source, "metadata": {}, "execution_count": execution_count,
            "outputs": list(outputs)}


def markdown(text="# title"):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def result(text, execution_count=1, html=None, **extra):
    data = {"text/plain": text}
    if html is not None:
        data["text/html"] = html
    data.update(extra)
    return {"output_type": "execute_result", "execution_count": execution_count, "data": data, "metadata": {}}


def display(data, metadata=None):
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def error(ename="ValueError", evalue="bad value", traceback=("Traceback...", "ValueError: bad value")):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": list(traceback)}


def ccfg(**overrides):
    return vn.parse_comparison_config(overrides)


def vcfg(**overrides):
    return vn.parse_validation_config(overrides)


def compare(actual, golden, **overrides):
    return vn.compare_notebooks(actual, golden, ccfg(**overrides))


DATAFRAME_HTML = ('<table border="1" class="dataframe">\n<thead><tr style="text-align: right;"><th></th><th>a</th>'
                  '<th>b</th></tr></thead>\n<tbody>\n<tr><th>0</th><td>1</td><td>2</td></tr>\n'
                  '<tr><th>1</th><td>3</td><td>4</td></tr>\n</tbody>\n</table>')


# --- configuration ---------------------------------------------------------------------

class ConfigTest(unittest.TestCase):
    def test_comparison_defaults(self):
        for raw in (None, "", "{}", "null"):
            cfg = vn.parse_comparison_config(raw)
            self.assertEqual(cfg["strategy"], "normalized")
            self.assertEqual(cfg["tolerance"], 0.0001)
            self.assertTrue(cfg["ignoreTimestamps"])
            self.assertTrue(cfg["ignoreExecutionCount"])
            self.assertEqual(cfg["ignoreOutputTypes"], [])

    def test_comparison_values_from_json(self):
        cfg = vn.parse_comparison_config(json.dumps({
            "strategy": "exact", "floatingPointTolerance": "1e-3", "ignoreTimestamps": False,
            "customTimestampPatterns": [r"run-\d+"], "ignoreOutputTypes": ["image/png"]}))
        self.assertEqual(cfg["strategy"], "exact")
        self.assertEqual(cfg["tolerance"], 0.001)
        self.assertFalse(cfg["ignoreTimestamps"])
        self.assertEqual(len(cfg["timestampRegexes"]), 1)
        self.assertEqual(cfg["ignoreOutputTypes"], ["image/png"])

    def test_comparison_errors(self):
        for raw in ("{not json", "[1]", '{"strategy": "fuzzy"}', '{"floatingPointTolerance": "abc"}',
                    '{"floatingPointTolerance": "-1"}', '{"customTimestampPatterns": ["(unclosed"]}',
                    '{"ignoreTimestamps": "yes"}', '{"ignoreOutputTypes": "image/png"}'):
            with self.subTest(raw=raw), self.assertRaises(vn.ConfigError):
                vn.parse_comparison_config(raw)

    def test_validation_defaults_and_expected_outputs(self):
        cfg = vn.parse_validation_config(json.dumps({"expectedOutputs": [
            {"cell": 2, "type": "float", "minValue": "0.5", "maxValue": "1", "notEmpty": True, "shape": "-1,3"}]}))
        self.assertEqual(cfg["level"], "development")
        self.assertTrue(cfg["detectSilentFailures"])
        self.assertFalse(cfg["failOnStderr"])
        spec = cfg["expectedOutputs"][0]
        self.assertEqual((spec["cell"], spec["minValue"], spec["maxValue"], spec["shape"]), (2, 0.5, 1.0, (-1, 3)))
        self.assertTrue(spec["notEmpty"])

    def test_validation_errors(self):
        for raw in ('{"level": "paranoid"}', '{"expectedOutputs": [{"type": "float"}]}',
                    '{"expectedOutputs": [{"cell": -1}]}', '{"expectedOutputs": [{"cell": 0, "minValue": "x"}]}',
                    '{"expectedOutputs": [{"cell": 0, "shape": "a,b"}]}', '{"strictMode": "true"}'):
            with self.subTest(raw=raw), self.assertRaises(vn.ConfigError):
                vn.parse_validation_config(raw)


# --- normalization and numbers -----------------------------------------------------------

class NormalizeTextTest(unittest.TestCase):
    def test_builtin_timestamps_are_replaced(self):
        cfg = ccfg()
        for text in ("2024-01-31T12:34:56.789Z", "2024-01-31 12:34:56+02:00", "2024-01-31",
                     "Wed Jan 31 12:34:56 2024", "Wed, 31 Jan 2024 12:34:56 +0000", "Jan 31, 2024",
                     "31/01/2024 10:00", "2024/01/31", "12:34:56", "1:02:03 PM"):
            with self.subTest(text=text):
                self.assertEqual(vn.normalize_text(f"at {text} done", cfg), "at <TIMESTAMP> done")

    def test_timestamps_kept_when_not_ignored(self):
        cfg = ccfg(ignoreTimestamps=False)
        self.assertEqual(vn.normalize_text("at 2024-01-31T12:34:56Z", cfg), "at 2024-01-31T12:34:56Z")

    def test_custom_patterns(self):
        text = "run id: job-7f3a build 2024.01.31b"
        self.assertEqual(vn.normalize_text(text, ccfg(customTimestampPatterns=[r"job-\w+", r"\d{4}\.\d\d\.\d\db"])),
                         "run id: <TIMESTAMP> build <TIMESTAMP>")
        # custom patterns are timestamp patterns: off together with ignoreTimestamps
        self.assertEqual(vn.normalize_text(text, ccfg(ignoreTimestamps=False, customTimestampPatterns=[r"job-\w+"])),
                         text)

    def test_time_magic_output(self):
        out = vn.normalize_text("CPU times: user 1.2 s, sys: 3 ms\nWall time: 2.5 s\n42\n", ccfg())
        self.assertEqual(out, "<TIMESTAMP>\n<TIMESTAMP>\n42")

    def test_addresses_ansi_whitespace_and_carriage_returns(self):
        cfg = ccfg()
        self.assertEqual(vn.normalize_text("<Foo object at 0x7f3b2c1d0e50>", cfg), "<Foo object at 0x<ADDR>>")
        self.assertEqual(vn.normalize_text("\x1b[0;31mValueError\x1b[0m  \r\n\n\n", cfg), "ValueError")
        self.assertEqual(vn.normalize_text("10%\r55%\r100%\ndone", cfg), "100%\ndone")
        self.assertEqual(vn.normalize_text("value 0xff", cfg), "value 0xff")  # short hex is data, not an address


class NumberToleranceTest(unittest.TestCase):
    def test_absolute_and_relative_tolerance(self):
        self.assertIsNone(vn.texts_match("loss 0.30000", "loss 0.30004", 1e-4))         # absolute
        self.assertIsNone(vn.texts_match("total 123456.7", "total 123460.1", 1e-4))     # relative
        self.assertIsNotNone(vn.texts_match("loss 0.3", "loss 0.3002", 1e-4))
        self.assertIsNone(vn.texts_match("loss 0.3", "loss 0.3002", 1e-3))
        self.assertIsNone(vn.texts_match("x = 1e-3", "x = 0.001", 0))                   # same value, other spelling

    def test_reason_names_the_numbers(self):
        reason = vn.texts_match("accuracy 0.93", "accuracy 0.81", 1e-4)
        self.assertIn("0.81", reason)
        self.assertIn("0.93", reason)

    def test_integers_compare_exactly(self):
        self.assertIsNotNone(vn.texts_match("rows: 1000000", "rows: 1000001", 0.01))
        self.assertIsNone(vn.texts_match("rows: 1000000", "rows: 1000000.0", 0.01))  # a float is involved

    def test_text_around_numbers_must_match(self):
        self.assertEqual(vn.texts_match("acc 0.5", "loss 0.5", 1), "text differs")
        self.assertEqual(vn.texts_match("1 2 3", "1 2", 1), "text differs")
        self.assertIsNotNone(vn.texts_match("model_v2", "model_v3", 10))  # digits inside identifiers are text
        self.assertIsNotNone(vn.texts_match("a-1", "a+1", 10))


# --- golden comparison --------------------------------------------------------------------

class CompareNotebooksTest(unittest.TestCase):
    def test_identical_notebooks_match(self):
        nb = notebook(markdown(), code(stream("hello\n")), code(result("42")))
        for strategy in ("exact", "normalized"):
            with self.subTest(strategy=strategy):
                res = compare(copy.deepcopy(nb), nb, strategy=strategy)
                self.assertEqual(res["cells_compared"], 2)
                self.assertEqual(res["mismatches"], [])

    def test_different_output_is_reported_with_cell_index_and_diff(self):
        golden = notebook(markdown(), code(result("'a'")), code(result("'b'")))
        actual = notebook(markdown(), code(result("'a'")), code(result("'c'")))
        for strategy in ("exact", "normalized"):
            with self.subTest(strategy=strategy):
                res = compare(actual, golden, strategy=strategy)
                self.assertEqual(len(res["mismatches"]), 1)
                m = res["mismatches"][0]
                self.assertEqual(m["cell"], 2)
                self.assertIn("-'b'", m["diff"])
                self.assertIn("+'c'", m["diff"])

    def test_float_tolerance_only_in_normalized(self):
        golden = notebook(code(result("0.123456789")))
        actual = notebook(code(result("0.123456788")))
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)
        self.assertEqual(compare(actual, golden, strategy="normalized")["mismatches"], [])
        far = notebook(code(result("0.2")))
        res = compare(far, golden, strategy="normalized")
        self.assertEqual(len(res["mismatches"]), 1)
        self.assertIn("beyond tolerance", res["mismatches"][0]["reason"])
        self.assertEqual(compare(far, golden, strategy="normalized", floatingPointTolerance="0.5")["mismatches"], [])

    def test_timestamps(self):
        golden = notebook(code(stream("started 2023-05-01 10:00:00\n")))
        actual = notebook(code(stream("started 2024-11-23 03:04:05\n")))
        self.assertEqual(compare(actual, golden)["mismatches"], [])
        self.assertEqual(len(compare(actual, golden, ignoreTimestamps=False)["mismatches"]), 1)
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)

    def test_custom_timestamp_patterns(self):
        golden = notebook(code(stream("epoch=1700000000 ok\n")))
        actual = notebook(code(stream("epoch=1732330000 ok\n")))
        self.assertEqual(len(compare(actual, golden)["mismatches"]), 1)
        self.assertEqual(compare(actual, golden, customTimestampPatterns=[r"epoch=\d+"])["mismatches"], [])

    def test_memory_addresses(self):
        golden = notebook(code(result("<Model object at 0x7f1111111111>")))
        actual = notebook(code(result("<Model object at 0x7f2222222222>")))
        self.assertEqual(compare(actual, golden)["mismatches"], [])
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)

    def test_execution_counts(self):
        golden = notebook(code(result("1", execution_count=1), execution_count=1))
        actual = notebook(code(result("1", execution_count=7), execution_count=7))
        self.assertEqual(compare(actual, golden, strategy="exact")["mismatches"], [])  # default: ignored
        res = compare(actual, golden, strategy="exact", ignoreExecutionCount=False)
        self.assertEqual(len(res["mismatches"]), 1)
        # only the cell's own count differs
        actual2 = notebook(code(result("1", execution_count=1), execution_count=9))
        res = compare(actual2, golden, strategy="exact", ignoreExecutionCount=False)
        self.assertIn("execution_count", res["mismatches"][0]["reason"])
        # only the execute_result's count differs
        actual3 = notebook(code(result("1", execution_count=5), execution_count=1))
        res = compare(actual3, golden, strategy="exact", ignoreExecutionCount=False)
        self.assertEqual([m["reason"] for m in res["mismatches"]], ["outputs differ"])
        self.assertIn("+[execute_result text/plain execution_count=5]", res["mismatches"][0]["diff"])
        self.assertEqual(compare(actual3, golden, strategy="exact")["mismatches"], [])
        # normalized never compares execution counts
        self.assertEqual(compare(actual, golden, ignoreExecutionCount=False)["mismatches"], [])

    def test_ignored_output_types(self):
        golden = notebook(code(stream("x\n"), display({"image/png": "AAAA", "text/plain": "<Figure>"}),
                               stream("UserWarning: old\n", "stderr")))
        actual = notebook(code(stream("x\n"), display({"image/png": "BBBB", "text/plain": "<Figure 2>"})))
        for strategy in ("exact", "normalized"):
            with self.subTest(strategy=strategy):
                self.assertEqual(len(compare(actual, golden, strategy=strategy)["mismatches"]), 1)
                self.assertEqual(compare(actual, golden, strategy=strategy,
                                         ignoreOutputTypes=["display_data", "stderr"])["mismatches"], [])
        # MIME types with wildcards: only the text/plain of the display differs then
        res = compare(actual, golden, ignoreOutputTypes=["image/*", "stderr"])
        self.assertEqual(len(res["mismatches"]), 1)
        self.assertIn("text/plain", res["mismatches"][0]["reason"])

    def test_binary_data_compared_by_presence_when_normalized(self):
        golden = notebook(code(display({"image/png": "AAAA"})))
        self.assertEqual(compare(notebook(code(display({"image/png": "BBBB"}))), golden)["mismatches"], [])
        self.assertEqual(len(compare(notebook(code(display({"image/png": "BBBB"}))), golden,
                                     strategy="exact")["mismatches"]), 1)
        self.assertEqual(len(compare(notebook(code(display({"text/plain": "fig"}))), golden)["mismatches"]), 1)

    def test_stream_chunks_are_merged_when_normalized(self):
        golden = notebook(code(stream("a\nb\n")))
        actual = notebook(code(stream("a\n"), stream("b\n")))
        self.assertEqual(compare(actual, golden)["mismatches"], [])
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)
        self.assertEqual(len(compare(notebook(code(stream("a\n"), stream("b\n", "stderr"))), golden)["mismatches"]), 1)

    def test_multiline_list_and_string_forms_are_equal(self):
        golden = notebook(code(stream(["a\n", "b\n"])))
        actual = notebook(code(stream("a\nb\n")))
        self.assertEqual(compare(actual, golden, strategy="exact")["mismatches"], [])

    def test_errors_compare_name_and_value(self):
        golden = notebook(code(error(traceback=["File /home/me/nb.py line 3"])))
        actual = notebook(code(error(traceback=["File /opt/app/nb.py line 3"])))
        self.assertEqual(compare(actual, golden)["mismatches"], [])
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)
        other = notebook(code(error(evalue="worse value")))
        self.assertEqual(len(compare(other, golden)["mismatches"]), 1)

    def test_markdown_cells_do_not_shift_pairing(self):
        golden = notebook(code(result("1")), code(result("2")))
        actual = notebook(markdown(), code(result("1")), markdown(), code(result("3")))
        res = compare(actual, golden)
        self.assertEqual(res["cells_compared"], 2)
        self.assertEqual([(m["cell"], m["golden_cell"]) for m in res["mismatches"]], [(3, 1)])

    def test_different_code_cell_count(self):
        golden = notebook(code(result("1")), code(result("2")))
        actual = notebook(code(result("1")))
        res = compare(actual, golden)
        self.assertEqual(res["cells_compared"], 1)
        self.assertEqual(len(res["mismatches"]), 1)
        self.assertIsNone(res["mismatches"][0]["cell"])
        self.assertIn("1 code cells", res["mismatches"][0]["reason"])

    def test_missing_and_extra_outputs(self):
        golden = notebook(code(stream("a\n"), result("1")))
        res = compare(notebook(code(stream("a\n"))), golden)
        self.assertEqual(len(res["mismatches"]), 1)
        self.assertIn("1 outputs, golden has 2", res["mismatches"][0]["reason"])

    def test_unexecuted_golden_gets_a_note(self):
        golden = notebook(code())
        res = compare(notebook(code(result("1"))), golden)
        self.assertTrue(res["notes"])
        self.assertEqual(len(res["mismatches"]), 1)

    def test_html_dataframe_within_tolerance(self):
        golden = notebook(code(result("df", html="<td>0.1234567</td>")))
        actual = notebook(code(result("df", html="<td>0.1234568</td>")))
        self.assertEqual(compare(actual, golden)["mismatches"], [])
        self.assertEqual(len(compare(actual, golden, strategy="exact")["mismatches"]), 1)


# --- validationConfig checks ----------------------------------------------------------------

def checks(issues, severity=None):
    return sorted((i["check"], i["cell"]) for i in issues if severity is None or i["severity"] == severity)


class ValidationTest(unittest.TestCase):
    def test_fail_on_stderr(self):
        nb = notebook(code(stream("ok\n")), code(stream("something odd\n", "stderr")), code(stream("  \n", "stderr")))
        self.assertEqual(checks(vn.validate_notebook(nb, vcfg(failOnStderr=True)), "error"), [("failOnStderr", 1)])
        self.assertEqual(vn.validate_notebook(nb, vcfg()), [])

    def test_fail_on_warnings(self):
        nb = notebook(code(stream("x.py:3: DeprecationWarning: old api\n", "stderr")),
                      code(stream("INFO loading data\n", "stderr")))
        self.assertEqual(checks(vn.validate_notebook(nb, vcfg(failOnWarnings=True)), "error"),
                         [("failOnWarnings", 0)])
        self.assertEqual(vn.validate_notebook(nb, vcfg()), [])
        # production level implies failOnWarnings
        self.assertEqual(checks(vn.validate_notebook(nb, vcfg(level="production")), "error"),
                         [("failOnWarnings", 0), ("verifyAssertions", None)])

    def test_silent_failures(self):
        nb = notebook(code(error()), code(stream("Traceback (most recent call last):\n  ...\n", "stderr")),
                      code(result("nan")), code(result("np.float64(nan)")), code(result("0.5")))
        self.assertEqual(checks(vn.validate_notebook(nb, vcfg()), "error"),
                         [("detectSilentFailures", 0), ("detectSilentFailures", 1), ("detectSilentFailures", 2),
                          ("detectSilentFailures", 3)])
        self.assertEqual(vn.validate_notebook(nb, vcfg(detectSilentFailures=False)), [])

    def test_expected_exceptions_are_not_silent_failures(self):
        cell = code(error())
        cell["metadata"]["tags"] = ["raises-exception"]
        self.assertEqual(vn.validate_notebook(notebook(cell), vcfg()), [])

    def test_learning_level_only_warns_unless_strict(self):
        nb = notebook(code(error()))
        issues = vn.validate_notebook(nb, vcfg(level="learning"))
        self.assertEqual(checks(issues, "warning"), [("detectSilentFailures", 0)])
        self.assertEqual(checks(issues, "error"), [])
        self.assertEqual(checks(vn.validate_notebook(nb, vcfg(level="learning", strictMode=True)), "error"),
                         [("detectSilentFailures", 0), ("verifyAssertions", None)])

    def test_verify_assertions(self):
        without = notebook(code(source="x = 1"))
        with_assert = notebook(code(source="x = 1\nassert x == 1, 'x'"))
        with_np = notebook(code(source="np.testing.assert_allclose(a, b)"))
        self.assertEqual(checks(vn.validate_notebook(without, vcfg(verifyAssertions=True)), "warning"),
                         [("verifyAssertions", None)])
        self.assertEqual(checks(vn.validate_notebook(without, vcfg(verifyAssertions=True, level="staging")), "error"),
                         [("verifyAssertions", None)])
        self.assertEqual(vn.validate_notebook(with_assert, vcfg(verifyAssertions=True, level="staging")), [])
        self.assertEqual(vn.validate_notebook(with_np, vcfg(verifyAssertions=True, level="staging")), [])
        self.assertEqual(vn.validate_notebook(without, vcfg()), [])


class ExpectedOutputsTest(unittest.TestCase):
    def run_expect(self, nb, **spec):
        spec.setdefault("cell", 0)
        cfg = vcfg(expectedOutputs=[spec], detectSilentFailures=False)
        return vn.validate_notebook(nb, cfg)

    def messages(self, issues, severity="error"):
        return [i["message"] for i in issues if i["severity"] == severity]

    def test_presence(self):
        self.assertEqual(self.messages(self.run_expect(notebook(markdown(), code()), cell=5)),
                         ["cell 5 does not exist (the notebook has 2 cells)"])
        self.assertIn("not a code cell", self.messages(self.run_expect(notebook(markdown()), cell=0))[0])
        self.assertEqual(self.messages(self.run_expect(notebook(code()))), ["the cell produced no output"])
        self.assertEqual(self.run_expect(notebook(code(display({"image/png": "AAAA"})))), [])
        self.assertEqual(self.run_expect(notebook(code(stream("hi\n"))), cell=0), [])

    def test_not_empty(self):
        for text in ("[]", "{}", "''", "set()", "Empty DataFrame\nColumns: [a]\nIndex: []",
                     "Series([], dtype: float64)", "array([], dtype=float64)"):
            with self.subTest(text=text):
                self.assertEqual(self.messages(self.run_expect(notebook(code(result(text))), notEmpty=True)),
                                 ["the output is empty"])
        for text in ("[1]", "{'a': 1}", "'x'", "0"):
            with self.subTest(text=text):
                self.assertEqual(self.run_expect(notebook(code(result(text))), notEmpty=True), [])

    def test_numeric_bounds(self):
        bounds = {"minValue": "0.9", "maxValue": "1"}
        self.assertEqual(self.run_expect(notebook(code(result("0.93"))), **bounds), [])
        self.assertEqual(self.run_expect(notebook(code(result("np.float64(0.95)"))), **bounds), [])
        self.assertEqual(self.run_expect(notebook(code(stream("accuracy:\n0.97\n"))), **bounds), [])
        self.assertEqual(self.messages(self.run_expect(notebook(code(result("0.85"))), **bounds)),
                         ["value 0.85 < minValue 0.9"])
        self.assertEqual(self.messages(self.run_expect(notebook(code(result("1.5"))), **bounds)),
                         ["value 1.5 > maxValue 1"])
        self.assertEqual(self.messages(self.run_expect(notebook(code(result("nan"))), **bounds)),
                         ["the output is NaN"])
        self.assertEqual(self.messages(self.run_expect(notebook(code(result("'high'"))), **bounds)),
                         ["the output is not a number, cannot check bounds"])
        self.assertEqual(self.run_expect(notebook(code(result("-3"))), minValue="-5"), [])

    def test_types(self):
        cases = [("0.5", "float"), ("np.float64(0.5)", "numpy.float64"), ("3", "int"), ("[1, 2]", "list"),
                 ("{'a': 1}", "dict"), ("'s'", "str"), ("True", "bool"), ("array([1, 2])", "numpy.ndarray"),
                 ("0    1\n1    2\nName: a, dtype: int64", "pandas.Series")]
        for text, expected in cases:
            with self.subTest(text=text):
                self.assertEqual(self.run_expect(notebook(code(result(text))), type=expected), [])
        self.assertEqual(self.run_expect(notebook(code(result("   a  b", html=DATAFRAME_HTML))),
                                         type="pandas.DataFrame"), [])

    def test_type_mismatch_severity_follows_check_output_types(self):
        nb = notebook(code(result("3")))
        spec = {"cell": 0, "type": "float"}
        strict = vn.validate_notebook(nb, vcfg(expectedOutputs=[spec], checkOutputTypes=True))
        self.assertEqual(self.messages(strict), ["output type looks like int, expected float"])
        lenient = vn.validate_notebook(nb, vcfg(expectedOutputs=[spec]))
        self.assertEqual(self.messages(lenient), [])
        self.assertEqual(self.messages(lenient, "warning"), ["output type looks like int, expected float"])

    def test_unknown_type_is_a_warning(self):
        issues = self.run_expect(notebook(code(result("<something odd>"))), type="float")
        self.assertEqual(self.messages(issues), [])
        self.assertEqual(len(self.messages(issues, "warning")), 1)

    def test_shapes(self):
        df = notebook(code(result("   a  b", html=DATAFRAME_HTML)))
        big = notebook(code(result("   a  b\n0  1  2\n..\n\n[100 rows x 2 columns]")))
        arr = notebook(code(result("array([[1, 2, 3],\n       [4, 5, 6]])")))
        self.assertEqual(self.run_expect(df, shape="2,2"), [])
        self.assertEqual(self.run_expect(big, shape="-1,2"), [])
        self.assertEqual(self.run_expect(arr, shape="2,3"), [])
        issues = vn.validate_notebook(big, vcfg(checkOutputTypes=True, expectedOutputs=[{"cell": 0, "shape": "-1,3"}]))
        self.assertEqual(self.messages(issues), ["output shape is 100,2, expected -1,3"])
        issues = vn.validate_notebook(arr, vcfg(checkOutputTypes=True, expectedOutputs=[{"cell": 0, "shape": "6"}]))
        self.assertEqual(self.messages(issues), ["output shape is 2,3, expected 6"])


# --- execution wiring with a fake papermill -------------------------------------------------

class FakeExecutionError(Exception):
    def __init__(self, cell_index, exec_count, ename, evalue, traceback):
        super().__init__(evalue)
        self.cell_index, self.exec_count = cell_index, exec_count
        self.ename, self.evalue, self.traceback = ename, evalue, traceback


def fake_papermill(fail_at=None):
    """A module with papermill's execute_notebook signature: copies input to output."""
    calls = []

    def execute_notebook(input_path, output_path, **kwargs):
        calls.append({"input": input_path, "output": output_path, **kwargs})
        with open(input_path) as f:
            nb = json.load(f)
        with open(output_path, "w") as f:
            json.dump(nb, f)
        if fail_at is not None:
            raise FakeExecutionError(fail_at, 3, "ZeroDivisionError", "division by zero",
                                     ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"])

    module = types.ModuleType("papermill")
    module.execute_notebook = execute_notebook
    module.calls = calls
    return module


class TempDirMixin:
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        os.makedirs(os.path.join(self.dir, "repo", "nbs"))
        self.nb_path = os.path.join(self.dir, "repo", "nbs", "analysis.ipynb")
        self.out_path = os.path.join(self.dir, "out", "executed.ipynb")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, path, nb):
        with open(path, "w") as f:
            json.dump(nb, f)
        return path


class ExecutionTest(TempDirMixin, unittest.TestCase):
    def test_runs_in_notebook_folder_with_kernel_and_timeout(self):
        self.write(self.nb_path, notebook(code(result("1"))))
        pm = fake_papermill()
        with contextlib.redirect_stdout(io.StringIO()):
            ok, _ = vn.execute_notebook(self.nb_path, self.out_path, kernel="ir", timeout=30, papermill=pm)
        self.assertTrue(ok)
        call = pm.calls[0]
        self.assertEqual(call["cwd"], os.path.dirname(self.nb_path))
        self.assertEqual(call["kernel_name"], "ir")
        self.assertEqual(call["execution_timeout"], 30)
        self.assertTrue(os.path.exists(self.out_path))

    def test_kernel_defaults(self):
        self.write(self.nb_path, notebook(code(), kernel=None))
        pm = fake_papermill()
        with contextlib.redirect_stdout(io.StringIO()):
            vn.execute_notebook(self.nb_path, self.out_path, papermill=pm)
        self.assertEqual(pm.calls[0]["kernel_name"], "python3")
        self.assertNotIn("execution_timeout", pm.calls[0])
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(vn.choose_kernel(notebook(kernel="conda-env-x-py"), available={"python3"}), "python3")
        self.assertIsNone(vn.choose_kernel(notebook(kernel="python3"), available={"python3"}))
        self.assertIsNone(vn.choose_kernel(notebook(kernel="ir"), available={"ir", "python3"}))

    def test_execution_error_names_the_cell(self):
        self.write(self.nb_path, notebook(code(), code()))
        with contextlib.redirect_stdout(io.StringIO()):
            ok, message = vn.execute_notebook(self.nb_path, self.out_path, papermill=fake_papermill(fail_at=1))
        self.assertFalse(ok)
        self.assertIn("execution failed in cell 1 (execution count 3): ZeroDivisionError: division by zero", message)
        self.assertNotIn("\x1b", message)

    def test_failing_cell_from_papermill_metadata(self):
        nb = notebook(markdown(), code(), code())
        nb["cells"][2]["metadata"]["papermill"] = {"exception": True, "status": "failed"}
        self.assertEqual(vn.failing_cell(nb), 2)
        nb["cells"].insert(0, {"cell_type": "markdown", "source": "error", "metadata":
                               {"tags": ["papermill-error-cell-tag"]}})
        self.assertEqual(vn.failing_cell(nb), 2)

    def test_ensure_papermill_installs_with_pip_user(self):
        pm = fake_papermill()
        commands = []

        def run(cmd, env=None):
            commands.append(cmd)
            self.assertEqual(env.get("PIP_BREAK_SYSTEM_PACKAGES"), "1")
            return types.SimpleNamespace(returncode=0)

        with mock.patch.object(vn.importlib, "import_module", side_effect=[ImportError("no"), pm]), \
                mock.patch.object(vn.site, "getusersitepackages", return_value="/nbg/user/site"), \
                mock.patch.object(vn.site, "addsitedir") as addsitedir, \
                contextlib.redirect_stdout(io.StringIO()):
            self.assertIs(vn.ensure_papermill(run=run), pm)
        self.assertEqual(commands[0][1:3], ["-m", "pip"])
        self.assertIn("papermill", commands[0])
        self.assertIn("nbformat", commands[0])
        if sys.prefix == sys.base_prefix:
            self.assertIn("--user", commands[0])
        addsitedir.assert_called_once_with("/nbg/user/site")

    def test_ensure_papermill_pip_failure(self):
        with mock.patch.object(vn.importlib, "import_module", side_effect=ImportError("no")), \
                contextlib.redirect_stdout(io.StringIO()), self.assertRaises(vn.ConfigError):
            vn.ensure_papermill(run=lambda cmd, env=None: types.SimpleNamespace(returncode=1))


class MainTest(TempDirMixin, unittest.TestCase):
    def main(self, **env):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = vn.main(env)
        return status, out.getvalue(), err.getvalue()

    def base_env(self, **extra):
        env = {"NBG_NOTEBOOK": self.nb_path, "NBG_OUTPUT_NOTEBOOK": self.out_path,
               "NBG_REPORT_FILE": os.path.join(self.dir, "report.json")}
        env.update(extra)
        return env

    def test_pass_with_golden(self):
        nb = notebook(code(stream("ran at 2024-01-01 10:00:00\n")), code(result("0.5000001")))
        golden = notebook(code(stream("ran at 2023-06-01 09:00:00\n")), code(result("0.5")))
        self.write(self.nb_path, nb)
        golden_path = self.write(os.path.join(self.dir, "golden.ipynb"), golden)
        with mock.patch.dict(sys.modules, {"papermill": fake_papermill()}):
            status, out, _ = self.main(**self.base_env(NBG_GOLDEN_NOTEBOOK=golden_path))
        self.assertEqual(status, 0, out)
        self.assertIn("2 code cell(s) compared, 0 mismatch(es)", out)
        self.assertIn("RESULT: PASSED", out)
        with open(os.path.join(self.dir, "report.json")) as f:
            self.assertTrue(json.load(f)["passed"])

    def test_golden_mismatch_exits_4(self):
        os.makedirs(os.path.dirname(self.out_path))
        self.write(self.out_path, notebook(markdown(), code(result("0.7"))))
        golden_path = self.write(os.path.join(self.dir, "golden.ipynb"), notebook(code(result("0.9"))))
        status, out, _ = self.main(**self.base_env(NBG_GOLDEN_NOTEBOOK=golden_path, NBG_SKIP_EXECUTION="1",
                                                   NBG_COMPARISON_CONFIG='{"strategy": "normalized"}'))
        self.assertEqual(status, 4)
        self.assertIn("MISMATCH cell 1 (golden cell 0)", out)
        self.assertIn("RESULT: FAILED (0 validation error(s), 1 golden mismatch(es))", out)

    def test_validation_error_exits_3(self):
        os.makedirs(os.path.dirname(self.out_path))
        self.write(self.out_path, notebook(code(stream("careful\n", "stderr"))))
        status, out, _ = self.main(**self.base_env(NBG_SKIP_EXECUTION="1",
                                                   NBG_VALIDATION_CONFIG='{"failOnStderr": true}'))
        self.assertEqual(status, 3)
        self.assertIn("ERROR   cell 0 [failOnStderr]: stderr: careful", out)

    def test_execution_error_exits_1(self):
        self.write(self.nb_path, notebook(code(), code()))
        with mock.patch.dict(sys.modules, {"papermill": fake_papermill(fail_at=1)}):
            status, out, _ = self.main(**self.base_env())
        self.assertEqual(status, 1)
        self.assertIn("execution failed in cell 1", out)

    def test_configuration_errors_exit_2(self):
        self.write(self.nb_path, notebook(code()))
        for extra in ({"NBG_COMPARISON_CONFIG": "{oops"}, {"NBG_VALIDATION_CONFIG": '{"level": "x"}'},
                      {"NBG_GOLDEN_NOTEBOOK": os.path.join(self.dir, "missing.ipynb")},
                      {"NBG_CELL_TIMEOUT_SECONDS": "soon"}, {"NBG_OUTPUT_NOTEBOOK": ""}):
            with self.subTest(extra=extra):
                status, _, err = self.main(**self.base_env(**extra))
                self.assertEqual(status, 2)
                self.assertIn("validate-notebook: error:", err)


if __name__ == "__main__":
    unittest.main()
