// stats/emd: earth mover's distance between two maps, solved exactly as a transportation problem.
//
// No Debian C library fits (GLPK is a general LP solver, far slower on ~160k-variable transport
// problems and not a project dependency; LEMON, FastEMD and OpenCV's EMD are C++), so this file
// implements the transportation simplex (MODI / u-v method) on a spanning-tree basis: Dantzig,
// "Linear Programming and Extensions" (1963), ch. 14-15; Hillier & Lieberman, "Introduction to
// Operations Research", §9.2; block-search pricing as LEMON's NetworkSimplex (Kiraly & Kovacs
// 2012).
//
// Problem: both maps are clamped at 0 and mass-normalised to sum 1, then converted to integer
// masses with total 2^40 (rounding residue put on the largest cell), so flows are exact
// integers and degenerate pivots cannot drift. Since the ground distance (Euclidean) is a
// metric, mass common to a cell in both maps stays in place at cost 0: only the surplus cells
// (sources) and deficit cells (sinks) enter the simplex, which keeps it small.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define EMD_MASS (1LL << 40)

void stats_area_downsample(const float *in, int h, int w, float *out, int oh, int ow) {
    // Separable box filter with fractional coverage: output cell i spans [i*h/oh, (i+1)*h/oh).
    double *tmp = cx_calloc((size_t)h * ow, sizeof *tmp); // [h, ow] after the horizontal pass
    double *acc_row = cx_malloc((size_t)ow * sizeof *acc_row);
    double sx = (double)w / ow, sy = (double)h / oh;
    for (int j = 0; j < ow; j++) {
        double x0 = j * sx, x1 = (j + 1) * sx;
        for (int c = (int)floor(x0); c < w && c < x1; c++) {
            double cover = fmin(x1, c + 1.0) - fmax(x0, (double)c);
            if (cover <= 0) continue;
            for (int r = 0; r < h; r++)
                tmp[(size_t)r * ow + j] += cover * in[(size_t)r * w + c];
        }
    }
    for (int i = 0; i < oh; i++) {
        double y0 = i * sy, y1 = (i + 1) * sy;
        memset(acc_row, 0, (size_t)ow * sizeof *acc_row);
        for (int r = (int)floor(y0); r < h && r < y1; r++) {
            double cover = fmin(y1, r + 1.0) - fmax(y0, (double)r);
            if (cover <= 0) continue;
            for (int j = 0; j < ow; j++)
                acc_row[j] += cover * tmp[(size_t)r * ow + j];
        }
        for (int j = 0; j < ow; j++)
            out[(size_t)i * ow + j] = (float)(acc_row[j] / (sx * sy));
    }
    free(tmp), free(acc_row);
}

// Integer masses summing exactly to EMD_MASS. Returns -1 if the map has no positive mass.
static int integer_masses(const float *x, size_t n, int64_t *mass) {
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i] > 0 ? x[i] : 0;
    if (!(sum > 0) || !isfinite(sum)) return -1;
    int64_t total = 0;
    size_t big = 0;
    for (size_t i = 0; i < n; i++) {
        mass[i] = x[i] > 0 ? (int64_t)llround((double)x[i] / sum * (double)EMD_MASS) : 0;
        total += mass[i];
        if (mass[i] > mass[big]) big = i;
    }
    mass[big] += EMD_MASS - total; // |residue| <= n/2, far below the largest cell's mass
    return 0;
}

// Transportation problem in simplex form: m sources (rows), k sinks (columns), basis = spanning
// tree of m + k - 1 cells over the m + k nodes (rows 0..m-1, columns m..m+k-1), rooted at node 0.
// Adjacency: each basis slot e has two half-edges (2e at its row, 2e+1 at its column) in doubly
// linked per-node lists, so a pivot swaps one slot in O(1); only the subtree cut off by the
// leaving cell is re-hung (parents, depths, potentials), in time proportional to its size.
typedef struct {
    int m, k, nb;                     // rows, columns, basis cells (m + k - 1)
    const double *cost;               // [m, k]
    int *bi, *bj;                     // [nb] basis cells
    int64_t *flow;                    // [nb]
    int *head;                        // [m + k] first half-edge of the node's list, -1 if none
    int *next, *prev;                 // [2 nb] half-edge list links
    int *parent_edge, *depth, *queue; // [m + k]
    double *pot; // [m + k]: u_i (rows), v_j (columns), u_i + v_j = c_ij on the basis
} transport;

