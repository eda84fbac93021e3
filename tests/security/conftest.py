"""Adversarial tests: hostile values stored where imports, forms and the admin put them.

The browser fixtures (headless Chromium, logged-in pages) are those of tests/browser.
"""

from tests.browser.conftest import browser, visit  # noqa: F401
from tests.fixtures_world import world  # noqa: F401
