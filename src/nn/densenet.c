// DenseNet as data: the table of block sizes gives every tensor of torchvision's state_dict(),
// in its order, laid out in one flat parameter buffer (+ gradients) and one flat BN buffer.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

int densenet_config_for(const char *arch, int num_classes, int gaze_head, densenet_config *cfg,
                        cx_error *err) {
    static const struct {
        const char *name;
        int blocks[4];
    } table[] = {{"densenet121", {6, 12, 24, 16}},
                 {"densenet169", {6, 12, 32, 32}},
                 {"densenet201", {6, 12, 48, 32}}};
    if (num_classes < 1) return cx_fail(err, "num_classes must be >= 1, got %d", num_classes);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(arch, table[i].name)) continue;
        memset(cfg, 0, sizeof *cfg);
        snprintf(cfg->arch, sizeof cfg->arch, "%s", arch);
        memcpy(cfg->blocks, table[i].blocks, sizeof cfg->blocks);
        cfg->growth = 32;
        cfg->init_features = 64;
        cfg->bn_size = 4;
        cfg->num_classes = num_classes;
        cfg->gaze_head = gaze_head ? 1 : 0;
        return 0;
    }
    return cx_fail(err, "unknown architecture '%s' (expected densenet121, densenet169 or "
                        "densenet201)", arch);
}

// ---- tensor table ----------------------------------------------------------------------------
typedef struct table_builder {
    nn_tensor_info *t;
    int n, cap;
    size_t n_params, n_buffers, n_counters;
} table_builder;

static void add(table_builder *tb, const char *name, nn_tensor_kind kind, int ndim, int64_t d0,
                int64_t d1, int64_t d2, int64_t d3) {
    if (tb->n == tb->cap) {
        tb->cap = tb->cap ? tb->cap * 2 : 256;
        tb->t = cx_realloc(tb->t, sizeof *tb->t * tb->cap);
    }
    nn_tensor_info *t = &tb->t[tb->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->kind = kind;
    t->ndim = ndim;
    int64_t d[4] = {d0, d1, d2, d3};
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = d[i];
        t->numel *= (size_t)d[i];
    }
    // offsets for now (pointers once the buffers exist)
    size_t *off = kind == NN_PARAM ? &tb->n_params : kind == NN_BUFFER ? &tb->n_buffers
                                                                         : &tb->n_counters;
    t->data = (float *)(uintptr_t)*off;
    *off += t->numel;
}

static void add_bn(table_builder *tb, const char *prefix, int c) {
    char b[96];
    static const char *p[] = {"weight", "bias"}, *bu[] = {"running_mean", "running_var"};
    for (int i = 0; i < 2; i++) {
        snprintf(b, sizeof b, "%s.%s", prefix, p[i]);
        add(tb, b, NN_PARAM, 1, c, 0, 0, 0);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(b, sizeof b, "%s.%s", prefix, bu[i]);
        add(tb, b, NN_BUFFER, 1, c, 0, 0, 0);
    }
    snprintf(b, sizeof b, "%s.num_batches_tracked", prefix);
    add(tb, b, NN_COUNTER, 0, 0, 0, 0, 0);
}

static void build_table(const densenet_config *cfg, table_builder *tb) {
    char b[96];
    int c = cfg->init_features, wb = cfg->bn_size * cfg->growth;
    add(tb, "features.conv0.weight", NN_PARAM, 4, c, 3, 7, 7);
    add_bn(tb, "features.norm0", c);
    for (int bi = 0; bi < NN_MAX_BLOCKS; bi++) {
        for (int l = 0; l < cfg->blocks[bi]; l++) {
            char pre[80];
            snprintf(pre, sizeof pre, "features.denseblock%d.denselayer%d", bi + 1, l + 1);
            snprintf(b, sizeof b, "%s.norm1", pre);
            add_bn(tb, b, c);
            snprintf(b, sizeof b, "%s.conv1.weight", pre);
            add(tb, b, NN_PARAM, 4, wb, c, 1, 1);
            snprintf(b, sizeof b, "%s.norm2", pre);
            add_bn(tb, b, wb);
            snprintf(b, sizeof b, "%s.conv2.weight", pre);
            add(tb, b, NN_PARAM, 4, cfg->growth, wb, 3, 3);
            c += cfg->growth;
        }
        if (bi < NN_MAX_BLOCKS - 1) {
            snprintf(b, sizeof b, "features.transition%d.norm", bi + 1);
            add_bn(tb, b, c);
            snprintf(b, sizeof b, "features.transition%d.conv.weight", bi + 1);
            add(tb, b, NN_PARAM, 4, c / 2, c, 1, 1);
            c /= 2;
        }
    }
    add_bn(tb, "features.norm5", c);
    add(tb, "classifier.weight", NN_PARAM, 2, cfg->num_classes, c, 0, 0);
    add(tb, "classifier.bias", NN_PARAM, 1, cfg->num_classes, 0, 0, 0);
    if (cfg->gaze_head) {
        add(tb, "gaze_head.weight", NN_PARAM, 4, 1, c, 1, 1);
        add(tb, "gaze_head.bias", NN_PARAM, 1, 1, 0, 0, 0);
    }
}

