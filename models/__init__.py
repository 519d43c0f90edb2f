"""Tortoise models, one module per domain (each a Tortoise app with its own migrations).

This package imports nothing from ``app`` or ``schema``.
"""
