"""The web surface: the ASGI app (``app.create_app``), GraphiQL, the care console and
its static files, placeholder avatars, bookings' calendar files (``calendar``), and the
front-end assets fetched from npm."""
