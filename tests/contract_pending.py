"""Contract operations the schema does not cover yet: the ONE list, shrinking as issues land.

``tests/test_schema_contract.py`` validates every operation of
``../shared/contract/*.graphql`` against the live schema except these (operation
name -> the issue that brings it). It also fails when a listed operation already
validates, so the list never goes stale: delete the line when your issue lands.
"""

from __future__ import annotations

PENDING: dict[str, str] = {
    "RegisterPushDevice": "push notifications and the welcome push (issue not filed yet)",
    "CheckupResults": "checkups: recommendations and promo codes (issue not filed yet)",
    "LeaveReview": "reviews after completed sessions (issue not filed yet)",
}
