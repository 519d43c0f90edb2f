"""The operator CLI: ``main`` (process commands), ``identity`` (partners, staff), ``runner``."""