static int other_end(const transport *t, int e, int node) {
    return node < t->m ? t->m + t->bj[e] : t->bi[e];
}

static void link_half(transport *t, int h, int node) {
    t->prev[h] = -1;
    t->next[h] = t->head[node];
    if (t->head[node] >= 0) t->prev[t->head[node]] = h;
    t->head[node] = h;
}

static void unlink_half(transport *t, int h, int node) {
    if (t->prev[h] >= 0)
        t->next[t->prev[h]] = t->next[h];
    else
        t->head[node] = t->next[h];
    if (t->next[h] >= 0) t->prev[t->next[h]] = t->prev[h];
}

// Hangs the tree part reachable from `root` without crossing root's parent edge: BFS setting
// parents, depths and potentials below root (root's own fields must be set). Returns the count.
static int hang_subtree(transport *t, int root) {
    int head = 0, tail = 0;
    t->queue[tail++] = root;
    while (head < tail) {
        int u = t->queue[head++];
        for (int h = t->head[u]; h >= 0; h = t->next[h]) {
            int e = h >> 1;
            if (e == t->parent_edge[u]) continue;
            int v = other_end(t, e, u);
            t->parent_edge[v] = e;
            t->depth[v] = t->depth[u] + 1;
            t->pot[v] = t->cost[(size_t)t->bi[e] * t->k + t->bj[e]] - t->pot[u];
            t->queue[tail++] = v;
        }
    }
    return tail;
}

// Solves the problem from a basic feasible start: bi, bj, flow [m + k - 1] (a spanning tree of
// cells carrying supply [m] to demand [k]); they are updated in place. Returns 0 and the optimal
// cost sum flow * cost (in mass units), or -1.
// Block search: scans cells cyclically from the cursor (row, column), kept between pivots; after each
// block takes the most negative reduced cost seen so far. Returns the cell, or n_cells when a
// full cycle found none (optimal).
static size_t entering_cell(const transport *t, size_t n_cells, size_t block, double eps,
                            int cursor[2]) {
    const int m = t->m, k = t->k;
    int ci = cursor[0], cj = cursor[1];
    double best = -eps;
    size_t best_c = n_cells, in_block = 0;
    for (size_t scanned = 0; scanned < n_cells; scanned++) {
        const double *crow = t->cost + (size_t)ci * k;
        double r = crow[cj] - t->pot[ci] - t->pot[m + cj];
        if (r < best) best = r, best_c = (size_t)ci * k + cj;
        if (++cj == k) cj = 0, ci = ci + 1 == m ? 0 : ci + 1;
        if (++in_block == block) {
            if (best_c < n_cells) break;
            in_block = 0;
        }
    }
    cursor[0] = ci, cursor[1] = cj;
    return best_c;
}

