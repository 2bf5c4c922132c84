"""C declarations for jobs: reading, submitting, updating and signalling them.

Structs are partial (``...;``): only the fields slurmgate reads or sets are named, the compiler
supplies the layout from ``slurm/slurm.h``. Constants use ``#define NAME ...`` so their values
come from the header too.
"""

CDEF = """
#define SHOW_ALL ...
#define SHOW_DETAIL ...
#define SHOW_LOCAL ...
#define SHOW_SIBLING ...
#define SHOW_FEDERATION ...
#define SHOW_FUTURE ...

#define JOB_STATE_BASE ...
#define JOB_STATE_FLAGS ...
#define JOB_LAUNCH_FAILED ...
#define JOB_REQUEUE ...
#define JOB_REQUEUE_HOLD ...
#define JOB_SPECIAL_EXIT ...
#define JOB_RESIZING ...
#define JOB_CONFIGURING ...
#define JOB_COMPLETING ...
#define JOB_STOPPED ...
#define JOB_REVOKED ...
#define JOB_REQUEUE_FED ...
#define JOB_RESV_DEL_HOLD ...
#define JOB_SIGNALING ...
#define JOB_STAGE_OUT ...

#define KILL_JOB_BATCH ...
#define KILL_STEPS_ONLY ...
#define KILL_FULL_JOB ...
#define KILL_HURRY ...
#define KILL_JOB_RESV ...

#define KILL_INV_DEP ...
#define NO_KILL_INV_DEP ...
#define HAS_STATE_DIR ...
#define BACKFILL_TEST ...
#define GRES_ENFORCE_BIND ...
#define TEST_NOW_ONLY ...
#define SPREAD_JOB ...
#define USE_MIN_NODES ...
#define JOB_KILL_HURRY ...
#define TRES_STR_CALC ...
#define SIB_JOB_FLUSH ...
#define HET_JOB_FLAG ...
#define JOB_NTASKS_SET ...
#define JOB_CPUS_SET ...
#define TOP_PRIO_TMP ...
#define JOB_ACCRUE_OVER ...
#define GRES_DISABLE_BIND ...
#define JOB_WAS_RUNNING ...
#define JOB_MEM_SET ...
#define JOB_RESIZED ...

#define MEM_PER_CPU ...
#define NICE_OFFSET ...
#define CORE_SPEC_THREAD ...
#define OPEN_MODE_APPEND ...
#define OPEN_MODE_TRUNCATE ...
#define JOB_SHARED_NONE ...
#define JOB_SHARED_OK ...
#define JOB_SHARED_USER ...
#define JOB_SHARED_MCS ...

#define MAIL_JOB_BEGIN ...
#define MAIL_JOB_END ...
#define MAIL_JOB_FAIL ...
#define MAIL_JOB_REQUEUE ...
#define MAIL_JOB_TIME100 ...
#define MAIL_JOB_TIME90 ...
#define MAIL_JOB_TIME80 ...
#define MAIL_JOB_TIME50 ...
#define MAIL_JOB_STAGE_OUT ...
#define MAIL_ARRAY_TASKS ...
#define MAIL_INVALID_DEPEND ...

typedef struct job_resources job_resources_t;

typedef struct {
    char *account;
    time_t accrue_time;
    char *admin_comment;
    uint32_t assoc_id;
    char *batch_features;
    char *burst_buffer;
    char *burst_buffer_state;
    char *cluster_features;
    char *container;
    uint16_t core_spec;
    uint16_t cores_per_socket;
    uint32_t cpu_freq_min;
    uint32_t cpu_freq_max;
    uint32_t cpu_freq_gov;
    char *cpus_per_tres;
    uint32_t delay_boot;
    char *mcs_label;
    char *mem_per_tres;
    uint16_t ntasks_per_core;
    uint16_t ntasks_per_socket;
    uint16_t ntasks_per_board;
    char *prefer;
    uint32_t pn_min_tmp_disk;
    time_t pre_sus_time;
    uint8_t reboot;
    uint16_t sockets_per_board;
    uint16_t sockets_per_node;
    char *system_comment;
    uint16_t threads_per_core;
    char *tres_bind;
    char *tres_freq;
    char *tres_per_job;
    char *tres_per_socket;
    char *tres_per_task;
    uint32_t array_job_id;
    uint32_t array_task_id;
    uint32_t array_max_tasks;
    char *array_task_str;
    uint16_t batch_flag;
    char *batch_host;
    uint64_t bitflags;
    char *cluster;
    char *command;
    char *comment;
    uint16_t contiguous;
    double billable_tres;
    uint16_t cpus_per_task;
    time_t deadline;
    char *dependency;
    uint32_t derived_ec;
    time_t eligible_time;
    time_t end_time;
    char *exc_nodes;
    uint32_t exit_code;
    char *features;
    uint32_t group_id;
    uint32_t het_job_id;
    char *het_job_id_set;
    uint32_t het_job_offset;
    uint32_t job_id;
    job_resources_t *job_resrcs;
    uint32_t job_state;
    time_t last_sched_eval;
    char *licenses;
    uint32_t max_cpus;
    uint32_t max_nodes;
    char *name;
    char *nodes;
    uint32_t nice;
    uint16_t ntasks_per_node;
    uint32_t num_cpus;
    uint32_t num_nodes;
    uint32_t num_tasks;
    char *partition;
    uint64_t pn_min_memory;
    uint16_t pn_min_cpus;
    time_t preempt_time;
    uint32_t priority;
    char *qos;
    char *req_nodes;
    uint16_t requeue;
    time_t resize_time;
    uint16_t restart_cnt;
    char *resv_name;
    uint16_t shared;
    time_t start_time;
    char *state_desc;
    slurmgate_reason_t state_reason;
    char *std_err;
    char *std_in;
    char *std_out;
    time_t submit_time;
    time_t suspend_time;
    uint32_t time_limit;
    uint32_t time_min;
    char *tres_per_node;
    char *tres_req_str;
    char *tres_alloc_str;
    uint32_t user_id;
    char *user_name;
    char *wckey;
    char *work_dir;
    ...;
} job_info_t;

typedef struct {
    time_t last_update;
    uint32_t record_count;
    job_info_t *job_array;
    ...;
} job_info_msg_t;

typedef struct {
    char *account;
    char *acctg_freq;
    uint32_t argc;
    char **argv;
    char *array_inx;
    char *batch_features;
    time_t begin_time;
    uint64_t bitflags;
    char *burst_buffer;
    char *cluster_features;
    char *comment;
    uint16_t contiguous;
    char *container;
    uint16_t core_spec;
    char *cpu_bind;
    uint16_t cpu_bind_type;
    uint32_t cpu_freq_min;
    uint32_t cpu_freq_max;
    uint32_t cpu_freq_gov;
    char *cpus_per_tres;
    time_t deadline;
    uint32_t delay_boot;
    char *dependency;
    char **environment;
    uint32_t env_size;
    char *exc_nodes;
    char *features;
    uint32_t group_id;
    char *job_id_str;
    uint16_t kill_on_node_fail;
    char *licenses;
    uint16_t mail_type;
    char *mail_user;
    char *mcs_label;
    char *mem_bind;
    uint16_t mem_bind_type;
    char *mem_per_tres;
    char *name;
    uint32_t nice;
    uint32_t num_tasks;
    uint8_t open_mode;
    char *partition;
    uint16_t plane_size;
    char *prefer;
    uint32_t priority;
    char *qos;
    char *req_nodes;
    uint16_t requeue;
    char *reservation;
    char *script;
    uint16_t shared;
    uint32_t task_dist;
    uint32_t time_limit;
    uint32_t time_min;
    char *tres_bind;
    char *tres_freq;
    char *tres_per_job;
    char *tres_per_node;
    char *tres_per_socket;
    char *tres_per_task;
    uint32_t user_id;
    uint16_t wait_all_nodes;
    uint16_t warn_flags;
    uint16_t warn_signal;
    uint16_t warn_time;
    char *work_dir;
    uint16_t cpus_per_task;
    uint32_t min_cpus;
    uint32_t max_cpus;
    uint32_t min_nodes;
    uint32_t max_nodes;
    uint16_t sockets_per_node;
    uint16_t cores_per_socket;
    uint16_t threads_per_core;
    uint16_t ntasks_per_node;
    uint16_t ntasks_per_socket;
    uint16_t ntasks_per_core;
    uint16_t pn_min_cpus;
    uint64_t pn_min_memory;
    char *std_err;
    char *std_in;
    char *std_out;
    char *wckey;
    ...;
} job_desc_msg_t;

typedef struct {
    uint32_t error_code;
    char *job_submit_user_msg;
    ...;
} submit_response_msg_t;

typedef struct {
    uint32_t job_array_count;
    char **job_array_id;
    uint32_t *error_code;
    ...;
} job_array_resp_msg_t;

void slurm_init_job_desc_msg(job_desc_msg_t *job_desc_msg);
int slurm_submit_batch_job(job_desc_msg_t *job_desc_msg, submit_response_msg_t **slurm_alloc_msg);
int slurm_submit_batch_het_job(list_t *job_req_list, submit_response_msg_t **slurm_alloc_msg);
void slurm_free_submit_response_response_msg(submit_response_msg_t *msg);

int slurm_load_jobs(time_t update_time, job_info_msg_t **job_info_msg_pptr, uint16_t show_flags);
void slurm_free_job_info_msg(job_info_msg_t *job_buffer_ptr);

int slurm_kill_job2(const char *job_id, uint16_t signal, uint16_t flags, const char *sibling);
int slurm_update_job2(job_desc_msg_t *job_msg, job_array_resp_msg_t **resp);
void slurm_free_job_array_resp(job_array_resp_msg_t *resp);
"""
