"""What changed in libslurm's API between the releases slurmgate binds, in one table.

The declarations (``cdef_*``) name only what every supported release has, under one name. What
differs is kept here: ``CHANGES`` says which release first changed what, and the C preamble
below turns each entry into a macro, ``SLURMGATE_<NAME>``, true when the installed headers are
at least that release (``SLURM_VERSION_NUMBER``). Small C shims then give each changed call or
field one stable name (``slurmgate_*``), and fields that only changed width get their type from
the compiler (``__typeof__``), so the Python side never asks which release it runs on.

Found by diffing ``slurm/slurm.h`` of each release; a new release needs an entry here only for
what really changed in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from slurmgate.backends.slurm import job_digests, shims_accounting, shims_actions


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    since: tuple[int, int]
    what: str


CHANGES = (
    Change(
        "list_t",
        (23, 2),
        "List became list_t and slurm_list_append() returns void; declared as both allow",
    ),
    Change("reason_u32", (23, 2), "job_info_t.state_reason widened to uint32_t"),
    Change("node_resume_after", (23, 2), "update_node_msg_t.resume_after (ResumeAfter=)"),
    Change(
        "job_rec_extra",
        (23, 2),
        "slurmdb_job_rec_t.extra, failed_node and licenses; slurmdb_assoc_rec_t.comment",
    ),
    Change("no_resized_bits", (23, 11), "JOB_RESIZED and RESERVE_FLAG_FIRST_CORES removed"),
    Change(
        "shares_call",
        (23, 11),
        "slurm_associations_get_shares() exported; before, sshare sent REQUEST_SHARE_INFO itself",
    ),
    Change("lineage", (23, 11), "slurmdb_job_rec_t.lineage and slurmdb_assoc_rec_t.lineage"),
    Change("instances", (23, 11), "slurmdb_instances_get() and cloud instance records"),
    Change("partition_flags_u32", (24, 5), "partition_info_t.flags widened to uint32_t"),
    Change("no_resv_watts", (24, 5), "reserve_info_t.resv_watts removed"),
    Change("reason_string", (24, 5), "job_reason_string() renamed job_state_reason_string()"),
    Change(
        "kill_jobs",
        (24, 5),
        "slurm_kill_jobs() signals the jobs a kill_jobs_msg_t chooses; slurm_selected_step_t"
        " gained array_bitmap",
    ),
    Change("job_rec_stdio", (24, 5), "slurmdb_job_rec_t.std_err, std_in and std_out"),
    Change(
        "acct_cond_flags",
        (24, 5),
        "slurmdb_account_cond_t.with_assocs, with_coords and with_deleted became flags",
    ),
    Change("no_get_errno", (24, 11), "slurm_get_errno() removed: errno is read directly"),
    Change(
        "no_cpus_on_node_id",
        (24, 11),
        "slurm_job_cpus_allocated_on_node_id() removed: get_job_resources_cpus() instead",
    ),
    Change("no_job_show_flags", (24, 11), "job_info_t.show_flags removed"),
    Change(
        "assoc_cond_flags",
        (24, 11),
        "slurmdb_assoc_cond_t's and slurmdb_qos_cond_t's with_* and only_defs became flags",
    ),
    Change("job_rec_qos_req", (24, 11), "slurmdb_job_rec_t.qos_req and restart_cnt"),
    Change("dbd_ping", (24, 11), "slurmdb_ping_all() pings slurmdbd and its backup"),
    Change("node_topology", (25, 5), "update_node_msg_t.topology_str (Topology=)"),
    Change(
        "node_alloc_fields",
        (25, 5),
        "slurm_get_select_nodeinfo() removed: node_info_t.alloc_cpus, alloc_memory and"
        " alloc_tres_fmt_str instead; no weighted TRES any more",
    ),
    Change(
        "step_rec_stdio",
        (25, 5),
        "slurmdb_step_rec_t.cwd, std_*, timelimit; slurmdb_job_rec_t.resv_req and segment_size",
    ),
    Change("job_submit_line", (25, 11), "job_info_t.submit_line, the command line a job came from"),
    Change("select_enum", (25, 11), "CR_CPU/CR_CORE/CR_SOCKET became SELECT_CPU/_CORE/_SOCKET"),
    Change("no_parts_packed", (25, 11), "stats_info_response_msg_t.parts_packed removed"),
    Change("cycle_sum_u64", (25, 11), "stats schedule_cycle_sum widened to uint64_t"),
    Change(
        "step_id_msgs",
        (25, 11),
        "job_desc_msg_t.job_id, submit_response_msg_t.job_id and"
        " resource_allocation_response_msg_t.job_id became step_id.job_id",
    ),
    Change(
        "resource_layout",
        (25, 11),
        "slurm_get_resource_layout() returns a running job's resources core by core",
    ),
    Change("user_def_qos", (25, 11), "slurmdb_user_rec_t.def_qos_id"),
    Change("load_job_step_id", (26, 5), "slurm_load_job() takes a slurm_step_id_t"),
    Change("job_rec_exclusive", (26, 5), "slurmdb_job_rec_t.exclusive and oversubscribe"),
    Change(
        "dbd_conf_struct",
        (26, 5),
        "slurmdb_config_get() fills a slurmdbd_conf_t; slurmdb_config_get_keypairs() lists it",
    ),
    Change("free_conf", (26, 5), "slurm_free_ctl_conf() renamed slurm_free_conf()"),
    Change("no_node_reason_uid", (26, 5), "update_node_msg_t.reason_uid removed"),
)

#: The releases the binding is tested on (the contract suite runs on each).
SUPPORTED_RELEASES = ("22.05", "24.11", "26.05")


def changes_in(version: tuple[int, int, int]) -> list[Change]:
    """The changes a release of that version has (for messages and tests)."""
    return [change for change in CHANGES if version[:2] >= change.since]


def has(version: tuple[int, int, int], name: str) -> bool:
    """Whether a release of that version has the change ``name`` (a row of ``CHANGES``)."""
    found = [change for change in CHANGES if change.name == name]
    if not found:
        raise KeyError(f"no change {name!r} in the release table")
    return version[:2] >= found[0].since


def _feature_macros() -> str:
    return "\n".join(
        f"#define SLURMGATE_{c.name.upper()} "
        f"(SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM({c.since[0]}, {c.since[1]}, 0))"
        for c in CHANGES
    )


# Internal libslurmfull exports used below, declared as their releases' sources declare them
# (no installed header does). The library is loaded RTLD_GLOBAL before the module.
_SHIMS = """
#include <errno.h>

