/*
 * kv_backend.h - what a persistence backend provides to kv.c, and the batch
 * both read. Private to common/kv*.c.
 */
#ifndef VEIL_KV_BACKEND_H
#define VEIL_KV_BACKEND_H

#include <pthread.h>
#include <stdbool.h>

#include "kv.h"

typedef enum { KV_OP_PUT, KV_OP_DELETE, KV_OP_DELETE_RANGE } kv_op_kind;

/* One operation; key and value (or range end) are offsets into the batch's bytes. */
typedef struct {
    kv_op_kind kind;
    size_t key, klen, val, vlen;
} kv_op;

struct kv_batch {
    kv_op *ops;
    size_t n, cap;
    veil_buf bytes;
    bool failed; /* an allocation failed: kv_write refuses the batch */
};

static inline const char *kv_op_key(const kv_batch *b, const kv_op *op)
{
    return b->bytes.data + op->key;
}

static inline const char *kv_op_val(const kv_batch *b, const kv_op *op)
{
    return b->bytes.data + op->val;
}

typedef struct {
    void (*close)(void *impl);
    int (*get)(void *impl, const void *key, size_t klen, veil_buf *val);
    int (*write)(void *impl, const kv_batch *b, bool sync);
    int (*scan)(void *impl, const char *prefix, size_t plen, const char *after, size_t alen,
                kv_scan_fn fn, void *user);
    int (*compact)(void *impl);
    int (*backup)(void *impl, const char *dir, uint32_t *backup_id);
    /* seconds 0: release. NULL: every lease is granted. */
    int (*lease)(void *impl, const char *name, uint32_t seconds);
    /* NULL: nothing to watch. */
    int (*watch)(void *impl, const char *name, kv_notice_fn fn, void *user);
    int (*notify)(void *impl, const char *name);
    void (*unwatch)(void *impl);
} kv_backend;

struct kv {
    const kv_backend *be;
    void *impl;
    bool read_only;
};

/*
 * A backend's library is loaded when its first database opens, not when
 * veil starts: RocksDB's and Ceph's libraries take tens of milliseconds to
 * load and set up, which every command would pay (`veil mask` on a laptop
 * never opens a database). A backend lists its functions as CALLS(X) and
 * writes KV_LIBRARY(soname, CALLS): that defines `lib`, whose members are
 * the functions (lib.rocksdb_open(...)), and library_loaded(), which loads
 * the library on its first call, once whatever the thread, and says
 * whether it and every function were found.
 */
bool kv_load_library(const char *soname, const char *const *names, void **slots, size_t n);

#define KV_LIB_NAME(name)    #name,
#define KV_LIB_POINTER(name) __typeof__(name) *name;
#define KV_LIBRARY(soname, CALLS)                                                                  \
    static const char *const lib_names[] = {CALLS(KV_LIB_NAME)};                                   \
    static union {                                                                                 \
        struct {                                                                                   \
            CALLS(KV_LIB_POINTER)                                                                  \
        };                                                                                         \
        void *slot[sizeof lib_names / sizeof *lib_names];                                          \
    } lib;                                                                                         \
    _Static_assert(sizeof lib == sizeof lib.slot, "one pointer per function");                     \
    static pthread_once_t lib_once = PTHREAD_ONCE_INIT;                                            \
    static bool lib_loaded;                                                                        \
    static void load_library(void)                                                                 \
    {                                                                                              \
        lib_loaded =                                                                               \
            kv_load_library(soname, lib_names, lib.slot, sizeof lib_names / sizeof *lib_names);    \
    }                                                                                              \
    static bool library_loaded(void)                                                               \
    {                                                                                              \
        pthread_once(&lib_once, load_library);                                                     \
        return lib_loaded;                                                                         \
    }

/* Each backend's open: on success *impl is what its functions take. */
int kv_rocksdb_open(void **impl, const char *path, bool read_only) VEIL_MUST_CHECK;
extern const kv_backend kv_rocksdb_backend;
#ifdef VEIL_WITH_RADOS
int kv_rados_open(void **impl, const kv_rados_target *target, bool read_only) VEIL_MUST_CHECK;
/* librados could be loaded (it is, on the first call). */
bool kv_rados_available(void);
extern const kv_backend kv_rados_backend;
#endif

#endif
