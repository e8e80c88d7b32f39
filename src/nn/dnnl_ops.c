// Every oneDNN call of cxrgaze: the engine and stream, convolution forward / backward-data /
// backward-weights primitives and the reorders at their boundaries. oneDNN 2.6 C API (op
// descriptors); a oneDNN 3.x port touches this file only.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>
#include <dnnl_debug.h>

#include "nn/nn_internal.h"

// Status check naming file:line and the failing call.
#define DNNL_CHECK(call)                                                                       \
    do {                                                                                       \
        dnnl_status_t st_ = (call);                                                            \
        if (st_ != dnnl_success)                                                               \
            return cx_fail(err, "%s:%d: oneDNN call %s failed: %s", __FILE__, __LINE__, #call, \
                           dnnl_status2str(st_));                                              \
    } while (0)

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static dnnl_status_t g_init_status = dnnl_success;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void engine_init(void) {
    g_init_status = dnnl_engine_create(&g_engine, dnnl_cpu, 0);
    if (g_init_status == dnnl_success)
        g_init_status = dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags);
}

static int engine_get(cx_error *err) {
    pthread_once(&g_once, engine_init);
    DNNL_CHECK(g_init_status);
    return 0;
}

static dnnl_format_tag_t tag_for_cb(int cb) {
    return cb == 16 ? dnnl_aBcd16b : cb == 8 ? dnnl_aBcd8b : dnnl_abcd;
}

int nn_pick_cb(const int *chans, int n) {
    static const int cands[] = {16, 8};
    for (int k = 0; k < 2; k++) {
        int ok = 1;
        for (int i = 0; i < n; i++) ok &= chans[i] % cands[k] == 0;
        if (ok) return cands[k];
    }
    return 1;
}

// One primitive argument: the caller's layout (user) and the primitive's; a reorder and a
// buffer when they differ.
// The prim-layout copy lives in the plan's scratch area at `off` (the arguments of one call
// side by side, oneDNN's own scratchpad after them): reused call after call, never allocated.
typedef struct conv_arg {
    dnnl_memory_desc_t user, prim;
    dnnl_primitive_t reorder; // user -> prim (inputs) or prim -> user (outputs); NULL if equal
    dnnl_memory_t m_user, m_prim;
    size_t off, bytes;        // place of the prim-layout copy in the scratch area (bytes 0: none)
} conv_arg;

// A primitive's weight layout as a sum of per-dimension offsets: element (o, i, y, x) sits at
// t[0][o] + t[1][i] + t[2][y] + t[3][x] (every oneDNN blocked layout is separable this way).
typedef struct weight_layout {
    dnnl_memory_desc_t md;
    size_t *t[4];
    void *buf;      // the primitive-layout weights (zero padding kept zero)
    dnnl_memory_t mem;
    int bf16;
    int owned;      // buf belongs to this layout (else to the forward's layout or a weight table)
    int fwd_buf;    // buf is the forward layout's (backward data: converted with it)
} weight_layout;

// Primitive-layout weight buffers shared by the plans of an arena: one per (OIHW tensor, layout),
// so plans of every batch size hold one copy of the converted weights.
typedef struct wtable_entry {
    const float *oihw;
    dnnl_memory_desc_t md;
    void *buf;
} wtable_entry;
// The buffers are carved from slabs on huge pages (zeroed once, never reused): DenseNet-121's
// converted weights are 30-90 MB, and faulting them in 4 KiB at a time was most of a one-image
// attribution's page faults.
typedef struct wtable_slab {
    char *base;
    size_t used, cap;
} wtable_slab;
#define WTABLE_SLAB_BYTES ((size_t)16 << 20)
struct nn_wtable {
    wtable_entry *e;
    int n, cap;
    wtable_slab *slab;
    int n_slab, cap_slab;
};

nn_wtable *nn_wtable_create(void) { return cx_calloc(1, sizeof(nn_wtable)); }

void nn_wtable_free(nn_wtable *t) {
    if (!t) return;
    for (int i = 0; i < t->n_slab; i++) cx_huge_free(t->slab[i].base);
    free(t->slab);
    free(t->e);
    free(t);
}

