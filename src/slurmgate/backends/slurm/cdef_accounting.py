"""C declarations of libslurmdb: slurmdbd's records, conditions and calls (``slurmdb.h``).

Only the fields every supported release has are named here, each struct partial (``...;``):
the compiler lays them out as the installed release does. Fields added later are read through
``shims_accounting`` (``slurmgate_job_extra``, ...), flag fields whose type changed take it
from the compiler (``slurmgate_*_flags_t``), and conditions whose ``with_*`` fields became
flags are filled by setters there.
"""

CDEF = """
#define JOBCOND_FLAG_DUP ...
#define JOBCOND_FLAG_NO_STEP ...
#define JOBCOND_FLAG_NO_TRUNC ...
#define JOBCOND_FLAG_WHOLE_HETJOB ...
#define JOBCOND_FLAG_NO_WHOLE_HETJOB ...
#define JOBCOND_FLAG_NO_DEFAULT_USAGE ...
#define JOBCOND_FLAG_SCRIPT ...
#define JOBCOND_FLAG_ENV ...
#define SLURMDB_JOB_FLAG_NONE ...
#define SLURMDB_JOB_FLAG_NOTSET ...
#define SLURMDB_JOB_FLAG_SUBMIT ...
#define SLURMDB_JOB_FLAG_SCHED ...
#define SLURMDB_JOB_FLAG_BACKFILL ...
#define SLURMDB_JOB_FLAG_START_R ...
#define SLURMDB_ACCT_FLAG_DELETED ...
#define SLURMDB_USER_FLAG_DELETED ...
#define SLURMDB_WCKEY_FLAG_DELETED ...
#define ASSOC_FLAG_DELETED ...
#define QOS_FLAG_NOTSET ...
#define QOS_FLAG_PART_MIN_NODE ...
#define QOS_FLAG_PART_MAX_NODE ...
#define QOS_FLAG_PART_TIME_LIMIT ...
#define QOS_FLAG_ENFORCE_USAGE_THRES ...
#define QOS_FLAG_NO_RESERVE ...
#define QOS_FLAG_REQ_RESV ...
#define QOS_FLAG_DENY_LIMIT ...
#define QOS_FLAG_OVER_PART_QOS ...
#define QOS_FLAG_NO_DECAY ...
#define QOS_FLAG_USAGE_FACTOR_SAFE ...
#define CLUSTER_FLAG_MULTSD ...
#define CLUSTER_FLAG_FED ...
#define CLUSTER_FLAG_EXT ...
#define SLURM_BATCH_SCRIPT ...
#define SLURM_EXTERN_CONT ...
#define SLURM_INTERACTIVE_STEP ...
#define SLURM_PENDING_STEP ...
#define JOB_REQUEUE ...
#define JOB_RESIZING ...
#define JOB_REVOKED ...
#define JOB_SPECIAL_EXIT ...
#define INFINITE ...
#define NO_VAL ...
static const int ESLURM_DB_CONNECTION;
static const int ESLURM_DB_CONNECTION_INVALID;
static const int ESLURM_JOBS_RUNNING_ON_ASSOC;
static const int ESLURM_NO_REMOVE_DEFAULT_ACCOUNT;
static const int ESLURM_ONE_CHANGE;
static const int ESLURM_BAD_NAME;

typedef struct {
    uint64_t alloc_secs;
    uint32_t rec_count;
    uint64_t count;
    uint32_t id;
    char *name;
    char *type;
    ...;
} slurmdb_tres_rec_t;

typedef struct {
    uint64_t count;
    list_t *id_list;
    list_t *name_list;
    list_t *type_list;
    uint16_t with_deleted;
    ...;
} slurmdb_tres_cond_t;

typedef struct {
    double act_cpufreq;
    uint64_t consumed_energy;
    char *tres_usage_in_ave;
    char *tres_usage_in_max;
    char *tres_usage_in_max_nodeid;
    char *tres_usage_in_max_taskid;
    char *tres_usage_in_min;
    char *tres_usage_in_min_nodeid;
    char *tres_usage_in_min_taskid;
    char *tres_usage_in_tot;
    char *tres_usage_out_ave;
    char *tres_usage_out_max;
    char *tres_usage_out_max_nodeid;
    char *tres_usage_out_max_taskid;
    char *tres_usage_out_min;
    char *tres_usage_out_min_nodeid;
    char *tres_usage_out_min_taskid;
    char *tres_usage_out_tot;
    ...;
} slurmdb_stats_t;

typedef struct {
    char *account;
    char *admin_comment;
    uint32_t alloc_nodes;
    uint32_t array_job_id;
    uint32_t array_max_tasks;
    uint32_t array_task_id;
    char *array_task_str;
    uint32_t associd;
    char *cluster;
    char *constraints;
    char *container;
    uint32_t derived_ec;
    char *derived_es;
    uint32_t elapsed;
    time_t eligible;
    time_t end;
    char *env;
    uint32_t exitcode;
    uint32_t flags;
    uint32_t gid;
    uint32_t het_job_id;
    uint32_t het_job_offset;
    uint32_t jobid;
    char *jobname;
    char *mcs_label;
    char *nodes;
    char *partition;
    uint32_t priority;
    uint32_t qosid;
    uint32_t req_cpus;
    uint64_t req_mem;
    uint32_t requid;
    uint32_t resvid;
    char *resv_name;
    char *script;
    time_t start;
    uint32_t state;
    uint32_t state_reason_prev;
    list_t *steps;
    time_t submit;
    char *submit_line;
    uint32_t suspended;
    char *system_comment;
    uint64_t sys_cpu_sec;
    uint64_t sys_cpu_usec;
    uint32_t timelimit;
    uint64_t tot_cpu_sec;
    uint64_t tot_cpu_usec;
    char *tres_alloc_str;
    char *tres_req_str;
    uint32_t uid;
    char *used_gres;
    char *user;
    uint64_t user_cpu_sec;
    uint64_t user_cpu_usec;
    char *wckey;
    uint32_t wckeyid;
    char *work_dir;
    ...;
} slurmdb_job_rec_t;

typedef struct {
    char *container;
    uint32_t elapsed;
    time_t end;
    int32_t exitcode;
    uint32_t nnodes;
    char *nodes;
    uint32_t ntasks;
    char *pid_str;
    uint32_t req_cpufreq_min;
    uint32_t req_cpufreq_max;
    uint32_t req_cpufreq_gov;
    uint32_t requid;
    time_t start;
    uint32_t state;
    slurmdb_stats_t stats;
    slurm_step_id_t step_id;
    char *stepname;
    char *submit_line;
    uint32_t suspended;
    uint64_t sys_cpu_sec;
    uint32_t sys_cpu_usec;
    uint32_t task_dist;
    uint64_t tot_cpu_sec;
    uint32_t tot_cpu_usec;
    char *tres_alloc_str;
    uint64_t user_cpu_sec;
    uint32_t user_cpu_usec;
    ...;
} slurmdb_step_rec_t;

typedef struct {
    list_t *acct_list;
    list_t *associd_list;
    list_t *cluster_list;
    list_t *constraint_list;
    uint32_t cpus_max;
    uint32_t cpus_min;
    uint32_t db_flags;
    int32_t exitcode;
    uint32_t flags;
    list_t *groupid_list;
    list_t *jobname_list;
    uint32_t nodes_max;
    uint32_t nodes_min;
    list_t *partition_list;
    list_t *qos_list;
    list_t *reason_list;
    list_t *resv_list;
    list_t *resvid_list;
    list_t *state_list;
    list_t *step_list;
    uint32_t timelimit_max;
    uint32_t timelimit_min;
    time_t usage_end;
    time_t usage_start;
    char *used_nodes;
    list_t *userid_list;
    list_t *wckey_list;
    ...;
} slurmdb_job_cond_t;

typedef struct {
    list_t *acct_list;
    list_t *cluster_list;
    list_t *def_qos_id_list;
    list_t *id_list;
    list_t *parent_acct_list;
    list_t *partition_list;
    list_t *qos_list;
    time_t usage_end;
    time_t usage_start;
    list_t *user_list;
    ...;
} slurmdb_assoc_cond_t;

typedef struct slurmdb_assoc_rec slurmdb_assoc_rec_t;
struct slurmdb_assoc_rec {
    char *acct;
    char *cluster;
    uint32_t def_qos_id;
    slurmgate_assoc_flags_t flags;
    uint32_t grp_jobs;
    uint32_t grp_jobs_accrue;
    uint32_t grp_submit_jobs;
    char *grp_tres;
    char *grp_tres_mins;
    char *grp_tres_run_mins;
    uint32_t grp_wall;
    uint32_t id;
    uint16_t is_def;
    uint32_t max_jobs;
    uint32_t max_jobs_accrue;
    uint32_t max_submit_jobs;
    char *max_tres_mins_pj;
    char *max_tres_run_mins;
    char *max_tres_pj;
    char *max_tres_pn;
    uint32_t max_wall_pj;
    uint32_t min_prio_thresh;
    char *parent_acct;
    uint32_t parent_id;
    char *partition;
    uint32_t priority;
    list_t *qos_list;
    uint32_t shares_raw;
    uint32_t uid;
    char *user;
    ...;
};

typedef struct {
    list_t *assoc_list;
    list_t *coordinators;
    char *description;
    slurmgate_acct_flags_t flags;
    char *name;
    char *organization;
    ...;
} slurmdb_account_rec_t;

typedef struct {
    slurmdb_assoc_cond_t *assoc_cond;
    list_t *description_list;
    list_t *organization_list;
    ...;
} slurmdb_account_cond_t;

typedef struct {
    uint16_t admin_level;
    slurmdb_assoc_cond_t *assoc_cond;
    list_t *def_acct_list;
    list_t *def_wckey_list;
    uint16_t with_assocs;
    uint16_t with_coords;
    uint16_t with_deleted;
    uint16_t with_wckeys;
    uint16_t without_defaults;
    ...;
} slurmdb_user_cond_t;

typedef struct {
    list_t *accounting_list;
    char *cluster;
    uint32_t flags;
    uint32_t id;
    uint16_t is_def;
    char *name;
    uint32_t uid;
    char *user;
    ...;
} slurmdb_wckey_rec_t;

typedef struct {
    list_t *cluster_list;
    list_t *id_list;
    list_t *name_list;
    uint16_t only_defs;
    list_t *user_list;
    uint16_t with_deleted;
    ...;
} slurmdb_wckey_cond_t;

typedef struct {
    char *description;
    uint32_t id;
    slurmgate_qos_flags_t flags;
    uint32_t grace_time;
    uint32_t grp_jobs_accrue;
    uint32_t grp_jobs;
    uint32_t grp_submit_jobs;
    char *grp_tres;
    char *grp_tres_mins;
    char *grp_tres_run_mins;
    uint32_t grp_wall;
    double limit_factor;
    uint32_t max_jobs_pa;
    uint32_t max_jobs_pu;
    uint32_t max_jobs_accrue_pa;
    uint32_t max_jobs_accrue_pu;
    uint32_t max_submit_jobs_pa;
    uint32_t max_submit_jobs_pu;
    char *max_tres_mins_pj;
    char *max_tres_pa;
    char *max_tres_pj;
    char *max_tres_pn;
    char *max_tres_pu;
    char *max_tres_run_mins_pa;
    char *max_tres_run_mins_pu;
    uint32_t max_wall_pj;
    uint32_t min_prio_thresh;
    char *min_tres_pj;
    char *name;
    list_t *preempt_list;
    uint16_t preempt_mode;
    uint32_t preempt_exempt_time;
    uint32_t priority;
    double usage_factor;
    double usage_thres;
    ...;
} slurmdb_qos_rec_t;

typedef struct {
    list_t *description_list;
    list_t *id_list;
    list_t *name_list;
    uint16_t preempt_mode;
    ...;
} slurmdb_qos_cond_t;

typedef struct {
    uint16_t classification;
    char *control_host;
    uint32_t control_port;
    slurmgate_cluster_flags_t flags;
    char *name;
    char *nodes;
    slurmdb_assoc_rec_t *root_assoc;
    uint16_t rpc_version;
    char *tres_str;
    ...;
} slurmdb_cluster_rec_t;

typedef struct {
    list_t *cluster_list;
    uint16_t with_deleted;
    ...;
} slurmdb_cluster_cond_t;

typedef struct {
    uint32_t cnt;
    uint32_t id;
    uint64_t time;
    uint64_t time_ave;
    ...;
} slurmdb_rpc_obj_t;

typedef struct {
    char *cluster_name;
    uint16_t count[...];
    time_t timestamp[...];
    uint64_t time_last[...];
    uint64_t time_max[...];
    uint64_t time_total[...];
    ...;
} slurmdb_rollup_stats_t;

typedef struct {
    slurmdb_rollup_stats_t *dbd_rollup_stats;
    list_t *rollup_stats;
    list_t *rpc_list;
    time_t time_start;
    list_t *user_list;
    ...;
} slurmdb_stats_rec_t;

void *slurmdb_connection_get(uint16_t *persist_conn_flags);
int slurmdb_connection_close(void **db_conn);
int slurmdb_connection_commit(void *db_conn, bool commit);

list_t *slurmdb_jobs_get(void *db_conn, slurmdb_job_cond_t *job_cond);
list_t *slurmdb_accounts_get(void *db_conn, slurmdb_account_cond_t *acct_cond);
list_t *slurmdb_users_get(void *db_conn, slurmdb_user_cond_t *user_cond);
list_t *slurmdb_associations_get(void *db_conn, slurmdb_assoc_cond_t *assoc_cond);
list_t *slurmdb_qos_get(void *db_conn, slurmdb_qos_cond_t *qos_cond);
list_t *slurmdb_tres_get(void *db_conn, slurmdb_tres_cond_t *tres_cond);
list_t *slurmdb_clusters_get(void *db_conn, slurmdb_cluster_cond_t *cluster_cond);
list_t *slurmdb_wckeys_get(void *db_conn, slurmdb_wckey_cond_t *wckey_cond);
int slurmdb_get_stats(void *db_conn, slurmdb_stats_rec_t **stats_pptr);
void slurmdb_destroy_stats_rec(void *object);

int slurmdb_accounts_add(void *db_conn, list_t *acct_list);
list_t *slurmdb_accounts_modify(void *db_conn, slurmdb_account_cond_t *acct_cond,
                                slurmdb_account_rec_t *acct);
list_t *slurmdb_accounts_remove(void *db_conn, slurmdb_account_cond_t *acct_cond);
int slurmdb_users_add(void *db_conn, list_t *user_list);
list_t *slurmdb_users_modify(void *db_conn, slurmdb_user_cond_t *user_cond,
                             slurmdb_user_rec_t *user);
list_t *slurmdb_users_remove(void *db_conn, slurmdb_user_cond_t *user_cond);
int slurmdb_coord_add(void *db_conn, list_t *acct_list, slurmdb_user_cond_t *user_cond);
int slurmdb_associations_add(void *db_conn, list_t *assoc_list);
list_t *slurmdb_associations_modify(void *db_conn, slurmdb_assoc_cond_t *assoc_cond,
                                    slurmdb_assoc_rec_t *assoc);
list_t *slurmdb_associations_remove(void *db_conn, slurmdb_assoc_cond_t *assoc_cond);
int slurmdb_qos_add(void *db_conn, list_t *qos_list);
list_t *slurmdb_qos_modify(void *db_conn, slurmdb_qos_cond_t *qos_cond,
                           slurmdb_qos_rec_t *qos);
list_t *slurmdb_qos_remove(void *db_conn, slurmdb_qos_cond_t *qos_cond);
void slurmdb_init_assoc_rec(slurmdb_assoc_rec_t *assoc, bool free_it);
void slurmdb_init_tres_cond(slurmdb_tres_cond_t *tres, bool free_it);
void slurmdb_init_cluster_cond(slurmdb_cluster_cond_t *cluster, bool free_it);
void slurmdb_init_qos_rec(slurmdb_qos_rec_t *qos, bool free_it, uint32_t init_val);
"""
