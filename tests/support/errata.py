"""Where the official documents are wrong about what their daemons print, and why.

Clients were written against the daemons, so slurmgate prints what the daemons print; every
place where that differs from a version's official document is listed here (docs/api.md says
the same for people). A difference between slurmgate's generated document and the official
one that no entry covers fails tests/api/test_documents.py; an entry that covers nothing
fails it too.
"""

from __future__ import annotations

from tests.support.documents import Erratum

_OLD = "v0.0.3[678]"
_DB = "dbv0.0.3[678]"

ERRATA: tuple[Erratum, ...] = (
    # -- v0.0.36 - v0.0.38 (slurmrestd 22.05) --------------------------------------------------
    Erratum(
        "v0.0.3[67]",
        "* response $.jobs[].*",
        "type",
        "the daemon prints job ids, times, counts and limits as numbers (null when unset); "
        "the document declares strings",
    ),
    Erratum(
        "v0.0.38",
        "* response $.jobs[].*",
        "type",
        "the daemon prints core_spec, thread_spec, cores_per_socket, cpus_per_task and the "
        "CPU frequencies as numbers (null when unset); the document declares strings",
    ),
    Erratum(
        _OLD,
        "* response $.*",
        "nullable",
        "the daemon prints null for unset values (NO_VAL, an unnamed user); the document "
        "does not say so",
    ),
    Erratum(
        _OLD,
        "* response $.meta",
        "extra",
        "every answer carries meta (plugin and Slurm release); v0.0.36/37's documents omit it",
    ),
    Erratum(
        "v0.0.38",
        "* response $.meta.Slurm.version.*",
        "type",
        "the daemon prints the release's numbers as numbers; the document declares strings",
    ),
    Erratum(
        _OLD,
        "* response $.errors[].*",
        "extra",
        "slurmgate's error entries carry every key the clients of any version look for "
        "(errno, error_number, description, source)",
    ),
    Erratum(
        _OLD,
        "* response $.warnings",
        "extra",
        "slurmgate names what it accepted but ignored in warnings, as v0.0.39 and later do",
    ),
    Erratum(
        _OLD,
        "[PD][OE]* /slurm/*/job/{job_id} response $",
        "extra",
        "the daemon answers an update or a signal with meta and errors; the document "
        "declares no body",
    ),
    Erratum(
        _OLD,
        "* response $.jobs[].*",
        "extra",
        "the daemon prints tasks_per_node (and from v0.0.38 group_name and prefer), which the "
        "document does not declare",
    ),
    Erratum(
        "v0.0.3[67]",
        "* response $.jobs[].job_resources.allocated_nodes",
        "type",
        "the daemon prints the allocated nodes keyed by their index; the document declares a list",
    ),
    Erratum(
        "v0.0.38",
        "* response $.jobs[].job_resources.*",
        "*",
        "the daemon prints allocated_cores (with CR_Core or CR_Socket), and for each node "
        "nodename, cpus_used, memory_used, memory_allocated and sockets keyed by id; the "
        "document declares memory, cpus and a cores object",
    ),
    Erratum(
        "v0.0.36",
        "* response $.partitions[].preemption_mode",
        "type",
        "the daemon prints a list of modes; the document declares a string",
    ),
    Erratum(
        "v0.0.3[78]",
        "* response $.partitions[].min*nodes*per*job",
        "*",
        'the daemon prints the key as "min nodes per job", with spaces',
    ),
    Erratum(
        "v0.0.3[78]",
        "* response $.nodes[].*",
        "extra",
        "the daemon prints comment, extra and last_busy, which the document does not declare",
    ),
    Erratum(
        _OLD,
        "* response $.statistics.bf_last_depth*",
        "missing",
        "declared by the document, never printed by the daemon",
    ),
    # -- dbv0.0.36 - dbv0.0.38 (slurmrestd 22.05's slurmdb plugins) ---------------------------
    Erratum(
        _DB,
        "* response $.*",
        "nullable",
        "the plugins print null for unset numbers (NO_VAL, INFINITE) and strings never set; "
        "the documents do not say so",
    ),
    Erratum(
        _DB,
        "* response $.meta",
        "extra",
        "every answer carries meta (plugin and Slurm release); dbv0.0.36/37's documents omit it",
    ),
    Erratum(
        "dbv0.0.38",
        "* response $.meta.Slurm.version.*",
        "type",
        "the daemon prints the release's numbers as numbers; the document declares strings",
    ),
    Erratum(
        _DB,
        "* response $.errors??.*",
        "extra",
        "slurmgate's error entries carry every key the clients of any version look for "
        "(errno, error_number, description, source); the daemon prints error_number, "
        "description and source too",
    ),
    Erratum(
        _DB,
        "* response $.associations??.usage.*",
        "missing",
        "slurmdbd sends no usage: the plugin prints usage as null",
    ),
    Erratum(
        _DB,
        "* $.[QT][OR][SE]*",
        "extra",
        "the plugins list QOS and TRES under QOS and TRES, in what they print and read",
    ),
    Erratum(
        _DB,
        "* $.[qt][or][se]*",
        "missing",
        "the plugins list QOS and TRES under QOS and TRES; the documents declare qos and tres",
    ),
    Erratum(
        "dbv0.0.38",
        "* $.associations??.QOS",
        "missing",
        "the plugin prints and reads an association's QOS under qos; the document declares QOS",
    ),
    Erratum(
        "dbv0.0.38",
        "* $.associations??.qos",
        "extra",
        "the plugin prints and reads an association's QOS under qos; the document declares QOS",
    ),
    Erratum(
        _DB,
        "* $.associations??.max.*",
        "extra",
        "the plugins print every limit of an association (the group's running, accruing and "
        "submitted jobs from dbv0.0.36; from dbv0.0.37 its users' own and the group's TRES "
        "minutes); the documents declare some",
    ),
    Erratum(
        "dbv0.0.3[78]",
        "* $.associations??.is_default",
        "extra",
        "the plugins print whether the association is its user's default (1 or 0)",
    ),
    Erratum(
        _DB,
        "* response $.jobs??.allocation_nodes",
        "type",
        "the plugins print the node count as a number; the documents declare a string",
    ),
    Erratum(
        "dbv0.0.3[67]",
        "* response $.jobs??.het.*",
        "type",
        "the plugins print the heterogeneous job's id and offset as numbers; the documents "
        "declare objects",
    ),
    Erratum(
        "dbv0.0.38",
        "* response $.jobs??.steps??.task",
        "type",
        "the plugin prints an object holding the task distribution; the document declares a string",
    ),
    Erratum(
        _DB,
        "* response $.jobs??.steps??.nodes.list",
        "extra",
        "the plugins print a step's nodes one by one, which the documents do not declare",
    ),
    Erratum(
        _DB,
        "* response $.jobs??.steps??.tres.*.m[ai][xn]??.*",
        "extra",
        "the plugins print the node and task where a step's highest and lowest use of each "
        "TRES was seen; the documents do not declare them",
    ),
    Erratum(
        _DB,
        "GET /slurmdb/*/cluster* response $*",
        "*",
        "the plugins list the clusters under clusters, beside meta and errors; the documents "
        "declare a cluster record alone",
    ),
    Erratum(
        _DB,
        "GET /slurmdb/*/config response $.*",
        "extra",
        "the plugins dump the clusters and TRES too, and every record as its own listing "
        "prints it; the documents declare some",
    ),
    Erratum(
        "dbv0.0.36",
        "GET /slurmdb/*/diag response $*",
        "*",
        "the plugin prints the statistics under statistics, beside meta and errors; the "
        "document declares them at the top",
    ),
    Erratum(
        "dbv0.0.3[78]",
        "* response $.statistics.rollups??.total_cycles",
        "extra",
        "the plugins print how many rollups ran; the documents do not declare it",
    ),
    Erratum(
        "dbv0.0.3[67]",
        "* response $.users??.associations",
        "type",
        "the plugins list a user's associations; the documents declare one root association",
    ),
    Erratum(
        _DB,
        "DELETE /slurmdb/* response $.*ed_*",
        "extra",
        "the plugins name what a removal removed (removed_associations, removed_users, "
        "removed_qos, deleted_wckeys, deleted_clusters); the documents do not declare it",
    ),
    Erratum(
        "dbv0.0.38",
        "* $.wckeys??.accounting",
        "missing",
        "the plugin prints and reads the wckey's accounting under accounts (empty: slurmdbd "
        "sends none with a wckey), as dbv0.0.36/37 declare; this document names it accounting",
    ),
    Erratum(
        "dbv0.0.38",
        "* $.wckeys??.accounts",
        "extra",
        "the plugin prints the wckey's accounting under accounts, as dbv0.0.36/37 declare",
    ),
    Erratum(
        "dbv0.0.3[67]",
        "POST /slurmdb/* request $",
        "extra",
        "the plugins read a body (the records they print, listed under the key they print "
        "them with); dbv0.0.36/37's documents declare none",
    ),
    Erratum(
        "dbv0.0.38",
        "POST /slurmdb/* request $*",
        "*",
        "the plugin reads the records it prints, each list under the key it prints it "
        "(accounts, users, QOS, TRES, clusters, wckeys, associations); the document declares "
        "other nestings (a list of lists of accounts, of TRES; clusters as one object)",
    ),
    # -- v0.0.40 - v0.0.45: nodes, partitions, reservations, ... (slurmrestd 24.11, 26.05) -----
    Erratum(
        "v0.0.4[0-4]",
        "* response $.reservations[].watts.*",
        "missing",
        "the daemon prints watts, removed in Slurm 24.05, as an empty object; the document "
        "declares a no-value number",
    ),
    # -- v0.0.40 and later (data_parser) -----------------------------------------------------
    Erratum(
        "v0.0.4[1-5]",
        "* response $.jobs[].job_resources",
        "nullable",
        "the daemon prints null for a job that holds no resources; the document does not say so",
    ),
    Erratum(
        "v0.0.4[0-5]",
        "GET /slurm/*/jobs/state response $.*",
        "*",
        "the daemon prints each job's id (as text: 12, 12_3 for an array task, 12+1 for a "
        "heterogeneous component) and its state, and no listing times; the document declares "
        "the job records and times of GET jobs",
    ),
    Erratum(
        "v0.0.4[1-5]",
        "POST /slurm/*/job/{job_id} response $.results",
        "nullable",
        "the daemon prints null for the results of an update that reached no array task "
        "(slurmctld answers it with a return code alone); the document does not say so",
    ),
    # -- v0.0.40 and later's /slurmdb/ (slurmrestd 24.11, 26.05) ---------------------------
    Erratum(
        "v0.0.40",
        "GET /slurmdb/*/diag response $.statistics.rollups[].last*",
        "*",
        "slurmrestd 24.11 prints each rollup's last_run and last_cycle; its document declares "
        'one key, "last run", with a space',
    ),
)