// Walks the table in order, binding the structural pointers.
static void bind(densenet *net) {
    const densenet_config *cfg = &net->cfg;
    int i = 0;
#define NEXT() (&net->t[i++])
#define BN(ref, ch)                                                                            \
    do {                                                                                       \
        nn_tensor_info *w_ = NEXT(), *b_ = NEXT(), *m_ = NEXT(), *v_ = NEXT(), *k_ = NEXT();   \
        (ref).gamma = w_->data;                                                                \
        (ref).dgamma = w_->grad;                                                               \
        (ref).beta = b_->data;                                                                 \
        (ref).dbeta = b_->grad;                                                                \
        (ref).run_mean = m_->data;                                                             \
        (ref).run_var = v_->data;                                                              \
        (ref).count = k_->counter;                                                             \
        (ref).c = (ch);                                                                        \
    } while (0)
    int c = cfg->init_features;
    nn_tensor_info *t = NEXT();
    net->conv0 = t->data;
    net->dconv0 = t->grad;
    BN(net->norm0, c);
    for (int bi = 0; bi < NN_MAX_BLOCKS; bi++) {
        net->block_layers[bi] = cfg->blocks[bi];
        net->n_layers_total += cfg->blocks[bi];
        net->block_c_in[bi] = c;
        for (int l = 0; l < cfg->blocks[bi]; l++) {
            nn_layer_ref *L = &net->layers[bi][l];
            L->c_in = c;
            BN(L->norm1, c);
            t = NEXT();
            L->conv1 = t->data;
            L->dconv1 = t->grad;
            BN(L->norm2, cfg->bn_size * cfg->growth);
            t = NEXT();
            L->conv2 = t->data;
            L->dconv2 = t->grad;
            c += cfg->growth;
        }
        net->block_c_out[bi] = c;
        if (bi < NN_MAX_BLOCKS - 1) {
            BN(net->trans_norm[bi], c);
            t = NEXT();
            net->trans_conv[bi] = t->data;
            net->dtrans_conv[bi] = t->grad;
            c /= 2;
        }
    }
    BN(net->norm5, c);
    net->c_final = c;
    t = NEXT();
    net->cls_w = t->data;
    net->dcls_w = t->grad;
    t = NEXT();
    net->cls_b = t->data;
    net->dcls_b = t->grad;
    if (cfg->gaze_head) {
        t = NEXT();
        net->gaze_w = t->data;
        net->dgaze_w = t->grad;
        t = NEXT();
        net->gaze_b = t->data;
        net->dgaze_b = t->grad;
    }
    CX_ASSERT(i == net->nt);
#undef NEXT
#undef BN
}

densenet *densenet_create(const densenet_config *cfg) {
    densenet *net = cx_calloc(1, sizeof *net);
    net->cfg = *cfg;
    table_builder tb = {0};
    build_table(cfg, &tb);
    net->t = tb.t;
    net->nt = tb.n;
    net->n_params = tb.n_params;
    net->n_buffers = tb.n_buffers;
    net->n_counters = tb.n_counters;
    net->params = cx_huge_alloc(sizeof(float) * (tb.n_params + 1));
    net->grads = cx_huge_alloc(sizeof(float) * (tb.n_params + 1));
    net->buffers = cx_huge_alloc(sizeof(float) * (tb.n_buffers + 1));
    net->counters = cx_calloc(tb.n_counters + 1, sizeof(int64_t));
    net->wgen = cx_calloc(1, sizeof *net->wgen);
    *net->wgen = 1;
    for (int i = 0; i < net->nt; i++) {
        nn_tensor_info *t = &net->t[i];
        size_t off = (size_t)(uintptr_t)t->data;
        t->data = NULL;
        if (t->kind == NN_PARAM) {
            t->data = net->params + off;
            t->grad = net->grads + off;
        } else if (t->kind == NN_BUFFER) {
            t->data = net->buffers + off;
        } else {
            t->counter = net->counters + off;
        }
    }
    for (int bi = 0; bi < NN_MAX_BLOCKS; bi++)
        net->layers[bi] = cx_calloc(cfg->blocks[bi] + 1, sizeof(nn_layer_ref));
    bind(net);
    return net;
}

