"""PageRank over the link graph, by a fixed and documented algorithm anyone can reproduce.

The graph comes from a DuckDB connection as two queries: the nodes (one
column ``node``) and the edges (columns ``src`` and ``dst``). DuckDB numbers
the nodes (0..n-1, in node order, so the result does not depend on the order
rows arrive in) and hands the distinct edges over as integer arrays; the
iteration is a sparse matrix-vector product (scipy.sparse), never a Python
loop over edges.

The algorithm (``pagerank``):

- every node splits its rank equally among the distinct nodes it links to;
  an edge from a node to itself is left out, and so is an edge whose ends
  are not among the nodes;
- damping 0.85: each step keeps 85 % of the rank flowing along edges and
  spreads 15 % uniformly over all nodes;
- the rank of nodes without outgoing edges (dangling nodes) is spread
  uniformly over all nodes;
- start from the uniform vector and iterate until the L1 change of a step is
  below 1e-10; the result sums to 1.

This is PageRank as in Brin and Page, and what ``networkx.pagerank`` computes
on an unweighted graph with its default dangling rule.

The two graphs of the index (``domain_graph``, ``page_graph``) are built
from ``current_links``, the latest fetch of every page across all crawls;
``queries/domain_authority.sql`` and ``queries/page_authority.sql`` put their
ranks on the 0-100 authority scale: ``100 * ln(p / p0) / ln(max / p0)``, one
decimal, where p0 is the smallest rank (that of a node nothing links to).
"""

from contextlib import contextmanager
from dataclasses import dataclass
import time

import duckdb
import numpy as np
import pyarrow as pa

DAMPING = 0.85
#: The iteration stops once the L1 norm of a step's change is below this.
TOLERANCE = 1e-10
#: A bound that the iteration never reaches on a real graph (it converges as
#: 0.85^k: about 150 steps), so a bug cannot loop forever.
MAX_ITERATIONS = 1000


class AuthorityError(Exception):
    """The graph cannot be ranked (the message says why)."""


@dataclass(frozen=True)
class Graph:
    """A graph as one query over a DuckDB connection, and where its ranks go.

    ``links`` returns ``src`` and ``dst`` (the nodes at both ends: every node
    of the graph is in some row) and ``followed`` (whether the row is an edge
    src -> dst); with ``labelled``, also ``src_label`` and ``dst_label`` (a
    property of each node, such as its domain). Repeated rows are fine: each
    distinct pair is one edge; a row from a node to itself makes it a node,
    not an edge. The query is read three times (two for the nodes, one for
    the edges); with ``materialize``, once into a temporary table, for a
    query that costs more to run than to keep.

    The ranks go to the temporary table ``table``: ``node``, ``label`` (with
    ``labelled``), ``pagerank`` (double), ``inbound`` and ``outbound`` (the
    distinct other nodes with an edge to it, and that it has an edge to).
    """

    table: str
    links: str
    labelled: bool = False
    materialize: bool = False


def domain_graph(current_links: str = "current_links") -> Graph:
    """Registered domains: every src_domain and dst_domain of the current link graph (internal and nofollow
    links included), linked u -> v when u has a followed link (neither rel nor page-level nofollow) to
    another domain v. ``current_links`` names the relation to read (a copy of the view, say)."""
    return Graph(
        "_domain_pagerank",
        "select src_domain as src, dst_domain as dst, "
        "bool_or(not internal and nofollow_occurrences < occurrences) as followed "
        f"from {current_links} group by src_domain, dst_domain",
        # Few rows (distinct pairs of domains), each the result of an aggregate.
        materialize=True,
    )


def page_graph(current_links: str = "current_links") -> Graph:
    """URLs: every src_url and dst_url of the current link graph, linked when the page has a followed link to
    the URL (internal links count), labelled with their registered domains."""
    return Graph(
        "_page_pagerank",
        "select src_url as src, dst_url as dst, nofollow_occurrences < occurrences as followed, "
        f"src_domain as src_label, dst_domain as dst_label from {current_links}",
        labelled=True,
    )


@dataclass(frozen=True)
class Ranking:
    """What ranking one graph took."""

    table: str
    nodes: int
    edges: int
    iterations: int
    change: float  # L1 change of the last step
    seconds_numbering: float  # DuckDB: node ids, distinct edges as integer arrays
    seconds_iterating: float  # the matrix and the power iteration
    seconds_writing: float  # ranks back into DuckDB


