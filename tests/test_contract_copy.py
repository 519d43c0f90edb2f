"""app/contract holds the shared contract byte for byte (the service ships it: GraphiQL's
tabs, ``seed --demo``'s trusted documents), so a change to either side shows here."""

from __future__ import annotations

import pytest

from app.contract import CONTRACT_DIR as SHIPPED
from app.contract import FILES
from tests.helpers import CONTRACT_DIR as SHARED
from tests.helpers import NO_CONTRACT, contract_present

pytestmark = pytest.mark.skipif(not contract_present(), reason=NO_CONTRACT)


def test_the_shipped_contract_is_the_shared_one() -> None:
    assert sorted(p.name for p in SHARED.glob("*.graphql")) == sorted(FILES)
    for name in FILES:
        assert (SHIPPED / name).read_bytes() == (SHARED / name).read_bytes(), (
            f"app/contract/{name} differs from {SHARED / name}: copy it over"
        )
