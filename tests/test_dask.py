"""``--runner dask`` on a real Dask cluster: a scheduler and two workers on 127.0.0.1.

The cluster is started with the same commands the README gives users (``dask
scheduler``, ``dask worker``), stopped by the test, and gets its Prefect API from
the flow (the session's test server): no temporary server per worker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docmill.orchestration import runners
from tests.conftest import SEEDS, RunResult

pytestmark = [pytest.mark.flow, pytest.mark.slow]

#: An extractor whose "model" is loaded once per process (like spaCy in
#: extract_entities) and logs the pid of every process that loads it.
MODEL_LOG = """
import os
from functools import cache
from pathlib import Path
from docmill.hookspecs import hookimpl

@cache
def load_model():
    with Path(os.environ["DOCMILL_TEST_MODEL_LOG"]).open("a") as fh:
        fh.write(f"{os.getpid()}\\n")
    return object()

@hookimpl
def extract(doc):
    load_model()
    return []
"""


@pytest.fixture
def model_log(
    tmp_path: Path, install_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Install the MODEL_LOG plugin where processes started from now on find it too."""
    log = tmp_path / "model.log"
    monkeypatch.setenv("DOCMILL_TEST_MODEL_LOG", str(log))
    install_plugin("model_log", MODEL_LOG)
    site = str(tmp_path / "site-packages")  # where install_plugin puts it
    path = [site, *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    return log


@pytest.fixture
def dask_cluster(tmp_path: Path, model_log: Path) -> Iterator[str]:
    """A scheduler and two single-thread workers, as separate processes; yields the address."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = tmp_path / "scheduler.json"
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", *common,
             "--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
    ]  # fmt: skip
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                     "--host", "127.0.0.1", *common],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                )
            )  # fmt: skip
        with Client(scheduler_file=str(scheduler_file), timeout="120s") as client:
            client.wait_for_workers(2, timeout=180)
            address = client.scheduler.address
        yield address
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_dask_cluster_output_is_byte_identical_to_local(
    run_flow: Callable[..., RunResult], tmp_path: Path, model_log: Path, dask_cluster: str
) -> None:
    log = model_log
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:4]:
        shutil.copy(SEEDS / name, corpus / name)

    local = run_flow([corpus], tmp_path / "local", batch_size=1)
    loads_before = len(log.read_text().split())

    options = runners.RunnerOptions(runner="dask", address=dask_cluster)
    assert options.batches_in_flight == 4
    summary = runners.run(
        options,
        runners.flow_for(options)(
            paths=[str(corpus)],
            out=str(tmp_path / "dask"),
            batch_size=1,
            in_flight=options.batches_in_flight,
        ),
    )
    on_dask = RunResult(summary)

    assert on_dask.summary["documents"] == 4
    assert on_dask.jsonl_bytes() == local.jsonl_bytes()
    # 4 batches, yet the model was loaded at most once in each of the 2 workers' processes
    dask_loads = log.read_text().split()[loads_before:]
    assert 1 <= len(dask_loads) <= 2
    assert len(set(dask_loads)) == len(dask_loads)
    assert str(os.getpid()) not in dask_loads
