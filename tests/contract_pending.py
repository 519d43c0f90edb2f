"""Contract operations the schema does not cover yet: the ONE list, shrinking as issues land.

``tests/test_schema_contract.py`` validates every operation of
``../shared/contract/*.graphql`` against the live schema except these (operation
name -> the issue that brings it). It also fails when a listed operation already
validates, so the list never goes stale: delete the line when your issue lands.
"""

from __future__ import annotations

_NOTIFY = "issue 13: checkups, promo codes, reviews, notifications through an outbox"
_BACKOFFICE = "issue 14: the back office, vetting, catalogue editing, partner KPIs"
_SERIES = "issue 16: recurring weekly sessions and a waitlist"
_SAFETY = "issue 17: a safety layer for the care team"

PENDING: dict[str, str] = {
    # mobile.graphql
    "PreviewSeries": _SERIES,
    "BookSeries": _SERIES,
    "CancelSeriesFrom": _SERIES,
    "JoinWaitlist": _SERIES,
    "MyWaitlist": _SERIES,
    "AcceptWaitlistOffer": _SERIES,
    "CrisisResources": _SAFETY,
    # backoffice.graphql
    # console.graphql
    "RiskAlerts": _SAFETY,
    "RiskQueue": _SAFETY,
    "AcknowledgeRisk": _SAFETY,
    "ResolveRisk": _SAFETY,
}