// One pivot: cell best_c enters the basis, the cycle it closes shifts theta, the last blocking
// edge leaves, and the subtree cut off re-hangs with its potentials. path_a, path_b [m+k] scratch.
static void pivot_in(transport *t, size_t best_c, int *path_a, int *path_b) {
    const int m = t->m, k = t->k;
    const double *cost = t->cost;
    int ei = (int)(best_c / k), ej = (int)(best_c % k);
    // Cycle: entering cell (ei, ej) + tree path from column node to row node. Edges at even
    // distance from either end of the path lose theta, odd ones gain it.
    int x = m + ej, y = ei, lb = 0, la = 0;
    while (t->depth[x] > t->depth[y])
        path_b[lb++] = t->parent_edge[x], x = other_end(t, t->parent_edge[x], x);
    while (t->depth[y] > t->depth[x])
        path_a[la++] = t->parent_edge[y], y = other_end(t, t->parent_edge[y], y);
    while (x != y) {
        path_b[lb++] = t->parent_edge[x], x = other_end(t, t->parent_edge[x], x);
        path_a[la++] = t->parent_edge[y], y = other_end(t, t->parent_edge[y], y);
    }
    // Leaving edge: the last blocking edge met when walking the cycle from the apex along
    // the entering edge's direction (apex -> row side -> entering -> column side -> apex).
    int64_t theta = INT64_MAX;
    int leave = -1, leave_on_row_side = 0;
    for (int q = la - 1; q >= 0; q--)
        if (q % 2 == 0 && t->flow[path_a[q]] <= theta)
            theta = t->flow[path_a[q]], leave = path_a[q], leave_on_row_side = 1;
    for (int q = 0; q < lb; q++)
        if (q % 2 == 0 && t->flow[path_b[q]] <= theta)
            theta = t->flow[path_b[q]], leave = path_b[q], leave_on_row_side = 0;
    CX_ASSERT(leave >= 0);
    for (int q = 0; q < la; q++)
        t->flow[path_a[q]] += q % 2 ? theta : -theta;
    for (int q = 0; q < lb; q++)
        t->flow[path_b[q]] += q % 2 ? theta : -theta;
    // Swap the slot: the leaving cell's subtree (the side holding the entering cell's row
    // node if the leaving edge is on the row side, else its column node) re-hangs from the
    // entering cell's other end.
    unlink_half(t, 2 * leave, t->bi[leave]);
    unlink_half(t, 2 * leave + 1, m + t->bj[leave]);
    t->bi[leave] = ei, t->bj[leave] = ej, t->flow[leave] = theta;
    link_half(t, 2 * leave, ei);
    link_half(t, 2 * leave + 1, m + ej);
    int in_sub = leave_on_row_side ? ei : m + ej, outside = leave_on_row_side ? m + ej : ei;
    t->parent_edge[in_sub] = leave;
    t->depth[in_sub] = t->depth[outside] + 1;
    t->pot[in_sub] = cost[best_c] - t->pot[outside];
    hang_subtree(t, in_sub);
}

static int transport_solve(int m, int k, const double *cost, int *bi, int *bj, int64_t *flow,
                           double *total_cost) {
    transport t = {.m = m, .k = k, .nb = m + k - 1, .cost = cost, .bi = bi, .bj = bj, .flow = flow};
    int nn = m + k;
    t.head = cx_malloc((size_t)nn * sizeof *t.head);
    t.next = cx_malloc((size_t)2 * t.nb * sizeof *t.next);
    t.prev = cx_malloc((size_t)2 * t.nb * sizeof *t.prev);
    t.parent_edge = cx_malloc((size_t)nn * sizeof *t.parent_edge);
    t.depth = cx_malloc((size_t)nn * sizeof *t.depth);
    t.queue = cx_malloc((size_t)nn * sizeof *t.queue);
    t.pot = cx_malloc((size_t)nn * sizeof *t.pot);
    int *path_b = cx_malloc((size_t)nn * sizeof *path_b),
        *path_a = cx_malloc((size_t)nn * sizeof *path_a);
    for (int v = 0; v < nn; v++)
        t.head[v] = -1;
    for (int e = 0; e < t.nb; e++) {
        link_half(&t, 2 * e, bi[e]);
        link_half(&t, 2 * e + 1, m + bj[e]);
    }
    t.parent_edge[0] = -1, t.depth[0] = 0, t.pot[0] = 0;
    int rc = hang_subtree(&t, 0) == nn ? 1 : -1; // 1: keep pivoting

    double max_cost = 0;
    size_t n_cells = (size_t)m * k;
    for (size_t c = 0; c < n_cells; c++)
        max_cost = fmax(max_cost, cost[c]);
    const double eps = 1e-11 * (1.0 + max_cost);
    size_t block = (size_t)sqrt((double)n_cells);
    if (block < 10) block = 10;
    int cursor[2] = {0, 0}; // pricing cursor (row, column), kept between pivots
    for (long pivot = 0; rc == 1 && pivot < 5000000; pivot++) {
        size_t best_c = entering_cell(&t, n_cells, block, eps, cursor);
        if (best_c == n_cells) {
            rc = 0;
            break;
        }
        pivot_in(&t, best_c, path_a, path_b);
    }
    if (rc == 0) {
        double c = 0;
        for (int e = 0; e < t.nb; e++)
            c += (double)t.flow[e] * cost[(size_t)t.bi[e] * k + t.bj[e]];
        *total_cost = c;
    }
    free(t.head), free(t.next), free(t.prev);
    free(t.parent_edge), free(t.depth), free(t.queue), free(t.pot), free(path_b), free(path_a);
    return rc == 0 ? 0 : -1;
}