// Zeroed buffer for weights of layout md (of the OIHW tensor oihw): the table's when it has
// one (*owned = 0), else a new one, kept by the table when there is one.
static void *wtable_buf(nn_wtable *t, const float *oihw, const dnnl_memory_desc_t *md, int *owned) {
    *owned = 0;
    for (int i = 0; t && i < t->n; i++)
        if (t->e[i].oihw == oihw && dnnl_memory_desc_equal(&t->e[i].md, md)) return t->e[i].buf;
    size_t n = dnnl_memory_desc_get_size(md);
    if (!t) {
        void *buf = cx_aligned_alloc(n + 64);
        memset(buf, 0, n);
        *owned = 1;
        return buf;
    }
    size_t need = (n + 64 + 63) / 64 * 64; // 64 bytes to spare after it, as the own buffers
    wtable_slab *sl = t->n_slab ? &t->slab[t->n_slab - 1] : NULL;
    if (!sl || sl->cap - sl->used < need) { // a new slab (a larger one for a large buffer)
        if (t->n_slab == t->cap_slab) {
            t->cap_slab = t->cap_slab ? 2 * t->cap_slab : 8;
            t->slab = cx_realloc(t->slab, sizeof *t->slab * (size_t)t->cap_slab);
        }
        size_t cap = need > WTABLE_SLAB_BYTES ? need : WTABLE_SLAB_BYTES;
        sl = &t->slab[t->n_slab++];
        *sl = (wtable_slab){cx_huge_alloc(cap), 0, cap};
    }
    void *buf = sl->base + sl->used; // zero already
    sl->used += need;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->e = cx_realloc(t->e, sizeof *t->e * (size_t)t->cap);
    }
    t->e[t->n++] = (wtable_entry){oihw, *md, buf};
    return buf;
}

// One way to compute a weight gradient: its primitive, argument reorders and gradient layout.
typedef struct wgrad_path {
    dnnl_primitive_t prim;
    conv_arg src, diff_dst;
    weight_layout dw;
    size_t sp_off;
} wgrad_path;

struct nn_conv {
    nn_conv_shape s;
    dnnl_primitive_t fwd, bwd_d;
    conv_arg src, dst;                    // forward
    conv_arg dd_diff_dst, diff_src;       // backward data
    weight_layout w, dd_w;                // forward, backward-data weight layouts
    // weight gradient: wg[0] in the compute type; wg[1] (bf16 3x3 convolutions only) the same from
    // fp32 copies of the operands, see nn_set_wgrad_policy. wg_last: the path of the last call.
    wgrad_path wg[2];
    int n_wg, wg_last, wg_calls;
    dnnl_memory_t m_scratch;
    size_t sp_off[2]; // offset of oneDNN's scratchpad in the scratch area: forward, bwd data
    char impl[64];
    nn_wtable *wt;    // while building: where the weight buffers come from (NULL: own)
    const float *w_key;
};

// ---- weight-gradient policy (nn.h) ---------------------------------------------------------------
static nn_wgrad_policy g_wgrad_policy = NN_WGRAD_AUTO;
static int g_wgrad_fp32;              // AUTO has moved to the fp32 detour
static int g_wgrad_slow_run;          // consecutive slow bf16 calls
static double g_slow_ms = 5, g_slow_gflops = 60;

void nn_set_wgrad_policy(nn_wgrad_policy p) {
    g_wgrad_policy = p;
    g_wgrad_fp32 = 0;
    g_wgrad_slow_run = 0;
}

int nn_wgrad_fp32_active(void) {
    return g_wgrad_policy == NN_WGRAD_FP32 || (g_wgrad_policy == NN_WGRAD_AUTO && g_wgrad_fp32);
}

void nn_wgrad_auto_thresholds(double min_ms, double min_gflops) {
    g_slow_ms = min_ms;
    g_slow_gflops = min_gflops;
}