void densenet_free(densenet *net) {
    if (!net) return;
    for (int bi = 0; bi < NN_MAX_BLOCKS; bi++) free(net->layers[bi]);
    free(net->t);
    cx_huge_free(net->params);
    cx_huge_free(net->grads);
    cx_huge_free(net->buffers);
    free(net->counters);
    free(net->wgen);
    free(net);
}

const densenet_config *densenet_cfg(const densenet *net) { return &net->cfg; }
int densenet_num_tensors(const densenet *net) { return net->nt; }
// Every accessor that hands out a writable pointer to weights counts as a change.
void densenet_weights_changed(densenet *net) { (*net->wgen)++; }

const nn_tensor_info *densenet_tensor(const densenet *net, int i) {
    (*net->wgen)++;
    return i >= 0 && i < net->nt ? &net->t[i] : NULL;
}
const nn_tensor_info *densenet_find_tensor(const densenet *net, const char *name) {
    (*net->wgen)++;
    for (int i = 0; i < net->nt; i++)
        if (!strcmp(net->t[i].name, name)) return &net->t[i];
    return NULL;
}
float *densenet_params(densenet *net, size_t *n) {
    (*net->wgen)++;
    if (n) *n = net->n_params;
    return net->params;
}
float *densenet_grads(densenet *net, size_t *n) {
    if (n) *n = net->n_params;
    return net->grads;
}
float *densenet_buffers(densenet *net, size_t *n) {
    if (n) *n = net->n_buffers;
    return net->buffers;
}

densenet *densenet_clone(const densenet *net) {
    densenet *c = densenet_create(&net->cfg);
    densenet_copy_weights(c, net);
    memcpy(c->grads, net->grads, sizeof(float) * net->n_params);
    return c;
}

void densenet_copy_weights(densenet *dst, const densenet *src) {
    CX_ASSERT(dst->n_params == src->n_params && dst->n_buffers == src->n_buffers &&
              dst->n_counters == src->n_counters);
    memcpy(dst->params, src->params, sizeof(float) * src->n_params);
    memcpy(dst->buffers, src->buffers, sizeof(float) * src->n_buffers);
    memcpy(dst->counters, src->counters, sizeof(int64_t) * src->n_counters);
    densenet_weights_changed(dst);
}

// ---- initialisation (torchvision DenseNet.__init__) ------------------------------------------
static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

// Tensor i draws from its own stream (seed, i), so re-initialising a prefix reproduces
// exactly what densenet_init would have drawn for those tensors.
static void init_tensor(nn_tensor_info *t, uint64_t seed, int i) {
    cx_rng r;
    cx_rng_seed(&r, seed, (uint64_t)i);
    if (t->kind == NN_COUNTER) {
        *t->counter = 0;
        return;
    }
    int is_bn = strstr(t->name, ".norm") != NULL;
    if (t->kind == NN_BUFFER) {
        float v = ends_with(t->name, "running_var") ? 1.f : 0.f;
        for (size_t k = 0; k < t->numel; k++) t->data[k] = v;
        return;
    }
    if (ends_with(t->name, ".bias")) {
        memset(t->data, 0, sizeof(float) * t->numel); // BN bias, classifier and gaze-head bias
        return;
    }
    if (is_bn) {
        for (size_t k = 0; k < t->numel; k++) t->data[k] = 1.f;
        return;
    }
    size_t fan_in = t->numel / (size_t)t->shape[0];
    if (t->ndim == 4) {
        // kaiming_normal_(mode='fan_in', nonlinearity='leaky_relu', a=0): std = sqrt(2/fan_in)
        double sd = sqrt(2.0 / (double)fan_in);
        for (size_t k = 0; k < t->numel; k++) t->data[k] = (float)(sd * cx_rng_normal(&r));
    } else {
        // nn.Linear's default: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        double bound = 1.0 / sqrt((double)fan_in);
        for (size_t k = 0; k < t->numel; k++)
            t->data[k] = (float)(bound * (2 * cx_rng_uniform(&r) - 1));
    }
}

void densenet_init(densenet *net, uint64_t seed) {
    (*net->wgen)++;
    for (int i = 0; i < net->nt; i++) init_tensor(&net->t[i], seed, i);
}

void densenet_reinit_prefix(densenet *net, const char *prefix, uint64_t seed) {
    (*net->wgen)++;
    size_t n = strlen(prefix);
    for (int i = 0; i < net->nt; i++)
        if (!strncmp(net->t[i].name, prefix, n)) init_tensor(&net->t[i], seed, i);
}

const char *const NN_PRECISION_NAMES[] = {[NN_FP32] = "fp32", [NN_BF16] = "bf16"};
_Static_assert(sizeof NN_PRECISION_NAMES / sizeof NN_PRECISION_NAMES[0] == NN_N_PRECISIONS,
               "one name per precision");
const char *nn_precision_name(nn_precision p) { return NN_PRECISION_NAMES[p]; }