#if !SLURMGATE_LIST_T
typedef struct xlist list_t;
typedef struct listIterator list_itr_t;
#endif

extern int auth_g_thread_config(const char *token, const char *username);
extern void auth_g_thread_clear(void);
extern void slurm_xfree(void **item);

/* Fields that only changed width: the compiler knows it. */
typedef __typeof__(((job_info_t *)0)->state_reason) slurmgate_reason_t;
typedef __typeof__(((partition_info_t *)0)->flags) slurmgate_part_flags_t;
typedef __typeof__(((stats_info_response_msg_t *)0)->schedule_cycle_sum) slurmgate_cycle_sum_t;

/* A bit a release no longer has is 0: never set, never listed. */
#if SLURMGATE_NO_RESIZED_BITS
#define JOB_RESIZED 0
#define RESERVE_FLAG_FIRST_CORES 0
#endif

#if SLURMGATE_SELECT_ENUM
#define SLURMGATE_CR_CPU SELECT_CPU
#define SLURMGATE_CR_CORE SELECT_CORE
#define SLURMGATE_CR_SOCKET SELECT_SOCKET
#else
#define SLURMGATE_CR_CPU CR_CPU
#define SLURMGATE_CR_CORE CR_CORE
#define SLURMGATE_CR_SOCKET CR_SOCKET
#endif

/* libslurm sets errno; slurm_get_errno() only ever returned it. */
static int slurmgate_errno(void) { return errno; }

static void slurmgate_free_conf(slurm_conf_t *conf)
{
#if SLURMGATE_FREE_CONF
    slurm_free_conf(conf);
#else
    slurm_free_ctl_conf(conf);
#endif
}

static int slurmgate_load_job(job_info_msg_t **resp, uint32_t job_id, uint16_t show_flags)
{
#if SLURMGATE_LOAD_JOB_STEP_ID
    slurm_step_id_t step_id = SLURM_STEP_ID_INITIALIZER;
    step_id.job_id = job_id;
    return slurm_load_job(resp, step_id, show_flags);
#else
    return slurm_load_job(resp, job_id, show_flags);
#endif
}

static void slurmgate_desc_set_job_id(job_desc_msg_t *desc, uint32_t job_id)
{
#if SLURMGATE_STEP_ID_MSGS
    desc->step_id.job_id = job_id;
#else
    desc->job_id = job_id;
#endif
}

static uint32_t slurmgate_submitted_job_id(const submit_response_msg_t *resp)
{
#if SLURMGATE_STEP_ID_MSGS
    return resp->step_id.job_id;
#else
    return resp->job_id;
#endif
}

#if SLURMGATE_REASON_STRING
extern const char *job_state_reason_string(enum job_state_reason inx);
#define SLURMGATE_REASON_STRING_FN job_state_reason_string
#else
extern char *job_reason_string(enum job_state_reason inx);
#define SLURMGATE_REASON_STRING_FN job_reason_string
#endif
static const char *slurmgate_reason_string(uint32_t reason)
{
    return SLURMGATE_REASON_STRING_FN((enum job_state_reason) reason);
}

