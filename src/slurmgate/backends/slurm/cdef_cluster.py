"""C declarations for the cluster's shape: nodes, partitions, reservations, licenses, statistics.

Structs are partial (``...;``): only the fields slurmgate reads are named, the compiler lays them
out from slurm.h. Constants and enum values are likewise taken from the header (``...``).

Some helpers libslurmfull.so exports (node_state_base_string, rpc_num2string,
slurm_free_stats_response_msg) are in no installed header, so they cannot be declared
here: an API-mode build would compile calls to them without a prototype. ``cluster_read``
resolves them at run time instead.

SHOW_ALL and SHOW_DETAIL, which the node and partition loads also take, are declared with the
job calls (cdef_jobs): cffi refuses a name declared twice.
"""

CDEF = """
#define SHOW_MIXED ...

#define NODE_STATE_BASE ...
#define NODE_STATE_FLAGS ...
#define NODE_STATE_RES ...
#define NODE_STATE_CLOUD ...
#define NODE_STATE_DRAIN ...
#define NODE_STATE_COMPLETING ...
#define NODE_STATE_NO_RESPOND ...
#define NODE_STATE_POWERED_DOWN ...
#define NODE_STATE_FAIL ...
#define NODE_STATE_MAINT ...
#define NODE_STATE_REBOOT_REQUESTED ...

enum node_states {
    NODE_STATE_UNKNOWN,
    NODE_STATE_DOWN,
    NODE_STATE_IDLE,
    NODE_STATE_ALLOCATED,
    NODE_STATE_ERROR,
    NODE_STATE_MIXED,
    NODE_STATE_FUTURE,
    NODE_STATE_END,
    ...
};

typedef struct {
    char *arch;
    char *bcast_address;
    uint16_t boards;
    time_t boot_time;
    char *comment;
    uint16_t cores;
    uint32_t cpu_bind;
    uint32_t cpu_load;
    uint64_t free_mem;
    uint16_t cpus;
    char *extra;
    char *features;
    char *features_act;
    char *gres;
    char *gres_drain;
    char *gres_used;
    time_t last_busy;
    char *mcs_label;
    char *name;
    uint32_t next_state;
    char *node_addr;
    char *node_hostname;
    uint32_t node_state;
    char *os;
    uint32_t owner;
    char *partitions;
    uint16_t port;
    uint64_t real_memory;
    char *reason;
    time_t reason_time;
    uint32_t reason_uid;
    time_t slurmd_start_time;
    uint16_t sockets;
    uint16_t threads;
    uint32_t tmp_disk;
    uint32_t weight;
    char *tres_fmt_str;
    char *version;
    ...;
} node_info_t;

typedef struct {
    time_t last_update;
    uint32_t record_count;
    node_info_t *node_array;
    ...;
} node_info_msg_t;

#define PART_FLAG_DEFAULT ...
#define PART_FLAG_HIDDEN ...
#define PART_FLAG_NO_ROOT ...
#define PART_FLAG_ROOT_ONLY ...
#define PART_FLAG_REQ_RESV ...
#define PART_FLAG_LLN ...
#define PART_FLAG_EXCLUSIVE_USER ...

#define PARTITION_UP ...
#define PARTITION_DOWN ...
#define PARTITION_DRAIN ...
#define PARTITION_INACTIVE ...

#define PREEMPT_MODE_OFF ...
#define PREEMPT_MODE_SUSPEND ...
#define PREEMPT_MODE_REQUEUE ...
#define PREEMPT_MODE_CANCEL ...
#define PREEMPT_MODE_WITHIN ...
#define PREEMPT_MODE_GANG ...

typedef struct {
    char *allow_alloc_nodes;
    char *allow_accounts;
    char *allow_groups;
    char *allow_qos;
    char *alternate;
    char *billing_weights_str;
    uint32_t cpu_bind;
    uint64_t def_mem_per_cpu;
    uint32_t default_time;
    char *deny_accounts;
    char *deny_qos;
    slurmgate_part_flags_t flags;
    uint32_t grace_time;
    uint32_t max_cpus_per_node;
    uint64_t max_mem_per_cpu;
    uint32_t max_nodes;
    uint16_t max_share;
    uint32_t max_time;
    uint32_t min_nodes;
    char *name;
    char *nodes;
    uint16_t over_time_limit;
    uint16_t preempt_mode;
    uint16_t priority_job_factor;
    uint16_t priority_tier;
    char *qos_char;
    uint16_t state_up;
    uint32_t total_cpus;
    uint32_t total_nodes;
    char *tres_fmt_str;
    ...;
} partition_info_t;

typedef struct {
    time_t last_update;
    uint32_t record_count;
    partition_info_t *partition_array;
    ...;
} partition_info_msg_t;

#define RESERVE_FLAG_MAINT ...
#define RESERVE_FLAG_NO_MAINT ...
#define RESERVE_FLAG_DAILY ...
#define RESERVE_FLAG_NO_DAILY ...
#define RESERVE_FLAG_WEEKLY ...
#define RESERVE_FLAG_NO_WEEKLY ...
#define RESERVE_FLAG_IGN_JOBS ...
#define RESERVE_FLAG_ANY_NODES ...
#define RESERVE_FLAG_NO_ANY_NODES ...
#define RESERVE_FLAG_STATIC ...
#define RESERVE_FLAG_NO_STATIC ...
#define RESERVE_FLAG_PART_NODES ...
#define RESERVE_FLAG_NO_PART_NODES ...
#define RESERVE_FLAG_OVERLAP ...
#define RESERVE_FLAG_SPEC_NODES ...
#define RESERVE_FLAG_FIRST_CORES ...
#define RESERVE_FLAG_TIME_FLOAT ...
#define RESERVE_FLAG_REPLACE ...
#define RESERVE_FLAG_ALL_NODES ...
#define RESERVE_FLAG_PURGE_COMP ...
#define RESERVE_FLAG_WEEKDAY ...
#define RESERVE_FLAG_WEEKEND ...
#define RESERVE_FLAG_FLEX ...
#define RESERVE_FLAG_NO_HOLD_JOBS ...
#define RESERVE_FLAG_REPLACE_DOWN ...
#define RESERVE_FLAG_MAGNETIC ...
#define RESERVE_FLAG_NO_MAGNETIC ...
#define RESERVE_FLAG_HOURLY ...
#define RESERVE_FLAG_NO_HOURLY ...

typedef struct {
    char *node_name;
    char *core_id;
    ...;
} resv_core_spec_t;

typedef struct {
    char *accounts;
    char *burst_buffer;
    uint32_t core_cnt;
    uint32_t core_spec_cnt;
    resv_core_spec_t *core_spec;
    time_t end_time;
    char *features;
    uint64_t flags;
    char *groups;
    char *licenses;
    uint32_t max_start_delay;
    char *name;
    uint32_t node_cnt;
    char *node_list;
    char *partition;
    uint32_t purge_comp_time;
    time_t start_time;
    char *tres_str;
    char *users;
    ...;
} reserve_info_t;

typedef struct {
    time_t last_update;
    uint32_t record_count;
    reserve_info_t *reservation_array;
    ...;
} reserve_info_msg_t;

typedef struct {
    char *name;
    uint32_t total;
    uint32_t in_use;
    uint32_t available;
    uint8_t remote;
    uint32_t reserved;
    ...;
} slurm_license_info_t;

typedef struct {
    time_t last_update;
    uint32_t num_lic;
    slurm_license_info_t *lic_array;
    ...;
} license_info_msg_t;

#define STAT_COMMAND_RESET ...
#define STAT_COMMAND_GET ...

typedef struct {
    uint16_t command_id;
    ...;
} stats_info_request_msg_t;

typedef struct {
    time_t req_time;
    time_t req_time_start;
    uint32_t server_thread_count;
    uint32_t agent_queue_size;
    uint32_t agent_count;
    uint32_t agent_thread_count;
    uint32_t dbd_agent_queue_size;
    uint32_t gettimeofday_latency;
    uint32_t schedule_cycle_max;
    uint32_t schedule_cycle_last;
    slurmgate_cycle_sum_t schedule_cycle_sum;
    uint32_t schedule_cycle_counter;
    uint32_t schedule_cycle_depth;
    uint32_t schedule_queue_len;
    uint32_t jobs_submitted;
    uint32_t jobs_started;
    uint32_t jobs_completed;
    uint32_t jobs_canceled;
    uint32_t jobs_failed;
    uint32_t jobs_pending;
    uint32_t jobs_running;
    time_t job_states_ts;
    uint32_t bf_backfilled_jobs;
    uint32_t bf_last_backfilled_jobs;
    uint32_t bf_backfilled_het_jobs;
    uint32_t bf_cycle_counter;
    uint64_t bf_cycle_sum;
    uint32_t bf_cycle_last;
    uint32_t bf_cycle_max;
    uint32_t bf_last_depth;
    uint32_t bf_last_depth_try;
    uint32_t bf_depth_sum;
    uint32_t bf_depth_try_sum;
    uint32_t bf_queue_len;
    uint32_t bf_queue_len_sum;
    uint32_t bf_table_size;
    uint32_t bf_table_size_sum;
    time_t bf_when_last_cycle;
    uint32_t bf_active;
    uint32_t rpc_type_size;
    uint16_t *rpc_type_id;
    uint32_t *rpc_type_cnt;
    uint64_t *rpc_type_time;
    uint32_t rpc_user_size;
    uint32_t *rpc_user_id;
    uint32_t *rpc_user_cnt;
    uint64_t *rpc_user_time;
    ...;
} stats_info_response_msg_t;

int slurm_load_node(time_t update_time, node_info_msg_t **resp, uint16_t show_flags);
int slurm_load_node_single(node_info_msg_t **resp, char *node_name, uint16_t show_flags);
void slurm_populate_node_partitions(node_info_msg_t *node_buffer_ptr,
                                    partition_info_msg_t *part_buffer_ptr);
void slurm_free_node_info_msg(node_info_msg_t *node_buffer_ptr);

int slurm_load_partitions(time_t update_time, partition_info_msg_t **part_buffer_ptr,
                          uint16_t show_flags);
void slurm_free_partition_info_msg(partition_info_msg_t *part_info_ptr);

int slurm_load_reservations(time_t update_time, reserve_info_msg_t **resp);
void slurm_free_reservation_info_msg(reserve_info_msg_t *resv_info_ptr);

int slurm_load_licenses(time_t update_time, license_info_msg_t **msg, uint16_t show_flags);
void slurm_free_license_info_msg(license_info_msg_t *msg);

int slurm_get_statistics(stats_info_response_msg_t **buf, stats_info_request_msg_t *req);
"""
