"""Two-rank tests: each starts ``mpiexec -n 2`` on a worker script in this folder.

mpiexec is looked for next to the running Python (the ``mpich`` wheel puts it in the venv's bin/),
then on PATH. The workers print ``OK <check>`` lines; a failed check raises on a rank, which the
abort handler turns into a non-zero exit with the rank and the error in stderr.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the mpi extra (mpi4py + mpich) is part of the test extra")

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


def find_mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpiexec not found next to the Python executable nor on PATH")
    return found


def mpirun(script: str, *args: str, n: int = 2, timeout: float = 60, env: dict | None = None):
    """Run ``mpiexec -n n python script args``; returns (CompletedProcess, seconds)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(SRC), full_env.get("PYTHONPATH", "")])
    # one BLAS thread per rank: two ranks on a 2-core machine
    full_env.setdefault("OPENBLAS_NUM_THREADS", "1")
    full_env.setdefault("OMP_NUM_THREADS", "1")
    full_env.update(env or {})
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, str(HERE / script), *args]
    start = time.perf_counter()
    # a session of its own, so a timeout ends mpiexec and every rank it started, nothing else
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec {script} {args} ran past {timeout} s\n{out}\n{err}")
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return done, time.perf_counter() - start


def ok_lines(proc) -> list[str]:
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return [line for line in proc.stdout.splitlines() if line.startswith("OK ")]


def test_fit_two_ranks_equals_one_process():
    proc, _ = mpirun("_fit_worker.py", "fit")
    assert ok_lines(proc) == [
        "OK fit weights",
        "OK fit logs",
        "OK fit many small buckets",
        "OK fit without overlap",
        "OK fit with sample and class weights",
        "OK fit with regulariser and constraint",
    ]


def test_fit_with_dataloaders_two_ranks_equals_one_process():
    proc, _ = mpirun("_fit_worker.py", "loader")
    assert ok_lines(proc) == [
        "OK fit DataLoader (same batches, split)",
        "OK fit DataLoader with DistributedSampler",
    ]


def test_sync_batchnorm_two_ranks_equals_one_process():
    proc, _ = mpirun("_fit_worker.py", "syncbn")
    assert ok_lines(proc) == ["OK sync batchnorm", "OK per-rank batchnorm differs"]


def test_ddp_loop_two_ranks_equals_one_process():
    proc, _ = mpirun("_ddp_worker.py")
    assert ok_lines(proc) == [
        "OK ddp weights",
        "OK ddp no_sync accumulation",
        "OK ddp changed graph",
        "OK ddp sync batchnorm",
    ]


def test_exception_on_one_rank_aborts_the_job_promptly():
    proc, seconds = mpirun("_fault_worker.py", "raise", timeout=30)
    assert proc.returncode != 0
    assert seconds < 30
    assert "rank 1 of 2 failed: ValueError: injected failure in the data pipeline" in proc.stderr
    assert "training finished" not in proc.stdout


def test_killed_rank_ends_the_job():
    proc, seconds = mpirun("_fault_worker.py", "vanish", timeout=30)
    assert proc.returncode != 0
    assert seconds < 30
    assert "training finished" not in proc.stdout


def test_hung_rank_is_detected_by_the_collective_deadline():
    proc, seconds = mpirun(
        "_fault_worker.py", "hang", timeout=30, env={"CHAINRULE_DIST_TIMEOUT": "2"}
    )
    assert proc.returncode != 0
    assert seconds < 30
    assert "rank 0 of 2 failed: CollectiveTimeout" in proc.stderr
    assert "did not complete within 2 s" in proc.stderr


def test_rank0_writes_and_checkpoint_resumes_on_one_process(tmp_path):
    proc, _ = mpirun("_ckpt_worker.py", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ckpt.zip").exists()
    assert (tmp_path / "log_rank0.csv").exists()
    assert not (tmp_path / "log_rank1.csv").exists()

    sys.path.insert(0, str(HERE))
    try:
        import _ckpt_worker as w
    finally:
        sys.path.remove(str(HERE))
    import chainrule as cr
    from chainrule.io.checkpoint import BackupAndRestore

    x, y = w.data()
    resumed = w.make()
    backup = BackupAndRestore(tmp_path / "ckpt.zip")
    resumed.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[backup])
    assert backup.restored_from["epoch"] == 2

    straight = w.make()
    cr.manual_seed(5)
    straight.fit(x, y, batch_size=32, epochs=4, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_cli_train_distributed(tmp_path):
    out = tmp_path / "run"
    script = HERE / "_cli_main.py"
    proc, _ = mpirun(
        str(script), "train", "digits-mlp", "--distributed", "--epochs", "1", "--quiet",
        "--out", str(out), env={"MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("chainrule train: digits-mlp") == 1  # rank 0 alone prints
    assert proc.stdout.count("Epoch 1/1") == 1
    for name in ("model.zip", "history.csv", "test_metrics.json", "checkpoint.zip"):
        assert (out / name).exists(), name