// share: the forward's layout, whose buffer a backward-data layout equal to it uses; wt, oihw:
// the weight table of the plan's arena (NULL: none) and the weights' OIHW tensor (its key).
static int layout_init(weight_layout *l, const dnnl_memory_desc_t *md, const weight_layout *share,
                       nn_wtable *wt, const float *oihw, cx_error *err) {
    l->md = *md;
    l->bf16 = md->data_type == dnnl_bf16;
    if (md->format_kind != dnnl_blocked || md->ndims != 4)
        return cx_fail(err, "%s:%d: unexpected oneDNN weight layout (format kind %d, %d dims)",
                       __FILE__, __LINE__, (int)md->format_kind, md->ndims);
    const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
    for (int d = 0; d < 4; d++) {
        int64_t bsz = 1; // product of this dimension's inner blocks
        for (int k = 0; k < bd->inner_nblks; k++)
            if (bd->inner_idxs[k] == d) bsz *= bd->inner_blks[k];
        l->t[d] = cx_malloc(sizeof(size_t) * (size_t)md->dims[d]);
        for (int64_t i = 0; i < md->dims[d]; i++) {
            size_t off = (size_t)(i / bsz) * (size_t)bd->strides[d];
            int64_t rem = i % bsz, inner_stride = 1;
            // inner blocks, innermost last: digit of i in each block times the block's stride
            for (int k = bd->inner_nblks - 1; k >= 0; k--) {
                if (bd->inner_idxs[k] == d) {
                    off += (size_t)((rem % bd->inner_blks[k]) * inner_stride);
                    rem /= bd->inner_blks[k];
                }
                inner_stride *= bd->inner_blks[k];
            }
            l->t[d][i] = off + (d == 0 ? (size_t)md->offset0 : 0);
        }
    }
    if (share && dnnl_memory_desc_equal(&share->md, md)) {
        l->buf = share->buf;
        l->fwd_buf = 1;
    } else {
        l->buf = wtable_buf(wt, oihw, md, &l->owned);
    }
    DNNL_CHECK(dnnl_memory_create(&l->mem, md, g_engine, l->buf));
    return 0;
}

static void layout_free(weight_layout *l) {
    for (int d = 0; d < 4; d++) free(l->t[d]);
    if (l->mem) dnnl_memory_destroy(l->mem);
    if (l->owned) free(l->buf);
    memset(l, 0, sizeof *l);
}

// OIHW fp32 <-> a primitive layout (to_prim: OIHW -> layout). The spatial offsets of one
// (o, i) kernel are tabulated once; the three directions are separate loops.
static void layout_convert(const weight_layout *l, float *oihw, int to_prim) {
    const int64_t *d = l->md.dims, khw = d[2] * d[3];
    CX_ASSERT(khw <= 49);
    size_t sp[49];
    for (int64_t y = 0; y < d[2]; y++)
        for (int64_t x = 0; x < d[3]; x++) sp[y * d[3] + x] = l->t[2][y] + l->t[3][x];
    uint16_t *b16 = l->buf;
    float *b32 = l->buf;
    for (int64_t o = 0; o < d[0]; o++)
        for (int64_t i = 0; i < d[1]; i++) {
            const size_t base = l->t[0][o] + l->t[1][i];
            float *q = oihw + (size_t)(o * d[1] + i) * (size_t)khw;
            if (to_prim && l->bf16)
                for (int64_t k = 0; k < khw; k++) b16[base + sp[k]] = cx_f32_to_bf16(q[k]);
            else if (to_prim)
                for (int64_t k = 0; k < khw; k++) b32[base + sp[k]] = q[k];
            else if (l->bf16)
                for (int64_t k = 0; k < khw; k++) q[k] = cx_bf16_to_f32(b16[base + sp[k]]);
            else
                for (int64_t k = 0; k < khw; k++) q[k] = b32[base + sp[k]];
        }
}

void nn_convs_weights(nn_conv **convs, float **oihw, int n, int which) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < n; k++) {
        nn_conv *c = convs[k];
        if (which == NN_W_FWD) layout_convert(&c->w, oihw[k], 1);
        else if (which == NN_W_BWD_DATA && c->bwd_d && !c->dd_w.fwd_buf) layout_convert(&c->dd_w, oihw[k], 1);
        else if (which == NN_W_DIFF && c->n_wg) layout_convert(&c->wg[c->wg_last].dw, oihw[k], 0);
    }
}

static int arg_init(conv_arg *a, const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *prim,
                    int is_output, cx_error *err) {
    a->user = *user;
    a->prim = *prim;
    DNNL_CHECK(dnnl_memory_create(&a->m_user, &a->user, g_engine, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(&a->user, &a->prim)) return 0;
    dnnl_primitive_desc_t pd;
    const dnnl_memory_desc_t *from = is_output ? &a->prim : &a->user;
    const dnnl_memory_desc_t *to = is_output ? &a->user : &a->prim;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&pd, from, g_engine, to, g_engine, NULL));
    dnnl_status_t st = dnnl_primitive_create(&a->reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    DNNL_CHECK(st);
    DNNL_CHECK(dnnl_memory_create(&a->m_prim, &a->prim, g_engine, DNNL_MEMORY_NONE));
    a->bytes = (dnnl_memory_desc_get_size(&a->prim) + 63) / 64 * 64;
    return 0;
}

