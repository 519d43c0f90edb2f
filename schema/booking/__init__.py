"""GraphQL surface of availability and booking."""
