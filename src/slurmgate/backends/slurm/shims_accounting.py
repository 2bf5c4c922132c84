"""C for libslurmdb by release: part of the binding's preamble (``releases``).

- Records gained fields release by release (a job's extra, failed_node and licenses in 23.02,
  lineage in 23.11, its standard streams in 24.05, qos_req and restart_cnt in 24.11, resv_req
  and segment_size in 25.05, exclusive and oversubscribe in 26.05; a step's working directory,
  streams and time limit in 25.05; an association's comment in 23.02 and lineage in 23.11; a
  user's default QOS in 25.11): one getter per record reads them, "" or NO_VAL before.
- Conditions' ``with_*`` fields became flags (accounts' in 24.05, associations' and QOS's in
  24.11): setters fill either.
- ``slurmdb_ping`` came in 24.11: before, a connection opened and closed stands for a ping.
- Cloud instances came in 23.11: before, stand-in types and a call answering
  ESLURM_NOT_SUPPORTED.
- slurmdbd's configuration comes as a struct in 26.05 (``slurmdb_config_get_keypairs`` turns
  it into the key pairs older releases send).
- ``config_key_pair_t`` (slurmdb_config_get's items) is in no installed header: declared as
  every release's src/common/read_config.h lays it out.
"""

from __future__ import annotations

