"""The Ray trial launcher on a private local Ray instance (2 CPUs), with the stand-in trial process."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from kd.methods.avatar import AvatarSearch
from kd.search.trials import Trial, TrialRunner, launcher_by_name

ray = pytest.importorskip("ray", reason="Ray is the optional 'distributed' extra (installed by .ci/run)")

from kd.search.ray_launcher import RayLauncher  # noqa: E402


@pytest.fixture(scope="module")
def ray_local():  # one local instance for the module: starting Ray costs seconds
    yield
    RayLauncher.shutdown()


def _trial(first: int, i: int) -> Trial:
    return Trial(spec={"i": i}, hparams={}, module={}, data={}, genome=[first, i], metric="val/acc")


def test_failing_trial_recorded_search_continues_and_resumes(tmp_path: Path, ray_local: None) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(uri)
    exp = client.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    parent = client.create_run(exp).info.run_id
    launcher = launcher_by_name("ray", module="tests.kd.fake_trial", num_cpus=1)
    assert isinstance(launcher, RayLauncher)
    runner = TrialRunner(
        tmp_path / "s", launcher, workers=2, tracking_uri=uri, parent_run_id=parent, progress=False
    )
    trials = [_trial(0, 1), _trial(1, 2), _trial(0, 3), _trial(0, 4)]
    results = runner.run(trials)
    # fake_trial: metric = sum of the genome; a genome starting with 1 exits 3 without a result.
    assert [r.status for r in results] == ["ok", "failed", "ok", "ok"]
    assert [r.metric for r in results] == [1.0, None, 3.0, 4.0]
    assert "exit code 3" in results[1].error and "simulated crash" in results[1].error
    # The driver wrote each task's result and stderr into the trial directories.
    assert (tmp_path / "s" / "trials" / trials[0].trial_id / "result.json").is_file()
    assert "simulated crash" in (tmp_path / "s" / "trials" / trials[1].trial_id / "stderr.log").read_text()
    children = client.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent}'")
    assert sorted(r.info.status for r in children) == ["FAILED", "FINISHED", "FINISHED", "FINISHED"]
    assert len(launcher.task_seconds) == 4
    # Resume: the finished trials are loaded from disk, only the failed one is launched again.
    again = runner.run(trials)
    assert [r.resumed for r in again] == [True, False, True, True]
    assert len(launcher.task_seconds) == 5


def test_timeout_is_a_failed_trial(tmp_path: Path, ray_local: None) -> None:
    launcher = RayLauncher(module="tests.kd.sleepy_trial", timeout_s=1.0)
    runner = TrialRunner(tmp_path / "s", launcher, workers=1, progress=False)
    [result] = runner.run([_trial(0, 9)])
    assert result.status == "failed" and "timed out after 1.0 s" in result.error


def test_search_settings_reach_the_launcher() -> None:
    launcher = AvatarSearch(launcher="ray", ray_address="auto", launcher_args={"num_cpus": 2}).make_launcher()
    assert isinstance(launcher, RayLauncher)
    assert (launcher.address, launcher.num_cpus) == ("auto", 2)
    with pytest.raises(ValueError, match="ray_address is set but search.launcher is 'local'"):
        AvatarSearch(ray_address="auto").make_launcher()
    with pytest.raises(ValueError, match="num_cpus > 0"):
        RayLauncher(num_cpus=0)
