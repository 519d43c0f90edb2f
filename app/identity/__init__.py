"""Identity: partner sign-in, our sessions, staff accounts (issue 3)."""
