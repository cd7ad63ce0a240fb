"""``linkindex serve``: the web interface over the link index."""

import os
import secrets
import socket
import sys

from rich.console import Console
from rich.markup import escape

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error, examples, positive_int

HELP = "serve a web interface over the link index (read-only)"
DESCRIPTION = """\
Serve a read-only web interface over DIR/index.duckdb: the overview,
backlinks, referring domains, anchors and broken backlinks, with filters and
CSV downloads, of a domain, a host and its subdomains, a URL prefix or one
URL (the modes of `linkindex report --mode`), and a SQL page. It listens on 127.0.0.1 (this machine only)
unless --host says otherwise; any other address needs --token (or
$LINKINDEX_TOKEN), checked on every request. A rebuilt index is picked up
without a restart."""
EXAMPLES = examples(
    "linkindex serve --data idx",
    "linkindex serve --data idx --host 0.0.0.0 --port 8080 --token \"$(openssl rand -hex 16)\"",
)


def add_arguments(parser):
    add_data(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument(
        "--token",
        default=os.environ.get("LINKINDEX_TOKEN"),
        help="secret every request must carry; needed for any host but loopback (default: $LINKINDEX_TOKEN)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="SECONDS", help="longest a query may run (default: %(default)s)"
    )
    parser.add_argument(
        "--max-rows", type=positive_int, default=1000, help="rows shown of a query on the SQL page (default: %(default)s)"
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by every connection: without it, the second request on a kept-alive
    # connection waits for the client's delayed ACK (40 ms) before its answer goes out.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(args, console: Console) -> int:
    try:
        import uvicorn

        from linkindex.web.app import Settings, create_app, local_hosts, loopback
    except ImportError as exc:
        error(f"the web interface needs its extra packages ({exc.name} is missing): pip install 'linkindex[web]'")
        return EXIT_USAGE
    from linkindex.index import IndexBuildError

    local = loopback(args.host)
    if not local and not args.token:
        error(
            f"refusing to serve on {args.host} without a token: anyone who can reach it would read the index. "
            f"Give --token (or $LINKINDEX_TOKEN), e.g. --token {secrets.token_urlsafe(24)}"
        )
        return EXIT_USAGE
    if args.time_limit <= 0:
        error("--time-limit must be positive")
        return EXIT_USAGE
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        error(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_USAGE
    port = sock.getsockname()[1]
    settings = Settings(
        data_dir=args.data,
        token=args.token or None,
        allowed_hosts=local_hosts(port) if local else frozenset(),
        time_limit=args.time_limit,
        max_rows=args.max_rows,
    )
    try:
        app = create_app(settings)
    except IndexBuildError as exc:
        sock.close()
        error(f"{exc}")
        return EXIT_USAGE

    shown_host = args.host if local else socket.gethostname()
    if ":" in shown_host:
        shown_host = f"[{shown_host.strip('[]')}]"
    url = f"http://{shown_host}:{port}/"
    if settings.token:
        url += f"?token={settings.token}"
    console.print(f"Serving {escape(os.path.join(args.data, 'index.duckdb'))} at {escape(url)}", soft_wrap=True)
    if local:
        console.print("[dim]Listening on loopback: only this machine can connect (--host and --token to share).[/]")
    else:
        console.print(f"[yellow]Listening on {escape(args.host)}: every request must carry the token.[/]")
    console.print("[dim]Ctrl-C stops.[/]")
    sys.stdout.flush()

    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.index.close()
    return EXIT_OK
