"""``GET /metrics``: the cluster from the mirror (``cluster``, slurmctld's names), the
gateway's own counters (``gateway``), in Prometheus' text format (``exposition``)."""
