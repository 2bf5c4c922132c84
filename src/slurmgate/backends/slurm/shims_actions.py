"""C for the newer operations, by release: part of the binding's preamble (``releases``).

Signalling by filter, shares and resource layouts reach into what differs most between releases:

- ``slurm_kill_jobs`` and its messages exist from 24.05. Older releases get stand-in types of
  the same names, so that one declaration serves all, and a ``slurm_kill_jobs`` that answers
  ESLURM_NOT_SUPPORTED; the Python side does not call it there (``releases.has``).
- Fair-share data: ``slurm_associations_get_shares`` is exported from 23.11; before it,
  sshare sent REQUEST_SHARE_INFO itself through ``slurm_send_recv_controller_msg``, which the
  shim below does alike. The messages (and ``slurm_msg_t`` of 22.05 and 23.02, as far as the
  message type and data) are in no installed header: they are declared here as those releases'
  src/common/slurm_protocol_defs.h lay them out, unchanged from 22.05 to 26.05. The message is
  built in a buffer larger than any release's ``slurm_msg_t``.
- ``slurm_get_resource_layout`` (25.11) answers with an internal message too, declared here
  as 25.11 and 26.05 lay it out; it returns its error number rather than setting errno.
- Node updates: ``reason_uid`` went in 26.05, ``resume_after`` came in 23.02, ``topology_str``
  in 25.05; the setters say when the release cannot.
"""

from __future__ import annotations