// Places one call's staged arguments (a, then b) and oneDNN's scratchpad in the scratch area;
// returns the scratchpad's offset and raises *scratch_bytes to the call's total.
static size_t stage_layout(conv_arg *a, conv_arg *b, dnnl_primitive_desc_t pd,
                           size_t *scratch_bytes) {
    size_t off = 0;
    a->off = off, off += a->bytes;
    if (b) b->off = off, off += b->bytes;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t total = off + (md ? dnnl_memory_desc_get_size(md) : 0);
    if (total > *scratch_bytes) *scratch_bytes = total;
    return off;
}

static int arg_take_buf(conv_arg *a, void *scratch, cx_error *err) {
    DNNL_CHECK(dnnl_memory_set_data_handle(a->m_prim, (char *)scratch + a->off));
    return 0;
}

static void arg_free(conv_arg *a) {
    if (a->reorder) dnnl_primitive_destroy(a->reorder);
    if (a->m_user) dnnl_memory_destroy(a->m_user);
    if (a->m_prim) dnnl_memory_destroy(a->m_prim);
    memset(a, 0, sizeof *a);
}

static int run_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to, cx_error *err) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DNNL_CHECK(dnnl_primitive_execute(r, g_stream, 2, args));
    return 0;
}

// Input argument: the memory the primitive should read (reordering the user's data if needed).
static int arg_in(conv_arg *a, const void *user, void *scratch, dnnl_memory_t *m, cx_error *err) {
    DNNL_CHECK(dnnl_memory_set_data_handle(a->m_user, (void *)user));
    if (!a->reorder) {
        *m = a->m_user;
        return 0;
    }
    if (arg_take_buf(a, scratch, err) || run_reorder(a->reorder, a->m_user, a->m_prim, err))
        return -1;
    *m = a->m_prim;
    return 0;
}

// Output argument: the memory the primitive writes; arg_out_finish copies it to the user's.
static int arg_out(conv_arg *a, void *user, void *scratch, dnnl_memory_t *m, cx_error *err) {
    DNNL_CHECK(dnnl_memory_set_data_handle(a->m_user, user));
    if (a->reorder && arg_take_buf(a, scratch, err)) return -1;
    *m = a->reorder ? a->m_prim : a->m_user;
    return 0;
}

static int arg_out_finish(conv_arg *a, cx_error *err) {
    if (a->reorder && run_reorder(a->reorder, a->m_prim, a->m_user, err)) return -1;
    DNNL_CHECK(dnnl_stream_wait(g_stream));
    return 0;
}

static int make_prim(dnnl_primitive_t *prim, const void *op_desc, dnnl_primitive_attr_t attr,
                     dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd_out, cx_error *err) {
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, op_desc, attr, g_engine, hint));
    dnnl_status_t st = dnnl_primitive_create(prim, pd);
    if (st != dnnl_success) dnnl_primitive_desc_destroy(pd);
    DNNL_CHECK(st);
    *pd_out = pd;
    return 0;
}

#define QMD(pd, q) dnnl_primitive_desc_query_md((pd), (q), 0)

// Shapes of a convolution in oneDNN's terms: source and destination dims, strides, padding.
typedef struct conv_geom {
    dnnl_dims_t src_d, dst_d, strides, pad_l, pad_r;
    int src_cb, dst_cb; // the user's channel blocks
} conv_geom;

static void conv_geom_init(conv_geom *g, const nn_conv_shape *s, int src_cb, int dst_cb) {
    *g = (conv_geom){.src_d = {s->n, s->ic, s->ih, s->iw},
                     .dst_d = {s->n, s->oc, s->oh, s->ow},
                     .strides = {s->stride, s->stride},
                     .pad_l = {s->pad, s->pad},
                     .pad_r = {(s->oh - 1) * s->stride + s->k - s->ih - s->pad,
                               (s->ow - 1) * s->stride + s->k - s->iw - s->pad},
                     .src_cb = src_cb,
                     .dst_cb = dst_cb};
}

