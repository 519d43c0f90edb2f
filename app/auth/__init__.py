"""Authentication: our own access tokens and the viewer they identify."""
