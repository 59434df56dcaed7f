"""A worker that dies while starting (before any submission code runs) is started again, a bounded
number of times; other grader errors are not retried."""
from __future__ import annotations

import pytest

from mlops_course.grading import harness
from mlops_course.grading.harness import START_ATTEMPTS, GraderError, WorkerStartError, start_worker


class _Flaky:
    """Stands in for WorkerProcess: fails to start ``failures`` times, then starts."""

    calls = 0

    def __init__(self, failures: int, error: type[Exception]) -> None:
        self.failures, self.error = failures, error

    def __call__(self, *args):
        _Flaky.calls += 1
        if _Flaky.calls <= self.failures:
            raise self.error("the grading worker could not start: exited with code 1 "
                             "(worker log: unshare: sigprocmask unblock failed: Invalid argument)")
        return ("started", args)


@pytest.fixture(autouse=True)
def _reset():
    _Flaky.calls = 0


def test_a_start_failure_is_retried_until_the_worker_starts(monkeypatch):
    monkeypatch.setattr(harness, "WorkerProcess", _Flaky(START_ATTEMPTS - 1, WorkerStartError))
    assert start_worker("limits", "sandbox", (), None) == ("started", ("limits", "sandbox", (), None))
    assert _Flaky.calls == START_ATTEMPTS


def test_start_failures_are_bounded_and_the_last_reason_is_kept(monkeypatch):
    monkeypatch.setattr(harness, "WorkerProcess", _Flaky(START_ATTEMPTS, WorkerStartError))
    with pytest.raises(WorkerStartError, match="sigprocmask unblock failed"):
        start_worker("limits", "sandbox", (), None)
    assert _Flaky.calls == START_ATTEMPTS


def test_other_grader_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr(harness, "WorkerProcess", _Flaky(1, GraderError))
    with pytest.raises(GraderError):
        start_worker("limits", "sandbox", (), None)
    assert _Flaky.calls == 1


def test_the_real_worker_starts_through_start_worker():
    worker = start_worker(harness.Limits(), harness.Sandbox(), (), harness.UidPool() if harness.Sandbox().active
                          else None)
    try:
        assert worker.request("exec", 30.0, source="x = 1", label="t")["ok"]
    finally:
        worker.close()
    assert issubclass(WorkerStartError, GraderError)  # callers that catch GraderError still see it


def test_quiet_batch_still_names_the_submission_that_errored(tmp_path, monkeypatch, capsys):
    """``grade DIR --quiet`` exits 3 when the grader failed on a submission, and says which and why."""
    import shutil

    from mlops_course.grading.cli import main
    from mlops_course.grading.report import GradeReport

    subs = tmp_path / "subs"
    subs.mkdir()
    exercise = harness.exercise_paths("07_differential_privacy")[0]
    for name in ("ok.ipynb", "bad.ipynb"):
        shutil.copy(exercise, subs / name)

    def fake_grade_many(self, paths, jobs=1, on_done=None):
        return [GradeReport(p.name, "07_differential_privacy", status="error" if p.name == "bad.ipynb" else "graded",
                       output="the grading worker could not start: simulated") for p in paths]

    monkeypatch.setattr(harness.Grader, "grade_many", fake_grade_many)
    code = main(["grade", str(subs), "--unit", "07", "-o", str(tmp_path / "grades"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert "bad.ipynb" in err and "simulated" in err and "ok.ipynb" not in err
