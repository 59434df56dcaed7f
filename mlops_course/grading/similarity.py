"""Copies flagged for review: winnowing fingerprints of answer cells, across a class and against
the package's reference code.

Method (Schleimer, Wilkerson & Aiken 2003, "Winnowing: local algorithms for document
fingerprinting", SIGMOD — the algorithm behind MOSS):

1. **Normalise** the code with Python's tokenizer: comments and blank lines dropped, every
   identifier that is not a keyword or builtin becomes ``V``, numbers ``0``, strings ``S``; so
   renaming variables, reformatting or rewording comments changes nothing.
2. **k-grams**: hash every run of ``k`` consecutive tokens (BLAKE2b, so fingerprints are the same
   in every process).
3. **Winnow**: in every window of ``w`` consecutive hashes keep the minimum. Any shared run of at
   least ``w + k - 1`` tokens is guaranteed to share a fingerprint; runs shorter than ``k`` never count.
4. **Compare** fingerprint sets with the Jaccard index ``|A ∩ B| / |A ∪ B|``, after removing the
   fingerprints of the code the exercise itself hands out (its template), so a class of blank or
   near-blank submissions is not flagged.

Pairs at or above the threshold are listed for a person to review — never penalised
automatically: similar code can be honest (a short task has few ways to write it).
"""
from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from mlops_course.grading.html import table, write_page

__all__ = ["normalise", "fingerprints", "jaccard", "Match", "compare_class", "reference_sources",
           "write_similarity_report", "K", "W"]

K = 6  #: tokens per k-gram
W = 4  #: winnowing window (in hashes)
_BUILTINS = set(dir(builtins))


def normalise(source: str) -> list[str]:
    """The token stream the fingerprints are taken from (see the module docstring).

    Code that does not tokenize (a student's syntax error) falls back to splitting on words and
    punctuation, so it is still compared.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.NAME:
                out.append(tok.string if keyword.iskeyword(tok.string) or tok.string in _BUILTINS else "V")
            elif tok.type == tokenize.NUMBER:
                out.append("0")
            elif tok.type == tokenize.STRING:
                out.append("S")
            elif tok.type == tokenize.NEWLINE:
                out.append(";")
            elif tok.type == tokenize.INDENT:
                out.append("{")
            elif tok.type == tokenize.DEDENT:
                out.append("}")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        words = re.findall(r"[A-Za-z_]\w*|\d+|\S", re.sub(r"#.*", "", source))
        out = [w if keyword.iskeyword(w) or w in _BUILTINS or not w[0].isalpha() and w[0] != "_"
               else "V" for w in words]
    return out


def _hash(tokens: list[str]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=8).digest(), "big")


def fingerprints(source: str, k: int = K, w: int = W) -> set[int]:
    """Winnowed fingerprints of ``source``.

    Parameters
    ----------
    source : str
        Python code.
    k, w : int
        k-gram length (tokens) and window size (hashes), both ≥ 1.

    Returns
    -------
    set of int
        Empty when the code has fewer than ``k`` tokens.

    Examples
    --------
    >>> fingerprints("def f(a):\\n    return a + 1\\n") == fingerprints("def g(x):  # renamed\\n    return x + 2\\n")
    True
    """
    for name, value in (("k", k), ("w", w)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    tokens = normalise(source)
    hashes = [_hash(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    if len(hashes) <= w:
        return {min(hashes)} if hashes else set()
    chosen = set()
    for start in range(len(hashes) - w + 1):
        window = hashes[start:start + w]
        chosen.add(min(window))
    return chosen


def jaccard(a: set[int], b: set[int]) -> float:
    """``|A ∩ B| / |A ∪ B|`` (0 for two empty sets).

    Parameters
    ----------
    a, b : set of int
        Fingerprint sets of two answers.

    Returns
    -------
    float
        The Jaccard index in [0, 1].

    Examples
    --------
    >>> jaccard({1, 2, 3}, {2, 3, 4}), jaccard(set(), set())
    (0.5, 0.0)
    """
    union = a | b
    return len(a & b) / len(union) if union else 0.0


@dataclass(frozen=True)
class Match:
    """Two pieces of code that look alike.

    Parameters
    ----------
    grade_id : str
        The task both answers belong to.
    first, second : str
        The two students (``first < second``).
    similarity : float
        Jaccard index of their fingerprints (template fingerprints removed), in [0, 1].
    shared : int
        Number of fingerprints the two answers share.
    """

    grade_id: str
    first: str
    second: str
    similarity: float
    shared: int


def compare_class(answers: dict[str, dict[str, str]], templates: dict[str, str] | None = None,
                  threshold: float = 0.7, min_fingerprints: int = 4) -> list[Match]:
    """Pairs of students whose answer to the same task are at least ``threshold`` alike.

    Parameters
    ----------
    answers : dict
        ``student -> {grade_id -> source}``.
    templates : dict, optional
        ``grade_id -> source`` handed out with the exercise; its fingerprints are ignored.
    threshold : float
        Jaccard index in (0, 1] at which a pair is listed.
    min_fingerprints : int
        Answers with fewer fingerprints left (after removing the template) are too short to judge.

    Returns
    -------
    list of Match
        Most similar first.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}")
    templates = templates or {}
    base = {gid: fingerprints(src) for gid, src in templates.items()}
    prints: dict[str, dict[str, set[int]]] = {}
    for student, cells in answers.items():
        for gid, src in cells.items():
            fp = fingerprints(src) - base.get(gid, set())
            if len(fp) >= min_fingerprints:
                prints.setdefault(gid, {})[student] = fp
    found = []
    for gid, by_student in prints.items():
        names = sorted(by_student)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                sim = jaccard(by_student[a], by_student[b])
                if sim >= threshold:
                    found.append(Match(gid, a, b, sim, len(by_student[a] & by_student[b])))
    return sorted(found, key=lambda m: (-m.similarity, m.grade_id, m.first, m.second))


