"""The HTML pages of each role and the admin."""
