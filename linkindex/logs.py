"""How the long-running commands talk: quiet by default, the full log on request.

By default a terminal shows what a person watching a crawl or an extract
needs: the progress line, warnings and errors (the command then prints its
summary). Errors that stand for one failed download each (Scrapy's "Gave up
retrying", a robots.txt that could not be fetched) are left to the summary,
which counts them by reason. ``-v`` or ``--log-level LEVEL`` show the full
log instead; ``--log-file FILE`` appends the full log to a file and keeps
the terminal quiet.

Deprecation warnings raised inside dependencies are for their authors:
``quiet_dependency_warnings`` keeps them off the terminal (``-W`` or
``PYTHONWARNINGS`` bring them back), while those of linkindex's own modules
still show.
"""

from dataclasses import dataclass
import logging
import sys
import warnings

#: linkindex's own packages: their deprecation warnings are ours to see and fix.
OWN_MODULES = r"(linkindex|crawler|pipelines)(\..*)?$"
#: The attribute that marks a log record as the progress line (``extra={PROGRESS: True}``).
PROGRESS = "linkindex_progress"
#: Loggers whose errors each stand for one failed download, counted in the summary.
COUNTED_IN_SUMMARY = ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt")
FULL_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def quiet_dependency_warnings() -> None:
    """Keep dependencies' deprecation warnings off the terminal (unless -W/PYTHONWARNINGS ask for them)."""
    if sys.warnoptions:
        return
    categories = [DeprecationWarning, PendingDeprecationWarning, FutureWarning]
    if "scrapy" in sys.modules:
        from scrapy.exceptions import ScrapyDeprecationWarning

        categories.append(ScrapyDeprecationWarning)
    for category in categories:
        warnings.filterwarnings("ignore", category=category)
        # Inserted later, so checked first: our own code's deprecations show.
        warnings.filterwarnings("default", category=category, module=OWN_MODULES)


@dataclass(frozen=True)
class LogOptions:
    #: Level of the full log; None: quiet (progress, warnings, errors).
    level: str | None = None
    #: File the full log is appended to (at ``level``, INFO if unset); the terminal stays quiet.
    file: str | None = None

    @classmethod
    def from_args(cls, args, overrides: dict | None = None) -> "LogOptions":
        """From -v, --log-level and --log-file (and ``-s LOG_LEVEL=``/``LOG_FILE=``, as ``scrapy crawl`` takes them)."""
        overrides = overrides or {}
        verbose = getattr(args, "verbose", 0) or 0
        level = getattr(args, "log_level", None) or overrides.get("LOG_LEVEL")
        if level is None and verbose:
            level = "DEBUG" if verbose >= 2 else "INFO"
        return cls(level.upper() if level else None, getattr(args, "log_file", None) or overrides.get("LOG_FILE"))

    @property
    def quiet_terminal(self) -> bool:
        """Whether the terminal shows the quiet view (the full log goes to a file, or nowhere)."""
        return self.level is None or self.file is not None

    def scrapy_settings(self) -> dict:
        """Scrapy's LOG_* settings for these options: its own handler writes the full log, if any."""
        if self.file:
            return {"LOG_ENABLED": True, "LOG_FILE": self.file, "LOG_LEVEL": self.level or "INFO"}
        if self.level:
            return {"LOG_ENABLED": True, "LOG_LEVEL": self.level}
        # No full log: Scrapy installs a handler that drops everything; the
        # quiet view is added beside it. LOG_LEVEL still sets what the
        # log_count/* stats count.
        return {"LOG_ENABLED": False, "LOG_LEVEL": "INFO"}


class QuietFilter(logging.Filter):
    """The progress line, warnings and errors, less those the summary counts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, PROGRESS, False):
            return True
        return record.levelno >= logging.WARNING and record.name not in COUNTED_IN_SUMMARY


class QuietFormatter(logging.Formatter):
    """``12:00:01 1,234 pages, ...`` for progress, ``warning: ...`` and ``error: ...`` for the rest."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, PROGRESS, False):
            return f"{self.formatTime(record, '%H:%M:%S')} {record.getMessage()}"
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _StderrHandler(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


#: The handlers installed by ``install``, removed by the next call.
_installed: list[logging.Handler] = []


def _replace_handlers(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed[:] = handlers
    for handler in handlers:
        root.addHandler(handler)


def quiet_handler() -> logging.Handler:
    handler = _StderrHandler()
    handler.setLevel(logging.INFO)
    handler.addFilter(QuietFilter())
    handler.setFormatter(QuietFormatter())
    return handler


def install(options: LogOptions, scrapy_configured: bool = False) -> None:
    """Route the root logger as ``options`` say.

    ``scrapy_configured``: Scrapy has installed its own root handler from
    ``options.scrapy_settings()`` (the full log, if any); only the quiet view
    is added beside it.
    """
    handlers = []
    if options.quiet_terminal:
        handlers.append(quiet_handler())
    if not scrapy_configured and (options.level or options.file):
        full = logging.FileHandler(options.file, encoding="utf-8") if options.file else _StderrHandler()
        full.setLevel(options.level or "INFO")
        full.setFormatter(logging.Formatter(FULL_FORMAT, DATE_FORMAT))
        handlers.append(full)
        logging.getLogger().setLevel(logging.DEBUG)
    elif not scrapy_configured:
        logging.getLogger().setLevel(logging.INFO)
    _replace_handlers(handlers)
