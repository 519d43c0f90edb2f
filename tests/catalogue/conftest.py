"""Catalogue test fixtures: the shared headless-Chromium ``browser`` (tests/browser.py)."""

from tests.browser import browser  # noqa: F401 - re-exported pytest fixture