// The weight-gradient paths: wg[0] in the compute type; wg[1], bf16 3x3 only, the same gradient
// from fp32 copies of the bf16 operands (reorders at the boundary), for when the bf16 kernel is
// slow. fpd: the forward primitive's descriptor (the hint).
static int conv_build_wgrad(nn_conv *c, const conv_geom *g, dnnl_primitive_desc_t fpd,
                            dnnl_primitive_attr_t attr, int bf16, size_t *scratch_bytes,
                            cx_error *err) {
    const nn_conv_shape *s = &c->s;
    dnnl_data_type_t ct = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t w_d = {s->oc, s->ic, s->k, s->k};
    dnnl_memory_desc_t src_any, u_src, u_ddst, dw_any;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, g->src_d, ct, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&dw_any, 4, w_d, dnnl_f32, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_src, 4, g->src_d, ct, tag_for_cb(g->src_cb)));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_ddst, 4, g->dst_d, ct, tag_for_cb(g->dst_cb)));
    dnnl_convolution_desc_t wd;
    for (int k = 0; k < (bf16 && s->k == 3 ? 2 : 1); k++) {
        wgrad_path *wg = &c->wg[k];
        dnnl_primitive_desc_t wpd = NULL;
        dnnl_memory_desc_t w_src = g->src_cb == 1 ? src_any : u_src, w_ddst = u_ddst;
        if (k == 1) {
            DNNL_CHECK(dnnl_memory_desc_init_by_tag(&w_src, 4, g->src_d, dnnl_f32, tag_for_cb(g->src_cb)));
            DNNL_CHECK(dnnl_memory_desc_init_by_tag(&w_ddst, 4, g->dst_d, dnnl_f32, tag_for_cb(g->dst_cb)));
        }
        int rc = dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &w_src,
                                                             &dw_any, NULL, &w_ddst, g->strides,
                                                             g->pad_l, g->pad_r) != dnnl_success ||
                 make_prim(&wg->prim, &wd, attr, fpd, &wpd, err) ||
                 arg_init(&wg->src, &u_src, QMD(wpd, dnnl_query_src_md), 0, err) ||
                 arg_init(&wg->diff_dst, &u_ddst, QMD(wpd, dnnl_query_diff_dst_md), 0, err) ||
                 layout_init(&wg->dw, QMD(wpd, dnnl_query_diff_weights_md), NULL, NULL, NULL, err);
        if (!rc) wg->sp_off = stage_layout(&wg->src, &wg->diff_dst, wpd, scratch_bytes);
        if (wpd) dnnl_primitive_desc_destroy(wpd);
        if (rc) return -1;
        c->n_wg = k + 1;
    }
    return 0;
}

