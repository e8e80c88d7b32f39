// study/compare: compare.json, the settings and counts of a run (what the report quotes), its
// writer and reader. Files written before map_sign/map_scale existed read as the default, before
// the inter-observer ceiling as without one.
#include "study/compare_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int study_compare_json_write(const char *path, const study_compare_settings *s,
                             const study_compare_result *r, cx_error *err) {
    json_t *root = json_object();
    json_object_set_new(root, "data", json_string(s->data_dir));
    json_object_set_new(root, "n_gaze_test_images", json_integer(r->n_gaze_test));
    json_object_set_new(root, "pairs", json_integer(r->n_pairs));
    json_object_set_new(root, "pairs_without_maps", json_integer(r->n_pairs_unmapped));
    json_object_set_new(root, "map_sign", json_string(stats_map_sign_name(s->norm.sign)));
    json_object_set_new(root, "map_scale", json_string(stats_map_scale_name(s->norm.scale)));
    json_object_set_new(root, "threshold", s->fixed_threshold < 0 ? json_string("f1-max on validate")
                                                                  : json_real(s->fixed_threshold));
    json_object_set_new(root, "bootstrap_resamples", json_integer(s->n_bootstrap));
    json_object_set_new(root, "permutations", json_integer(s->n_permutations));
    json_object_set_new(root, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(root, "emd_side", json_integer(s->emd_side));
    json_object_set_new(root, "truth", json_boolean(r->has_truth));
    // The inter-observer ceiling: images and (reference reading, prediction) pairs scored.
    json_t *ceiling = json_object();
    for (int c = 0; c < STUDY_N_CEILINGS; c++) {
        json_t *jc = json_object();
        json_object_set_new(jc, "images", json_integer(r->n_ceiling_images[c]));
        json_object_set_new(jc, "pairs", json_integer(r->n_ceiling_pairs[c]));
        json_object_set_new(ceiling, study_ceiling_name((study_ceiling)c), jc);
    }
    json_object_set_new(root, "interobserver", ceiling);
    json_t *models = json_array();
    for (int k = 0; k < r->n_models; k++) {
        const study_compare_model *m = &r->model[k];
        json_t *jm = json_object(), *meth = json_array();
        for (int q = 0; q < m->n_methods; q++)
            json_array_append_new(meth, json_string(attr_method_name(m->method[q])));
        json_object_set_new(jm, "name", json_string(m->name));
        json_object_set_new(jm, "eval", json_string(s->eval_dir[s->n_eval == 1 ? 0 : k]));
        json_object_set_new(jm, "attributions", json_string(s->attr_dir[k]));
        json_object_set_new(jm, "methods", meth);
        json_object_set_new(jm, "maps", json_integer(m->n_maps));
        json_object_set_new(jm, "analysed_maps", json_integer(m->n_analysed));
        json_object_set_new(jm, "correct", json_integer(m->n_correct));
        json_object_set_new(jm, "incorrect", json_integer(m->n_analysed - m->n_correct));
        json_array_append_new(models, jm);
    }
    json_object_set_new(root, "models", models);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    int rc = cx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int study_compare_json_read(const char *path, study_compare_summary *out, cx_error *err) {
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) return cx_fail(err, "%s:%d: %s", path, je.line, je.text);
    const json_t *n = json_object_get(root, "n_gaze_test_images"),
                 *thr = json_object_get(root, "threshold"),
                 *boot = json_object_get(root, "bootstrap_resamples"),
                 *perm = json_object_get(root, "permutations"),
                 *sign = json_object_get(root, "map_sign"),
                 *scale = json_object_get(root, "map_scale");
    // Files written before the map normalisation was a setting: the default (abs, p98).
    int sign_v = sign ? (json_is_string(sign) ? stats_map_sign_parse(json_string_value(sign)) : -1)
                      : STATS_SIGN_ABS;
    int scale_v = scale ? (json_is_string(scale) ? stats_map_scale_parse(json_string_value(scale))
                                                 : -1)
                        : STATS_SCALE_P98;
    int rc = 0;
    if (!json_is_integer(n) || !json_is_integer(boot) || !json_is_integer(perm) ||
        !(json_is_string(thr) || json_is_number(thr)))
        rc = cx_fail(err, "%s: expected integers n_gaze_test_images, bootstrap_resamples, "
                          "permutations and a threshold (number or text)", path);
    else if (sign_v < 0 || scale_v < 0)
        rc = cx_fail(err, "%s: expected map_sign abs, positive or signed and map_scale p98 or minmax",
                     path);
    else {
        *out = (study_compare_summary){
            .n_gaze_test = json_integer_value(n),
            .fixed_threshold = json_is_number(thr) ? json_number_value(thr) : -1,
            .n_bootstrap = json_integer_value(boot),
            .n_permutations = json_integer_value(perm),
            .norm = {(stats_map_sign)sign_v, (stats_map_scale)scale_v}};
        // Files written before the ceiling: no counts (0).
        const json_t *ceiling = json_object_get(root, "interobserver");
        for (int c = 0; c < STUDY_N_CEILINGS; c++) {
            const json_t *jc = json_object_get(ceiling, study_ceiling_name((study_ceiling)c));
            const json_t *im = json_object_get(jc, "images"), *pr = json_object_get(jc, "pairs");
            out->n_ceiling_images[c] = json_is_integer(im) ? json_integer_value(im) : 0;
            out->n_ceiling_pairs[c] = json_is_integer(pr) ? json_integer_value(pr) : 0;
        }
    }
    json_decref(root);
    return rc;
}
