// util: errors, allocation, logging, progress, time, RNG, threads. (Files: files.c, scratch.c.)
#include "util/util.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

// ---- errors ----------------------------------------------------------------------------------
int cx_fail(cx_error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int cx_fail_wrap(cx_error *err, const char *fmt, ...) {
    if (!err) return -1;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    cx_textf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return -1;
}

_Noreturn void cx_panic(const char *file, int line, const char *fmt, ...) {
    fprintf(stderr, "cxrgaze: internal error at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static _Noreturn void out_of_memory(size_t n, const char *file, int line) {
    fprintf(stderr, "cxrgaze: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
    exit(1);
}

void *cx_malloc_at(size_t n, const char *file, int line) {
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n, file, line);
    return p;
}

void *cx_calloc_at(size_t n, size_t sz, const char *file, int line) {
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) out_of_memory(n * sz, file, line);
    return p;
}

void *cx_realloc_at(void *p, size_t n, const char *file, int line) {
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n, file, line);
    return q;
}

char *cx_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = cx_malloc(n);
    memcpy(d, s, n);
    return d;
}

void *cx_aligned_alloc(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) out_of_memory(n, __FILE__, __LINE__);
    return p;
}

// A private anonymous mapping: bytes rounded up to 2 MiB, the 2 MiB alignment slack and one
// page in front for the header (the mapping's start and length, just below the pointer). The
// kernel hands out zero pages on first touch, so memory never written costs nothing.
typedef struct huge_header {
    void *base;
    size_t len;
} huge_header;

void *cx_huge_alloc(size_t bytes) {
    const size_t huge = (size_t)2 << 20, page = 4096;
    const size_t n = (bytes + huge - 1) / huge * huge + (bytes ? 0 : huge);
    const size_t len = n + huge + page;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) out_of_memory(bytes, __FILE__, __LINE__);
    char *q = (char *)(((uintptr_t)base + page + huge - 1) & ~(uintptr_t)(huge - 1));
#ifdef MADV_HUGEPAGE
    madvise(q, n, MADV_HUGEPAGE); // advice only: 4 KiB pages when refused
#endif
    ((huge_header *)q)[-1] = (huge_header){base, len};
    return q;
}

void cx_huge_free(void *p) {
    if (!p) return;
    huge_header h = ((huge_header *)p)[-1];
    munmap(h.base, h.len);
}

int cx_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

// ---- logging -------------------------------------------------------------------------------
int cx_log_level = 1;

static void vlog(const char *prefix, const char *fmt, va_list ap) {
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cx_info(const char *fmt, ...) {
    if (cx_log_level < 1) return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void cx_verbose(const char *fmt, ...) {
    if (cx_log_level < 2) return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void cx_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

// ---- progress --------------------------------------------------------------------------------
static void fmt_duration(char *out, size_t cap, double s) {
    if (!(s >= 0) || s > 360000) {
        snprintf(out, cap, "--:--");
        return;
    }
    int t = (int)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(out, cap, "%02d:%02d", t / 60, t % 60);
}

static void progress_draw(cx_progress *p, int final) {
    double now = cx_now_s(), el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    double eta = (rate > 0 && p->total > 0) ? (double)(p->total - p->done) / rate : -1;
    char e1[32], e2[32];
    fmt_duration(e1, sizeof e1, el);
    fmt_duration(e2, sizeof e2, eta);
    if (p->is_tty) {
        int width = 24, fill = p->total > 0 ? (int)(width * p->done / p->total) : 0;
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r%s [%s] %lld/%lld %s | %.1f %s/s | %s%s%s | ETA %s\033[K", p->label,
                bar, (long long)p->done, (long long)p->total, e1, rate, p->unit, p->extra,
                p->extra[0] ? " " : "", "", e2);
        if (final) fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: %lld/%lld %s, %.1f %s/s%s%s, elapsed %s, ETA %s\n", p->label,
                (long long)p->done, (long long)p->total, p->unit, rate, p->unit,
                p->extra[0] ? ", " : "", p->extra, e1, e2);
    }
    fflush(stderr);
    p->t_last_draw = now;
}

void cx_progress_start(cx_progress *p, const char *label, const char *unit, int64_t total) {
    memset(p, 0, sizeof *p);
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->t_start = p->t_last_draw = cx_now_s();
    p->is_tty = isatty(STDERR_FILENO);
}

void cx_progress_update(cx_progress *p, int64_t done, const char *extra) {
    p->done = done;
    if (extra) snprintf(p->extra, sizeof p->extra, "%s", extra);
    if (cx_log_level < 1) return;
    double gap = p->is_tty ? 0.1 : 10.0;
    if (cx_now_s() - p->t_last_draw >= gap) progress_draw(p, 0);
}

void cx_progress_finish(cx_progress *p) {
    if (cx_log_level >= 1) progress_draw(p, 1);
}

// ---- time and memory -------------------------------------------------------------------------
double cx_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cx_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; // Linux reports KiB
}

// ---- RNG ---------------------------------------------------------------------------------------
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void cx_rng_seed(cx_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cx_rng_u64(cx_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cx_rng_uniform(cx_rng *r) { return (double)(cx_rng_u64(r) >> 11) * 0x1.0p-53; }

double cx_rng_normal(cx_rng *r) {
    double u1 = 1.0 - cx_rng_uniform(r); // (0, 1]
    double u2 = cx_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t cx_rng_below(cx_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = cx_rng_u64(r);
    while (x >= limit);
    return x % n;
}

// ---- threads -------------------------------------------------------------------------------
void cx_set_threads(int n) {
    if (n > 0) omp_set_num_threads(n);
}
