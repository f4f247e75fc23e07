"""correlate's heavy stages on Spark (EMR), with the answers of the embedded DuckDB path.

`spark ingest` runs correlate's own framing, tokenizer and typing SQL inside the executors
(`ingest.py`: each task loads its share of the log objects into an in-memory DuckDB with the same
library call as `ingest logs`); `spark minutes` runs the view SQL of `sql/`, translated by
`translate.py`, over the lake's requests (`minutes.py`). `session.py` starts Spark; `lake.py`
writes DataFrames into the lake layout of `correlate.lake.layout`. Install with
`pip install 'correlate[spark]'`; docs/spark.md shows the EMR submission.
"""
