"""The in-process reference adapter against the contract."""

from __future__ import annotations

import pytest

from fastapi_betterauth.db.memory import MemoryAdapter
from tests.db.contract import AdapterContract


class TestMemoryAdapter(AdapterContract):
    @pytest.fixture
    def adapter(self) -> MemoryAdapter:
        return MemoryAdapter()
