import os
from pathlib import Path

import pytest

import chainrule

DATA = Path(
    os.environ.get("CHAINRULE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same library-wide random stream."""
    chainrule.manual_seed(0)
    yield


@pytest.fixture
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"real data not found at {DATA} (set CHAINRULE_DATA)")
    return DATA


@pytest.fixture
def keras_jax():
    """``(python, env, cwd)`` to run code under the real Keras 3 on JAX (the benchmark venv,
    benchmarks/setup_peers.sh); skips where that venv is missing."""
    from benchmarks import harness

    python = harness.bench_python()
    if python is None:
        pytest.skip("no benchmark venv (benchmarks/setup_peers.sh)")
    spec = harness.Contender("keras-jax", ("keras", "jax"), "bench", {"KERAS_BACKEND": "jax"})
    if harness.skip_reason(spec):
        pytest.skip(harness.skip_reason(spec))
    return python, harness.worker_env(spec), harness.ROOT