PREAMBLE = r"""
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

typedef __typeof__(((slurmdb_assoc_rec_t *)0)->flags) slurmgate_assoc_flags_t;
typedef __typeof__(((slurmdb_account_rec_t *)0)->flags) slurmgate_acct_flags_t;
typedef __typeof__(((slurmdb_qos_rec_t *)0)->flags) slurmgate_qos_flags_t;
typedef __typeof__(((slurmdb_cluster_rec_t *)0)->flags) slurmgate_cluster_flags_t;

typedef struct {
    char *name;
    char *value;
} slurmgate_key_pair_t;

extern int slurm_addto_step_list(list_t *step_list, char *names);

/* A list of selected steps, freed with their own destructor (looked up when first needed:
   the module is loaded lazily, before libslurm, to lay out its structs). */
static list_t *slurmgate_step_list(void)
{
    static ListDelF destroy = NULL;
    if (!destroy)
        destroy = (ListDelF) dlsym(RTLD_DEFAULT, "slurm_destroy_selected_step");
    return slurm_list_create(destroy);
}

static void slurmgate_clear_errno(void) { errno = 0; }

/* A connection to slurmdbd as the thread's user; NULL with *error set when none. */
static void *slurmgate_dbd_connect(int *error)
{
    errno = 0;
    void *conn = slurmdb_connection_get(NULL);
    *error = errno;
    if (conn && *error) {
        slurmdb_connection_close(&conn);
        conn = NULL;
    }
    if (!conn && !*error)
        *error = ESLURM_DB_CONNECTION;
    return conn;
}

/* slurmdbd's configuration as key pairs; in 26.05 it comes as a struct to turn into them. */
static list_t *slurmgate_dbd_config(void *db_conn)
{
#if SLURMGATE_DBD_CONF_STRUCT
    slurmdbd_conf_t *conf = NULL;
    int rc = slurmdb_config_get(db_conn, &conf);
    if (rc != SLURM_SUCCESS || !conf) {
        errno = rc ? rc : SLURM_ERROR;
        return NULL;
    }
    list_t *pairs = slurmdb_config_get_keypairs(conf);
    slurmdbd_free_conf(conf);
    return pairs;
#else
    return slurmdb_config_get(db_conn);
#endif
}

/* -- conditions ------------------------------------------------------------------------- */

static void slurmgate_account_cond_flags(slurmdb_account_cond_t *cond, int assocs, int coords,
                                         int deleted)
{
#if SLURMGATE_ACCT_COND_FLAGS
    cond->flags = (assocs ? SLURMDB_ACCT_FLAG_WASSOC : 0) | (coords ? SLURMDB_ACCT_FLAG_WCOORD : 0)
                  | (deleted ? SLURMDB_ACCT_FLAG_DELETED : 0);
#else
    cond->with_assocs = assocs;
    cond->with_coords = coords;
    cond->with_deleted = deleted;
#endif
}

static void slurmgate_assoc_cond_flags(slurmdb_assoc_cond_t *cond, int only_defs, int deleted,
                                       int raw_qos, int sub_accts, int no_parent_info,
                                       int no_parent_limits)
{
#if SLURMGATE_ASSOC_COND_FLAGS
    cond->flags = (only_defs ? ASSOC_COND_FLAG_ONLY_DEFS : 0)
                  | (deleted ? ASSOC_COND_FLAG_WITH_DELETED : 0)
                  | (raw_qos ? ASSOC_COND_FLAG_RAW_QOS : 0)
                  | (sub_accts ? ASSOC_COND_FLAG_SUB_ACCTS : 0)
                  | (no_parent_info ? ASSOC_COND_FLAG_WOPI : 0)
                  | (no_parent_limits ? ASSOC_COND_FLAG_WOPL : 0);
#else
    cond->only_defs = only_defs;
    cond->with_deleted = deleted;
    cond->with_raw_qos = raw_qos;
    cond->with_sub_accts = sub_accts;
    cond->without_parent_info = no_parent_info;
    cond->without_parent_limits = no_parent_limits;
#endif
}

static void slurmgate_qos_cond_deleted(slurmdb_qos_cond_t *cond, int deleted)
{
#if SLURMGATE_ASSOC_COND_FLAGS
    cond->flags = deleted ? QOS_COND_FLAG_WITH_DELETED : 0;
#else
    cond->with_deleted = deleted;
#endif
}

/* -- fields some releases lack ----------------------------------------------------------- */

typedef struct {
    const char *extra, *failed_node, *licenses, *lineage;
    const char *std_err, *std_in, *std_out;
    const char *qos_req, *resv_req, *exclusive, *oversubscribe;
    uint32_t restart_cnt, segment_size;
} slurmgate_job_extra_t;

static void slurmgate_job_extra(const slurmdb_job_rec_t *job, slurmgate_job_extra_t *out)
{
    memset(out, 0, sizeof(*out));
#if SLURMGATE_JOB_REC_EXTRA
    out->extra = job->extra;
    out->failed_node = job->failed_node;
    out->licenses = job->licenses;
#endif
#if SLURMGATE_LINEAGE
    out->lineage = job->lineage;
#endif
#if SLURMGATE_JOB_REC_STDIO
    out->std_err = job->std_err;
    out->std_in = job->std_in;
    out->std_out = job->std_out;
#endif
#if SLURMGATE_JOB_REC_QOS_REQ
    out->qos_req = job->qos_req;
    out->restart_cnt = job->restart_cnt;
#endif
#if SLURMGATE_STEP_REC_STDIO
    out->resv_req = job->resv_req;
    out->segment_size = job->segment_size;
#endif
#if SLURMGATE_JOB_REC_EXCLUSIVE
    out->exclusive = job->exclusive;
    out->oversubscribe = job->oversubscribe;
#endif
    (void) job;
}

typedef struct {
    const char *cwd, *std_err, *std_in, *std_out;
    uint32_t timelimit;
} slurmgate_step_extra_t;

static void slurmgate_step_extra(const slurmdb_step_rec_t *step, slurmgate_step_extra_t *out)
{
    memset(out, 0, sizeof(*out));
    out->timelimit = NO_VAL;
#if SLURMGATE_STEP_REC_STDIO
    out->cwd = step->cwd;
    out->std_err = step->std_err;
    out->std_in = step->std_in;
    out->std_out = step->std_out;
    out->timelimit = step->timelimit;
#endif
    (void) step;
}

static const char *slurmgate_assoc_comment(const slurmdb_assoc_rec_t *assoc)
{
#if SLURMGATE_JOB_REC_EXTRA
    return assoc->comment;
#else
    (void) assoc;
    return NULL;
#endif
}

/* 0, or -1 when the release keeps no comment on associations. */
static int slurmgate_assoc_set_comment(slurmdb_assoc_rec_t *assoc, char *comment)
{
#if SLURMGATE_JOB_REC_EXTRA
    assoc->comment = comment;
    return 0;
#else
    (void) assoc;
    (void) comment;
    return -1;
#endif
}

static const char *slurmgate_assoc_lineage(const slurmdb_assoc_rec_t *assoc)
{
#if SLURMGATE_LINEAGE
    return assoc->lineage;
#else
    (void) assoc;
    return NULL;
#endif
}

static uint32_t slurmgate_user_def_qos(const slurmdb_user_rec_t *user)
{
#if SLURMGATE_USER_DEF_QOS
    return user->def_qos_id;
#else
    (void) user;
    return NO_VAL;
#endif
}

/* The QOS a QOS may preempt, as its bitmap of QOS ids ("2-3"); "" for none. */
static void slurmgate_qos_preempt(const slurmdb_qos_rec_t *qos, char *buf, int32_t size)
{
    buf[0] = '\0';
    if (qos->preempt_bitstr)
        slurm_bit_fmt(buf, size, qos->preempt_bitstr);
}

/* -- cloud instances ----------------------------------------------------------------------- */

#if !SLURMGATE_INSTANCES
typedef struct {
    char *cluster;
    char *extra;
    char *instance_id;
    char *instance_type;
    char *node_name;
    time_t time_end;
    time_t time_start;
} slurmdb_instance_rec_t;
typedef struct {
    list_t *cluster_list;
    list_t *extra_list;
    list_t *format_list;
    list_t *instance_id_list;
    list_t *instance_type_list;
    char *node_list;
    time_t time_end;
    time_t time_start;
} slurmdb_instance_cond_t;
static list_t *slurmdb_instances_get(void *db_conn, slurmdb_instance_cond_t *cond)
{
    (void) db_conn;
    (void) cond;
    errno = ESLURM_NOT_SUPPORTED;
    return NULL;
}
#endif

/* -- ping ------------------------------------------------------------------------------------ */

typedef struct {
    char hostname[256];
    int responding;
    int64_t latency;
    int primary;
} slurmgate_dbd_ping_t;

/* Ping slurmdbd (and its backup, if the primary does not answer); the number of answers. */
static int slurmgate_dbd_ping(slurmgate_dbd_ping_t *out, int max)
{
    int count = 0;
#if SLURMGATE_DBD_PING
    slurmdbd_ping_t *pings = slurmdb_ping_all();
    for (int i = 0; pings && pings[i].hostname && count < max; i++, count++) {
        snprintf(out[count].hostname, sizeof(out[count].hostname), "%s", pings[i].hostname);
        out[count].responding = pings[i].pinged;
        out[count].latency = pings[i].latency;
        out[count].primary = pings[i].offset == 0;
    }
    slurm_xfree((void **) &pings);
#else
    struct timespec begin, end;
    int error = 0;
    if (max < 1)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    void *conn = slurmgate_dbd_connect(&error);
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (conn)
        slurmdb_connection_close(&conn);
    /* libslurm's own configuration, found at run time (the module loads before libslurm). */
    slurm_conf_t *conf = (slurm_conf_t *) dlsym(RTLD_DEFAULT, "slurm_conf");
    const char *host = conf && conf->accounting_storage_host ? conf->accounting_storage_host : "";
    snprintf(out[0].hostname, sizeof(out[0].hostname), "%s", host);
    out[0].responding = !error;
    out[0].latency = (end.tv_sec - begin.tv_sec) * 1000000
                     + (end.tv_nsec - begin.tv_nsec) / 1000;
    out[0].primary = 1;
    count = 1;
#endif
    return count;
}
"""

