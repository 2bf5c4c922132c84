"""What may differ between slurmrestd's answers and slurmgate's, and why: all in one place.

``VOLATILE``: values that can change between the two reads of the same thing (the keys and
types are still compared). ``PER_JOB`` and ``PER_JOB_CORES``: what differs between two jobs
submitted with the same request. ``KNOWN``: every other difference, each with its kind:

- ``DAEMON_BUG``: the daemon prints something wrong, and slurmgate does not copy it;
- ``MODEL_GAP``: the daemon prints a value slurmgate's domain model or its slurm backend does
  not hold yet (slurmgate prints the type's unset value); each is work for model and backend;
- ``RELEASE``: the same version prints differently on two Slurm releases (their libslurm or
  slurmctld changed), and slurmgate prints one of them;
- ``INTENTIONAL``: a difference slurmgate makes on purpose.

Anything else is a bug. HTTP statuses are not listed here: every error test asserts slurmgate's
status itself (slurmrestd answers 500, or 200, to many failures). Keys and types must agree
everywhere: slurmgate prints what the daemon prints, where the official document says
otherwise too.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.differential.compare import MISSING, Difference, matches

VOLATILE: tuple[tuple[str, str], ...] = (
    ("$.statistics.req_time*", "the time of the request itself"),
    ("$.statistics.server_thread_count", "threads busy serving RPCs at that moment"),
    ("$.statistics.agent_*", "RPC agents at work at that moment"),
    ("$.statistics.dbd_agent_queue_size", "messages queued for slurmdbd at that moment"),
    ("$.statistics.gettimeofday_latency", "measured anew at every request"),
    ("$.statistics.schedule_cycle_[lmpt]*", "the main scheduler may pass in between"),
    ("$.statistics.schedule_queue_length", "the main scheduler may pass in between"),
    ("$.statistics.jobs_*", "jobs may be submitted, start or end in between"),
    ("$.statistics.bf_[!et]*", "the backfill scheduler may pass in between"),
    ("$.statistics.bf_table_size", "the backfill scheduler may pass in between"),
    ("$.statistics.bf_table_size_mean", "the backfill scheduler may pass in between"),
    ("$.statistics.job_states_ts*", "when slurmctld last counted job states"),
    ("$.statistics.rpcs_by_*[].*", "each read is itself an RPC, counted and timed here"),
    ("$.statistics.pending_rpcs*", "RPCs queued at that moment"),
    ("$.pings[].latency", "measured anew at every request"),
    ("$.nodes[].cpu_load", "sampled by slurmd"),
    ("$.nodes[].free_mem*", "sampled by slurmd"),
    ("$.jobs[].last_sched_evaluation*", "set by every scheduling pass over a pending job"),
    ("$.last_update*", "when each daemon made its listing"),
    ("$.last_backfill*", "the backfill scheduler may pass in between"),
)

#: Two jobs submitted with the same request differ in these (and in VOLATILE), nothing else.
PER_JOB: tuple[tuple[str, str], ...] = (
    ("$.jobs[].job_id", "each job has its own id"),
    ("$.jobs[].step_id.job_id*", "each job has its own id"),
    ("$.jobs[].array_job_id*", "an array's own id"),
    ("$.jobs[].step_id.sluid", "each job has its own id"),
    ("$.jobs[].submit_time*", "submitted one after the other"),
    ("$.jobs[].eligible_time*", "follows submit_time"),
    ("$.jobs[].accrue_time*", "follows submit_time"),
    ("$.jobs[].start_time*", "started by different scheduling passes"),
    ("$.jobs[].end_time*", "start_time plus the time limit"),
    ("$.jobs[].priority*", "priority/basic orders jobs by submission"),
    ("$.jobs[].standard_*", "the paths name the job's id (slurm-%j.out)"),
    ("$.jobs[].std*_expanded", "the paths name the job's id (slurm-%j.out)"),
)

#: Two running jobs hold different sockets and cores of the node.
PER_JOB_CORES: tuple[tuple[str, str], ...] = (
    ("$.jobs[].job_resources.allocated_nodes*.sockets.*", "which sockets each job got"),
    ("$.jobs[].job_resources.allocated_nodes*.cores.*", "which cores each job got"),
    ("$.jobs[].job_resources.nodes.allocation[].sockets*", "which sockets each job got"),
)

DAEMON_BUG = "daemon bug"
MODEL_GAP = "model gap"
RELEASE = "release"
INTENTIONAL = "intentional"


@dataclass(frozen=True)
class Known:
    kind: str
    name: str
    reason: str
    applies: Callable[[Difference], bool]
    #: Globs over the versions and the lab releases where it is seen.
    versions: str = "*"
    releases: str = "*"

    def explains(self, difference: Difference, version: str, release: str) -> bool:
        return (
            fnmatch.fnmatchcase(version, self.versions)
            and fnmatch.fnmatchcase(release, self.releases)
            and self.applies(difference)
        )


def at(*globs: str) -> Callable[[Difference], bool]:
    """Differences at any of these places (globs over ``Difference.pattern``)."""
    return lambda d: any(matches(d.pattern, g) for g in globs)


#: Job flags slurmctld sets and clears during its scheduling passes (data_parser's names).
SCHEDULER_FLAGS = frozenset({"TESTING_BACKFILL", "TOP_PRIORITY_JOB", "ACCRUE_COUNT_CLEARED"})


def unset_here(*globs: str) -> Callable[[Difference], bool]:
    """slurmgate prints the type's unset value (what it prints for what it does not model)."""
    where = at(*globs)
    return lambda d: where(d) and d.gateway in ("", 0, 0.0, [], {}, False, None)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _infinite(value: object) -> bool:
    return isinstance(value, float) and math.isinf(value)


