"""The application file spark-submit runs: the linkindex command line, inside a Spark driver.

    spark-submit --master URL deploy/spark/linkindex-spark.py build --engine spark --data URI --output URI
    spark-submit --master URL deploy/spark/linkindex-spark.py extract FILES... --engine spark --data DIR

The arguments after this file are linkindex's. Under spark-submit the master
and every Spark setting come from spark-submit; ``--master`` is not needed.
"""

import sys

from linkindex.cli import main

if __name__ == "__main__":
    sys.exit(main())
