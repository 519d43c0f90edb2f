"""psyline: the process (settings, ASGI app, auth, CLI) and the business services."""
