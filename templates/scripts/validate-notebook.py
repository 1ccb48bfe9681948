#!/usr/bin/env python3
"""Execute a notebook with papermill, validate its outputs, compare it with a golden notebook.

Runs as the main container of an nbgitops validation Job. Every input comes from
the environment:

  NBG_NOTEBOOK              required  absolute path of the notebook to run
  NBG_OUTPUT_NOTEBOOK       required  where papermill writes the executed notebook
  NBG_GOLDEN_NOTEBOOK       optional  absolute path of the golden (reference) notebook
  NBG_COMPARISON_CONFIG     optional  JSON object: spec.comparisonConfig with defaults applied
  NBG_VALIDATION_CONFIG     optional  JSON object: spec.validationConfig with defaults applied
  NBG_KERNEL                optional  kernel name (default: the notebook's kernelspec, else python3)
  NBG_CELL_TIMEOUT_SECONDS  optional  per-cell execution timeout in seconds
  NBG_REPORT_FILE           optional  path for a machine-readable JSON report (the full one)
  NBG_TERMINATION_LOG       optional  path for the compact JSON verdict, at most 4096 bytes
                                      (the pod's /dev/termination-log: Kubernetes keeps it
                                      in the container status, where `nbgitops results`
                                      and the Argo CD health check read it)
  NBG_IMAGE                 optional  the image reference the pod runs (for the verdict)
  NBG_RESULTS_DIR           optional  a mounted results claim: report.json, verdict.json and
                                      the executed notebook.ipynb are saved below
                                      <NBG_RESULTS_NAME>/<hash of NBG_JOB_NAME>/
  NBG_RESULTS_S3_URL        optional  instead, an S3 bucket URL (path-style, with prefix);
                                      NBG_RESULTS_S3_REGION, and NBG_RESULTS_S3_CREDENTIALS, the
                                      folder of the Secret's AWS_ACCESS_KEY_ID and
                                      AWS_SECRET_ACCESS_KEY files (AWS Signature Version 4)
  NBG_RESULTS_S3_CA         optional  a folder of PEM CA certificates trusted besides the
                                      system bundle (the endpoint's cluster CA)
  NBG_RESULTS_LOCATION      optional  how the store is named in the verdict (pvc://…, s3://…)
  NBG_RESULTS_NAME, NBG_JOB_NAME      the spec's name and the Job's (its last segment is the
                                      content hash)
  NBG_SKIP_EXECUTION        optional  "1": do not run papermill; validate/compare the
                                      existing NBG_OUTPUT_NOTEBOOK (debugging and tests)

Exit status: 0 success; 1 execution error; 2 configuration or environment problem (bad
JSON, missing file, papermill not installable); 3 validation errors; 4 golden mismatch
(validation errors win when there are both). The Job maps each code to a FailJob rule, so the
code shows in the Job's Failed condition (ValidationJobPlanner.failureExitCodes).

Only the standard library is needed at import time: papermill (and nbformat) are
imported when the notebook is executed and installed with
`pip install --user` when missing. Everything that decides pass/fail is a pure
function over notebooks as plain dicts, so it can be unit-tested without papermill.
"""

import ast
import difflib
import fnmatch
import hashlib
import hmac
import importlib
import json
import math
import os
import re
import site
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EXIT_OK = 0
EXIT_FAILED = 1  # the notebook raised (execution error)
EXIT_CONFIG = 2
EXIT_VALIDATION = 3
EXIT_MISMATCH = 4

COMPARISON_DEFAULTS = {
    "strategy": "normalized",
    "floatingPointTolerance": "0.0001",
    "ignoreTimestamps": True,
    "ignoreExecutionCount": True,
    "customTimestampPatterns": [],
    "ignoreOutputTypes": [],
}

VALIDATION_DEFAULTS = {
    "level": "development",
    "strictMode": False,
    "failOnStderr": False,
    "failOnWarnings": False,
    "checkOutputTypes": False,
    "verifyAssertions": False,
    "detectSilentFailures": True,
    "requireExplicitExitCodes": False,
    "expectedOutputs": [],
}

LEVELS = ("learning", "development", "staging", "production")

TIMESTAMP = "<TIMESTAMP>"
ADDRESS = "0x<ADDR>"


class ConfigError(Exception):
    """Invalid configuration or input; reported with exit status 2."""


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------

def _parse_json_object(raw, name):
    if raw is None or not str(raw).strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as e:
        raise ConfigError(f"{name} is not valid JSON: {e}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a JSON object")
    return value


def _bool(value, name):
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _string_list(value, name):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be a list of strings")
    return list(value)


def parse_comparison_config(raw):
    """Turn NBG_COMPARISON_CONFIG (a JSON string, or a dict) into a checked config dict.

    Adds "tolerance" (float) and "timestampRegexes" (compiled custom patterns).
    """
    data = raw if isinstance(raw, dict) else _parse_json_object(raw, "NBG_COMPARISON_CONFIG")
    cfg = dict(COMPARISON_DEFAULTS)
    cfg.update({k: v for k, v in data.items() if v is not None})
    if cfg["strategy"] not in ("exact", "normalized"):
        raise ConfigError(f"comparisonConfig.strategy must be exact or normalized, got {cfg['strategy']!r}")
    try:
        tolerance = float(str(cfg["floatingPointTolerance"]))
    except ValueError:
        raise ConfigError(
            f"comparisonConfig.floatingPointTolerance is not a number: {cfg['floatingPointTolerance']!r}") from None
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ConfigError("comparisonConfig.floatingPointTolerance must be a finite number >= 0")
    cfg["tolerance"] = tolerance
    for key in ("ignoreTimestamps", "ignoreExecutionCount"):
        cfg[key] = _bool(cfg[key], f"comparisonConfig.{key}")
    cfg["customTimestampPatterns"] = _string_list(cfg["customTimestampPatterns"],
                                                  "comparisonConfig.customTimestampPatterns")
    cfg["ignoreOutputTypes"] = _string_list(cfg["ignoreOutputTypes"], "comparisonConfig.ignoreOutputTypes")
    regexes = []
    for pattern in cfg["customTimestampPatterns"]:
        try:
            regexes.append(re.compile(pattern, re.MULTILINE))
        except re.error as e:
            raise ConfigError(f"comparisonConfig.customTimestampPatterns: invalid regex {pattern!r}: {e}") from None
    cfg["timestampRegexes"] = regexes
    return cfg


def _number(value, name):
    try:
        result = float(str(value))
    except ValueError:
        raise ConfigError(f"{name} is not a number: {value!r}") from None
    if math.isnan(result):
        raise ConfigError(f"{name} must not be NaN")
    return result


def parse_shape(text):
    """"rows,cols" (or any number of dims; -1 = any size) -> tuple of ints."""
    try:
        dims = tuple(int(part.strip()) for part in str(text).split(","))
    except ValueError:
        raise ConfigError(f"expectedOutputs.shape must look like '10,-1', got {text!r}") from None
    if not dims or any(d < -1 for d in dims):
        raise ConfigError(f"expectedOutputs.shape must look like '10,-1', got {text!r}")
    return dims


