"""C declarations for the newer operations: signalling by filter, requeues, allocations,
node changes and removal, shares, resource layouts.

What differs between releases is declared once here and made the same by the C in
``shims_actions`` (stand-in types where a release lacks them, ``slurmgate_*`` shims); the
internal messages of shares and layouts are declared with names of their own
(``slurmgate_*_t``), as that C lays them out.
"""

CDEF = """
#define KILL_ARRAY_TASK ...
#define KILL_JOBS_VERBOSE ...
#define KILL_CRON ...
#define NODE_STATE_UNDRAIN ...
#define NODE_RESUME ...
#define NODE_STATE_POWER_DOWN ...
#define NODE_STATE_POWER_UP ...
#define NODE_STATE_POWER_DRAIN ...
#define NODE_STATE_REBOOT_CANCEL ...
static const int JOB_RUNNING;
static const int JOB_END;
static const int SLURM_UNEXPECTED_MSG_ERROR;
static const int ESLURM_INVALID_NODE_STATE;
static const int ESLURM_NODES_BUSY;
static const int ESLURM_BATCH_ONLY;

typedef struct {
    uint32_t job_id;
    uint32_t step_het_comp;
    uint32_t step_id;
    ...;
} slurm_step_id_t;

typedef struct {
    uint32_t array_task_id;
    uint32_t het_job_offset;
    slurm_step_id_t step_id;
    ...;
} slurm_selected_step_t;

typedef struct {
    char *account;
    uint16_t flags;
    char *job_name;
    char **jobs_array;
    uint32_t jobs_cnt;
    char *partition;
    char *qos;
    char *reservation;
    uint16_t signal;
    uint32_t state;
    uint32_t user_id;
    char *user_name;
    char *wckey;
    char *nodelist;
    ...;
} kill_jobs_msg_t;
typedef struct {
    uint32_t error_code;
    char *error_msg;
    slurm_selected_step_t *id;
    uint32_t real_job_id;
    char *sibling_name;
    ...;
} kill_jobs_resp_job_t;
typedef struct {
    kill_jobs_resp_job_t *job_responses;
    uint32_t jobs_cnt;
    ...;
} kill_jobs_resp_msg_t;
int slurm_kill_jobs(kill_jobs_msg_t *msg, kill_jobs_resp_msg_t **resp);
void slurm_free_kill_jobs_response_msg(kill_jobs_resp_msg_t *msg);
void slurmgate_selected_tasks(const slurm_selected_step_t *id, char *buf, int32_t size);

int slurm_requeue2(char *job_id, uint32_t flags, job_array_resp_msg_t **resp);

typedef struct {
    uint32_t error_code;
    char *job_submit_user_msg;
    char *node_list;
    ...;
} resource_allocation_response_msg_t;
int slurm_allocate_resources(job_desc_msg_t *job_desc_msg,
                             resource_allocation_response_msg_t **resp);
void slurm_free_resource_allocation_response_msg(resource_allocation_response_msg_t *msg);
uint32_t slurmgate_allocated_job_id(const resource_allocation_response_msg_t *resp);

typedef struct {
    char *comment;
    uint32_t cpu_bind;
    char *extra;
    char *features;
    char *features_act;
    char *gres;
    char *node_addr;
    char *node_hostname;
    char *node_names;
    uint32_t node_state;
    char *reason;
    uint32_t weight;
    ...;
} update_node_msg_t;
void slurm_init_update_node_msg(update_node_msg_t *update_node_msg);
int slurm_update_node(update_node_msg_t *node_msg);
int slurm_delete_node(update_node_msg_t *node_msg);
void slurmgate_node_msg_set_reason_uid(update_node_msg_t *msg, uint32_t uid);
int slurmgate_node_msg_set_resume_after(update_node_msg_t *msg, uint32_t seconds);
int slurmgate_node_msg_set_topology(update_node_msg_t *msg, char *topology);

typedef struct {
    uint32_t assoc_id;
    char *cluster;
    char *name;
    char *parent;
    char *partition;
    double shares_norm;
    uint32_t shares_raw;
    uint64_t *tres_run_secs;
    uint64_t *tres_grp_mins;
    double usage_efctv;
    double usage_norm;
    uint64_t usage_raw;
    long double *usage_tres_raw;
    double fs_factor;
    double level_fs;
    uint16_t user;
    ...;
} slurmgate_assoc_shares_t;
typedef struct {
    list_t *acct_list;
    list_t *user_list;
    ...;
} slurmgate_shares_request_t;
typedef struct {
    list_t *assoc_shares_list;
    uint64_t tot_shares;
    uint32_t tres_cnt;
    char **tres_names;
    ...;
} slurmgate_shares_response_t;
int slurmgate_get_shares(slurmgate_shares_request_t *req, slurmgate_shares_response_t **resp);
void slurm_free_shares_response_msg(slurmgate_shares_response_t *msg);

typedef struct {
    char *name;
    char *type;
    uint64_t count;
    int64_t *index;
    ...;
} slurmgate_gres_layout_t;
typedef struct {
    char *node;
    uint64_t mem_alloc;
    uint16_t sockets_per_node;
    uint16_t cores_per_socket;
    char *core_bitmap;
    uint32_t channel;
    list_t *gres;
    ...;
} slurmgate_node_layout_t;
typedef struct {
    list_t *nodes;
    ...;
} slurmgate_layout_msg_t;
int slurmgate_get_resource_layout(uint32_t job_id, slurmgate_layout_msg_t **resp);
void slurmgate_free_resource_layout(slurmgate_layout_msg_t *msg);
void slurmgate_bits(int64_t *bits, char *buf, int32_t size);
"""
