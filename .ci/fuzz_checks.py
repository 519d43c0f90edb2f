"""Schemathesis checks of the CI fuzz run (``SCHEMATHESIS_HOOKS=fuzz_checks``).

GraphQL errors are answers, not faults (UNAUTHENTICATED, BAD_USER_INPUT...): the built-in
``not_a_server_error`` would count them. What must never happen: a 5xx, a masked
internal error (a bug behind it), or a Python traceback in the body.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st
from hypothesis_graphql import nodes


@schemathesis.check
def no_server_fault(ctx: object, response: schemathesis.Response, case: object) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    text = response.text
    if "Traceback (most recent call last)" in text:
        raise AssertionError("a traceback in the answer")
    if "INTERNAL_SERVER_ERROR" in text or '"Unexpected error."' in text:
        raise AssertionError("a masked internal error: a bug behind this input")


# Our custom input scalars (graphql-core has no strategy for them): valid and hostile
# values alike, as strings, the form our scalars accept.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        st.text(max_size=20),
    ).map(nodes.String),
)