def parse_validation_config(raw):
    """Turn NBG_VALIDATION_CONFIG (a JSON string, or a dict) into a checked config dict."""
    data = raw if isinstance(raw, dict) else _parse_json_object(raw, "NBG_VALIDATION_CONFIG")
    cfg = dict(VALIDATION_DEFAULTS)
    cfg.update({k: v for k, v in data.items() if v is not None})
    if cfg["level"] not in LEVELS:
        raise ConfigError(f"validationConfig.level must be one of {', '.join(LEVELS)}, got {cfg['level']!r}")
    for key in ("strictMode", "failOnStderr", "failOnWarnings", "checkOutputTypes", "verifyAssertions",
                "detectSilentFailures", "requireExplicitExitCodes"):
        cfg[key] = _bool(cfg[key], f"validationConfig.{key}")
    expected = cfg["expectedOutputs"] or []
    if not isinstance(expected, list):
        raise ConfigError("validationConfig.expectedOutputs must be a list")
    parsed = []
    for i, item in enumerate(expected):
        name = f"validationConfig.expectedOutputs[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{name} must be an object")
        cell = item.get("cell")
        if not isinstance(cell, int) or isinstance(cell, bool) or cell < 0:
            raise ConfigError(f"{name}.cell must be an integer >= 0")
        spec = {"cell": cell, "type": item.get("type") or None, "notEmpty": bool(item.get("notEmpty", False)),
                "shape": parse_shape(item["shape"]) if item.get("shape") else None,
                "minValue": _number(item["minValue"], f"{name}.minValue") if item.get("minValue") is not None else None,
                "maxValue": _number(item["maxValue"], f"{name}.maxValue") if item.get("maxValue") is not None else None}
        parsed.append(spec)
    cfg["expectedOutputs"] = parsed
    return cfg


# --------------------------------------------------------------------------------------
# Notebook helpers
# --------------------------------------------------------------------------------------

