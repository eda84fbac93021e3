from tests.fixtures_world import world  # noqa: F401