def link_matrix(n: int, src: np.ndarray, dst: np.ndarray):
    """The n x n CSR matrix with a 1 at (dst, src) for each distinct edge src -> dst, self-loops left out.

    In canonical form (each row's columns sorted, no repeats), whatever order
    the edges come in: sums over a row always run in the same order, so the
    ranks are the same to the last bit from one build to the next. One sort
    of the edges as 64-bit keys (dst, src) puts them in that order, and
    finds the repeats.
    """
    keys = np.asarray(dst, dtype=np.int64) * n + np.asarray(src, dtype=np.int64)
    keys = keys[np.asarray(src) != np.asarray(dst)]
    return keys_matrix(n, [keys])


def keys_matrix(n: int, held: list[np.ndarray]):
    """``link_matrix`` from the edges as keys dst * n + src, without self-loops.

    The keys come in a one-element list, which this empties: the caller
    holds no reference to them, so they are sorted in place and freed as
    soon as the matrix's columns exist. At 100M links the edges are the
    largest thing in Python memory, and one copy of them is held at a time.
    """
    from scipy import sparse

    keys = held.pop()
    keys.sort()
    if len(keys) > 1:
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        if not first.all():
            keys = keys[first]
        del first
    # Row v holds the nodes linking to v (rank flows from src to dst): its keys are v * n + src.
    indptr = np.searchsorted(keys, np.arange(n + 1, dtype=np.int64) * n)
    index_type = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    columns = np.empty(len(keys), dtype=index_type)
    np.remainder(keys, n, out=columns, casting="unsafe")
    del keys
    return sparse.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(n, n))