static int conv_build(nn_conv *c, int src_cb, int dst_cb, int bf16, int bwd_data,
                      int bwd_weights, size_t *scratch_bytes, cx_error *err) {
    const nn_conv_shape *s = &c->s;
    dnnl_data_type_t ct = bf16 ? dnnl_bf16 : dnnl_f32;
    conv_geom g;
    conv_geom_init(&g, s, src_cb, dst_cb);
    dnnl_dims_t w_d = {s->oc, s->ic, s->k, s->k};
    dnnl_memory_desc_t src_any, w_any, dst_any, dsrc_any, ddst_any;
    dnnl_memory_desc_t u_src, u_dst, u_dsrc, u_ddst;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, g.src_d, ct, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&w_any, 4, w_d, ct, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&dst_any, 4, g.dst_d, dnnl_f32, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&dsrc_any, 4, g.src_d, dnnl_f32, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&ddst_any, 4, g.dst_d, ct, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_src, 4, g.src_d, ct, tag_for_cb(src_cb)));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_dst, 4, g.dst_d, dnnl_f32, tag_for_cb(dst_cb)));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_dsrc, 4, g.src_d, dnnl_f32, tag_for_cb(src_cb)));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&u_ddst, 4, g.dst_d, ct, tag_for_cb(dst_cb)));

    dnnl_primitive_attr_t attr;
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);

    int rc = -1;
    dnnl_primitive_desc_t fpd = NULL, dpd = NULL;
    dnnl_convolution_desc_t fd, dd;
    // The user's activation layouts are requested directly (the blocked layouts the jit kernels
    // use); weights are left to oneDNN (format_tag_any) and reordered from OIHW.
    if (dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
                                           src_cb == 1 ? &src_any : &u_src, &w_any, NULL,
                                           &u_dst, g.strides, g.pad_l, g.pad_r) != dnnl_success ||
        make_prim(&c->fwd, &fd, attr, NULL, &fpd, err))
        goto done;
    const char *impl = NULL;
    dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(c->impl, sizeof c->impl, "%s", impl ? impl : "?");
    if (arg_init(&c->src, &u_src, QMD(fpd, dnnl_query_src_md), 0, err) ||
        layout_init(&c->w, QMD(fpd, dnnl_query_weights_md), NULL, c->wt, c->w_key, err) ||
        arg_init(&c->dst, &u_dst, QMD(fpd, dnnl_query_dst_md), 1, err))
        goto done;
    c->sp_off[0] = stage_layout(&c->src, &c->dst, fpd, scratch_bytes);
    if (bwd_data) {
        if (dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct,
                                                     src_cb == 1 ? &dsrc_any : &u_dsrc, &w_any,
                                                     &u_ddst, g.strides, g.pad_l,
                                                     g.pad_r) != dnnl_success ||
            make_prim(&c->bwd_d, &dd, attr, fpd, &dpd, err))
            goto done;
        if (arg_init(&c->dd_diff_dst, &u_ddst, QMD(dpd, dnnl_query_diff_dst_md), 0, err) ||
            layout_init(&c->dd_w, QMD(dpd, dnnl_query_weights_md), &c->w, c->wt, c->w_key, err) ||
            arg_init(&c->diff_src, &u_dsrc, QMD(dpd, dnnl_query_diff_src_md), 1, err))
            goto done;
        c->sp_off[1] = stage_layout(&c->dd_diff_dst, &c->diff_src, dpd, scratch_bytes);
    }
    if (bwd_weights && conv_build_wgrad(c, &g, fpd, attr, bf16, scratch_bytes, err)) goto done;
    rc = 0;
done:
    if (rc && err && !err->msg[0])
        cx_fail(err, "%s:%d: oneDNN has no convolution for %dx%d ic %d oc %d k %d (%s)",
                __FILE__, __LINE__, s->ih, s->iw, s->ic, s->oc, s->k, bf16 ? "bf16" : "fp32");
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
    dnnl_primitive_attr_destroy(attr);
    return rc;
}

int nn_conv_create(nn_conv **out, const nn_conv_shape *s, int src_cb, int dst_cb, int bf16,
                   int bwd_data, int bwd_weights, nn_wtable *wt, const float *oihw,
                   size_t *scratch_bytes, cx_error *err) {
    *out = NULL;
    if (engine_get(err)) return -1;
    nn_conv *c = cx_calloc(1, sizeof *c);
    c->s = *s;
    c->wt = wt;
    c->w_key = oihw;
    if (err) err->msg[0] = 0;
    if (conv_build(c, src_cb, dst_cb, bf16, bwd_data, bwd_weights, scratch_bytes, err)) {
        nn_conv_free(c);
        return -1;
    }
    c->wt = NULL;
    *out = c;
    return 0;
}

void nn_conv_free(nn_conv *c) {
    if (!c) return;
    if (c->fwd) dnnl_primitive_destroy(c->fwd);
    if (c->bwd_d) dnnl_primitive_destroy(c->bwd_d);
    conv_arg *args[] = {&c->src, &c->dst, &c->dd_diff_dst, &c->diff_src};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) arg_free(args[i]);
    for (int k = 0; k < 2; k++) {
        if (c->wg[k].prim) dnnl_primitive_destroy(c->wg[k].prim);
        arg_free(&c->wg[k].src);
        arg_free(&c->wg[k].diff_dst);
        layout_free(&c->wg[k].dw);
    }
    layout_free(&c->dd_w); // may share the forward's buffer: freed by its owner below
    layout_free(&c->w);
    if (c->m_scratch) dnnl_memory_destroy(c->m_scratch);
    free(c);
}

const char *nn_conv_impl(const nn_conv *c) { return c->impl; }

