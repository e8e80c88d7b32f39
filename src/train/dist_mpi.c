// train/dist: data parallelism over MPI ranks, the only file that calls MPI. Without
// CX_HAVE_MPI (or when not launched by mpirun) there is one rank and every call is a no-op.
#include "train/train.h"

#include <stdlib.h>
#include <string.h>

#ifdef CX_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1;
#ifdef CX_HAVE_MPI
static int g_inited_here = 0;
#endif

// Launched by a process manager? (mpirun sets these; a plain run must not pay MPI_Init.)
static int under_mpirun(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("MPI_LOCALNRANKS");
}

int dist_init(int *argc, char ***argv, cx_error *err) {
#ifdef CX_HAVE_MPI
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
        if (!under_mpirun()) return 0;
        if (MPI_Init(argc, argv) != MPI_SUCCESS) return cx_fail(err, "MPI_Init failed");
        g_inited_here = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    return 0;
#else
    if (under_mpirun() && getenv("OMPI_COMM_WORLD_SIZE") && atoi(getenv("OMPI_COMM_WORLD_SIZE")) > 1)
        return cx_fail(err, "launched by mpirun with %s ranks, but this cxrgaze was built without "
                            "MPI (no mpicc at build time)", getenv("OMPI_COMM_WORLD_SIZE"));
    return 0;
#endif
}

void dist_finalize(void) {
#ifdef CX_HAVE_MPI
    if (g_inited_here) MPI_Finalize();
    g_inited_here = 0;
#endif
    g_rank = 0;
    g_size = 1;
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }

void dist_abort(int code) {
#ifdef CX_HAVE_MPI
    if (g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    (void)code;
}

#ifdef CX_HAVE_MPI
// MPI counts are int: move large buffers in chunks.
#define DIST_CHUNK ((size_t)1 << 30)
#endif

void dist_bcast_bytes(void *buf, size_t n, int root) {
#ifdef CX_HAVE_MPI
    if (g_size <= 1) return;
    for (size_t off = 0; off < n; off += DIST_CHUNK) {
        size_t m = n - off < DIST_CHUNK ? n - off : DIST_CHUNK;
        MPI_Bcast((char *)buf + off, (int)m, MPI_BYTE, root, MPI_COMM_WORLD);
    }
#else
    (void)buf, (void)n, (void)root;
#endif
}

void dist_allreduce_sum_f32(float *buf, size_t n) {
#ifdef CX_HAVE_MPI
    if (g_size <= 1) return;
    for (size_t off = 0; off < n; off += DIST_CHUNK) {
        size_t m = n - off < DIST_CHUNK ? n - off : DIST_CHUNK;
        MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)m, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
#else
    (void)buf, (void)n;
#endif
}

void dist_allreduce_sum_f64(double *buf, size_t n) {
#ifdef CX_HAVE_MPI
    if (g_size <= 1) return;
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)buf, (void)n;
#endif
}

int dist_all_ok(int ok) {
#ifdef CX_HAVE_MPI
    if (g_size <= 1) return ok;
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return all;
#else
    return ok;
#endif
}

int dist_check_same(const void *buf, size_t n, const char *what, cx_error *err) {
    if (g_size <= 1) return 0;
    uint64_t h = 0xcbf29ce484222325ull, h0; // FNV-1a 64
    const unsigned char *b = buf;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    h0 = h;
    dist_bcast_bytes(&h0, sizeof h0, 0);
    if (dist_all_ok(h0 == h)) return 0;
    return cx_fail(err, "%s differ between MPI ranks (rank %d hash %016llx, rank 0 %016llx)",
                   what, g_rank, (unsigned long long)h, (unsigned long long)h0);
}
