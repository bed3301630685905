"""The stack tier: the runbook's commands against the real docker compose stack (issue 18).

Skipped, with the reason, unless YAM_STACK_TESTS=1: it needs Docker Engine with Compose v2, the stack's images
(built or loaded: `bash run.sh up` builds the app image), a .env with real passwords beside run.sh, and 20 to 60
minutes. It drives `bash run.sh ...` and HTTPS exactly as an admin does, and CHANGES THE STACK'S DATA: restores,
kills containers, replaces the database volume. Run it on a test machine, never on a production one.

    YAM_STACK_TESTS=1 python -m pytest tests/stack -v -s      # -s: the figures (times, memory) are printed

The tests run in file order (test_10_... to test_90_...), each file leaving the stack up and healthy.
"""

from __future__ import annotations

import os

import pytest

REASON = (
	"stack tier: set YAM_STACK_TESTS=1 on a test machine with Docker, Compose v2, the images and a .env "
	"(it restores, kills containers and replaces the database volume of the stack)"
)


def pytest_collection_modifyitems(config, items):
	if os.environ.get("YAM_STACK_TESTS") == "1":
		return
	skip = pytest.mark.skip(reason=REASON)
	for item in items:
		if "tests/stack/" in str(item.fspath).replace(os.sep, "/"):
			item.add_marker(skip)


@pytest.fixture(scope="session")
def stack():
	from stack_support import Stack

	return Stack()