def join_text(value):
    """nbformat stores multi-line strings either as a string or as a list of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def code_cells(nb):
    """[(index in nb["cells"], cell)] for the code cells of a notebook."""
    return [(i, c) for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "code"]


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text):
    return ANSI_RE.sub("", text)


# --------------------------------------------------------------------------------------
# Text normalization and number-tolerant comparison
# --------------------------------------------------------------------------------------

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[AaPp]\.?[Mm]\.?)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"

# Built-in patterns, most specific first. Applied only when ignoreTimestamps is on.
TIMESTAMP_PATTERNS = [re.compile(p) for p in (
    # ISO 8601 / RFC 3339 date-times and dates: 2024-01-31T12:34:56.789+00:00, 2024-01-31 12:34, 2024-01-31
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?" + _ZONE + r")?\b",
    # ctime / RFC 2822 style: Wed Jan 31 12:34:56 2024, Wed, 31 Jan 2024 12:34:56 +0000, Jan 31, 2024
    r"\b(?:" + _WEEKDAY + r")?" + _MONTH + r"\s+\d{1,2},?\s+(?:" + _CLOCK + r"\s+)?\d{4}"
    + r"(?:\s+" + _CLOCK + r")?" + _ZONE,
    r"\b(?:" + _WEEKDAY + r")?\d{1,2}\s+" + _MONTH + r"\s+\d{4}(?:\s+" + _CLOCK + r")?" + _ZONE,
    # 2024/01/31, 31/01/2024, 1/31/24, 31.01.2024 (optionally followed by a time)
    r"\b\d{4}/\d{1,2}/\d{1,2}(?:[ T]" + _CLOCK + r")?\b",
    r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?:[ T]" + _CLOCK + r")?\b",
    # a bare clock time with seconds: 12:34:56, 12:34:56.789, 1:02:03 PM
    r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?[AaPp]\.?[Mm]\.?)?" + _ZONE,
    # IPython %time / %%time output: measured durations, never stable
    r"(?m)^(?:CPU times|Wall time):.*$",
)]

ADDRESS_RE = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")

# A number that is not part of an identifier (the 2 in "model_v2" is no number).
NUMBER_RE = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w)")


def normalize_text(text, cfg):
    """Normalized form of an output text, used by the "normalized" strategy.

    Strips ANSI colors, applies carriage returns like a terminal (progress bars),
    replaces timestamps (custom patterns first) and memory addresses by
    placeholders, and drops trailing whitespace and trailing blank lines.
    """
    text = strip_ansi(text).replace("\r\n", "\n")
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    if cfg["ignoreTimestamps"]:
        for regex in list(cfg["timestampRegexes"]) + TIMESTAMP_PATTERNS:
            text = regex.sub(TIMESTAMP, text)
    text = ADDRESS_RE.sub(ADDRESS, text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def numbers_close(a, b, tolerance):
    """Two numeric tokens match when equal or, if either is a float, within tolerance
    (absolute, or relative to the larger magnitude). Integers compare exactly so
    that counts such as row numbers cannot drift."""
    is_float = any(c in tok for tok in (a, b) for c in ".eE")
    if not is_float:
        return int(a) == int(b)
    x, y = float(a), float(b)
    if x == y:
        return True
    diff = abs(x - y)
    return diff <= tolerance or diff <= tolerance * max(abs(x), abs(y))


def texts_match(expected, actual, tolerance):
    """Compare two normalized texts, numbers within tolerance.

    Returns None when they match, else a short reason."""
    if expected == actual:
        return None
    exp_parts = NUMBER_RE.split(expected)
    act_parts = NUMBER_RE.split(actual)
    exp_nums = NUMBER_RE.findall(expected)
    act_nums = NUMBER_RE.findall(actual)
    if exp_parts != act_parts or len(exp_nums) != len(act_nums):
        return "text differs"
    for e, a in zip(exp_nums, act_nums):
        if not numbers_close(e, a, tolerance):
            return f"number {a} differs from golden {e} beyond tolerance {tolerance:g}"
    return None


# --------------------------------------------------------------------------------------
# Canonical outputs
# --------------------------------------------------------------------------------------

# MIME types compared as text under the normalized strategy; other (base64 encoded
# binary) data such as PNG plots is only checked for presence, because renderers
# rarely produce byte-identical images across library versions.
def is_text_mime(mime):
    return (mime.startswith("text/") or mime in ("application/json", "application/javascript", "image/svg+xml")
            or mime.endswith("+json") or mime.endswith("+xml"))


# Widget views carry random model ids; only their presence can be compared.
VOLATILE_MIMES = ("application/vnd.jupyter.widget-view+json",)


def is_ignored(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def canonical_outputs(outputs, cfg):
    """Reduce a cell's outputs to what the configured strategy compares.

    ignoreOutputTypes entries (shell-style wildcards allowed) may name an
    output_type (stream, execute_result, display_data, error), a stream name
    (stdout, stderr) or a MIME type (image/png, image/*); they apply to both
    strategies. The normalized strategy also merges consecutive chunks of the
    same stream (chunking depends on timing), normalizes text, compares only
    ename/evalue of errors (tracebacks carry paths), ignores output metadata and
    execution counts. The exact strategy keeps everything except, when
    ignoreExecutionCount is set, execution counts.
    """
    normalized = cfg["strategy"] == "normalized"
    ignore = cfg["ignoreOutputTypes"]
    result = []
    for out in outputs or []:
        otype = out.get("output_type", "")
        if is_ignored(otype, ignore):
            continue
        if otype == "stream":
            name = out.get("name", "stdout")
            if is_ignored(name, ignore):
                continue
            text = join_text(out.get("text"))
            if normalized and result and result[-1].get("output_type") == "stream" and result[-1]["name"] == name:
                result[-1]["text"] += text
                continue
            result.append({"output_type": "stream", "name": name, "text": text})
        elif otype in ("execute_result", "display_data", "update_display_data"):
            data = {}
            for mime, value in sorted((out.get("data") or {}).items()):
                if is_ignored(mime, ignore):
                    continue
                if normalized and (mime in VOLATILE_MIMES or not is_text_mime(mime)):
                    data[mime] = "<present>"
                elif isinstance(value, (dict, list)) and (mime == "application/json" or mime.endswith("+json")):
                    data[mime] = json.dumps(value, sort_keys=True, indent=1)
                else:
                    data[mime] = join_text(value)
            if not data:
                continue
            item = {"output_type": otype, "data": data}
            if not normalized:
                item["metadata"] = out.get("metadata") or {}
                if otype == "execute_result" and not cfg["ignoreExecutionCount"]:
                    item["execution_count"] = out.get("execution_count")
            result.append(item)
        elif otype == "error":
            item = {"output_type": "error", "ename": out.get("ename", ""), "evalue": out.get("evalue", "")}
            if not normalized:
                item["traceback"] = "\n".join(strip_ansi(t) for t in out.get("traceback") or [])
            result.append(item)
        else:  # unknown output type: compare as stored
            result.append(json.loads(json.dumps(out, sort_keys=True)))
    if normalized:
        for item in result:
            if item.get("output_type") == "stream":
                item["text"] = normalize_text(item["text"], cfg)
            elif item.get("output_type") == "error":
                item["evalue"] = normalize_text(item["evalue"], cfg)
            elif item.get("output_type") in ("execute_result", "display_data", "update_display_data"):
                item["data"] = {m: normalize_text(v, cfg) for m, v in item["data"].items()}
        # a stream reduced to nothing (e.g. only a progress bar cleared by \r) is no output
        result = [i for i in result if not (i.get("output_type") == "stream" and not i["text"])]
    return result


def values_match(expected, actual, tolerance, path="outputs"):
    """Structural comparison for normalized outputs: strings via texts_match.

    Returns None on match, else "path: reason"."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"unexpected {', '.join(extra)}"] if extra else [])
            return f"{path}: {'; '.join(parts)}"
        for key in expected:
            sub = f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"
            reason = values_match(expected[key], actual[key], tolerance, sub)
            if reason:
                return reason
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: {len(actual)} outputs, golden has {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            reason = values_match(e, a, tolerance, f"{path}[{i}]")
            if reason:
                return reason
        return None
    if isinstance(expected, str) and isinstance(actual, str):
        reason = texts_match(expected, actual, tolerance)
        return f"{path}: {reason}" if reason else None
    return None if expected == actual else f"{path}: {actual!r} != golden {expected!r}"


def render_outputs(canonical):
    """Human-readable lines of canonical outputs, for diffs."""
    lines = []
    for out in canonical:
        otype = out.get("output_type")
        if otype == "stream":
            lines.append(f"[{out['name']}]")
            lines.extend(out["text"].splitlines())
        elif otype == "error":
            lines.append(f"[error] {out['ename']}: {out['evalue']}")
        elif "data" in out:
            count = f" execution_count={out['execution_count']}" if "execution_count" in out else ""
            for mime, value in out["data"].items():
                lines.append(f"[{otype} {mime}{count}]")
                lines.extend(value.splitlines() if len(value) < 20000 else [value[:200] + "..."])
            if out.get("metadata"):
                lines.append("[metadata] " + json.dumps(out["metadata"], sort_keys=True))
        else:
            lines.append(json.dumps(out, sort_keys=True))
    return lines


def short_diff(golden_lines, actual_lines, max_lines=20, width=160):
    diff = list(difflib.unified_diff(golden_lines, actual_lines, "golden", "actual", lineterm="", n=1))
    clipped = [d if len(d) <= width else d[:width] + "..." for d in diff[:max_lines]]
    if len(diff) > max_lines:
        clipped.append(f"... ({len(diff) - max_lines} more diff lines)")
    return clipped


# --------------------------------------------------------------------------------------
# Golden comparison
# --------------------------------------------------------------------------------------

def compare_notebooks(actual_nb, golden_nb, cfg):
    """Compare the code cells of an executed notebook with a golden notebook, in order.

    Code cells are paired by position among code cells, so edits to markdown cells
    do not shift the comparison. Returns a dict:
      cells_compared: number of code cell pairs compared
      mismatches: [{cell, golden_cell, reason, diff}] (cell = index in the executed
                   notebook's cells, or None for a structural problem)
      notes: informational strings
    """
    actual_cells = code_cells(actual_nb)
    golden_cells = code_cells(golden_nb)
    mismatches, notes = [], []
    if not any(c.get("outputs") for _, c in golden_cells) and any(c.get("outputs") for _, c in actual_cells):
        notes.append("the golden notebook has no outputs at all; was it saved after being executed?")
    if len(actual_cells) != len(golden_cells):
        mismatches.append({"cell": None, "golden_cell": None, "diff": [],
                           "reason": f"the notebook has {len(actual_cells)} code cells, "
                                     f"the golden notebook {len(golden_cells)}"})
    compared = 0
    for (a_index, a_cell), (g_index, g_cell) in zip(actual_cells, golden_cells):
        compared += 1
        expected = canonical_outputs(g_cell.get("outputs"), cfg)
        actual = canonical_outputs(a_cell.get("outputs"), cfg)
        if cfg["strategy"] == "exact":
            reason = None
            if expected != actual:
                reason = "outputs differ"
            elif not cfg["ignoreExecutionCount"] and g_cell.get("execution_count") != a_cell.get("execution_count"):
                reason = (f"execution_count {a_cell.get('execution_count')} != golden "
                          f"{g_cell.get('execution_count')}")
        else:
            reason = values_match(expected, actual, cfg["tolerance"])
        if reason:
            mismatches.append({"cell": a_index, "golden_cell": g_index, "reason": reason,
                               "diff": short_diff(render_outputs(expected), render_outputs(actual))})
    return {"cells_compared": compared, "mismatches": mismatches, "notes": notes}


# --------------------------------------------------------------------------------------
# Validation (validationConfig)
# --------------------------------------------------------------------------------------

def effective_validation(cfg):
    """Apply level and strictMode to the individual switches.

    production level and strictMode imply failOnWarnings, detectSilentFailures and
    verifyAssertions. failOnStderr stays explicit: Python's logging writes every
    INFO line to stderr, so implying it would fail most production notebooks.
    learning level reports every problem as a warning only (unless strictMode).
    """
    eff = dict(cfg)
    strict = cfg["strictMode"] or cfg["level"] == "production"
    if strict:
        eff["failOnWarnings"] = eff["detectSilentFailures"] = eff["verifyAssertions"] = True
    eff["strict"] = strict
    eff["warnOnly"] = cfg["level"] == "learning" and not cfg["strictMode"]
    return eff


def _issue(severity, check, cell, message):
    return {"severity": severity, "check": check, "cell": cell, "message": message}


def _first_line(text, width=120):
    line = next((l for l in text.splitlines() if l.strip()), "").strip()
    return line if len(line) <= width else line[:width] + "..."


WARNING_RE = re.compile(r"\b\w*Warning\b|\bWARNING\b")
TRACEBACK_MARK = "Traceback (most recent call last)"
NAN_REPRS = {"nan", "-nan", "np.float64(nan)", "<na>", "nat", "float('nan')"}
ASSERT_RE = re.compile(r"^\s*assert\b|\bassert_\w*\s*\(|\.assert\w*\s*\(", re.MULTILINE)


def result_text(outputs):
    """text/plain of a cell's value: its last execute_result, else its last display_data."""
    for wanted in ("execute_result", "display_data"):
        for out in reversed(outputs or []):
            if out.get("output_type") == wanted and "text/plain" in (out.get("data") or {}):
                return join_text(out["data"]["text/plain"])
    return None


def result_html(outputs):
    for out in reversed(outputs or []):
        if out.get("output_type") in ("execute_result", "display_data") and "text/html" in (out.get("data") or {}):
            return join_text(out["data"]["text/html"])
    return None


def stdout_text(outputs):
    return "".join(join_text(o.get("text")) for o in outputs or []
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


_CALL_RE = re.compile(r"^[A-Za-z_][\w.]*\(\s*['\"]?([^,'\"()]+)['\"]?\s*(?:,[^()]*)?\)$")


def parse_number(text):
    """A scalar from an output repr: 0.93, np.float64(0.93), tensor(0.93), Decimal('0.93')."""
    if text is None:
        return None
    text = text.strip()
    for candidate in (text, (_CALL_RE.match(text) or [None, None])[1]):
        if candidate is None:
            continue
        try:
            return float(candidate.strip())
        except ValueError:
            pass
    return None


_SERIES_FOOTER_RE = re.compile(r"^(?:Name: .*, )?(?:Length: (\d+), )?dtype: \S+$")
_DF_FOOTER_RE = re.compile(r"\[(\d+) rows x (\d+) columns\]\s*$")
_DF_HTML_FOOTER_RE = re.compile(r"<p>(\d+) rows \u00d7 (\d+) columns</p>")


def _literal(text):
    if len(text) > 200000:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


def infer_type(outputs):
    """Best-effort Python type name of a cell's value from its repr, or None if unknown."""
    html = result_html(outputs) or ""
    text = result_text(outputs)
    if 'class="dataframe"' in html:
        return "DataFrame"
    if text is None:
        return None
    text = text.strip()
    last = text.splitlines()[-1] if text else ""
    if text.startswith("Empty DataFrame") or _DF_FOOTER_RE.search(text):
        return "DataFrame"
    if _SERIES_FOOTER_RE.match(last) or text.startswith("Series(["):
        return "Series"
    if text.startswith("array("):
        return "ndarray"
    match = re.match(r"^(?:np|numpy)\.(float|int|uint|bool|complex|str)_?(\d*)\(", text)
    if match:
        return {"float": "float", "int": "int", "uint": "int", "bool": "bool", "complex": "complex",
                "str": "str"}[match.group(1)]
    if text.lower() in ("nan", "inf", "-inf"):
        return "float"
    match = re.match(r"^<([\w.]+) object at 0x[0-9a-fA-F]+>$", text)
    if match:
        return match.group(1)
    if text == "None":
        return "NoneType"
    if text == "set()":
        return "set"
    value = _literal(text)
    return None if value is None else type(value).__name__


TYPE_ALIASES = {"dataframe": "dataframe", "series": "series", "ndarray": "ndarray", "array": "ndarray",
                "float": "float", "float64": "float", "float32": "float", "float16": "float", "double": "float",
                "int": "int", "int64": "int", "int32": "int", "int16": "int", "int8": "int", "integer": "int",
                "str": "str", "string": "str", "bool": "bool", "boolean": "bool", "list": "list",
                "tuple": "tuple", "dict": "dict", "set": "set", "none": "nonetype", "nonetype": "nonetype"}


def canonical_type(name):
    """'pandas.core.frame.DataFrame', 'pd.DataFrame', 'DataFrame' -> 'dataframe'; 'np.float64' -> 'float'."""
    short = str(name).strip().split(".")[-1].lower()
    return TYPE_ALIASES.get(short, short)


def _shape_of_literal(value):
    """Shape of nested lists/tuples; stops at the first ragged or non-sequence level."""
    shape = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        if not value or not all(isinstance(v, (list, tuple)) for v in value):
            break
        if len({len(v) for v in value}) != 1:
            break
        value = value[0]
    return tuple(shape)


def infer_shape(outputs):
    """Best-effort shape of a DataFrame, Series, ndarray or nested list value, or None."""
    html = result_html(outputs) or ""
    text = (result_text(outputs) or "").strip()
    match = _DF_FOOTER_RE.search(text) or _DF_HTML_FOOTER_RE.search(html)
    if match:
        return int(match.group(1)), int(match.group(2))
    if text.startswith("Empty DataFrame"):
        cols = re.search(r"^Columns: \[(.*)\]$", text, re.MULTILINE)
        rows = re.search(r"^Index: \[(.*)\]$", text, re.MULTILINE)
        count = lambda m: len([p for p in m.group(1).split(",") if p.strip()]) if m else 0  # noqa: E731
        return count(rows), count(cols)
    if 'class="dataframe"' in html:
        body = re.search(r"<tbody>(.*?)</tbody>", html, re.DOTALL)
        if body:
            rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.DOTALL)
            cols = len(re.findall(r"<td[^>]*>", rows[0])) if rows else 0
            return len(rows), cols
        return None
    lines = text.splitlines()
    if lines and _SERIES_FOOTER_RE.match(lines[-1]):
        length = _SERIES_FOOTER_RE.match(lines[-1]).group(1)
        if length:
            return (int(length),)
        if any(line.strip() == "..." for line in lines):
            return None
        return (len(lines) - 1,)
    if text.startswith("array(") and "..." not in text:
        inner = re.sub(r",\s*dtype=[\w.']+\)$", ")", text)[len("array("):-1]
        value = _literal(inner)
        return _shape_of_literal(value) if isinstance(value, (list, tuple)) else None
    value = _literal(text)
    if isinstance(value, (list, tuple)):
        return _shape_of_literal(value)
    return None


EMPTY_REPRS = {"", "[]", "{}", "()", "set()", "''", '""', "none", "array([], dtype=float64)"}


def is_empty_value(outputs):
    """True when a cell shows no value or an empty container (list, dict, DataFrame, ...)."""
    text = result_text(outputs)
    if text is None:
        text = stdout_text(outputs)
    stripped = text.strip()
    if stripped.lower() in EMPTY_REPRS or stripped.startswith("Empty DataFrame") or re.match(
            r"^(?:Series|array)\(\[\],", stripped):
        return True
    shape = infer_shape(outputs)
    return bool(shape) and 0 in shape


def check_expected_output(nb, spec, eff):
    """Issues for one expectedOutputs entry."""
    issues = []
    cells = nb.get("cells", [])
    index = spec["cell"]
    type_severity = "error" if eff["checkOutputTypes"] or eff["strict"] else "warning"
    if index >= len(cells):
        return [_issue("error", "expectedOutputs", index, f"cell {index} does not exist (the notebook has "
                                                          f"{len(cells)} cells)")]
    cell = cells[index]
    if cell.get("cell_type") != "code":
        return [_issue("error", "expectedOutputs", index, f"cell {index} is a {cell.get('cell_type')} cell, "
                                                          "not a code cell")]
    outputs = [o for o in cell.get("outputs") or [] if o.get("output_type") != "error"]
    has_value = any(o.get("output_type") in ("execute_result", "display_data") or join_text(o.get("text")).strip()
                    for o in outputs)
    if not has_value:
        return [_issue("error", "expectedOutputs", index, "the cell produced no output")]
    if spec["notEmpty"] and is_empty_value(outputs):
        issues.append(_issue("error", "expectedOutputs", index, "the output is empty"))
    if spec["type"]:
        inferred = infer_type(outputs)
        if inferred is None:
            issues.append(_issue("warning", "expectedOutputs", index,
                                 f"cannot tell the output's type from its representation (expected {spec['type']})"))
        elif canonical_type(inferred) != canonical_type(spec["type"]):
            issues.append(_issue(type_severity, "expectedOutputs", index,
                                 f"output type looks like {inferred}, expected {spec['type']}"))
    if spec["shape"]:
        shape = infer_shape(outputs)
        wanted = spec["shape"]
        if shape is None:
            issues.append(_issue("warning", "expectedOutputs", index,
                                 f"cannot tell the output's shape (expected {','.join(map(str, wanted))})"))
        elif len(shape) != len(wanted) or any(w != -1 and w != s for w, s in zip(wanted, shape)):
            issues.append(_issue(type_severity, "expectedOutputs", index,
                                 f"output shape is {','.join(map(str, shape))}, expected {','.join(map(str, wanted))}"))
    if spec["minValue"] is not None or spec["maxValue"] is not None:
        value = parse_number(result_text(outputs))
        if value is None:  # print(x) instead of a bare expression: use the last stdout line
            lines = [l for l in stdout_text(outputs).splitlines() if l.strip()]
            value = parse_number(lines[-1]) if lines else None
        if value is None:
            issues.append(_issue("error", "expectedOutputs", index, "the output is not a number, cannot check bounds"))
        elif math.isnan(value):
            issues.append(_issue("error", "expectedOutputs", index, "the output is NaN"))
        else:
            if spec["minValue"] is not None and value < spec["minValue"]:
                issues.append(_issue("error", "expectedOutputs", index,
                                     f"value {value:.10g} < minValue {spec['minValue']:.10g}"))
            if spec["maxValue"] is not None and value > spec["maxValue"]:
                issues.append(_issue("error", "expectedOutputs", index,
                                     f"value {value:.10g} > maxValue {spec['maxValue']:.10g}"))
    return issues


def validate_notebook(nb, cfg):
    """Run the validationConfig checks on an executed notebook.

    Returns a list of issues {severity: error|warning, check, cell, message}.
    """
    eff = effective_validation(cfg)
    issues = []
    for index, cell in code_cells(nb):
        for out in cell.get("outputs") or []:
            otype = out.get("output_type")
            if otype == "stream" and out.get("name") == "stderr":
                text = join_text(out.get("text"))
                if eff["failOnStderr"] and text.strip():
                    issues.append(_issue("error", "failOnStderr", index, f"stderr: {_first_line(text)}"))
                if eff["failOnWarnings"] and WARNING_RE.search(text):
                    line = next((l for l in text.splitlines() if WARNING_RE.search(l)), "")
                    issues.append(_issue("error", "failOnWarnings", index, f"warning: {_first_line(line)}"))
            if eff["detectSilentFailures"]:
                # A cell tagged raises-exception declares its error as expected (nbclient
                # keeps executing after it); any other error output is a failure.
                if otype == "error" and "raises-exception" not in (cell.get("metadata", {}).get("tags") or []):
                    issues.append(_issue("error", "detectSilentFailures", index,
                                         f"error output {out.get('ename')}: {_first_line(str(out.get('evalue', '')))}"))
                elif otype == "stream" and TRACEBACK_MARK in join_text(out.get("text")):
                    issues.append(_issue("error", "detectSilentFailures", index,
                                         f"a traceback was printed to {out.get('name')} "
                                         "(exception caught and logged?)"))
        if eff["detectSilentFailures"]:
            text = result_text([o for o in cell.get("outputs") or [] if o.get("output_type") == "execute_result"])
            if text is not None and text.strip().lower() in NAN_REPRS:
                issues.append(_issue("error", "detectSilentFailures", index, f"the cell's result is {text.strip()}"))
    for spec in cfg["expectedOutputs"]:
        issues.extend(check_expected_output(nb, spec, eff))
    if eff["verifyAssertions"]:
        if not any(ASSERT_RE.search(join_text(c.get("source"))) for _, c in code_cells(nb)):
            severity = "error" if eff["strict"] or cfg["level"] == "staging" else "warning"
            issues.append(_issue(severity, "verifyAssertions", None, "no assert statement in any code cell"))
    if eff["warnOnly"]:
        for issue in issues:
            issue["severity"] = "warning"
    return issues


# --------------------------------------------------------------------------------------
# Execution (papermill)
# --------------------------------------------------------------------------------------

def ensure_papermill(run=subprocess.run):
    """Import papermill, installing it with `pip install --user` when missing."""
    try:
        return importlib.import_module("papermill")
    except ImportError:
        pass
    print("papermill is not installed; installing papermill and nbformat with pip --user", flush=True)
    cmd = [sys.executable, "-m", "pip", "install", "--user", "--quiet", "--disable-pip-version-check",
           "--no-warn-script-location", "papermill", "nbformat"]
    if sys.prefix != sys.base_prefix:  # pip refuses --user inside a virtualenv
        cmd.remove("--user")
    # Distribution Pythons (Debian 12, Ubuntu 23.04+) refuse even --user installs
    # under PEP 668. The target here is the Job's own throwaway PYTHONUSERBASE, not
    # the OS's packages, so overriding that is safe; older pips ignore the variable.
    proc = run(cmd, env=dict(os.environ, PIP_BREAK_SYSTEM_PACKAGES="1"))
    if proc.returncode != 0:
        raise ConfigError(f"pip install failed with status {proc.returncode}; use an image with papermill installed")
    # The user site dir was not on sys.path at start-up if it did not exist yet.
    user_site = site.getusersitepackages()
    if user_site not in sys.path:
        site.addsitedir(user_site)
    importlib.invalidate_caches()
    try:
        return importlib.import_module("papermill")
    except ImportError as e:
        raise ConfigError(f"papermill is still not importable after installing it: {e}") from None


def failing_cell(nb):
    """Index (in the notebook as given to papermill) of the cell papermill marked as failed."""
    cells = nb.get("cells", [])
    # papermill prepends a markdown cell announcing the error to the output notebook
    offset = 1 if cells and "papermill-error-cell-tag" in (cells[0].get("metadata", {}).get("tags") or []) else 0
    for i, cell in enumerate(cells[offset:]):
        meta = cell.get("metadata", {}).get("papermill", {})
        if meta.get("exception") or meta.get("status") == "running":
            return i
        if any(o.get("output_type") == "error" for o in cell.get("outputs") or []):
            return i
    return None


def choose_kernel(nb, available=None):
    """Kernel for a notebook when NBG_KERNEL is not set, or None to let papermill use the
    notebook's own kernelspec.

    Notebooks often name the author's local kernel ("conda-env-foo-py", "venv"), which
    does not exist in the image; a Python notebook then runs on "python3".
    """
    meta = nb.get("metadata", {})
    name = (meta.get("kernelspec") or {}).get("name")
    if not name:
        return "python3"  # papermill cannot guess a kernel otherwise
    if available is None:
        try:
            from jupyter_client.kernelspec import find_kernel_specs
            available = set(find_kernel_specs())
        except Exception:  # no jupyter_client, unreadable specs: let papermill decide
            return None
    language = ((meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name") or "")
    if name not in available and language.lower() == "python" and "python3" in available:
        print(f"kernel {name!r} is not installed in this image; using python3", flush=True)
        return "python3"
    return None


def execute_notebook(notebook, output, kernel=None, timeout=None, papermill=None, failure=None):
    """Run the notebook with papermill in its own folder.

    Returns (ok, message). On failure, a `failure` dict given is filled with the failing
    cell's index (or None) and the error's first line."""
    pm = papermill or ensure_papermill()
    with open(notebook, encoding="utf-8") as f:
        source = json.load(f)
    # The notebook's output streams go straight to the pod log.
    kwargs = {"cwd": os.path.dirname(notebook) or ".", "progress_bar": False,
              "stdout_file": sys.stdout, "stderr_file": sys.stderr}
    kernel = kernel or choose_kernel(source)
    if kernel:
        kwargs["kernel_name"] = kernel
    if timeout:
        kwargs["execution_timeout"] = timeout
    out_dir = os.path.dirname(output)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    print("---- notebook output ----", flush=True)
    try:
        pm.execute_notebook(notebook, output, **kwargs)
    except Exception as e:  # papermill raises PapermillExecutionError, nbclient timeouts, kernel errors...
        index = getattr(e, "cell_index", None)
        if index is None and os.path.exists(output):
            try:
                with open(output, encoding="utf-8") as f:
                    index = failing_cell(json.load(f))
            except (OSError, ValueError):
                pass
        where = f"cell {index}" if index is not None else "an unknown cell"
        count = getattr(e, "exec_count", None)
        if count is not None:
            where += f" (execution count {count})"
        ename, evalue = getattr(e, "ename", None), getattr(e, "evalue", None)
        detail = f"{ename}: {evalue}" if ename else f"{type(e).__name__}: {e}"
        lines = [f"execution failed in {where}: {_first_line(strip_ansi(detail), 300)}"]
        if failure is not None:
            failure["index"] = index
            failure["error"] = _first_line(strip_ansi(detail), 300)
        if type(e).__name__ == "NoSuchKernel":
            lines.append("    (is ipykernel installed in the image? NBG_KERNEL selects another kernel)")
        traceback = getattr(e, "traceback", None)
        if traceback:
            tail = strip_ansi("\n".join(traceback)).splitlines()[-15:]
            lines.extend("    " + line for line in tail)
        print("---- end of notebook output ----", flush=True)
        return False, "\n".join(lines)
    print("---- end of notebook output ----", flush=True)
    return True, "execution succeeded"


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def load_notebook(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read the {what} {path}: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError(f"the {what} {path} is not valid JSON: {e}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ConfigError(f"the {what} {path} is not a notebook (no cells list)")
    return nb


def format_issue(issue):
    where = f"cell {issue['cell']}" if issue["cell"] is not None else "notebook"
    return f"  {issue['severity'].upper():7} {where} [{issue['check']}]: {issue['message']}"


def run(env):
    report = {"execution": None, "validation": [], "comparison": None, "passed": False}
    notebook = env.get("NBG_NOTEBOOK", "")
    output = env.get("NBG_OUTPUT_NOTEBOOK", "")
    golden = env.get("NBG_GOLDEN_NOTEBOOK", "")
    if not notebook or not output:
        raise ConfigError("NBG_NOTEBOOK and NBG_OUTPUT_NOTEBOOK must be set")
    ccfg = parse_comparison_config(env.get("NBG_COMPARISON_CONFIG"))
    vcfg = parse_validation_config(env.get("NBG_VALIDATION_CONFIG"))
    timeout = env.get("NBG_CELL_TIMEOUT_SECONDS", "").strip()
    if timeout:
        if not timeout.isdigit() or int(timeout) <= 0:
            raise ConfigError(f"NBG_CELL_TIMEOUT_SECONDS must be a positive integer, got {timeout!r}")
        timeout = int(timeout)
    golden_nb = load_notebook(golden, "golden notebook") if golden else None

    print(f"notebook: {notebook}")
    if env.get("NBG_SKIP_EXECUTION") == "1":
        print("execution: skipped (NBG_SKIP_EXECUTION=1)")
    else:
        load_notebook(notebook, "notebook")
        failure = {}
        ok, message = execute_notebook(notebook, output, env.get("NBG_KERNEL") or None, timeout or None,
                                       failure=failure)
        print(message)
        report["execution"] = message
        if failure:
            report["failedCell"] = failure
        if not ok:
            print("RESULT: FAILED (execution error)")
            return EXIT_FAILED, report
    executed = load_notebook(output, "executed notebook")

    issues = validate_notebook(executed, vcfg)
    report["validation"] = issues
    errors = [i for i in issues if i["severity"] == "error"]
    print(f"validation (level={vcfg['level']}{', strictMode' if vcfg['strictMode'] else ''}): "
          f"{len(errors)} error(s), {len(issues) - len(errors)} warning(s)")
    for issue in issues:
        print(format_issue(issue))
    if vcfg["requireExplicitExitCodes"]:
        print("  note: requireExplicitExitCodes has no effect on papermill runs (a raised exception fails the run)")

    mismatches = []
    if golden_nb is not None:
        result = compare_notebooks(executed, golden_nb, ccfg)
        report["comparison"] = result
        mismatches = result["mismatches"]
        print(f"golden comparison (strategy={ccfg['strategy']}, tolerance={ccfg['floatingPointTolerance']}): "
              f"{result['cells_compared']} code cell(s) compared, {len(mismatches)} mismatch(es)")
        for note in result["notes"]:
            print(f"  note: {note}")
        for m in mismatches:
            where = "notebook" if m["cell"] is None else f"cell {m['cell']}" + (
                f" (golden cell {m['golden_cell']})" if m["golden_cell"] != m["cell"] else "")
            print(f"  MISMATCH {where}: {m['reason']}")
            for line in m["diff"]:
                print(f"      {line}")
    else:
        print("golden comparison: skipped (no golden notebook)")

    passed = not errors and not mismatches
    report["passed"] = passed
    if passed:
        print("RESULT: PASSED")
        return EXIT_OK, report
    print(f"RESULT: FAILED ({len(errors)} validation error(s), {len(mismatches)} golden mismatch(es))")
    return (EXIT_VALIDATION if errors else EXIT_MISMATCH), report


# --------------------------------------------------------------------------------------
# The verdict (the container's termination message)
# --------------------------------------------------------------------------------------

TERMINATION_MESSAGE_LIMIT = 4096  # kubelet truncates a container's termination message here
VERDICT_VERSION = 1


def resolved_commit(path):
    """The commit checked out in the git work tree holding `path`, read from .git itself (the
    notebook image need not have git): a detached HEAD's SHA, or the branch's ref (loose or
    packed). None when there is no work tree or the ref cannot be read."""
    folder = os.path.dirname(os.path.abspath(path)) if path else ""
    while folder and not os.path.isdir(os.path.join(folder, ".git")):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    if not folder:
        return None
    git = os.path.join(folder, ".git")
    try:
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as f:
            head = f.read().strip()
        if not head.startswith("ref: "):
            return head if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", head) else None
        ref = head[5:]
        loose = os.path.join(git, ref)
        if os.path.isfile(loose):
            with open(loose, encoding="utf-8") as f:
                return f.read().strip() or None
        with open(os.path.join(git, "packed-refs"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except OSError:
        return None
    return None


def verdict_of(status, report, env, duration):
    """The compact verdict of a run: what a reviewer needs, as a JSON-able dict.

      v            format version (1)
      verdict      passed | failed | error (a configuration problem: nothing ran)
      reason       execution | validation | comparison | configuration (absent when passed)
      failedCells  [{index, error}]: the cell execution stopped at, then cells with
                   validation errors (index null: the notebook as a whole)
      comparison   {matched, mismatched, total, mismatchedCells} when a golden was compared
      durationSeconds, commit (the checked-out SHA), image (the reference the pod runs)
    """
    verdict = {"v": VERDICT_VERSION, "durationSeconds": int(round(duration))}
    if status == EXIT_OK:
        verdict["verdict"] = "passed"
    elif status == EXIT_CONFIG:
        verdict["verdict"] = "error"
        verdict["reason"] = "configuration"
        verdict["message"] = _first_line(report.get("error", ""), 300)
    else:
        verdict["verdict"] = "failed"
    cells = []
    failed = report.get("failedCell")
    if failed:
        cells.append({"index": failed.get("index"), "error": failed.get("error", "")})
    for issue in report.get("validation") or []:
        if issue.get("severity") == "error":
            cells.append({"index": issue.get("cell"), "error": _first_line(f"[{issue.get('check')}] {issue.get('message', '')}", 300)})
    if cells:
        verdict["failedCells"] = cells
    comparison = report.get("comparison")
    if comparison:
        mismatched = sorted({m["cell"] for m in comparison["mismatches"] if m.get("cell") is not None})
        structural = any(m.get("cell") is None for m in comparison["mismatches"])
        total = comparison["cells_compared"]
        verdict["comparison"] = {
            "total": total, "mismatched": len(mismatched) + (1 if structural else 0),
            "matched": max(total - len(mismatched), 0), "mismatchedCells": mismatched,
        }
    if verdict["verdict"] == "failed":
        validation_errors = any(i.get("severity") == "error" for i in report.get("validation") or [])
        verdict["reason"] = "execution" if failed else "validation" if validation_errors else "comparison"
    notebook = env.get("NBG_NOTEBOOK", "")
    commit = resolved_commit(notebook) if notebook else None
    if commit:
        verdict["commit"] = commit
    if env.get("NBG_IMAGE"):
        verdict["image"] = env["NBG_IMAGE"]
    return verdict


def encode_verdict(verdict, limit=TERMINATION_MESSAGE_LIMIT):
    """The verdict as compact JSON of at most `limit` bytes. Too long, it is shortened the
    same way every time, never cut mid-JSON: cell lists lose their last entries first (the
    count of what was dropped is kept in `truncated`), then error lines are shortened, then
    only the summary is left."""
    def encode(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    data = encode(verdict)
    if len(data) <= limit:
        return data
    shortened = json.loads(data)
    dropped = 0
    while len(encode(shortened)) > limit:
        cells = shortened.get("failedCells") or []
        mismatched = (shortened.get("comparison") or {}).get("mismatchedCells") or []
        if len(cells) > 1:
            cells.pop()
        elif len(mismatched) > 1:
            mismatched.pop()
        elif cells and len(cells[0].get("error", "")) > 80:
            cells[0]["error"] = cells[0]["error"][:77] + "..."
        else:
            for key in ("failedCells", "message", "image"):
                shortened.pop(key, None)
            if shortened.get("comparison"):
                shortened["comparison"].pop("mismatchedCells", None)
            shortened["truncated"] = dropped + 1
            data = encode(shortened)
            return data if len(data) <= limit else encode({"v": VERDICT_VERSION, "verdict": verdict.get("verdict"), "truncated": 1})
        dropped += 1
        shortened["truncated"] = dropped
    return encode(shortened)


# --------------------------------------------------------------------------------------
# The results store (a claim or an S3-compatible bucket)
# --------------------------------------------------------------------------------------

class ResultsError(Exception):
    """The results could not be saved; the verdict says so, the exit status is unchanged."""


def results_folder(env):
    """`<spec name>/<content hash>` of this run: the hash is the Job name's last `-` segment
    (NBG_JOB_NAME, from the pod's batch.kubernetes.io/job-name label)."""
    name = env.get("NBG_RESULTS_NAME", "")
    job = env.get("NBG_JOB_NAME", "")
    content_hash = job.rsplit("-", 1)[-1] if "-" in job else ""
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name) or not re.fullmatch(r"[0-9a-f]{8,64}", content_hash):
        raise ResultsError(f"cannot name the results folder from NBG_RESULTS_NAME={name!r} and NBG_JOB_NAME={job!r}")
    return f"{name}/{content_hash}"


def results_files(report, verdict, output_notebook):
    """(file name, bytes) saved for a run: the verdict in full (not shortened), the full report
    and, when papermill wrote it, the executed notebook. Sorted, so uploads are in one order."""
    files = [
        ("report.json", (json.dumps(report, indent=1, sort_keys=True, default=str) + "\n").encode("utf-8")),
        ("verdict.json", (json.dumps(verdict, indent=1, sort_keys=True) + "\n").encode("utf-8")),
    ]
    if output_notebook and os.path.isfile(output_notebook):
        with open(output_notebook, "rb") as f:
            files.append(("notebook.ipynb", f.read()))
    return sorted(files)


DIRECTORY_MODE = 0o2775  # group-writable, setgid: the next run may have another UID
FILE_MODE = 0o664


def save_to_directory(root, folder, files):
    """Writes `files` below `root/folder`, each through a temporary file renamed into place (a
    reader never sees half a file). Folders are group-writable with setgid and files group-
    and world-readable, set explicitly whatever the umask: the next run, or the person reading
    the claim, may be another UID of the same fsGroup."""
    if not os.path.isdir(root):
        raise ResultsError(f"the results folder {root} does not exist (is the claim mounted?)")
    path = root
    for part in folder.split("/"):
        path = os.path.join(path, part)
        try:
            os.mkdir(path)
            os.chmod(path, DIRECTORY_MODE)
        except FileExistsError:
            pass
        except OSError as e:
            raise ResultsError(f"cannot create {path}: {e.strerror}") from e
    for name, data in files:
        target = os.path.join(path, name)
        temporary = f"{target}.tmp-{os.getpid()}"
        try:
            with open(temporary, "wb") as f:
                f.write(data)
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, target)
        except OSError as e:
            raise ResultsError(f"cannot write {target}: {e.strerror}") from e
    return path


def _sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _sign(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def s3_put_request(url, region, credentials, data, content_type, now):
    """The method, URL and headers of an AWS Signature Version 4 signed PUT of `data` to `url`
    (path-style: https://host/bucket/key), as the S3 API documents it ("Authenticating
    Requests: Using the Authorization Header"): the payload's SHA-256 is signed and sent in
    x-amz-content-sha256. `now` is a UTC time.struct_time, so the signature is testable."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ResultsError(f"NBG_RESULTS_S3_URL is not an http(s) URL: {url!r}")
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
    day = amz_date[:8]
    # Each path segment URI-encoded once (S3 does not double-encode), '/' kept.
    canonical_path = "/".join(urllib.parse.quote(urllib.parse.unquote(p), safe="-_.~") for p in parsed.path.split("/"))
    payload_hash = _sha256_hex(data)
    headers = {
        "content-type": content_type,
        "host": parsed.netloc,
        "x-amz-content-sha256": payload_hash,
        "x-amz-date": amz_date,
    }
    if credentials.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = credentials["AWS_SESSION_TOKEN"]
    signed = sorted(headers)
    canonical_request = "\n".join([
        "PUT", canonical_path, "",
        "".join(f"{k}:{headers[k].strip()}\n" for k in signed),
        ";".join(signed), payload_hash,
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256_hex(canonical_request.encode("utf-8"))])
    key = _sign(("AWS4" + credentials["AWS_SECRET_ACCESS_KEY"]).encode("utf-8"), day)
    for part in (region, "s3", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials['AWS_ACCESS_KEY_ID']}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    return "PUT", urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, canonical_path, "", "")), headers


def read_s3_credentials(folder):
    """The access key from the mounted Secret's files (never from the environment)."""
    credentials = {}
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        try:
            with open(os.path.join(folder, key), encoding="utf-8") as f:
                credentials[key] = f.read().strip()
        except OSError:
            pass
    missing = [k for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not credentials.get(k)]
    if missing:
        raise ResultsError(f"the results bucket's Secret has no {' or '.join(missing)} in {folder}")
    return credentials


CONTENT_TYPES = {".json": "application/json", ".ipynb": "application/x-ipynb+json"}


def bucket_tls_context(ca_directory):
    """The TLS context of the uploads: the system CA bundle plus every PEM file of `ca_directory`
    (the mounted `results.s3.caConfigMap`, e.g. OpenShift's service CA, which signs in-cluster
    endpoints no notebook image trusts). None without a directory: urllib's default context.
    An absent directory (the optional ConfigMap does not exist) leaves the system bundle."""
    if not ca_directory:
        return None
    context = ssl.create_default_context()
    try:
        names = sorted(os.listdir(ca_directory))
    except FileNotFoundError:
        return context
    except OSError as e:
        raise ResultsError(f"cannot read the CA certificates in {ca_directory}: {e}") from e
    for name in names:
        path = os.path.join(ca_directory, name)
        # A mounted ConfigMap holds ..data/ and ..<timestamp>/ folders besides its key links.
        if name.startswith(".") or not os.path.isfile(path):
            continue
        try:
            context.load_verify_locations(cafile=path)
        except (ssl.SSLError, OSError, ValueError) as e:
            raise ResultsError(f"cannot load the CA certificate {path}: {e}") from e
    return context


def save_to_bucket(base_url, region, credentials, folder, files, opener=None, now=None, ca_directory=None):
    """PUTs each file to `base_url/folder/name`; raises ResultsError on the first failure.
    `ca_directory`: CA certificates trusted besides the system bundle (`bucket_tls_context`)."""
    if opener is None:
        context = bucket_tls_context(ca_directory)
        opener = (lambda request, timeout: urllib.request.urlopen(request, timeout=timeout, context=context)) \
            if context else urllib.request.urlopen
    for name, data in files:
        url = f"{base_url.rstrip('/')}/{folder}/{name}"
        content_type = CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        method, signed_url, headers = s3_put_request(
            url, region, credentials, data, content_type, now or time.gmtime())
        request = urllib.request.Request(signed_url, data=data, method=method, headers=headers)
        try:
            with opener(request, timeout=120) as response:
                if not 200 <= response.status < 300:
                    raise ResultsError(f"PUT {signed_url}: HTTP {response.status}")
        except urllib.error.HTTPError as e:
            raise ResultsError(f"PUT {signed_url}: HTTP {e.code} {_first_line(e.read().decode('utf-8', 'replace'), 200)}") from e
        except (urllib.error.URLError, OSError) as e:
            raise ResultsError(f"PUT {signed_url}: {getattr(e, 'reason', e)}") from e


def save_results(env, report, verdict):
    """Saves the run's files to the store the environment names, if any. Returns the location
    (`pvc://claim/path/<spec>/<hash>/`), or raises ResultsError."""
    directory = env.get("NBG_RESULTS_DIR")
    bucket_url = env.get("NBG_RESULTS_S3_URL")
    if not directory and not bucket_url:
        return None
    folder = results_folder(env)
    location = f"{env.get('NBG_RESULTS_LOCATION', directory or bucket_url).rstrip('/')}/{folder}/"
    verdict = dict(verdict, results=location)
    files = results_files(report, verdict, env.get("NBG_OUTPUT_NOTEBOOK"))
    if directory:
        save_to_directory(directory, folder, files)
    else:
        credentials = read_s3_credentials(env.get("NBG_RESULTS_S3_CREDENTIALS", ""))
        save_to_bucket(bucket_url, env.get("NBG_RESULTS_S3_REGION") or "us-east-1", credentials, folder, files,
                       ca_directory=env.get("NBG_RESULTS_S3_CA"))
    return location


def main(env=None):
    env = os.environ if env is None else env
    started = time.monotonic()
    try:
        status, report = run(env)
    except ConfigError as e:
        print(f"validate-notebook: error: {e}", file=sys.stderr)
        status, report = EXIT_CONFIG, {"passed": False, "error": str(e)}
    verdict = verdict_of(status, report, env, time.monotonic() - started)
    try:
        location = save_results(env, report, verdict)
        if location:
            verdict["results"] = location
            print(f"results: saved to {location}")
    except ResultsError as e:
        # The verdict stands: a store outage is not a notebook failure, but it is never silent.
        verdict["resultsError"] = _first_line(str(e), 300)
        print(f"validate-notebook: warning: results not saved: {e}", file=sys.stderr)
    termination_log = env.get("NBG_TERMINATION_LOG")
    if termination_log:
        try:
            with open(termination_log, "wb") as f:
                f.write(encode_verdict(verdict))
        except OSError as e:
            print(f"validate-notebook: warning: cannot write {termination_log}: {e.strerror}", file=sys.stderr)
    report_file = env.get("NBG_REPORT_FILE")
    if report_file:
        try:
            with open(report_file, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1, default=str)
        except OSError as e:
            print(f"validate-notebook: warning: cannot write {report_file}: {e.strerror}", file=sys.stderr)
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
