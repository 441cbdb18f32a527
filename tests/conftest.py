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
