"""Benchmarks: throughput measured against a baseline in the same run.

Run from a checkout of the repository (they use the test tooling under
``tests/support`` and the corpora beside it)::

    python -m bench                 # the list
    python -m bench extract         # link extraction vs Scrapy's LinkExtractor
    python -m bench crawl           # a live crawl vs a bare Scrapy spider
    python -m bench distributed     # 1, 2, 4 workers over Redis
    python -m bench redis-memory    # Redis bytes per URL, projected to 1B URLs
    python -m bench build           # the index build vs a bare DuckDB pass, and an incremental build
    python -m bench authority       # PageRank of a 50M-edge graph vs networkx
    python -m bench spark           # extract and build on Spark local[1], local[2] vs the local engines
    python -m bench export          # linkindex export into PostgreSQL vs psql \\copy of a CSV
    python -m bench serve           # page latency of linkindex serve on a 10M-link index
    python -m bench worst-case      # the worst page shapes vs an ordinary page
    python -m bench memory          # peak memory of a multi-GB extract and a 100k-page crawl

Each benchmark is one module with ``HELP``, optionally ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args, console) -> exit code``; listing it
in ``BENCHMARKS`` below makes it a sub-command. Crawls run as child
processes (Twisted's reactor cannot be restarted), timed by wall clock, by
the site's log of requests and by the children's resource usage.
"""

#: Sub-command name -> module under bench/, in the order ``--help`` lists them.
BENCHMARKS = {
    "extract": "bench.extract",
    "crawl": "bench.crawl",
    "distributed": "bench.distributed",
    "redis-memory": "bench.redis_memory",
    "build": "bench.build",
    "authority": "bench.authority",
    "export": "bench.export",
    "spark": "bench.spark",
    "serve": "bench.serve",
    "worst-case": "bench.worst_case",
    "memory": "bench.memory",
}
