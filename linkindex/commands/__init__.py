"""The ``linkindex`` sub-commands, one module each, in workflow order.

Each module has ``HELP`` (one line for the command list), ``DESCRIPTION``
(for the command's ``--help``; defaults to ``HELP``), ``add_arguments(parser)``
and ``run(args, console) -> exit code``. Options shared by several commands
(``--data``, ``--crawl-id``, ``--redis``, ...) and the exit codes live in
``linkindex.commands.common``.
"""

#: Sub-command name -> module under linkindex/commands/, in the order ``--help`` lists them.
COMMANDS = {
    "crawl": "linkindex.commands.crawl",
    "extract": "linkindex.commands.extract",
    "build": "linkindex.commands.build",
    "report": "linkindex.commands.report",
    "query": "linkindex.commands.query",
    "crawls": "linkindex.commands.crawls",
    "intersect": "linkindex.commands.intersect",
    "disavow": "linkindex.commands.disavow",
    "serve": "linkindex.commands.serve",
    "export": "linkindex.commands.export",
    "seed": "linkindex.commands.seed",
    "worker": "linkindex.commands.worker",
    "extract-worker": "linkindex.commands.extract_worker",
    "status": "linkindex.commands.status",
}
