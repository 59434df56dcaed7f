"""``mlops-course student-copy DIR``: what a student receives, without solutions or hidden checks.

The copy holds the lecture notebooks, the exercises (released afresh from ``solutions/``, so a
stale ``exercises/`` cannot leak an answer or a rubric), the README, the licence, the
packaging files and the package itself, so a student can ``pip install -e DIR`` and run every
notebook and every self-check. It leaves out ``solutions/``, ``tests/``, ``benchmarks/``,
``.git`` and CI files, key files (``*.key``), and the *hidden* half of ``grading/checks``:

* each unit's check module is rewritten from its syntax tree: every ``Property(...,
  visible=False)`` is removed from the ``CHECKS`` literals, then every top-level function or
  constant nothing refers to any more (the hidden properties' code and data) is dropped, until
  nothing changes; the result is printed back with :func:`ast.unparse` (comments go too);
* the rewritten module is imported in a fresh interpreter before the copy is declared done:
  every remaining property must be visible, and the count of visible properties must equal the
  original's, otherwise :class:`StudentCopyError` is raised (nothing hidden is ever shipped
  silently, and the self-check keeps all its checks);
* the copy carries ``mlops_course/grading/checks/STUDENT_COPY`` so ``gradescope-bundle`` refuses
  to build a grader from it.

In a git checkout only tracked files are copied (an instructor's untracked notes, keys or private
checks stay behind); elsewhere every file except the excluded folders.
"""
from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["StudentCopyError", "strip_hidden", "write_student_copy", "register", "MARKER", "TOP_LEVEL"]

MARKER = "STUDENT_COPY"
TOP_LEVEL = ("README.md", "LICENSE", "pyproject.toml", "environment.yml", "postBuild", "notebooks", "exercises",
             "mlops_course")
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".git", "solutions", "tests", "benchmarks", ".ci"}
_KEEP_NAMES = {"UNIT", "CHECKS", "MANUAL", "__all__"}


class StudentCopyError(RuntimeError):
    """The student copy could not be made without leaking something (or could not be made)."""