def reference_sources(names: set[str]) -> dict[str, str]:
    """``name -> source`` of the package's functions and classes with those names (checks excluded)."""
    import mlops_course

    root = Path(mlops_course.__file__).resolve().parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if "grading" in path.relative_to(root).parts:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:  # pragma: no cover - the package parses
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                segment = ast.get_source_segment(text, node)
                if segment:
                    key = node.name if node.name not in found else f"{node.name} ({path.relative_to(root)})"
                    found[key] = segment
    return found


def _exercise_templates(stem: str) -> dict[str, str]:
    """``grade_id -> source`` of the released exercise's answer cells (the code every student starts from)."""
    import mlops_course
    from mlops_course.grading.batch import answer_cells
    from mlops_course.grading.notebook import cell_source, load_notebook

    for folder in (Path.cwd() / "exercises", Path(mlops_course.__file__).resolve().parent.parent / "exercises"):
        path = folder / f"{stem}.ipynb"
        if path.is_file():
            return {gid: cell_source(c) for gid, c in answer_cells(load_notebook(path)).items()}
    return {}


def write_similarity_report(submissions: str | Path, output: str | Path, *, unit: str | None = None,
                            threshold: float = 0.7) -> Path:
    """Compare every answer cell of a folder of submissions; write an HTML report and a CSV beside it.

    Parameters
    ----------
    submissions : path
        Folder of submitted notebooks (one unit, or several: answers are compared per unit+task).
    output : path
        The HTML report (``.html``); the CSV is written with the same stem.
    unit : str, optional
        The unit when notebooks do not say it (file name ``NN_*`` or metadata).
    threshold : float
        Jaccard index at which a pair is listed.

    Returns
    -------
    Path
        The HTML report.
    """
    from mlops_course.grading.batch import answer_cells, batch_name, submission_paths
    from mlops_course.grading.checks import builtin_checks
    from mlops_course.grading.notebook import cell_source, load_notebook, unit_of

    root = Path(submissions)
    per_unit: dict[str, dict[str, dict[str, str]]] = {}
    skipped = []
    for path in submission_paths(root):
        try:
            nb = load_notebook(path)
        except Exception as exc:  # noqa: BLE001 - a broken file is listed, not fatal
            skipped.append((path.name, str(exc)[:120]))
            continue
        stem = unit or unit_of(nb, path.name)
        if stem is None:
            skipped.append((path.name, "unknown unit: pass --unit"))
            continue
        per_unit.setdefault(stem, {})[batch_name(path, root)] = {
            gid: cell_source(c) for gid, c in answer_cells(nb).items()}
    class_rows, ref_rows = [], []
    for stem, answers in per_unit.items():
        templates = _exercise_templates(stem)
        for m in compare_class(answers, templates, threshold):
            class_rows.append([stem, m.grade_id, m.first, m.second, f"{m.similarity:.2f}", m.shared])
        checks = {c.grade_id: c.name for c in builtin_checks(stem)}
        refs = reference_sources(set(checks.values()))
        for student, cells in answers.items():
            for gid, src in cells.items():
                name = checks.get(gid)
                fp = fingerprints(src) - fingerprints(templates.get(gid, ""))
                if name is None or len(fp) < 4:
                    continue
                for ref_name, ref_src in refs.items():
                    if ref_name.split(" ")[0] != name:
                        continue
                    sim = jaccard(fp, fingerprints(ref_src))
                    if sim >= threshold:
                        ref_rows.append([stem, gid, student, ref_name, f"{sim:.2f}"])
    out = Path(output)
    body = [f"<h1>Similarity report</h1><p class='muted'>winnowing (k={K} tokens, window {W}); Jaccard ≥ "
            f"{threshold:g} listed for review — not evidence of copying by itself.</p>",
            "<h2>Pairs of students</h2>",
            table(["unit", "task", "student", "student", "similarity", "shared fingerprints"], class_rows)
            if class_rows else "<p>No pair above the threshold.</p>",
            "<h2>Answers that match the package's reference code</h2>",
            table(["unit", "task", "student", "reference", "similarity"], ref_rows)
            if ref_rows else "<p>No answer above the threshold.</p>"]
    if skipped:
        body.append("<h2>Not compared</h2>" + table(["file", "why"], skipped))
    write_page(out, "Similarity report", "\n".join(body))
    with out.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["kind", "unit", "task", "first", "second", "similarity"])
        for row in class_rows:
            writer.writerow(["pair", *row[:5]])
        for row in ref_rows:
            writer.writerow(["reference", *row])
    return out