typedef struct {
    int dy, dx;
    double cost;
} grid_offset;

static int cmp_offset(const void *pa, const void *pb) {
    const grid_offset *a = pa, *b = pb;
    return (a->cost > b->cost) - (a->cost < b->cost);
}

// Basic feasible start by the matrix-minimum rule (cheapest open cell first; Hillier &
// Lieberman §9.2 family), enumerated through grid offsets in increasing length instead of
// sorting all m*k cells: each allocation takes min(supply, demand) and closes exactly one line
// (the row if its supply is used up, else the column; never the last open row or column), so
// the m + k - 1 cells form a spanning tree (zero flows where a row and a column empty
// together). An open (row, column) pair always lies ahead in the order, so it completes.
// src/snk: grid cells of the sources / sinks; ow x oh grid of cells py x px pixels.
static void greedy_start(int m, int k, const int *src, const int *snk, const int64_t *supply,
                         const int64_t *demand, int oh, int ow, double py, double px, int *bi,
                         int *bj, int64_t *flow) {
    int n_off = (2 * oh - 1) * (2 * ow - 1);
    grid_offset *off = cx_malloc((size_t)n_off * sizeof *off);
    for (int dy = -(oh - 1), q = 0; dy <= oh - 1; dy++)
        for (int dx = -(ow - 1); dx <= ow - 1; dx++, q++)
            off[q] = (grid_offset){dy, dx, (dy * py) * (dy * py) + (dx * px) * (dx * px)};
    qsort(off, (size_t)n_off, sizeof *off, cmp_offset);
    int *sink_at = cx_malloc((size_t)oh * ow * sizeof *sink_at); // grid cell -> sink or -1
    for (int c = 0; c < oh * ow; c++)
        sink_at[c] = -1;
    for (int j = 0; j < k; j++)
        sink_at[snk[j]] = j;
    int64_t *s = cx_malloc((size_t)m * sizeof *s), *d = cx_malloc((size_t)k * sizeof *d);
    memcpy(s, supply, (size_t)m * sizeof *s);
    memcpy(d, demand, (size_t)k * sizeof *d);
    int *open_row = cx_malloc((size_t)m * sizeof *open_row), n_open_rows = m, open_cols = k;
    uint8_t *col_closed = cx_calloc((size_t)k, 1);
    for (int i = 0; i < m; i++)
        open_row[i] = i;
    int e = 0, nb = m + k - 1;
    for (int q = 0; q < n_off && e < nb; q++) {
        for (int idx = 0; idx < n_open_rows && e < nb;) {
            int i = open_row[idx];
            int y = src[i] / ow + off[q].dy, x = src[i] % ow + off[q].dx;
            int j = y >= 0 && y < oh && x >= 0 && x < ow ? sink_at[y * ow + x] : -1;
            if (j < 0 || col_closed[j]) {
                idx++;
                continue;
            }
            int64_t f = s[i] < d[j] ? s[i] : d[j];
            bi[e] = i, bj[e] = j, flow[e] = f, e++;
            s[i] -= f, d[j] -= f;
            if ((s[i] == 0 && n_open_rows > 1) || open_cols == 1) {
                open_row[idx] = open_row[--n_open_rows]; // closes row i; idx now holds another
            } else {
                col_closed[j] = 1, open_cols--;
                idx++;
            }
        }
    }
    CX_ASSERT(e == nb);
    free(off), free(sink_at), free(s), free(d), free(open_row), free(col_closed);
}

