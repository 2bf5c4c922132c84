"""C declarations of libslurm's process-wide calls: start-up, errors, credentials, ping."""

CDEF = """
typedef int... time_t;
typedef int... uid_t;
typedef int... gid_t;

void slurm_init(const char *conf);
char *slurm_strerror(int errnum);

/* Not in slurm.h: the per-thread credential slurmrestd itself sets for each request. */
int auth_g_thread_config(const char *token, const char *username);
void auth_g_thread_clear(void);

int slurm_ping(int dest);

/* Error numbers, read from the headers: their values may move between releases. */
static const int SLURM_ERROR;
static const int SLURM_COMMUNICATIONS_CONNECTION_ERROR;
static const int SLURM_COMMUNICATIONS_SEND_ERROR;
static const int SLURM_COMMUNICATIONS_RECEIVE_ERROR;
static const int SLURM_COMMUNICATIONS_SHUTDOWN_ERROR;
static const int SLURM_PROTOCOL_VERSION_ERROR;
static const int SLURM_PROTOCOL_AUTHENTICATION_ERROR;
static const int SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR;
static const int SLURMCTLD_COMMUNICATIONS_SEND_ERROR;
static const int SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR;
static const int SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR;
static const int SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT;
static const int SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT;
static const int SLURM_NO_CHANGE_IN_DATA;
static const int ESLURM_IN_STANDBY_MODE;
static const int ESLURM_IN_STANDBY_USE_BACKUP;
static const int ESLURM_ACCESS_DENIED;
static const int ESLURM_USER_ID_MISSING;
static const int ESLURM_INVALID_JOB_ID;
static const int ESLURM_INVALID_NODE_NAME;
static const int ESLURM_INVALID_PARTITION_NAME;
static const int ESLURM_RESERVATION_INVALID;
static const int ESLURM_INVALID_ACCOUNT;
static const int ESLURM_INVALID_QOS;
static const int ESLURM_INVALID_LICENSES;
static const int ESLURM_DEPENDENCY;
static const int ESLURM_INVALID_FEATURE;
static const int ESLURM_ALREADY_DONE;
static const int ESLURM_JOB_FINISHED;
static const int ESLURM_JOB_PENDING;
static const int ESLURM_JOB_NOT_PENDING;
static const int ESLURM_JOB_NOT_RUNNING;
static const int ESLURM_JOB_NOT_PENDING_NOR_RUNNING;
static const int ESLURM_TRANSITION_STATE_NO_UPDATE;
static const int ESLURM_DISABLED;
static const int ESLURM_NOT_SUPPORTED;
static const int ESLURM_AUTH_CRED_INVALID;
static const int ESLURM_AUTH_UNPACK;

/* list_t since 23.02 (List before) is the same struct xlist; slurm_list_append's result,
   a void * before 23.02, is not used (releases.py). */
typedef struct xlist list_t;
typedef void (*ListDelF)(void *x);
list_t *slurm_list_create(ListDelF f);
void slurm_list_append(list_t *l, void *x);
void slurm_list_destroy(list_t *l);

typedef struct {
    char *cluster_name;
    char **control_machine;
    uint32_t control_cnt;
    uint16_t private_data;
    uint32_t max_job_cnt;
    char *authalt_params;
    char *slurm_user_name;
    uint32_t slurm_user_id;
    uint16_t select_type_param;
    ...;
} slurm_conf_t;
int slurm_load_ctl_conf(time_t update_time, slurm_conf_t **slurm_ctl_conf_ptr);
"""