def _placeholder(d: Difference) -> bool:
    """An infinite number object printed as set to 2^64 where slurmgate prints it infinite."""
    if d.pattern.endswith(".set"):
        return d.daemon is True and d.gateway is False
    if d.pattern.endswith(".infinite"):
        return d.daemon is False and d.gateway is True
    return bool(d.daemon == 2.0**64 and d.gateway == 0)


DATA_PARSER = "v0.0.4[0-5]"

KNOWN: tuple[Known, ...] = (
    # -- daemon bugs -----------------------------------------------------------------------
    Known(
        DAEMON_BUG,
        "slurmdb expanded streams",
        "slurmrestd 24.11 joins a job's working directory and a relative stream path without a "
        "slash (/tmp/dirout.txt for out.txt in /tmp/dir); 26.05 and slurmgate put one between",
        lambda d: (
            d.pattern.startswith("$.jobs[].std")
            and d.pattern.endswith("_expanded")
            and isinstance(d.daemon, str)
            and isinstance(d.gateway, str)
            and len(d.gateway) == len(d.daemon) + 1
            and d.gateway.replace("/", "") == d.daemon.replace("/", "")
        ),
        versions="v0.0.4[12]",
        releases="24.11",
    ),
    Known(
        DAEMON_BUG,
        "slurmdb association id",
        "slurmrestd's v0.0.41 and v0.0.42 (24.11, 26.05) print every association's id as 0 in "
        "GET /slurmdb/.../associations; v0.0.43 and later print slurmdbd's id, as slurmgate does",
        lambda d: d.pattern == "$.associations[].id" and d.daemon == 0,
        versions="v0.0.4[12]",
    ),
    Known(
        DAEMON_BUG,
        "cpus_per_task",
        "slurmrestd 22.05 prints cpus_per_task only when the job set --cpu-freq (its check "
        "tests cpu_freq_min); slurmgate prints the job's value",
        lambda d: d.pattern == "$.jobs[].cpus_per_task" and d.daemon is None,
        versions="v0.0.3[678]",
    ),
    Known(
        DAEMON_BUG,
        "v0.0.36 user_name",
        "the v0.0.36 plugin of 22.05 prints an empty user_name for every job; slurmgate names "
        "the owner",
        lambda d: d.pattern == "$.jobs[].user_name" and d.daemon == "" and bool(d.gateway),
        versions="v0.0.36",
    ),
    Known(
        DAEMON_BUG,
        "Infinity",
        "v0.0.40 and v0.0.41 print an infinite double as the bare word Infinity, which is not "
        "JSON (strict parsers refuse the whole answer); slurmgate prints the largest double",
        lambda d: _infinite(d.daemon) and d.gateway == 1.7976931348623157e308,
        versions="v0.0.4[01]",
    ),
    Known(
        DAEMON_BUG,
        "26.05's infinite doubles",
        "26.05 prints an infinite double of a number object (a fair-share level) as set to "
        "2^64 with a warning 'Dumping ... as place holder for Infinity'; slurmgate prints it "
        "infinite, as the object allows and 24.11 prints it",
        lambda d: (
            (
                at("$.shares.shares[].fairshare.*", "$.shares.shares[].*usage*.*")(d)
                and _placeholder(d)
            )
            or (
                d.pattern == "$.warnings[]"
                and isinstance(d.daemon, dict)
                and "place holder for Infinity" in d.daemon.get("description", "")
                and d.gateway is MISSING
            )
        ),
        versions="v0.0.4[2-5]",
        releases="26.05",
    ),
    Known(
        DAEMON_BUG,
        "dbv0.0.36/37 job start",
        "22.05's dbv0.0.36 and dbv0.0.37 print a job's eligible time as its time.start (their "
        "parse table reads the eligible field there); slurmgate prints when it started, as "
        "dbv0.0.38 does",
        at("$.jobs[].time.start"),
        versions="dbv0.0.3[67]",
    ),
    Known(
        DAEMON_BUG,
        "dbv0.0.36-38 exit codes",
        "22.05's slurmdb plugins print every normal exit as SUCCESS with return code 0, "
        "whatever the code; slurmgate prints a non-zero code as ERROR with the code, as the "
        "plugins' branch meant for it does and Slurm 23.11 on print it",
        lambda d: (
            at(
                "$.jobs[].exit_code.*",
                "$.jobs[].derived_exit_code.*",
                "$.jobs[].steps[].exit_code.*",
            )(d)
            and (d.daemon, d.gateway) != ("SUCCESS", "SUCCESS")
            and d.daemon in ("SUCCESS", 0)
        ),
        versions="dbv0.0.3[678]",
    ),
    # -- model gaps ------------------------------------------------------------------------
    Known(
        DAEMON_BUG,
        "dbv0.0.36-38 step governor",
        "22.05's slurmdb plugins read a step's governor slurmdbd holds as not asked (NO_VAL) "
        "as every governor flag set, and list all five; slurmgate lists none",
        lambda d: d.pattern == "$.jobs[].steps[].CPU.governor" and d.gateway == [],
        versions="dbv0.0.3[678]",
    ),
    Known(
        INTENTIONAL,
        "dbv0.0.36-38 nothing found",
        "22.05's slurmdb plugins add slurmdbd's 'Nothing found' (9003) to the errors of an "
        "answer when a list is empty (no wckeys, no job matching; the listing answers 500 "
        "for wckeys); slurmgate answers an empty list with 200 and no error",
        lambda d: (
            d.pattern == "$.errors[]"
            and d.gateway is MISSING
            and isinstance(d.daemon, dict)
            and d.daemon.get("error_number") == 9003
        ),
        versions="dbv0.0.3[678]",
    ),
    Known(
        MODEL_GAP,
        "dbv0.0.36-38 select plugin",
        "the accounting model holds no cluster's select plugin (slurmdbd's plugin_id_select)",
        unset_here("$.clusters[].select_plugin"),
        versions="dbv0.0.3[678]",
    ),
    Known(
        MODEL_GAP,
        "dbv0.0.36-38 job association partition",
        "the slurm backend names a job's partition as its association's; the plugins look the "
        "association up, which names no partition unless it is a partition's own",
        lambda d: d.pattern == "$.jobs[].association.partition" and d.daemon is None,
        versions="dbv0.0.3[678]",
    ),
    Known(
        MODEL_GAP,
        "slurmdb job SLUIDs",
        "the slurm backend does not read a job record's SLUIDs (26.05) from slurmdbd",
        unset_here("$.jobs[].sluid", "$.jobs[].original_sluid"),
        versions="v0.0.45",
    ),
    Known(
        MODEL_GAP,
        "slurmdb job time limit unset",
        "the accounting model holds no time limit (None) for both NO_VAL and INFINITE; "
        "slurmdbd keeps NO_VAL for a job cancelled at once, printed unset, not infinite",
        lambda d: (
            d.pattern == "$.jobs[].time.limit.infinite" and d.daemon is False and d.gateway is True
        ),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "slurmdb step time limit",
        "the slurm backend gives a step that has no time limit of its own its job's; slurmdbd "
        "keeps none for the steps of these releases, printed infinite",
        at("$.jobs[].steps[].time.limit.*"),
        versions="v0.0.4[3-5]",
    ),
    Known(
        MODEL_GAP,
        "meta.plugin.accounting_storage",
        "the accounting storage plugin (slurm.conf AccountingStorageType) is not in the "
        "backend's ClusterInfo; slurmgate prints it empty",
        unset_here("$.meta.plugin.accounting_storage"),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "job allocating_node",
        "the host a job was submitted from (alloc_node) is not in the domain's Job",
        unset_here("$.jobs[].allocating_node"),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "job mail_user",
        "the job's mail recipient (the owner by default) is not in the domain's Job",
        unset_here("$.jobs[].mail_user"),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "job flags",
        "the slurm backend reads only the job flags slurmrestd 22.05 printed; the later "
        "releases' (USING_DEFAULT_ACCOUNT, USING_DEFAULT_PARTITION, USING_DEFAULT_QOS, "
        "USING_DEFAULT_WCKEY, EXACT_TASK_COUNT_REQUESTED, ...) are missing; and slurmctld sets "
        "and clears the scheduler's own flags as its passes go, so two reads of one moment "
        "may differ in those",
        lambda d: (
            d.pattern == "$.jobs[].flags"
            and isinstance(d.daemon, list)
            and isinstance(d.gateway, list)
            and set(d.gateway) - SCHEDULER_FLAGS <= set(d.daemon)
        ),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "job sluid",
        "the job's SLUID (26.05) is not in the domain's Job",
        unset_here("$.jobs[].step_id.sluid"),
        versions="v0.0.4[45]",
    ),
    Known(
        MODEL_GAP,
        "job_resources sockets",
        "the daemon lists every core of an allocated node, ALLOCATED or UNALLOCATED; the "
        "domain's NodeAllocation holds the allocated cores only, not the node's layout",
        at("$.jobs[].job_resources.nodes.allocation[].sockets*"),
        versions="v0.0.4[1-5]",
    ),
    Known(
        MODEL_GAP,
        "a job's unset task count",
        "slurmctld holds no task count (NO_VAL) for some jobs that never started, printed "
        "null (unset from v0.0.40 on); the slurm backend reads NO_VAL as 0 (Job.tasks cannot "
        "be None), and a count of 0 is printed 0 (set)",
        lambda d: (
            (d.pattern == "$.jobs[].tasks" and d.daemon is None and d.gateway == 0)
            or (d.pattern == "$.jobs[].tasks.set" and d.daemon is False and d.gateway is True)
        ),
    ),
    Known(
        MODEL_GAP,
        "partition node_sets",
        "the node sets a partition was configured with (NodeSets, 'ALL') are not in the "
        "domain's Partition",
        unset_here("$.partitions[].node_sets"),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "scheduler exit and cycle counts",
        "why the schedulers ended their cycles (schedule_exit, bf_exit), the cycle sum and "
        "depth and the backfill table's sum are not in the domain's Stats",
        unset_here(
            "$.statistics.schedule_exit.*",
            "$.statistics.bf_exit.*",
            "$.statistics.schedule_cycle_sum",
            "$.statistics.schedule_cycle_depth",
            "$.statistics.bf_table_size_sum",
        ),
        versions=DATA_PARSER,
    ),
    Known(
        MODEL_GAP,
        "shares without a limit",
        "the slurm backend reads a TRES-minutes limit of INFINITE64 (none) as unset, so "
        "slurmgate prints it unset where the daemon prints it infinite",
        lambda d: (
            matches(d.pattern, "$.shares.shares[].tres.group_minutes[].value.*")
            and d.pattern.endswith(".infinite")
            and d.daemon is True
        ),
        versions=DATA_PARSER,
    ),
    # -- releases --------------------------------------------------------------------------
    Known(
        RELEASE,
        "standard_error of a job that named its output only",
        "up to 25.05 libslurm shows a job's errors where its output goes; from 25.11 it "
        "shows none when the job named none. v0.0.42 is served by both generations and "
        "slurmgate follows the newer one there",
        lambda d: d.pattern == "$.jobs[].standard_error" and d.gateway == "",
        versions="v0.0.42",
        releases="24.11",
    ),
    # -- intentional -----------------------------------------------------------------------
    Known(
        INTENTIONAL,
        "meta.client",
        "who asked and from which socket: slurmgate renders an answer once for every client "
        "it concerns (and serves it from its cache), so it cannot carry the requester's "
        "socket; it prints these empty",
        unset_here("$.meta.client.*"),
        versions=DATA_PARSER,
    ),
    Known(
        INTENTIONAL,
        "cpus of a job without a task count",
        "slurmrestd prints null when the job gave no task count; the domain keeps the count "
        "slurmctld computed and slurmgate prints it",
        lambda d: (
            d.pattern == "$.jobs[].cpus"
            and d.daemon is None
            and _number(str(d.gateway)) is not None
        ),
        versions="v0.0.3[678]",
    ),
    Known(
        INTENTIONAL,
        "error entries",
        "slurmgate's error entries carry every key the clients of any old version look for "
        "(errno, error_number, description, source) beside those the daemon prints",
        lambda d: (
            matches(d.pattern, "$.errors[].*")
            and d.daemon is MISSING
            and d.pattern.rsplit(".", 1)[1] in ("errno", "error_number", "description", "source")
        ),
        versions="v0.0.3[678]",
    ),
    Known(
        INTENTIONAL,
        "26.05's unknown partition",
        "26.05 answers a partition it does not know with 200 and a warning only; slurmgate "
        "answers 404 with the error (known.ERRORS)",
        lambda d: (
            d.pattern == "$.warnings[]"
            and isinstance(d.daemon, dict)
            and d.daemon.get("description", "").startswith("Unable to find partition")
            and d.gateway is MISSING
        ),
        versions=DATA_PARSER,
        releases="26.05",
    ),
    Known(
        INTENTIONAL,
        "a refused signal's status",
        "from v0.0.42 on the daemon answers a signal slurmctld refused with 200, the refusal "
        "in status[]; slurmgate answers it with its HTTP status (403, 404) and the refusal in "
        "errors[] (docs/api.md, Errors), its status[] empty",
        lambda d: (
            d.pattern == "$.status[]"
            and isinstance(d.daemon, dict)
            and d.daemon.get("error", {}).get("code")
            and d.gateway is MISSING
        ),
        versions="v0.0.4[2-5]",
    ),
    Known(
        INTENTIONAL,
        "a refused value's warnings",
        "the daemon repeats, twice, the type of a value it could not convert as warnings "
        "beside the error; slurmgate reports the error alone",
        lambda d: (
            d.pattern == "$.warnings[]"
            and isinstance(d.daemon, dict)
            and d.daemon.get("description", "").startswith("Expected OpenAPI type=")
            and d.gateway is MISSING
        ),
        versions=DATA_PARSER,
    ),
    Known(
        INTENTIONAL,
        "warnings",
        "slurmgate's own top-level `warnings`: what it accepted but ignored, as v0.0.39 and "
        "later name them (api/versions/v0036.py); empty for the requests made here",
        lambda d: d.path == "$.warnings" and d.daemon is MISSING and d.gateway == [],
        versions="v0.0.3[678]",
    ),
)


