"""The ``mlops-course`` command: doctor, lab and refresh."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from mlops_course import cli, doctor

ROOT = Path(__file__).resolve().parents[1]


def test_doctor_reports_every_key_library():
    rows = doctor.environment_report(kernel=False)
    names = {r["name"] for r in rows}
    for lib in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "phe", "gmpy2", "tenseal", "flwr", "nbval",
                "phe uses gmpy2", "tenseal CKKS round trip"):
        assert lib in names
    assert all(r["ok"] for r in rows), doctor.format_report(rows)


def test_doctor_flags_a_missing_library_with_its_fix():
    row = doctor._check_requirement(doctor.Requirement("surely-not-installed-pkg", "1.0", "nothing_here"))
    assert not row["ok"] and "pip install" in row["fix"]
    old = doctor._check_requirement(doctor.Requirement("numpy", "999.0", "numpy"))
    assert not old["ok"] and "numpy>=999.0" in old["fix"]
    text = doctor.format_report([row, old])
    assert "MISSING" in text and "2 problem(s)" in text


def test_doctor_format_report_bad_input():
    with pytest.raises(TypeError, match="rows must be a list"):
        doctor.format_report("not rows")


def test_doctor_cli_exit_code_and_kernel():
    out = subprocess.run([sys.executable, "-m", "mlops_course.cli", "doctor"], capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "jupyter kernel python3" in out.stdout and "All" in out.stdout


def test_version_tuple():
    assert doctor._version_tuple("1.42.0") == (1, 42, 0)
    assert doctor._version_tuple("0.3.16rc1") == (0, 3, 16)
    assert doctor._version_tuple("2.4.6") > doctor._version_tuple("2.4")


def test_lab_dry_run_sets_course_environment(capsys):
    args = cli.build_parser().parse_args(["lab", "--dry-run", "--root", str(ROOT), "--port", "9999"])
    cmd, env = cli.lab_command(args)
    assert f"--ServerApp.root_dir={ROOT}" in cmd and "--ServerApp.port=9999" in cmd
    assert env["FLWR_TELEMETRY_ENABLED"] == "0" and env["OMP_NUM_THREADS"] == "1"
    assert cli.main(["lab", "--dry-run", "--root", str(ROOT)]) == 0
    assert "jupyterlab" in capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_starts_jupyterlab_and_prints_its_real_url(tmp_path):
    import re

    busy = socket.socket()  # the port asked for is taken: Jupyter falls back, the printed URL must follow
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    env = dict(os.environ, MLOPS_COURSE_HOME=str(tmp_path / "home"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_course.cli", "lab", "--no-browser", "--port", str(port), "--root", str(ROOT)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"(http://127\.0\.0\.1:(\d+)/lab/tree/notebooks/00_introduction\.ipynb\?token=(\w+))", line)
            if match:
                url = match
        assert url is not None, "lab printed no URL with the landing notebook and a token"
        real_port, token = int(url.group(2)), url.group(3)
        assert real_port != port  # the busy port was not used, and the URL says so
        with urllib.request.urlopen(f"http://127.0.0.1:{real_port}/api/contents?token={token}", timeout=10) as resp:
            listing = json.load(resp)
        names = {item["name"] for item in listing["content"]}
        assert {"notebooks", "exercises", "solutions", "mlops_course"} <= names
        assert not names & {"mlops_course.egg-info", "build", "__pycache__"}, names  # artefacts hidden
        with urllib.request.urlopen(url.group(1), timeout=10) as resp:  # the printed URL works (no login page)
            assert resp.status == 200 and "/login" not in resp.url
    finally:
        busy.close()
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_refresh_executes_in_place_and_normalises(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["refresh", str(path)]) == 0
    out = nbformat.read(path, as_version=4)
    assert out.cells[0].outputs[0]["text"] == "42\n"
    assert "execution" not in out.cells[0].metadata


def test_refresh_rejects_non_notebook(tmp_path):
    from mlops_course.notebooks import execute_notebook

    with pytest.raises(ValueError, match="path must be an existing .ipynb"):
        execute_notebook(tmp_path / "missing.ipynb")


def test_lab_settings_keep_jupyterlab_offline_and_presentation_fonts(monkeypatch, tmp_path):
    monkeypatch.setenv("MLOPS_COURSE_HOME", str(tmp_path))
    cmd, _ = cli.lab_command(cli.build_parser("lab").parse_args(["lab", "--root", str(ROOT), "--presentation"]))
    folder = tmp_path / "lab-settings"
    assert f"--LabApp.app_settings_dir={folder}" in cmd
    settings = json.loads((folder / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["jupyterlab-rise:plugin"]["scroll"] is True
    # fonts are user settings (JupyterLab's theme reads its overrides only from there)
    user = tmp_path / "lab-presentation-settings"
    assert f"--LabApp.user_settings_dir={user}" in cmd
    themes = json.loads((user / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings").read_text())
    assert themes["overrides"]["code-font-size"] == "20px"
    cmd, _ = cli.lab_command(cli.build_parser("lab").parse_args(["lab", "--root", str(ROOT)]))
    assert not any(c.startswith("--LabApp.user_settings_dir") for c in cmd)  # your own settings otherwise
    hide = next(c for c in cmd if c.startswith("--ContentsManager.hide_globs="))
    assert "*.egg-info" in hide and "solutions" not in hide
    cmd, _ = cli.lab_command(cli.build_parser("lab").parse_args(["lab", "--root", str(ROOT), "--student"]))
    assert "solutions" in next(c for c in cmd if c.startswith("--ContentsManager.hide_globs="))
    assert f"--LabApp.default_url=/lab/tree/{cli.LANDING_NOTEBOOK}" in cmd


# ---------------------------------------------------------------- errors: one line, non-zero exit
BAD_COMMANDS = [
    ["refresh", "missing.ipynb"],
    ["refresh", "README.md"],
    ["refresh", "--timeout", "-3"],
    ["slides", "README.md"],
    ["slides", "nothere.ipynb"],
    ["lab", "--root", "/tmp"],
    ["lab", "--port", "0"],
    ["lab", "--threads", "0"],
    ["fl-deploy", "--rounds", "-1"],
    ["fl-deploy", "--supernodes", "0"],
    ["fl-deploy", "--timeout", "-5"],
    ["doctor", "--bogus"],
    ["grade"],
    ["grade", "/nonexistent/submission.ipynb"],
    ["gradescope-bundle", "99"],
    ["release", "--solutions", "/nonexistent"],
    ["feedback", "/nonexistent"],
    ["class-report", "/nonexistent"],
    ["rubric", "/nonexistent"],
    ["rubric", ".", "--scores", "/nonexistent.csv"],
    ["similarity", "/nonexistent"],
    ["similarity", ".", "--threshold", "7"],
    ["nosuchcommand"],
    [],
]


@pytest.mark.parametrize("argv", BAD_COMMANDS, ids=lambda a: " ".join(a) or "(none)")
def test_bad_input_is_one_line_and_a_nonzero_exit(argv, tmp_path):
    env = dict(os.environ, MLOPS_COURSE_HOME=str(tmp_path / "home"))
    env.pop("MLOPS_COURSE_DEBUG", None)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "mlops_course.cli", *argv], capture_output=True, text=True,
                         timeout=120, cwd=ROOT, env=env)
    assert out.returncode != 0, out
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr + out.stdout and "\x1b[" not in out.stderr
    if argv[:1] == ["fl-deploy"]:  # rejected by the argument parser, before any SuperLink starts
        assert "SuperLink" not in out.stdout and time.monotonic() - started < 60


def test_a_failing_notebook_in_refresh_names_notebook_and_cell(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell("text"),
                                         nbformat.v4.new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    assert cli.main(["refresh", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"mlops-course refresh: error: {path}: cell 2 raised ZeroDivisionError: division by zero"
    assert path.read_bytes() == before  # a failed run leaves the notebook as it was


def test_help_texts_have_no_rst_markup():
    parser = cli.build_parser()
    texts = [parser.format_help()]
    sub = next(a for a in parser._actions if isinstance(a, __import__("argparse")._SubParsersAction))
    texts += [p.format_help() for p in sub.choices.values()]
    assert len(texts) >= 9
    for text in texts:
        assert "``" not in text and ":func:" not in text and ":mod:" not in text, text


def test_help_does_not_import_heavy_modules():
    code = ("import sys, contextlib, io\nfrom mlops_course import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n        cli.main(['--help'])\n    except SystemExit:\n        pass\n"
            "assert 'fl-deploy' in out.getvalue()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'flwr', 'sklearn', 'matplotlib', "
            "'pandas', 'tenseal', 'ray') or m.startswith('mlops_course.privacy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_lazy_command_help_matches_its_module():
    full = cli.build_parser()
    lazy = cli.build_parser("doctor")
    for parser in (full, lazy):
        sub = next(a for a in parser._actions if isinstance(a, __import__("argparse")._SubParsersAction))
        helps = {c.dest: c.help for c in sub._choices_actions}
        for name, (_, help_text) in cli.LAZY_COMMANDS.items():
            assert helps[name] == help_text


DP_SLIDE_TITLES = ("Differential Privacy: Introduction", "Differential Privacy: How It Works",
                   "Differential Privacy: Key Properties")


def test_slides_follow_the_slide_titles(tmp_path):
    import re

    assert cli.main(["slides", str(ROOT / "notebooks" / "07_differential_privacy.ipynb"), "-o", str(tmp_path)]) == 0
    html = (tmp_path / "07_differential_privacy.slides.html").read_text()
    sections = html.count("<section")
    assert sections >= 8
    for title in DP_SLIDE_TITLES:
        assert re.search(rf"<h2[^>]*>{re.escape(title)}", html), title


def test_slide_titles_are_those_of_the_lecture_deck():
    # the Marp deck lives beside the repository (../shared), not in it: say so when it is absent
    deck = ROOT.parent / "shared" / "lecture-slides.md"
    if not deck.is_file():
        pytest.skip(f"lecture deck {deck} is outside the repository and not present here")
    text = deck.read_text(encoding="utf-8")
    for title in DP_SLIDE_TITLES:
        assert f"# **{title}**" in text, title


def test_slides_rejects_missing_notebook(tmp_path):
    from mlops_course.notebooks import export_slides

    with pytest.raises(ValueError, match="path must be an existing .ipynb"):
        export_slides(tmp_path / "nope.ipynb", tmp_path)


def test_install_jupyter_settings_for_binder(tmp_path):
    overrides = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_text(json.dumps({"@jupyterlab/notebook-extension:tracker": {"codeCellConfig": {"lineNumbers": True}}}))
    written = cli.install_jupyter_settings(tmp_path)
    settings = json.loads(overrides.read_text())
    assert settings["@jupyterlab/notebook-extension:tracker"] == {"codeCellConfig": {"lineNumbers": True},
                                                                  "windowingMode": "none"}  # merged, not replaced
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    server = json.loads(written[1].read_text())
    assert "*.egg-info" in server["ContentsManager"]["hide_globs"]
    postbuild = (ROOT / "binder" / "postBuild").read_text()
    assert "install_jupyter_settings" in postbuild and "pip install --no-cache-dir -e ." in postbuild
    pip_section = (ROOT / "environment.yml").read_text().split("- pip:")[1]
    assert [ln.strip() for ln in pip_section.splitlines() if ln.strip()] == ["- -e ."]  # the lean set
