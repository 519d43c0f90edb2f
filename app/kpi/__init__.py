"""The partner's figures (issue 14): SQL aggregates over the history, GraphQL-free."""