def pagerank(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    damping: float = DAMPING,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> tuple[np.ndarray, int, int, float]:
    """PageRank of the graph of ``n`` nodes and edges ``src[i] -> dst[i]`` (node numbers 0..n-1).

    Repeated edges count once and self-loops are left out. Returns (ranks,
    distinct edges, iterations, L1 change of the last step).
    """
    if n == 0:
        return np.zeros(0), 0, 0, 0.0
    matrix = link_matrix(n, np.asarray(src), np.asarray(dst))
    ranks, iterations, change = iterate(matrix, damping, tolerance, max_iterations)
    return ranks, matrix.nnz, iterations, change


def iterate(
    matrix, damping: float = DAMPING, tolerance: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS
) -> tuple[np.ndarray, int, float]:
    """The power iteration over a ``link_matrix``; (ranks, iterations, L1 change of the last step)."""
    n = matrix.shape[0]
    out_degree = np.bincount(matrix.indices, minlength=n)
    dangling = out_degree == 0
    share = np.divide(1.0, out_degree, out=np.zeros(n), where=~dangling)
    dangling_nodes = np.flatnonzero(dangling)

    x = np.full(n, 1.0 / n)
    change = np.inf
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        spread = (damping * x[dangling_nodes].sum() + (1.0 - damping)) / n
        following = matrix @ (x * share)
        following *= damping
        following += spread
        change = float(np.abs(following - x).sum())
        x = following
        if change < tolerance:
            break
    else:
        raise AuthorityError(f"PageRank did not converge in {max_iterations} steps (last change {change:.3g})")
    return x / x.sum(), iterations, change


# Nodes are numbered in the order of a 64-bit hash of their value, and edges
# find their ends by that hash: grouping and joining on integers is about
# twice as fast as on URLs, and the edges are read as pairs of integers. Two
# nodes sharing a hash (about one chance in 40 at a billion nodes) show as two
# values of a second, independent hash within one group; numbering then falls
# back to the node values themselves.
MATERIALIZE_LINKS = "create or replace temp table _rank_links as {links}"

NODE_ROWS = """
select src as node{src_label} from ({links})
union all
select dst{dst_label} from ({links})
"""

NODES_BY_HASH = """
create or replace temp table _rank_nodes as
select node_hash, any_value(node) as node, min(check_hash) <> max(check_hash) as shared, {label} as label
from (select hash(node) as node_hash, hash(node, 'check') as check_hash, * from ({rows}) where node is not null)
group by node_hash
"""

HASHES_UNIQUE = "select not coalesce(bool_or(shared), false) from _rank_nodes"

NODES_BY_VALUE = """
create or replace temp table _rank_nodes as
select node, hash(node) as node_hash, {label} as label
from ({rows})
where node is not null
group by node
"""

NUMBER_NODES = """
create or replace temp table _rank_nodes as
select node, label, node_hash, (row_number() over (order by {order}) - 1)::{id_type} as id
from _rank_nodes
"""

# Each edge as one 64-bit key, dst * n + src (the order link_matrix sorts them in): half the memory of two
# id columns read into Python, and no second copy made there to compute it.
NUMBER_EDGES_BY_HASH = """
select target.id::bigint * {n} + source.id as key
from (select hash(src) as src_hash, hash(dst) as dst_hash from ({links}) where followed) as link
join _rank_nodes as source on source.node_hash = link.src_hash
join _rank_nodes as target on target.node_hash = link.dst_hash
where source.id <> target.id
"""

NUMBER_EDGES_BY_VALUE = """
select target.id::bigint * {n} + source.id as key
from (select src, dst from ({links}) where followed) as link
join _rank_nodes as source on source.node = link.src
join _rank_nodes as target on target.node = link.dst
where source.id <> target.id
"""

WRITE_RANKS = """
create or replace temp table {table} as
select _rank_nodes.node,{label} _rank_values.pagerank, _rank_values.inbound, _rank_values.outbound
from _rank_nodes
join _rank_values using (id)
"""


@contextmanager
def memory_lent_by(con, size: int):
    """Lower DuckDB's memory limit by ``size`` bytes while Python holds that much, then put it back.

    A build's ``--memory-limit`` bounds DuckDB; PageRank's edges and matrix
    live in Python memory beside it. From before the edges are read until the
    ranks are computed, DuckDB keeps to what is left (spilling what it holds
    beyond that to its temporary directory), so the two together stay near
    the limit. DuckDB keeps at least a quarter of
    its limit; if it cannot give memory up, the limit is left as it was.
    """
    from linkindex.build import parse_memory_limit
    from linkindex.db import IndexBuildError

    setting = str(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
    try:
        limit = parse_memory_limit(setting)
    except IndexBuildError:
        limit = None
    lowered = False
    if limit:
        try:
            con.execute(f"set memory_limit = '{max(limit - size, limit // 4) // 2**20}MiB'")
            lowered = True
        except duckdb.Error:
            pass
    try:
        yield
    finally:
        if lowered:
            con.execute(f"set memory_limit = '{setting}'")


def rank_graph(con, graph: Graph, damping: float = DAMPING, tolerance: float = TOLERANCE) -> Ranking:
    """Rank ``graph`` on the DuckDB connection ``con``; write the temporary table ``graph.table``."""
    started = time.perf_counter()
    links = graph.links
    if graph.materialize:
        con.execute(MATERIALIZE_LINKS.format(links=links))
        links = "select * from _rank_links"
    rows = NODE_ROWS.format(
        links=links,
        src_label=", src_label as label" if graph.labelled else ", null as label",
        dst_label=", dst_label" if graph.labelled else ", null",
    )
    label = "any_value(label)" if graph.labelled else "null"
    con.execute(NODES_BY_HASH.format(rows=rows, label=label))
    by_hash = con.execute(HASHES_UNIQUE).fetchall()[0][0]
    if not by_hash:
        con.execute(NODES_BY_VALUE.format(rows=rows, label=label))
    n = con.execute("select count(*) from _rank_nodes").fetchall()[0][0]
    id_type = "int32" if n <= np.iinfo(np.int32).max else "int64"
    con.execute(NUMBER_NODES.format(order="node_hash" if by_hash else "node", id_type=id_type))
    number_edges = NUMBER_EDGES_BY_HASH if by_hash else NUMBER_EDGES_BY_VALUE
    # What Python will hold: the edges' keys, then the matrix (a column index and a value per edge) and the
    # vectors of the iteration. DuckDB gives that up before the edges are read, not after.
    followed = con.execute(f"select count(*) from ({links}) where followed").fetchall()[0][0]
    with memory_lent_by(con, 12 * followed + 64 * n):
        held = [np.asarray(con.execute(number_edges.format(links=links, n=max(n, 1))).fetchnumpy()["key"])]
        if graph.materialize:
            con.execute("drop table _rank_links")
        numbered = time.perf_counter()
        if n:
            matrix = keys_matrix(n, held)
            ranks, iterations, change = iterate(matrix, damping, tolerance)
            inbound = np.diff(matrix.indptr).astype(np.int64)  # row v: the nodes linking to v
            outbound = np.bincount(matrix.indices, minlength=n).astype(np.int64)
            edges = matrix.nnz
            del matrix
        else:
            ranks, iterations, change, edges = np.zeros(0), 0, 0.0, 0
            inbound = outbound = np.zeros(0, dtype=np.int64)
        iterated = time.perf_counter()
    ids = pa.array(np.arange(n), pa.int32() if id_type == "int32" else pa.int64())
    values = pa.table({"id": ids, "pagerank": ranks, "inbound": inbound, "outbound": outbound})
    con.register("_rank_values_arrow", values)
    try:
        con.execute("create or replace temp table _rank_values as select * from _rank_values_arrow")
    finally:
        con.unregister("_rank_values_arrow")
    con.execute(WRITE_RANKS.format(table=graph.table, label=" _rank_nodes.label," if graph.labelled else ""))
    con.execute("drop table _rank_values; drop table _rank_nodes")
    written = time.perf_counter()
    return Ranking(
        graph.table, n, edges, iterations, change, numbered - started, iterated - numbered, written - iterated
    )
