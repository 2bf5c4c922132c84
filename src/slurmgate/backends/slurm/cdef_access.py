"""C declarations for who may see what: PrivateData bits and slurmctld's association cache.

``slurm_load_assoc_mgr_info`` returns slurmctld's own copy of the accounting users (admin
level, coordinated accounts), the records its permission checks read. Those records are
``slurmdb.h`` types, which the binding's preamble includes.

``list_t`` and ``slurm_conf_t`` (with ``private_data``) are declared with the core calls.
"""

CDEF = """
#define PRIVATE_DATA_JOBS ...
#define PRIVATE_DATA_NODES ...
#define PRIVATE_DATA_PARTITIONS ...
#define PRIVATE_DATA_USAGE ...
#define PRIVATE_DATA_USERS ...
#define PRIVATE_DATA_ACCOUNTS ...
#define PRIVATE_DATA_RESERVATIONS ...
#define PRIVATE_DATA_EVENTS ...

#define ASSOC_MGR_INFO_FLAG_USERS ...

typedef enum {
    SLURMDB_ADMIN_NOTSET,
    SLURMDB_ADMIN_NONE,
    SLURMDB_ADMIN_OPERATOR,
    SLURMDB_ADMIN_SUPER_USER,
    ...
} slurmdb_admin_level_t;

typedef struct listIterator list_itr_t;
list_itr_t *slurm_list_iterator_create(list_t *l);
void *slurm_list_next(list_itr_t *i);
void slurm_list_iterator_destroy(list_itr_t *i);

typedef struct {
    char *name;
    uint16_t direct;
    ...;
} slurmdb_coord_rec_t;

typedef struct slurmdb_user_rec slurmdb_user_rec_t;
struct slurmdb_user_rec {
    uint16_t admin_level;
    list_t *assoc_list;
    list_t *coord_accts;
    char *default_acct;
    char *default_wckey;
    uint32_t flags;
    char *name;
    char *old_name;
    uint32_t uid;
    list_t *wckey_list;
    ...;
};

typedef struct {
    list_t *acct_list;
    uint32_t flags;
    list_t *qos_list;
    list_t *user_list;
    ...;
} assoc_mgr_info_request_msg_t;

typedef struct {
    list_t *user_list;
    ...;
} assoc_mgr_info_msg_t;

int slurm_load_assoc_mgr_info(assoc_mgr_info_request_msg_t *req, assoc_mgr_info_msg_t **resp);
void slurm_free_assoc_mgr_info_msg(assoc_mgr_info_msg_t *msg);
"""
