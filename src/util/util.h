// util: error reporting, logging and progress bars, seeded RNG, timers, atomic file writes,
// scratch memory on disk.
// Depends on libc only. Every other module may use it.
#ifndef CX_UTIL_H
#define CX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CX_VERSION "0.1.0"

// ---- errors -------------------------------------------------------------------------------
// Library functions return 0 on success and -1 on failure, filling a cx_error with a message
// that names the file, line/tensor/field and what was expected. Only cli/ prints it.
typedef struct cx_error {
    char msg[1024];
} cx_error;

// Formats the message into err (if non-NULL) and returns -1, so `return cx_fail(err, ...)`.
int cx_fail(cx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Prepends "context: " to an existing message (e.g. the file name a lower layer did not know).
int cx_fail_wrap(cx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Allocation that cannot fail silently: on out-of-memory prints file:line and the size, exits 1.
#define cx_malloc(n) cx_malloc_at((n), __FILE__, __LINE__)
#define cx_calloc(n, sz) cx_calloc_at((n), (sz), __FILE__, __LINE__)
#define cx_realloc(p, n) cx_realloc_at((p), (n), __FILE__, __LINE__)
void *cx_malloc_at(size_t n, const char *file, int line);
void *cx_calloc_at(size_t n, size_t sz, const char *file, int line);
void *cx_realloc_at(void *p, size_t n, const char *file, int line);
char *cx_strdup(const char *s);
// 64-byte aligned allocation (free with free()).
void *cx_aligned_alloc(size_t n);
// Zeroed, 2 MiB-aligned memory on transparent huge pages where the kernel offers them: one page
// fault per 2 MiB instead of one per 4 KiB (faulting 4 KiB pages in was a third of the time of
// a one-image attribution), and only for the pages touched (fresh pages are zero: no memset).
// Plan areas, the network's flat tensors, converted weights, attribution buffers.
// cx_huge_free (not free()) releases it.
void *cx_huge_alloc(size_t bytes);
void cx_huge_free(void *p);

// Overflow-checked size arithmetic: returns 0 and sets *out, or -1 on overflow.
int cx_mul_size(size_t a, size_t b, size_t *out);

// Internal invariant violated (a bug, never user input): prints file:line and aborts.
#define CX_ASSERT(cond)                                                                        \
    do {                                                                                       \
        if (!(cond)) cx_panic(__FILE__, __LINE__, "assertion failed: %s", #cond);             \
    } while (0)
_Noreturn void cx_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// ---- logging and progress -------------------------------------------------------------------
// Everything goes to stderr. Level: 0 quiet (warnings and errors only), 1 normal, 2 verbose.
extern int cx_log_level;
void cx_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cx_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// A progress bar on a terminal (redrawn in place, at most 10 times a second), plain periodic
// lines otherwise (at most every 10 s). `unit` names what is counted ("img", "maps").
typedef struct cx_progress {
    const char *label, *unit;
    int64_t total, done;
    double t_start, t_last_draw;
    int is_tty;
    char extra[128]; // caller's live fields, e.g. "loss 0.312"
} cx_progress;
void cx_progress_start(cx_progress *p, const char *label, const char *unit, int64_t total);
// Sets done (absolute) and an optional extra text (NULL keeps the previous one).
void cx_progress_update(cx_progress *p, int64_t done, const char *extra);
void cx_progress_finish(cx_progress *p);

// ---- time and memory -------------------------------------------------------------------------
double cx_now_s(void);          // monotonic seconds
double cx_peak_rss_mb(void);    // peak resident set size of this process, MiB

// ---- seeded RNG (xoshiro256**, seeded by splitmix64) ----------------------------------------
// Same seed -> same stream on every machine. Independent streams: cx_rng_seed(&r, seed, stream).
typedef struct cx_rng {
    uint64_t s[4];
} cx_rng;
void cx_rng_seed(cx_rng *r, uint64_t seed, uint64_t stream);
uint64_t cx_rng_u64(cx_rng *r);
double cx_rng_uniform(cx_rng *r);               // [0, 1)
double cx_rng_normal(cx_rng *r);                // N(0, 1), Box-Muller (no cached second value)
uint64_t cx_rng_below(cx_rng *r, uint64_t n);   // uniform integer in [0, n), unbiased

// ---- files -------------------------------------------------------------------------------
// Atomic output: write to "<path>.tmp.<pid>", then cx_atomic_commit fsyncs, closes and renames
// over path (and fsyncs the directory). cx_atomic_abort closes and removes the temporary.
typedef struct cx_atomic_file {
    FILE *f;
    char path[4096], tmp[4200];
} cx_atomic_file;
int cx_atomic_open(cx_atomic_file *af, const char *path, cx_error *err);
int cx_atomic_commit(cx_atomic_file *af, cx_error *err);
void cx_atomic_abort(cx_atomic_file *af);
// Whole-buffer convenience wrapper over the three calls above.
int cx_write_file_atomic(const char *path, const void *data, size_t n, cx_error *err);
// Reads a whole file into a malloc'd buffer (NUL-terminated, *n excludes the NUL).
int cx_read_file(const char *path, char **data, size_t *n, cx_error *err);
// mkdir -p; 0 if the directory exists afterwards.
int cx_mkdir_p(const char *path, cx_error *err);
int cx_path_exists(const char *path);
// rm -r path (a file or a directory tree; nothing when absent), for directories the program
// made itself. 0, or -1 when something could not be removed.
int cx_remove_tree(const char *path);
int cx_is_dir(const char *path);
// A path formatted into out (size cap): 0, or -1 with err naming the start of a path that does not
// fit (never a silently shortened path).
int cx_pathf(char *out, size_t cap, cx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
// Text (a message, a label, a title, provenance) formatted into out and cut to cap - 1 bytes when
// longer: for what is read by people, never for a path.
void cx_textf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Joins a and b with one '/', into out (size cap); returns out. Callers size out as PATH_MAX plus
// the longest b: a longer result is no usable path (the system refuses it, naming it).
char *cx_path_join(char *out, size_t cap, const char *a, const char *b);

// ---- scratch memory on disk ------------------------------------------------------------------
// For arrays that may exceed RAM: an unlinked temporary file in dir, mapped shared read/write and
// zero-filled. Its pages are written out and evicted under memory pressure (anonymous memory
// without swap cannot be), so disk space, not RAM, bounds the size. The file loses its name at
// once: nothing is left in dir, even after kill -9. NULL (err names dir, the bytes or the failing
// call) when bytes is 0, exceeds the free space of dir, or a call fails.
void *cx_scratch_map(size_t bytes, const char *dir, cx_error *err);
void cx_scratch_unmap(void *p, size_t bytes); // p NULL: nothing
// Bytes of dir's filesystem free to an unprivileged writer (statvfs).
int cx_disk_free(const char *dir, uint64_t *bytes, cx_error *err);
// Where scratch for an output at path belongs: the nearest existing directory above path (the
// filesystem path will be created on). Into out (size cap); returns out.
char *cx_scratch_dir_for(char *out, size_t cap, const char *path);

// ---- threads -------------------------------------------------------------------------------
// Sets OpenMP's thread count (0 = leave as is). Commands call it for --threads.
void cx_set_threads(int n);

// ---- bf16 --------------------------------------------------------------------------------
// Round-to-nearest-even fp32 -> bf16, and back.
static inline uint16_t cx_f32_to_bf16(float f) {
    union { float f; uint32_t u; } v = {.f = f};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40); // NaN
    v.u += 0x7fffu + ((v.u >> 16) & 1u);
    return (uint16_t)(v.u >> 16);
}
static inline float cx_bf16_to_f32(uint16_t h) {
    union { uint32_t u; float f; } v = {.u = (uint32_t)h << 16};
    return v.f;
}

#endif
