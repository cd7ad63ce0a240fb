"""Run the ``links`` spider in this process, as ``linkindex crawl`` does."""

from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil

from scrapy.crawler import CrawlerProcess
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler.spiders.links import LinksSpider
from linkindex.logs import LogOptions, quiet_dependency_warnings
from linkindex.logs import install as install_log


class SettingError(ValueError):
    """A ``-s NAME=VALUE`` override that is not of that form."""


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    overrides = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"-s takes NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def crawl_settings(
    data_dir,
    crawl_id: str,
    max_depth: int | None = None,
    max_pages_per_domain: int | None = None,
    warc: bool = False,
    allow_private_networks: bool = False,
    overrides: dict[str, str] | None = None,
    distributed: dict | None = None,
    jobdir: str | Path | None = None,
) -> Settings:
    """The project's settings, the command's options, then ``-s`` overrides on top.

    ``distributed``, for a worker of a shared crawl: ``redis_url``,
    ``worker_id``, ``idle_exit`` and the crawl's stored ``scope``,
    ``max_depth`` and ``max_pages_per_domain`` (see ``linkindex seed``).
    ``jobdir``: Scrapy's job directory, for a crawl that can be stopped and
    continued (see ``CrawlJob``).
    """
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    options = {
        "LINKINDEX_DATA_DIR": str(data_dir),
        "LINKINDEX_CRAWL_ID": crawl_id,
        "WARC_ARCHIVE_ENABLED": warc,
        "LINKINDEX_ALLOW_PRIVATE_NETWORKS": allow_private_networks,
    }
    if jobdir is not None:
        options["JOBDIR"] = str(jobdir)
    if max_depth is not None:
        options["LINKINDEX_MAX_DEPTH"] = max_depth
    if max_pages_per_domain is not None:
        options["LINKINDEX_MAX_PAGES_PER_DOMAIN"] = max_pages_per_domain
    if distributed is not None:
        options.update(
            {
                "LINKINDEX_REDIS_URL": distributed["redis_url"],
                "LINKINDEX_WORKER_ID": distributed["worker_id"],
                "LINKINDEX_SCOPE": distributed.get("scope") or [],
                "SCHEDULER": "crawler.distributed.DistributedScheduler",
                # Shorter batches: a request's lease is held until its
                # records are written.
                "LINKS_PARQUET_MAX_SECONDS": 5.0,
            }
        )
        if distributed.get("dupefilter"):
            options["LINKINDEX_DUPEFILTER"] = distributed["dupefilter"]
        if distributed.get("idle_exit") is not None:
            options["LINKINDEX_REDIS_IDLE_EXIT"] = distributed["idle_exit"]
        for name in ("max_depth", "max_pages_per_domain"):
            if distributed.get(name) is not None:
                options[f"LINKINDEX_{name.upper()}"] = distributed[name]
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["crawler.distributed.ClusterWorker"] = 600
        options["EXTENSIONS"] = extensions
    settings.setdict(options, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


@dataclass
class CrawlResult:
    #: The crawl's final stats (``finish_reason`` is missing after an unclean stop).
    stats: dict
    #: Seed URL -> why it could not be fetched.
    seed_failures: dict[str, str] = field(default_factory=dict)

    @property
    def finish_reason(self) -> str | None:
        return self.stats.get("finish_reason")

    @property
    def pages_fetched(self) -> int:
        """Pages that answered (any HTTP status), failed downloads not counted."""
        failed = sum(v for k, v in self.stats.items() if k.startswith("pages/failed/"))
        return self.stats.get("pages/seen", 0) - failed


def run_crawl(
    seeds: list[str], seeds_file: str | None, settings: Settings, log: LogOptions | None = None
) -> CrawlResult:
    """Crawl until the frontier is empty (or Ctrl-C); return the crawl's stats and the seeds not fetched.

    ``log``: how much of the log reaches the terminal (see ``linkindex.logs``);
    quiet unless said otherwise.
    """
    log = log or LogOptions()
    settings = settings.copy()
    for name, value in log.scrapy_settings().items():
        if settings.getpriority(name) is None or settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    install_log(log, scrapy_configured=True)
    quiet_dependency_warnings()
    crawler = process.create_crawler(LinksSpider)
    process.crawl(crawler, seeds=seeds, seeds_file=seeds_file)
    process.start()
    spider = crawler.spider
    return CrawlResult(crawler.stats.get_stats(), dict(getattr(spider, "seed_failures", {}) or {}))


# -- resuming a crawl -----------------------------------------------------------


class JobError(Exception):
    """The crawl's job directory cannot be used: another process runs the crawl, or --data is not writable."""


class CrawlJob:
    """What a single-machine crawl keeps so that, stopped, it continues where it stopped.

    Under ``DIR/jobs/<crawl id>/``:

    ``scrapy/``
        Scrapy's job directory (``JOBDIR``): the requests queued and not yet
        fetched, the fingerprints of every request made, the per-domain page
        budgets. Scrapy saves the queue when the crawl stops cleanly
        (Ctrl-C, SIGTERM, or the end); a crawl killed outright (SIGKILL, a
        second Ctrl-C, a power cut) leaves no usable queue.
    ``crawl.json``
        the seeds, the pages fetched so far, and how the last run ended:
        ``running`` (it never said: killed), ``stopped`` or ``finished``.
    ``lock``
        held while a run is on, so two processes never share the queue.

    The records (``links/``, ``pages/``) are not part of it: every run adds
    its own parts, and starting over leaves the earlier ones in place (the
    index keeps the latest fetch of each page).
    """

    def __init__(self, data_dir, crawl_id: str):
        from pipelines.parquet import local_path, safe_name

        self.crawl_id = crawl_id
        self.dir = Path(local_path(data_dir)) / "jobs" / safe_name(crawl_id)
        self.jobdir = self.dir / "scrapy"
        self.state_file = self.dir / "crawl.json"
        self._lock = None

    def load(self) -> dict | None:
        """The saved state, or None for a crawl not started here (or started over)."""
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # torn by a crash: no state to trust

    def save(self, **state) -> dict:
        self.dir.mkdir(parents=True, exist_ok=True)
        current = {**(self.load() or {}), **state}
        temporary = self.state_file.with_name(f".{self.state_file.name}.tmp")
        temporary.write_text(json.dumps(current, indent=1, sort_keys=True))
        os.replace(temporary, self.state_file)
        return current

    def forget_queue(self) -> None:
        """Drop Scrapy's job directory: the next run starts from the seeds."""
        shutil.rmtree(self.jobdir, ignore_errors=True)

    def clear(self) -> None:
        """Forget everything of the job (not the records): the next run starts over."""
        self.forget_queue()
        self.state_file.unlink(missing_ok=True)

    def lock(self) -> None:
        """Hold the job's lock until ``unlock`` (or the process ends); JobError if another process holds it."""
        import fcntl

        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.dir / "lock", "a+")
        except OSError as exc:
            raise JobError(f"cannot create {self.dir}: {(exc.strerror or str(exc)).lower()}; check --data") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise JobError(
                f"crawl {self.crawl_id} is running in another process on {self.dir.parent.parent}: "
                "wait for it, or stop it (Ctrl-C) and run this again"
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
