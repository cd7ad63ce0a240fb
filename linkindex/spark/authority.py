"""PageRank as an iterative Spark DataFrame job, for link graphs that do not fit one machine.

The algorithm is the index's documented one (see ``docs/tables.md``,
authority), step for step:

- the nodes are every value at either end of a link row (``src``, ``dst``);
- an edge u -> v exists when some row from u to v is followed; repeated
  edges count once, an edge from a node to itself is left out;
- every node splits its rank equally among the distinct nodes it links to;
- damping 0.85: each step keeps 85 % of the rank flowing along edges and
  spreads 15 % uniformly over all nodes; the rank of nodes without outgoing
  edges (dangling) is spread uniformly over all nodes;
- start from the uniform vector, iterate until the L1 change of a step is
  below 1e-10; the result is divided by its sum, so it sums to 1.

Each step is one Spark job over the edges (a join and a sum per target
node), its result cut from the lineage (``localCheckpoint``) so the plan does
not grow with the steps; the step's L1 change and the rank held by dangling
nodes are observed in the same job and come back to the driver, which
decides whether to stop. The node
values are numbered once (``monotonically_increasing_id``), so the
iteration joins integers, not URLs.
"""

DAMPING = 0.85
#: The iteration stops once the L1 norm of a step's change is below this.
TOLERANCE = 1e-10
#: A bound a real graph never reaches (it converges as 0.85^k: about 150 steps).
MAX_ITERATIONS = 1000


class AuthorityError(Exception):
    """The graph cannot be ranked (the message says why)."""


#: Session settings while ranking: plans fixed once (a step's plan is the same every time, adaptive
#: re-planning only costs), and no broadcast joins (a graph worth Spark does not fit one executor).
ITERATION_SETTINGS = {"spark.sql.adaptive.enabled": "false", "spark.sql.autoBroadcastJoinThreshold": "-1"}


def rank(links, labelled: bool = False, damping: float = DAMPING, tolerance: float = TOLERANCE,
         max_iterations: int = MAX_ITERATIONS, log=None):
    """The PageRank of the graph of ``links`` (a DataFrame of ``src``, ``dst``, ``followed``, and with
    ``labelled`` ``src_label`` and ``dst_label``).

    Returns a DataFrame of ``node``, ``label`` (with ``labelled``),
    ``pagerank`` (double, summing to 1), ``inbound`` and ``outbound`` (the
    distinct other nodes with an edge to the node, and that it has an edge to),
    and the number of steps taken.
    """
    spark = links.sparkSession
    before = {key: spark.conf.get(key, None) for key in ITERATION_SETTINGS}
    for key, value in ITERATION_SETTINGS.items():
        spark.conf.set(key, value)
    try:
        return _rank(spark, links, labelled, damping, tolerance, max_iterations, log)
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _rank(spark, links, labelled, damping, tolerance, max_iterations, log):
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    if labelled:
        ends = links.select(F.col("src").alias("node"), F.col("src_label").alias("label")).unionByName(
            links.select(F.col("dst").alias("node"), F.col("dst_label").alias("label"))
        )
        # A node's label from any row that has one, as DuckDB's any_value (which skips nulls).
        label = F.any_value("label", ignoreNulls=True).alias("label")
        nodes = ends.where(F.col("node").isNotNull()).groupBy("node").agg(label)
    else:
        ends = links.select(F.col("src").alias("node")).unionByName(links.select(F.col("dst").alias("node")))
        nodes = ends.where(F.col("node").isNotNull()).distinct()
    # Numbered once and kept: monotonically_increasing_id depends on the partitioning it runs on.
    nodes = nodes.withColumn("id", F.monotonically_increasing_id()).localCheckpoint()
    n = nodes.count()
    if n == 0:
        label_column = "label string, " if labelled else ""
        columns = f"node string, {label_column}pagerank double, inbound bigint, outbound bigint"
        return spark.createDataFrame([], columns), 0

    source = nodes.select(F.col("node").alias("src"), F.col("id").alias("src_id"))
    target = nodes.select(F.col("node").alias("dst"), F.col("id").alias("dst_id"))
    edges = (
        links.where(F.col("followed"))
        .join(source, "src")
        .join(target, "dst")
        .where(F.col("src_id") != F.col("dst_id"))
        .select("src_id", "dst_id")
        .distinct()
        .localCheckpoint()
    )
    outbound = edges.groupBy("src_id").agg(F.count("*").alias("outbound"))
    inbound = edges.groupBy("dst_id").agg(F.count("*").alias("inbound"))
    weighted = (
        edges.join(outbound, "src_id")
        .select("src_id", "dst_id", (F.lit(1.0) / F.col("outbound")).alias("share"))
        .localCheckpoint()
    )
    state = (
        nodes.select("id")
        .join(outbound.withColumnRenamed("src_id", "id"), "id", "left")
        .select("id", F.col("outbound").isNull().alias("dangling"), F.lit(1.0 / n).alias("rank"))
        .localCheckpoint()
    )
    dangling_rank = state.where("dangling").agg(F.sum("rank")).first()[0] or 0.0

    steps, change = 0, float("inf")
    while steps < max_iterations:
        steps += 1
        spread = (damping * dangling_rank + (1.0 - damping)) / n
        # Each node's inflow summed smallest share first, not in the order the rows arrive: nodes that
        # receive the same shares get bit-for-bit the same rank (two pages in the same place of the graph
        # rank equal, as on one machine), and a build ranks the same to the last bit every time.
        flow = (
            state.join(weighted, state["id"] == weighted["src_id"])
            .groupBy("dst_id")
            .agg(
                F.array_sort(F.collect_list(F.struct((F.col("rank") * F.col("share")).alias("part"), "src_id")))
                .alias("parts")
            )
            .select("dst_id", F.aggregate("parts", F.lit(0.0), lambda total, p: total + p["part"]).alias("flow"))
        )
        # The step's L1 change and the rank now held by dangling nodes, observed as the step is
        # computed: one Spark job per step.
        observed = Observation(f"pagerank-step-{steps}")
        state = (
            state.join(flow, state["id"] == flow["dst_id"], "left")
            .select(
                "id",
                "dangling",
                F.col("rank").alias("previous"),
                (F.coalesce(F.col("flow"), F.lit(0.0)) * damping + spread).alias("rank"),
            )
            .observe(
                observed,
                F.sum(F.abs(F.col("rank") - F.col("previous"))).alias("change"),
                F.sum(F.when(F.col("dangling"), F.col("rank")).otherwise(0.0)).alias("dangling"),
            )
            .select("id", "dangling", "rank")
            .localCheckpoint()
        )
        change, dangling_rank = observed.get["change"], observed.get["dangling"]
        if log is not None and steps % 10 == 0:
            log(f"  PageRank step {steps}: L1 change {change:.3g}")
        if change < tolerance:
            break
    else:
        raise AuthorityError(f"PageRank did not converge in {max_iterations} steps (last change {change:.3g})")

    total = state.agg(F.sum("rank")).first()[0]
    ranked = (
        nodes.join(state, "id")
        .join(inbound.withColumnRenamed("dst_id", "id"), "id", "left")
        .join(outbound.withColumnRenamed("src_id", "id"), "id", "left")
        .select(
            "node",
            *(["label"] if labelled else []),
            (F.col("rank") / F.lit(total)).alias("pagerank"),
            F.coalesce(F.col("inbound"), F.lit(0)).cast("bigint").alias("inbound"),
            F.coalesce(F.col("outbound"), F.lit(0)).cast("bigint").alias("outbound"),
        )
    )
    return ranked, steps
