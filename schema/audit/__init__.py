"""The audit log as GraphQL sees it: ``auditLog`` (admins)."""
