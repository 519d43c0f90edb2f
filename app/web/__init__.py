"""The web surface: the ASGI app (``app.create_app``), GraphiQL, the care console and
its static files, placeholder avatars, and the front-end assets fetched from npm."""
