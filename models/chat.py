"""Care team chat (issue 5)."""
