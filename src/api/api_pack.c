// api/api_pack.c: a dataset pack (`cxrgaze prepare`'s directory) opened through data/'s reader
// (pack_open): its tensors as pointers into the read-only mapping, index.csv's text columns.
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

const char *const API_PACK_ARRAYS[API_N_PACK_ARRAYS] = {
    "images", "labels",    "label_mask", "split",          "gaze_row",
    "gaze",   "fixations", "regions",    "region_present", "truth"};
const char *const API_PACK_TEXTS[API_N_PACK_TEXTS] = {"dicom_id", "subject_id", "study_id", "view"};

struct cxg_pack {
    pack pk;
};

cxg_status cxg_pack_open(const char *dir, cxg_pack **out) {
    static const char fn[] = "cxg_pack_open";
    if (!out) return api_fail(CXG_ERR_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    cxg_status st = api_check_exists(fn, "pack directory", dir);
    if (st) return st;
    cxg_pack *p = cx_calloc(1, sizeof *p);
    cx_error err = {{0}};
    if (pack_open(&p->pk, dir, &err)) {
        free(p);
        return api_fail_err(CXG_ERR_FILE, fn, &err);
    }
    *out = p;
    return api_ok();
}

void cxg_pack_close(cxg_pack *p) {
    if (!p) return;
    pack_close(&p->pk);
    free(p);
}

cxg_status cxg_pack_array(const cxg_pack *p, const char *name, const void **data, cxg_dtype *dtype,
                          int *ndim, int64_t shape[4]) {
    static const char fn[] = "cxg_pack_array";
    if (!p || !name || !data || !dtype || !ndim || !shape)
        return api_fail(CXG_ERR_ARGUMENT, "%s: every argument must be given", fn);
    const pack *k = &p->pk;
    const int64_t N = k->n, G = k->n_gaze, S = k->size, L = CX_N_LABELS, R = CX_N_REGIONS;
    // Layouts as data.h's "dataset pack": {name, data, dtype, ndim, shape}.
    const struct {
        const void *data;
        cxg_dtype dtype;
        int ndim;
        int64_t shape[4];
    } arrays[API_N_PACK_ARRAYS] = {
        {k->images, CXG_U8, 3, {N, S, S}},      {k->labels, CXG_F32, 2, {N, L}},
        {k->label_mask, CXG_U8, 2, {N, L}},     {k->split, CXG_U8, 1, {N}},
        {k->gaze_row, CXG_I32, 1, {N}},         {k->gaze, CXG_F32, 3, {G, S, S}},
        {k->fixations, CXG_U8, 3, {G, S, S}},   {k->regions, CXG_U8, 4, {G, R, S, S}},
        {k->region_present, CXG_U8, 2, {G, R}}, {k->truth, CXG_U16, 3, {N, S, S}},
    };
    for (int i = 0; i < API_N_PACK_ARRAYS; i++) {
        if (strcmp(name, API_PACK_ARRAYS[i])) continue;
        if (!strcmp(name, "truth") && !k->truth)
            return api_fail(CXG_ERR_NOT_FOUND, "%s: %s has no \"truth\" (not a synthetic pack)", fn,
                            k->dir);
        *data = arrays[i].shape[0] == 0 ? NULL : arrays[i].data;
        *dtype = arrays[i].dtype;
        *ndim = arrays[i].ndim;
        memcpy(shape, arrays[i].shape, sizeof arrays[i].shape);
        return api_ok();
    }
    return api_fail(CXG_ERR_ARGUMENT,
                    "%s: no pack array \"%s\" (images, labels, label_mask, split, "
                    "gaze_row, gaze, fixations, regions, region_present, truth)",
                    fn, name);
}

const char *cxg_pack_text(const cxg_pack *p, const char *column, int64_t row) {
    if (!p || !column || row < 0 || row >= p->pk.n) return NULL;
    char **const cols[API_N_PACK_TEXTS] = {p->pk.dicom_id, p->pk.subject_id, p->pk.study_id,
                                           p->pk.view};
    for (int i = 0; i < API_N_PACK_TEXTS; i++)
        if (!strcmp(column, API_PACK_TEXTS[i])) return cols[i] ? cols[i][row] : NULL;
    return NULL;
}