double stats_emd(const float *map, const float *ref, int h, int w, int max_side,
                 stats_status *status) {
    if (status) *status = STATS_OK;
    if (max_side <= 0) max_side = 32;
    if (h <= 0 || w <= 0) {
        if (status) *status = STATS_EMPTY;
        return NAN;
    }
    int oh = h, ow = w;
    if (h > max_side || w > max_side) {
        double scale = (double)max_side / (h > w ? h : w);
        oh = (int)lround(h * scale), ow = (int)lround(w * scale);
        oh = oh < 1 ? 1 : oh > max_side ? max_side : oh;
        ow = ow < 1 ? 1 : ow > max_side ? max_side : ow;
    }
    size_t n = (size_t)oh * ow;
    float *a = cx_malloc(n * sizeof *a), *b = cx_malloc(n * sizeof *b);
    if (oh == h && ow == w) {
        memcpy(a, map, n * sizeof *a);
        memcpy(b, ref, n * sizeof *b);
    } else {
        stats_area_downsample(map, h, w, a, oh, ow);
        stats_area_downsample(ref, h, w, b, oh, ow);
    }
    const double py = (double)h / oh, px = (double)w / ow; // cell size in original pixels
    int64_t *ma = cx_malloc(n * sizeof *ma), *mb = cx_malloc(n * sizeof *mb);
    double result = NAN;
    if (integer_masses(a, n, ma) || integer_masses(b, n, mb)) {
        if (status) *status = STATS_CONSTANT;
        goto done;
    }
    // Sources: cells with surplus in map; sinks: cells with deficit (mass ref needs there).
    int *src = cx_malloc(n * sizeof *src), *snk = cx_malloc(n * sizeof *snk);
    int64_t *supply = cx_malloc(n * sizeof *supply), *demand = cx_malloc(n * sizeof *demand);
    int m = 0, k = 0;
    for (size_t c = 0; c < n; c++) {
        if (ma[c] > mb[c])
            src[m] = (int)c, supply[m++] = ma[c] - mb[c];
        else if (mb[c] > ma[c])
            snk[k] = (int)c, demand[k++] = mb[c] - ma[c];
    }
    if (m == 0) {
        result = 0;
    } else {
        double *cost = cx_malloc((size_t)m * k * sizeof *cost);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++) {
                double dy = (double)(src[i] / ow - snk[j] / ow) * py;
                double dx = (double)(src[i] % ow - snk[j] % ow) * px;
                cost[(size_t)i * k + j] = sqrt(dy * dy + dx * dx);
            }
        int nb = m + k - 1;
        int *bi = cx_malloc((size_t)nb * sizeof *bi), *bj = cx_malloc((size_t)nb * sizeof *bj);
        int64_t *flow = cx_malloc((size_t)nb * sizeof *flow);
        greedy_start(m, k, src, snk, supply, demand, oh, ow, py, px, bi, bj, flow);
        double total;
        if (transport_solve(m, k, cost, bi, bj, flow, &total) == 0) {
            result = total / (double)EMD_MASS;
        } else if (status) {
            *status = STATS_NO_CONVERGE;
        }
        free(cost), free(bi), free(bj), free(flow);
    }
    free(src), free(snk), free(supply), free(demand);
done:
    free(a), free(b), free(ma), free(mb);
    return result;
}