def _is_hidden_property(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name != "Property":
        return False
    return any(k.arg == "visible" and isinstance(k.value, ast.Constant) and k.value.value is False
               for k in node.keywords)


class _DropHidden(ast.NodeTransformer):
    def __init__(self) -> None:
        self.removed = 0

    def _filter(self, node: ast.Tuple | ast.List) -> ast.AST:
        self.generic_visit(node)
        kept = [e for e in node.elts if not _is_hidden_property(e)]
        self.removed += len(node.elts) - len(kept)
        node.elts = kept
        return node

    visit_Tuple = _filter
    visit_List = _filter


def _defined_names(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def _used_names(nodes: list[ast.stmt]) -> set[str]:
    used: set[str] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                used.add(sub.id)
            elif isinstance(sub, ast.Attribute):
                used.add(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                used.add(sub.value)  # names listed in __all__ or looked up by string
    return used


def strip_hidden(source: str) -> tuple[str, int]:
    """Remove hidden properties and the code only they use from a check module's source.

    Parameters
    ----------
    source : str
        The module's source.

    Returns
    -------
    (str, int)
        The rewritten source and the number of ``Property(..., visible=False)`` removed.

    Raises
    ------
    StudentCopyError
        If ``visible=`` is given as anything but a literal (the copy cannot tell what is hidden).

    Examples
    --------
    >>> text = ("def a(r): ...\\ndef b(r): ...\\n"
    ...         "CHECKS = (Check('g', 'f', (Property('v', 1, a), Property('h', 1, b, visible=False)), 'u'),)")
    >>> new, removed = strip_hidden(text)
    >>> removed, "def b" in new, "def a" in new
    (1, False, True)
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(
                k.arg == "visible" and not isinstance(k.value, ast.Constant) for k in node.keywords):
            raise StudentCopyError(f"line {node.lineno}: visible= must be a literal True/False for the student "
                                   "copy to know whether a property is hidden")
    dropper = _DropHidden()
    tree = dropper.visit(tree)
    changed = True
    while changed:
        changed = False
        for index, stmt in enumerate(tree.body):
            names = _defined_names(stmt)
            if not names or names & _KEEP_NAMES:
                continue
            others = tree.body[:index] + tree.body[index + 1:]
            if not names & _used_names(others):
                del tree.body[index]
                changed = True
                break
    ast.fix_missing_locations(tree)
    header = "# Student copy: hidden properties and the code only they use were removed.\n"
    return header + ast.unparse(tree) + "\n", dropper.removed


def _visible_counts(package_root: Path) -> dict[str, tuple[int, int]]:
    """``unit -> (visible, hidden)`` property counts of the check modules importable from ``package_root``."""
    code = (
        "import json, sys\n"
        "from mlops_course.grading.checks import builtin_checks, check_modules\n"
        "out = {}\n"
        "for unit in check_modules(strict=True):\n"
        "    props = [p for c in builtin_checks(unit) for p in c.properties]\n"
        "    out[unit] = [sum(p.visible for p in props), sum(not p.visible for p in props)]\n"
        "import mlops_course\n"
        "out['__file__'] = mlops_course.__file__\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=str(package_root), capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_root),
                                            "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(package_root)})
    if done.returncode != 0:
        raise StudentCopyError(f"the checks in {package_root} do not import: {done.stderr.strip()[-800:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    where = Path(data.pop("__file__")).resolve()
    if not where.is_relative_to(package_root.resolve()):
        raise StudentCopyError(f"checking {package_root} imported mlops_course from {where} instead")
    return {k: (int(v[0]), int(v[1])) for k, v in data.items()}


def _source_files(repo: Path) -> list[Path]:
    """Files to consider (relative to ``repo``): tracked files in a git checkout, else all files."""
    if (repo / ".git").exists():
        done = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, timeout=60)
        if done.returncode == 0:
            return [Path(p) for p in done.stdout.decode("utf-8", "replace").split("\0") if p]
    return [p.relative_to(repo) for p in repo.rglob("*") if p.is_file()]


def _wanted(rel: Path) -> bool:
    if not rel.parts or rel.parts[0] not in TOP_LEVEL:
        return False
    if set(rel.parts) & _SKIP_PARTS or any(p.endswith(".egg-info") for p in rel.parts):
        return False
    return rel.suffix not in (".pyc", ".key") and rel.name != "grading.key"


def write_student_copy(target: str | Path, repo: str | Path | None = None) -> dict[str, tuple[int, int]]:
    """Write the student copy of the course into ``target`` (which must not exist or be empty).

    Parameters
    ----------
    target : path
        Folder to create.
    repo : path, optional
        The course repository (default: :func:`mlops_course.course.project_root`, the course folder
        at or above the working folder, else the checkout of an editable install).

    Returns
    -------
    dict
        ``unit -> (visible properties kept, hidden properties removed)``.

    Raises
    ------
    ValueError
        If ``target`` is a non-empty folder or a file, or lies inside ``repo``; or, without ``repo``,
        there is no course folder (:class:`mlops_course.course.CourseRootNotFound`).
    StudentCopyError
        If the stripped checks do not import or a hidden property would remain.
    """
    import nbformat

    from mlops_course.course import project_root
    from mlops_course.grading.release import release_notebook, render_notebook

    repo = Path(repo).resolve() if repo is not None else project_root()
    target = Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"target must be a new or empty folder, got {str(target)!r}")
    if target.is_relative_to(repo):
        raise ValueError(f"target must lie outside the repository {str(repo)!r}, got {str(target)!r}")
    if not (repo / "mlops_course" / "grading" / "checks").is_dir():
        raise ValueError(f"repo must be the course repository (with mlops_course/grading/checks), got {str(repo)!r}")
    checks_rel = Path("mlops_course") / "grading" / "checks"
    files = [rel for rel in _source_files(repo) if _wanted(rel) and (repo / rel).is_file()]
    if not files:
        raise StudentCopyError(f"nothing to copy from {repo}")
    target.mkdir(parents=True, exist_ok=True)
    removed: dict[str, int] = {}
    for rel in files:
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        solution = repo / "solutions" / rel.name
        if rel.parts[0] == "exercises" and rel.suffix == ".ipynb" and solution.is_file():
            # a fresh release, whatever the state of exercises/: never a stale copy with answers or rubrics
            out.write_text(render_notebook(release_notebook(nbformat.read(str(solution), as_version=4))),
                           encoding="utf-8")
        elif rel.parent == checks_rel and rel.suffix == ".py" and rel.name != "__init__.py":
            text, count = strip_hidden((repo / rel).read_text(encoding="utf-8"))
            out.write_text(text, encoding="utf-8")
            removed[rel.stem] = count
        else:
            shutil.copy2(repo / rel, out)
    (target / checks_rel / MARKER).write_text(
        "This is a student copy: the hidden checks were removed. Grade with the instructor's repository.\n",
        encoding="utf-8")
    before = _visible_counts(repo)
    after = _visible_counts(target)
    for unit, (visible, hidden) in after.items():
        if hidden:
            raise StudentCopyError(f"unit {unit}: {hidden} hidden properties would remain in the copy")
        if unit in before and before[unit][0] != visible:
            raise StudentCopyError(f"unit {unit}: the copy keeps {visible} visible properties, the course has "
                                   f"{before[unit][0]} (the rewrite dropped a visible one)")
    if set(before) != set(after):
        raise StudentCopyError(f"units with checks differ: course {sorted(before)}, copy {sorted(after)}")
    return {unit: (after[unit][0], before[unit][1]) for unit in after}


def _cmd(args: argparse.Namespace) -> int:
    try:
        summary = write_student_copy(args.dir)
    except (ValueError, StudentCopyError) as exc:
        print(f"student-copy: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 3
    for unit, (visible, hidden) in sorted(summary.items()):
        print(f"{unit}: {visible} visible checks kept, {hidden} hidden removed")
    print(f"wrote the student copy to {args.dir} (no solutions/, tests/, benchmarks/, .git, hidden checks)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``student-copy`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "student-copy", help="write what students receive (no solutions, tests or hidden checks)",
        description="Write DIR: lecture notebooks, exercises, README and the package with only the visible "
                    "checks (the self-check works; the hidden checks, solutions/, tests/, benchmarks/ and "
                    ".git are left out). Exit codes: 0 written, 2 usage, 3 the copy would leak.")
    p.add_argument("dir", help="folder to create (new or empty, outside the repository)")
    p.set_defaults(func=_cmd)