static int scratch_mem(nn_conv *c, dnnl_primitive_t prim, void *scratch, size_t off,
                       dnnl_memory_t *m, cx_error *err) {
    const_dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_get_primitive_desc(prim, &pd));
    const dnnl_memory_desc_t *md = QMD(pd, dnnl_query_scratchpad_md);
    if (c->m_scratch) dnnl_memory_destroy(c->m_scratch);
    c->m_scratch = NULL;
    DNNL_CHECK(dnnl_memory_create(&c->m_scratch, md, g_engine, (char *)scratch + off));
    *m = c->m_scratch;
    return 0;
}

int nn_conv_forward(nn_conv *c, const void *src, float *dst, void *scratch, cx_error *err) {
    dnnl_memory_t ms, md, mscr;
    if (arg_in(&c->src, src, scratch, &ms, err) || arg_out(&c->dst, dst, scratch, &md, err) ||
        scratch_mem(c, c->fwd, scratch, c->sp_off[0], &mscr, err))
        return -1;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, c->w.mem}, {DNNL_ARG_DST, md},
                              {DNNL_ARG_SCRATCHPAD, mscr}};
    DNNL_CHECK(dnnl_primitive_execute(c->fwd, g_stream, 4, args));
    return arg_out_finish(&c->dst, err);
}

int nn_conv_backward_data(nn_conv *c, const void *diff_dst, float *diff_src, void *scratch,
                          cx_error *err) {
    CX_ASSERT(c->bwd_d);
    dnnl_memory_t mdd, mds, mscr;
    if (arg_in(&c->dd_diff_dst, diff_dst, scratch, &mdd, err) ||
        arg_out(&c->diff_src, diff_src, scratch, &mds, err) ||
        scratch_mem(c, c->bwd_d, scratch, c->sp_off[1], &mscr, err))
        return -1;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_DIFF_DST, mdd}, {DNNL_ARG_WEIGHTS, c->dd_w.mem},
                              {DNNL_ARG_DIFF_SRC, mds}, {DNNL_ARG_SCRATCHPAD, mscr}};
    DNNL_CHECK(dnnl_primitive_execute(c->bwd_d, g_stream, 4, args));
    return arg_out_finish(&c->diff_src, err);
}

int nn_conv_backward_weights(nn_conv *c, const void *src, const void *diff_dst, void *scratch,
                             cx_error *err) {
    CX_ASSERT(c->n_wg);
    const int k = c->n_wg == 2 && nn_wgrad_fp32_active() ? 1 : 0;
    wgrad_path *g = &c->wg[k];
    dnnl_memory_t ms, mdd, mscr;
    double t0 = cx_now_s();
    if (arg_in(&g->src, src, scratch, &ms, err) || arg_in(&g->diff_dst, diff_dst, scratch, &mdd, err) ||
        scratch_mem(c, g->prim, scratch, g->sp_off, &mscr, err))
        return -1;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DIFF_DST, mdd},
                              {DNNL_ARG_DIFF_WEIGHTS, g->dw.mem}, {DNNL_ARG_SCRATCHPAD, mscr}};
    DNNL_CHECK(dnnl_primitive_execute(g->prim, g_stream, 4, args));
    DNNL_CHECK(dnnl_stream_wait(g_stream));
    c->wg_last = k;
    // AUTO: three bf16 calls in a row slower than g_slow_ms and g_slow_gflops (a primitive's first
    // call, which may fault in its buffers, does not count) move every later call to the detour
    if (c->n_wg == 2 && k == 0 && g_wgrad_policy == NN_WGRAD_AUTO && c->wg_calls++ > 0) {
        const nn_conv_shape *s = &c->s;
        double ms_ = (cx_now_s() - t0) * 1e3,
               gflop = 2.0 * s->n * s->oc * s->ic * s->k * s->k * s->oh * s->ow / 1e9;
        g_wgrad_slow_run = ms_ > g_slow_ms && gflop / ms_ * 1e3 < g_slow_gflops ? g_wgrad_slow_run + 1 : 0;
        if (g_wgrad_slow_run >= 3) {
            g_wgrad_fp32 = 1;
            cx_info("nn: oneDNN's bf16 weight-gradient kernel ran at %.1f GFLOP/s (%.0f ms a call; "
                    "cores shared with another process?): 3x3 weight gradients go through fp32 from now on",
                    gflop / ms_ * 1e3, ms_);
        }
    }
    return 0;
}
