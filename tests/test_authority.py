"""PageRank and the authority scale, checked against networkx's independent implementation of the same algorithm."""

import duckdb
import networkx as nx
import numpy as np
import pytest

from linkindex.authority import DAMPING, Graph, pagerank, rank_graph


def networkx_ranks(nodes, edges) -> dict:
    """networkx.pagerank with the documented rules: equal split, uniform teleport and dangling spread."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((u, v) for u, v in edges if u != v)
    # networkx stops at an L1 change below len(graph) * tol: converge far past our 1e-10.
    return nx.pagerank(graph, alpha=DAMPING, tol=1e-15, max_iter=10_000)


def random_graph(seed: int, nodes: int, edges: int) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    # Power-law targets, so some nodes get most links and many get none.
    src = rng.integers(0, nodes, edges)
    dst = (nodes * rng.random(edges) ** 3).astype(int)
    return list(zip(src.tolist(), dst.tolist()))


@pytest.mark.parametrize("seed, nodes, edges", [(1, 5, 6), (2, 40, 120), (3, 300, 2000), (4, 1000, 3000)])
def test_pagerank_matches_networkx(seed, nodes, edges):
    pairs = random_graph(seed, nodes, edges)
    src, dst = np.array(pairs).T
    ranks, distinct, iterations, change = pagerank(nodes, src, dst)
    expected = networkx_ranks(range(nodes), pairs)
    assert distinct == len({(u, v) for u, v in pairs if u != v})
    assert change < 1e-10 and iterations > 1
    assert max(abs(ranks[i] - expected[i]) for i in range(nodes)) < 1e-9
    assert ranks.sum() == pytest.approx(1.0, abs=1e-12)


def test_dangling_rank_spreads_uniformly_and_repeats_count_once():
    # a -> b twice, b -> c, c dangling, d isolated, e -> e (a self-link, left out: e is dangling)
    pairs = [(0, 1), (0, 1), (1, 2), (4, 4)]
    src, dst = np.array(pairs).T
    ranks, distinct, _, _ = pagerank(5, src, dst)
    assert distinct == 2
    expected = networkx_ranks(range(5), pairs)
    assert max(abs(ranks[i] - expected[i]) for i in range(5)) < 1e-9
    assert ranks[3] == ranks[4] == ranks[0]  # nothing links to a, d or e
    assert ranks[2] > ranks[1] > ranks[0]


def test_a_graph_without_edges_ranks_every_node_equally():
    ranks, distinct, _, _ = pagerank(4, np.array([], int), np.array([], int))
    assert distinct == 0
    assert ranks.tolist() == [0.25] * 4


def test_rank_graph_numbers_nodes_in_duckdb_and_writes_the_ranks():
    pairs = random_graph(5, 200, 900)
    names = [f"site{i}.example" for i in range(200)]
    con = duckdb.connect()
    con.execute("create table links (src varchar, dst varchar, followed boolean, src_label varchar, dst_label varchar)")
    con.executemany(
        "insert into links values (?, ?, true, ?, ?)",
        [(names[u], names[v], f"d{u % 7}", f"d{v % 7}") for u, v in pairs],
    )
    # A node with a nofollow link only (a node, no edge), and one with a link to itself only.
    con.execute("insert into links values ('lonely.example', 'site0.example', false, 'x', 'd0')")
    con.execute("insert into links values ('self.example', 'self.example', true, 'y', 'y')")
    ranking = rank_graph(con, Graph("ranks", "select * from links", labelled=True))
    got = {
        row[0]: row[1:] for row in con.execute("select node, label, pagerank, inbound, outbound from ranks").fetchall()
    }
    nodes = {names[u] for pair in pairs for u in pair} | {"lonely.example", "self.example"}
    edges = {(names[u], names[v]) for u, v in pairs if u != v}
    expected = networkx_ranks(nodes, edges)
    assert ranking.nodes == len(nodes) == len(got)
    assert ranking.edges == len(edges)
    assert max(abs(got[node][1] - expected[node]) for node in nodes) < 1e-9
    for node in nodes:
        assert got[node][2] == len({u for u, v in edges if v == node})
        assert got[node][3] == len({v for u, v in edges if u == node})
    assert got["lonely.example"][0] == "x" and got["site3.example"][0] == "d3"
    # The working tables are gone.
    assert con.execute("select count(*) from duckdb_tables() where table_name like '_rank%'").fetchall() == [(0,)]


def test_rank_graph_numbers_by_value_when_two_nodes_share_a_hash(monkeypatch):
    import linkindex.authority as module

    # Every node hashed alike: the hash cannot number them, the values must.
    monkeypatch.setattr(
        module, "NODES_BY_HASH", module.NODES_BY_HASH.replace("hash(node) as node_hash", "0::ubigint as node_hash")
    )
    con = duckdb.connect()
    con.execute(
        "create table links as select *, true as followed "
        "from (values ('a', 'b'), ('b', 'c'), ('c', 'a'), ('a', 'c')) v(src, dst)"
    )
    for materialize in (False, True):
        rank_graph(con, Graph("ranks", "select * from links", materialize=materialize))
        got = dict(con.execute("select node, pagerank from ranks").fetchall())
        expected = networkx_ranks("abc", [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")])
        assert max(abs(got[node] - expected[node]) for node in "abc") < 1e-9
    got = dict(con.execute("select node, pagerank from ranks").fetchall())
    assert max(abs(got[node] - expected[node]) for node in "abc") < 1e-9


def test_rank_graph_is_the_same_to_the_last_bit_whatever_the_edge_order():
    pairs = random_graph(6, 300, 3000)
    results = []
    for order in (pairs, pairs[::-1]):
        con = duckdb.connect()
        con.execute("create table links (src integer, dst integer)")
        con.executemany("insert into links values (?, ?)", order)
        rank_graph(con, Graph("ranks", "select src, dst, true as followed from links"))
        results.append(con.execute("select node, pagerank from ranks").fetchall())
    assert results[0] == results[1]


def test_an_empty_graph_ranks_nothing():
    con = duckdb.connect()
    con.execute("create table links (src varchar, dst varchar, followed boolean)")
    ranking = rank_graph(con, Graph("ranks", "select * from links"))
    assert (ranking.nodes, ranking.edges) == (0, 0)
    assert con.execute("select count(*) from ranks").fetchall() == [(0,)]


def test_duckdb_gives_the_ranking_the_memory_its_matrix_holds_and_gets_it_back(tmp_path):
    from linkindex.authority import memory_lent_by

    con = duckdb.connect(config={"memory_limit": "1GiB", "temp_directory": str(tmp_path)})

    def limit() -> str:
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]

    with memory_lent_by(con, 256 * 2**20):
        assert limit() == "768.0 MiB"
        # never below a quarter of the limit, however large the matrix
        with memory_lent_by(con, 100 * 2**30):
            assert limit() == "192.0 MiB"
        assert limit() == "768.0 MiB"
    assert limit() == "1.0 GiB"
    # and back even when the ranking fails
    with pytest.raises(ZeroDivisionError), memory_lent_by(con, 2**20):
        1 / 0
    assert limit() == "1.0 GiB"
