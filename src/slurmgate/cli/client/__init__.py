"""The client subcommands of ``slurmgate``: submit, jobs, show, watch, logs, cancel, hold,
release, nodes, partitions, history, spoken to any slurmrestd-compatible server.

The version of the API spoken is chosen from the server's own OpenAPI document (discovery.py),
and the records of both API families, v0.0.36-38 and the data_parser's v0.0.40 and later, are
read by the same tolerant readers (records.py).
"""
