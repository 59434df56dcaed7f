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


def test_lab_starts_jupyterlab_serving_the_course(tmp_path):
    port = _free_port()
    env = dict(os.environ, MLOPS_COURSE_HOME=str(tmp_path / "home"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_course.cli", "lab", "--no-browser", "--port", str(port), "--root", str(ROOT),
         "--", "--IdentityProvider.token=testtoken"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token=testtoken"
        deadline = time.monotonic() + 90
        listing = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    listing = json.load(resp)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        names = {item["name"] for item in listing["content"]}
        assert {"notebooks", "exercises", "solutions", "mlops_course"} <= names
    finally:
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
    args = cli.build_parser().parse_args(["lab", "--root", str(ROOT), "--presentation"])
    cmd, _ = cli.lab_command(args)
    folder = tmp_path / "lab-settings"
    assert f"--LabApp.app_settings_dir={folder}" in cmd
    settings = json.loads((folder / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/apputils-extension:themes"]["overrides"]["code-font-size"] == "20px"
    cli.lab_command(cli.build_parser().parse_args(["lab", "--root", str(ROOT)]))
    settings = json.loads((folder / "overrides.json").read_text())
    assert "@jupyterlab/apputils-extension:themes" not in settings


def test_slides_follow_the_slide_titles(tmp_path):
    import re

    assert cli.main(["slides", str(ROOT / "notebooks" / "07_differential_privacy.ipynb"), "-o", str(tmp_path)]) == 0
    html = (tmp_path / "07_differential_privacy.slides.html").read_text()
    slides = ROOT.parent / "shared" / "lecture-slides.md"
    titles = ["Differential Privacy: Introduction", "Differential Privacy: How It Works",
              "Differential Privacy: Key Properties"]
    if slides.exists():
        deck = slides.read_text()
        assert all(f"# **{t}**" in deck for t in titles)
    sections = html.count("<section")
    assert sections >= 8
    for title in titles:
        assert re.search(rf"<h2[^>]*>{re.escape(title)}", html), title


def test_slides_rejects_missing_notebook(tmp_path):
    from mlops_course.notebooks import export_slides

    with pytest.raises(ValueError, match="path must be an existing .ipynb"):
        export_slides(tmp_path / "nope.ipynb", tmp_path)