#if SLURMGATE_NO_CPUS_ON_NODE_ID
extern int get_job_resources_cpus(job_resources_t *job_resrcs_ptr, uint32_t node_id);
#endif
static int slurmgate_cpus_on_node(job_resources_t *resources, int node_index)
{
#if SLURMGATE_NO_CPUS_ON_NODE_ID
    return get_job_resources_cpus(resources, (uint32_t) node_index);
#else
    return slurm_job_cpus_allocated_on_node_id(resources, node_index);
#endif
}

/* NULL before the release kept the command line a job was submitted with. */
static const char *slurmgate_job_submit_line(const job_info_t *job)
{
#if SLURMGATE_JOB_SUBMIT_LINE
    return job->submit_line;
#else
    (void) job;
    return NULL;
#endif
}

/* -1 when the release no longer sends the flags a job was loaded with. */
static int slurmgate_job_show_flags(const job_info_t *job)
{
#if SLURMGATE_NO_JOB_SHOW_FLAGS
    (void) job;
    return -1;
#else
    return job->show_flags;
#endif
}

static uint32_t slurmgate_resv_watts(const reserve_info_t *resv)
{
#if SLURMGATE_NO_RESV_WATTS
    (void) resv;
    return NO_VAL;
#else
    return resv->resv_watts;
#endif
}

static uint32_t slurmgate_parts_packed(const stats_info_response_msg_t *stats)
{
#if SLURMGATE_NO_PARTS_PACKED
    (void) stats;
    return 0;
#else
    return stats->parts_packed;
#endif
}

/*
 * What is allocated on a node. *tres is a copy the caller gives back to
 * slurmgate_node_alloc_free. Returns 0, or -1 when the select plugin did not answer.
 */
static int slurmgate_node_alloc(node_info_t *node, uint16_t *cpus, uint64_t *memory,
                                char **tres, double *weighted)
{
    *cpus = 0;
    *memory = 0;
    *tres = NULL;
    *weighted = 0.0;
#if SLURMGATE_NODE_ALLOC_FIELDS
    *cpus = node->alloc_cpus;
    *memory = node->alloc_memory;
    *tres = node->alloc_tres_fmt_str ? strdup(node->alloc_tres_fmt_str) : NULL;
    return 0;
#else
    dynamic_plugin_data_t *info = node->select_nodeinfo;
    if (slurm_get_select_nodeinfo(info, SELECT_NODEDATA_SUBCNT, NODE_STATE_ALLOCATED, cpus)
        || slurm_get_select_nodeinfo(info, SELECT_NODEDATA_MEM_ALLOC, NODE_STATE_ALLOCATED,
                                     memory))
        return -1;
    char *found = NULL;
    if (slurm_get_select_nodeinfo(info, SELECT_NODEDATA_TRES_ALLOC_FMT_STR,
                                  NODE_STATE_ALLOCATED, &found))
        return -1;
    *tres = found ? strdup(found) : NULL;
    slurm_xfree((void **) &found);
    return slurm_get_select_nodeinfo(info, SELECT_NODEDATA_TRES_ALLOC_WEIGHTED,
                                     NODE_STATE_ALLOCATED, weighted) ? -1 : 0;
#endif
}

static void slurmgate_node_alloc_free(char *tres) { free(tres); }
"""

PREAMBLE = (
    "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n"
    "#include <slurm/slurm.h>\n#include <slurm/slurm_errno.h>\n#include <slurm/slurmdb.h>\n"
    + _feature_macros()
    + "\n"
    + _SHIMS
    + job_digests.preamble()
    + shims_actions.PREAMBLE
    + shims_accounting.PREAMBLE
)

#: The stable names of types and constants, declared before the structs that use them.
TYPES_CDEF = """
typedef int... slurmgate_reason_t;
typedef int... slurmgate_part_flags_t;
typedef int... slurmgate_cycle_sum_t;
#define SLURMGATE_CR_CPU ...
#define SLURMGATE_CR_CORE ...
#define SLURMGATE_CR_SOCKET ...
"""
TYPES_CDEF += shims_accounting.TYPES_CDEF

#: The shims, declared after the structs they take.
CDEF = """
int slurmgate_errno(void);
void slurmgate_free_conf(slurm_conf_t *conf);
int slurmgate_load_job(job_info_msg_t **resp, uint32_t job_id, uint16_t show_flags);
void slurmgate_desc_set_job_id(job_desc_msg_t *desc, uint32_t job_id);
uint32_t slurmgate_submitted_job_id(const submit_response_msg_t *resp);
const char *slurmgate_reason_string(uint32_t reason);
int slurmgate_cpus_on_node(job_resources_t *resources, int node_index);
int slurmgate_job_show_flags(const job_info_t *job);
const char *slurmgate_job_submit_line(const job_info_t *job);
uint32_t slurmgate_resv_watts(const reserve_info_t *resv);
uint32_t slurmgate_parts_packed(const stats_info_response_msg_t *stats);
int slurmgate_node_alloc(node_info_t *node, uint16_t *cpus, uint64_t *memory, char **tres,
                         double *weighted);
void slurmgate_node_alloc_free(char *tres);
"""
CDEF += job_digests.CDEF