#: The shims' types, declared before the records that use them.
TYPES_CDEF = """
typedef int... slurmgate_assoc_flags_t;
typedef int... slurmgate_acct_flags_t;
typedef int... slurmgate_qos_flags_t;
typedef int... slurmgate_cluster_flags_t;
"""

CDEF = """
typedef struct {
    char *name;
    char *value;
} slurmgate_key_pair_t;

list_t *slurmgate_step_list(void);
int slurm_addto_step_list(list_t *step_list, char *names);
void *slurmgate_dbd_connect(int *error);
void slurmgate_clear_errno(void);
list_t *slurmgate_dbd_config(void *db_conn);

void slurmgate_account_cond_flags(slurmdb_account_cond_t *cond, int assocs, int coords,
                                  int deleted);
void slurmgate_assoc_cond_flags(slurmdb_assoc_cond_t *cond, int only_defs, int deleted,
                                int raw_qos, int sub_accts, int no_parent_info,
                                int no_parent_limits);
void slurmgate_qos_cond_deleted(slurmdb_qos_cond_t *cond, int deleted);

typedef struct {
    const char *extra, *failed_node, *licenses, *lineage;
    const char *std_err, *std_in, *std_out;
    const char *qos_req, *resv_req, *exclusive, *oversubscribe;
    uint32_t restart_cnt, segment_size;
} slurmgate_job_extra_t;
void slurmgate_job_extra(const slurmdb_job_rec_t *job, slurmgate_job_extra_t *out);
typedef struct {
    const char *cwd, *std_err, *std_in, *std_out;
    uint32_t timelimit;
} slurmgate_step_extra_t;
void slurmgate_step_extra(const slurmdb_step_rec_t *step, slurmgate_step_extra_t *out);
const char *slurmgate_assoc_comment(const slurmdb_assoc_rec_t *assoc);
int slurmgate_assoc_set_comment(slurmdb_assoc_rec_t *assoc, char *comment);
const char *slurmgate_assoc_lineage(const slurmdb_assoc_rec_t *assoc);
uint32_t slurmgate_user_def_qos(const slurmdb_user_rec_t *user);
void slurmgate_qos_preempt(const slurmdb_qos_rec_t *qos, char *buf, int32_t size);

typedef struct {
    char *cluster;
    char *extra;
    char *instance_id;
    char *instance_type;
    char *node_name;
    time_t time_end;
    time_t time_start;
    ...;
} slurmdb_instance_rec_t;
typedef struct {
    list_t *cluster_list;
    list_t *extra_list;
    list_t *instance_id_list;
    list_t *instance_type_list;
    char *node_list;
    time_t time_end;
    time_t time_start;
    ...;
} slurmdb_instance_cond_t;
list_t *slurmdb_instances_get(void *db_conn, slurmdb_instance_cond_t *cond);

typedef struct {
    char hostname[256];
    int responding;
    int64_t latency;
    int primary;
} slurmgate_dbd_ping_t;
int slurmgate_dbd_ping(slurmgate_dbd_ping_t *out, int max);
"""
