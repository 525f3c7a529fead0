from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from console_support import Console, start_console


@pytest.fixture
async def console(nursery: trio.Nursery, tmp_path: Path) -> Console:
    served = await start_console(nursery, tmp_path / "home")
    yield served
    served.actor.request_stop()