@dataclass(frozen=True)
class KnownError:
    """A failure slurmgate reports with another error than the daemon (or the daemon with none)."""

    kind: str
    #: A glob over test_errors' case names.
    case: str
    reason: str
    versions: str = "*"
    releases: str = "*"


ERRORS: tuple[KnownError, ...] = (
    KnownError(
        DAEMON_BUG,
        "unknown node",
        "the daemon answers 200 with an error numbered 0 ('No error', 'Failure to query node') "
        "and no node list; slurmgate answers 404 with slurmctld's number for an unknown node "
        "(ESLURM_INVALID_NODE_NAME)",
        versions=DATA_PARSER,
    ),
    KnownError(
        INTENTIONAL,
        "unknown partition",
        "the daemon reports ESLURM_REST_INVALID_QUERY (422), and 26.05 only a warning beside "
        "a 200; slurmgate answers 404 with slurmctld's number for an unknown partition "
        "(ESLURM_INVALID_PARTITION_NAME), as in every version",
        versions=DATA_PARSER,
    ),
    KnownError(
        INTENTIONAL,
        "unknown reservation",
        "the daemon reports ESLURM_REST_INVALID_QUERY (422); slurmgate answers 404 with "
        "slurmctld's number for an unknown reservation (ESLURM_RESERVATION_INVALID), as in "
        "every version",
        versions=DATA_PARSER,
    ),
    KnownError(
        DAEMON_BUG,
        "* someone else's job",
        "v0.0.40 and v0.0.41 answer a refused signal with 200 and no error (slurmctld's "
        "refusal is dropped: the job goes on); slurmgate answers 403 with it",
        versions="v0.0.4[01]",
    ),
    KnownError(
        DAEMON_BUG,
        "numeric update_time",
        "24.11's v0.0.40 and v0.0.41 refuse every numeric update_time ('Parsing of ... for "
        "timestamp failed', ESLURM_DATA_CONV_FAILED, 422 or 500); slurmgate answers as the "
        "version means it: the listing, empty when nothing changed since",
        versions="v0.0.4[01]",
        releases="24.11",
    ),
    KnownError(
        INTENTIONAL,
        "reconfigure as a user",
        "slurmgate does not reconfigure slurmctld, whoever asks: 501 (ESLURM_NOT_SUPPORTED), "
        "where the daemon passes the request on and slurmctld refuses a user",
    ),
    KnownError(
        DAEMON_BUG,
        "cancel unknown job",
        "v0.0.40 and v0.0.41 answer a signal to a job that does not exist with 200 and no "
        "error; slurmgate answers 404 with slurmctld's ESLURM_INVALID_JOB_ID",
        versions="v0.0.4[01]",
    ),
)


def error_explained(
    case: str, version: str, release: str, theirs: list[tuple[int | None, str]]
) -> bool:
    """Whether ``ERRORS`` explains slurmgate reporting another error than ``theirs``."""
    return any(
        fnmatch.fnmatchcase(case, k.case)
        and fnmatch.fnmatchcase(version, k.versions)
        and fnmatch.fnmatchcase(release, k.releases)
        for k in ERRORS
    )


def unexplained(
    differences: Iterable[Difference], *, version: str = "v0.0.38", release: str = "22.05"
) -> list[Difference]:
    """The differences no ``KNOWN`` entry explains for this version on this release."""
    return [d for d in differences if not any(k.explains(d, version, release) for k in KNOWN)]


def patterns(entries: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(pattern for pattern, _reason in entries)