PREAMBLE = r"""
#include <stdbool.h>

extern char *slurm_bit_fmt(char *str, int32_t len, bitstr_t *b);

/* -- signalling jobs by filter ---------------------------------------------------------- */

#if SLURMGATE_KILL_JOBS
extern void slurm_free_kill_jobs_response_msg(kill_jobs_resp_msg_t *msg);
#else
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
} kill_jobs_msg_t;
typedef struct {
    uint32_t error_code;
    char *error_msg;
    slurm_selected_step_t *id;
    uint32_t real_job_id;
    char *sibling_name;
} kill_jobs_resp_job_t;
typedef struct {
    kill_jobs_resp_job_t *job_responses;
    uint32_t jobs_cnt;
} kill_jobs_resp_msg_t;
static int slurm_kill_jobs(kill_jobs_msg_t *msg, kill_jobs_resp_msg_t **resp)
{
    (void) msg;
    *resp = NULL;
    errno = ESLURM_NOT_SUPPORTED;
    return ESLURM_NOT_SUPPORTED;
}
static void slurm_free_kill_jobs_response_msg(kill_jobs_resp_msg_t *msg) { (void) msg; }
#endif
#ifndef KILL_ARRAY_TASK
#define KILL_ARRAY_TASK 0
#endif
#ifndef KILL_JOBS_VERBOSE
#define KILL_JOBS_VERBOSE 0
#endif
#ifndef KILL_CRON
#define KILL_CRON 0
#endif

/* The pending array tasks a kill_jobs response names ("4-9"), "" when it names none. */
static void slurmgate_selected_tasks(const slurm_selected_step_t *id, char *buf, int32_t size)
{
    buf[0] = 0;
#if SLURMGATE_KILL_JOBS
    if (id->array_bitmap)
        slurm_bit_fmt(buf, size, id->array_bitmap);
#else
    (void) id;
    (void) size;
#endif
}

/* -- fair-share ------------------------------------------------------------------------- */

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
} slurmgate_assoc_shares_t;
typedef struct {
    list_t *acct_list;
    list_t *user_list;
} slurmgate_shares_request_t;
typedef struct {
    list_t *assoc_shares_list;
    uint64_t tot_shares;
    uint32_t tres_cnt;
    char **tres_names;
} slurmgate_shares_response_t;
extern void slurm_free_shares_response_msg(slurmgate_shares_response_t *msg);

#if SLURMGATE_SHARES_CALL
extern int slurm_associations_get_shares(slurmgate_shares_request_t *req,
                                         slurmgate_shares_response_t **resp);
static int slurmgate_get_shares(slurmgate_shares_request_t *req,
                                slurmgate_shares_response_t **resp)
{
    return slurm_associations_get_shares(req, resp);
}
#else
typedef struct {
    uint16_t cnt;
    uint16_t init;
    char *nodelist;
    uint32_t timeout;
    uint16_t tree_width;
} slurmgate_forward_t;
typedef struct {
    slurm_addr_t address;
    void *auth_cred;
    int auth_index;
    uid_t auth_uid;
    bool auth_uid_set;
    uid_t restrict_uid;
    bool restrict_uid_set;
    uint32_t body_offset;
    void *buffer;
    void *conn;
    int conn_fd;
    void *data;
    uint32_t data_size;
    uint16_t flags;
    uint8_t hash_index;
    uint16_t msg_type;
    uint16_t protocol_version;
    slurmgate_forward_t forward;
    void *forward_struct;
    slurm_addr_t orig_addr;
    list_t *ret_list;
} slurmgate_msg_t;
typedef union {
    slurmgate_msg_t msg;
    char room[2048];
} slurmgate_msg_space_t;
extern void slurm_msg_t_init(slurmgate_msg_t *msg);
extern int slurm_send_recv_controller_msg(slurmgate_msg_t *request, slurmgate_msg_t *response,
                                          void *comm_cluster_rec);
extern void slurm_free_return_code_msg(void *msg);
static int slurmgate_get_shares(slurmgate_shares_request_t *req,
                                slurmgate_shares_response_t **resp)
{
    slurmgate_msg_space_t request, response;
    slurm_msg_t_init(&request.msg);
    slurm_msg_t_init(&response.msg);
    request.msg.msg_type = 2022; /* REQUEST_SHARE_INFO */
    request.msg.data = req;
    *resp = NULL;
    if (slurm_send_recv_controller_msg(&request.msg, &response.msg, NULL) < 0)
        return -1;
    if (response.msg.msg_type == 2023) { /* RESPONSE_SHARE_INFO */
        *resp = response.msg.data;
        return 0;
    }
    if (response.msg.msg_type == 8001) { /* RESPONSE_SLURM_RC */
        int rc = (int) *(uint32_t *) response.msg.data;
        slurm_free_return_code_msg(response.msg.data);
        if (rc) {
            errno = rc;
            return -1;
        }
        return 0;
    }
    errno = SLURM_UNEXPECTED_MSG_ERROR;
    return -1;
}
#endif

/* -- resource layouts ------------------------------------------------------------------- */

typedef struct {
    char *name;
    char *type;
    uint64_t count;
    bitstr_t *index;
} slurmgate_gres_layout_t;
typedef struct {
    char *node;
    uint64_t mem_alloc;
    uint16_t sockets_per_node;
    uint16_t cores_per_socket;
    char *core_bitmap;
    uint32_t channel;
    list_t *gres;
} slurmgate_node_layout_t;
typedef struct {
    list_t *nodes;
} slurmgate_layout_msg_t;

#if SLURMGATE_RESOURCE_LAYOUT
extern void slurm_free_resource_layout_msg(slurmgate_layout_msg_t *msg);
#endif
/* 0, or the error number (slurm_get_resource_layout returns it; errno when it did not). */
static int slurmgate_get_resource_layout(uint32_t job_id, slurmgate_layout_msg_t **resp)
{
    *resp = NULL;
#if SLURMGATE_RESOURCE_LAYOUT
    slurm_step_id_t step_id = SLURM_STEP_ID_INITIALIZER;
    step_id.job_id = job_id;
    int rc = slurm_get_resource_layout(&step_id, (void **) resp);
    return rc == SLURM_ERROR ? errno : rc;
#else
    (void) job_id;
    return ESLURM_NOT_SUPPORTED;
#endif
}
static void slurmgate_free_resource_layout(slurmgate_layout_msg_t *msg)
{
#if SLURMGATE_RESOURCE_LAYOUT
    slurm_free_resource_layout_msg(msg);
#else
    (void) msg;
#endif
}
static void slurmgate_bits(bitstr_t *bits, char *buf, int32_t size)
{
    buf[0] = 0;
    if (bits)
        slurm_bit_fmt(buf, size, bits);
}

/* -- allocations and node updates ------------------------------------------------------- */

static uint32_t slurmgate_allocated_job_id(const resource_allocation_response_msg_t *resp)
{
#if SLURMGATE_STEP_ID_MSGS
    return resp->step_id.job_id;
#else
    return resp->job_id;
#endif
}

static void slurmgate_node_msg_set_reason_uid(update_node_msg_t *msg, uint32_t uid)
{
#if SLURMGATE_NO_NODE_REASON_UID
    (void) msg;  /* slurmctld records who sent the update */
    (void) uid;
#else
    msg->reason_uid = uid;
#endif
}

/* 0, or -1 when the release has no ResumeAfter. */
static int slurmgate_node_msg_set_resume_after(update_node_msg_t *msg, uint32_t seconds)
{
#if SLURMGATE_NODE_RESUME_AFTER
    msg->resume_after = seconds;
    return 0;
#else
    (void) msg;
    (void) seconds;
    return -1;
#endif
}

/* 0, or -1 when the release has no node topology. */
static int slurmgate_node_msg_set_topology(update_node_msg_t *msg, char *topology)
{
#if SLURMGATE_NODE_TOPOLOGY
    msg->topology_str = topology;
    return 0;
#else
    (void) msg;
    (void) topology;
    return -1;
#endif
}
"""
