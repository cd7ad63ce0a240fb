"""The virtual multi-host site of the tests: ``tests/support/localsite.py``, plus a fixture.

``command_env(proxy)`` is the environment to run the project's commands
with, pointed at the site; ``site_server`` serves sites until a test ends.
"""

import os
from pathlib import Path

from tests.support.localsite import (  # noqa: F401 (the tests' names for them)
    BROKEN,
    HTML,
    NOT_FOUND,
    PROXY_VARIABLES,
    Hit,
    Resource,
    Site,
    generated_site,
    html,
    page,
    proxy_env,
    redirect,
    robots,
    serve,
)

#: The project root: commands run with it on PYTHONPATH, installed or not.
ROOT = Path(__file__).absolute().parents[1]


def command_env(proxy: str | None = None, no_proxy: str | None = None) -> dict:
    """This process's environment with ``proxy`` (or none) as its only proxy settings."""
    env = proxy_env(proxy, no_proxy)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


