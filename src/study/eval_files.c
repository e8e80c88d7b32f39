// study/eval_files: the files of the evaluate stage, a writer and a reader per file, side by side
// (study.h). Each file's column names are defined once, here, and used by both.
#include "study/study.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof *(a))
#define STR_(x) #x
#define STR(x) STR_(x)

static const char PREDICTIONS_CSV[] = "predictions.csv", THRESHOLDS_CSV[] = "thresholds.csv",
                  AUROC_CSV[] = "auroc.csv", AUROC_MD[] = "auroc_table.md";

// dir/file, sized by need (caller frees).
static char *file_in(const char *dir, const char *file) {
    size_t cap = strlen(dir) + strlen(file) + 2;
    return cx_path_join(cx_malloc(cap), cap, dir, file);
}

// A number as the stage writes it: %.6f, empty for NaN.
static void write_num(csv_writer *w, double v) {
    if (isfinite(v)) csv_writer_fieldf(w, "%.6f", v);
    else csv_writer_field(w, "");
}

// An optional number cell -> *v (NaN when empty); -1 when it is not a number.
static int read_num(const char *cell, double *v) {
    return csv_parse_double_or_nan(cell, v) == CSV_NUM_BAD ? -1 : 0;
}

static int bad_cell(cx_error *err, const csv_table *t, int64_t r, const char *col,
                    const char *expected) {
    return cx_fail(err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(t),
                   (long long)csv_row_line(t, r), col, expected,
                   csv_get(t, r, csv_col(t, col)));
}

// ==== predictions.csv ===========================================================================
// Columns: the ids, then prob_<Label> x14, then label_<Label> x14.
enum { PRED_DICOM_ID, PRED_SUBJECT_ID, PRED_SPLIT, PRED_N_IDS };
static const char *const pred_id_col[] = {"dicom_id", "subject_id", "split"};
_Static_assert(N_ELEMS(pred_id_col) == PRED_N_IDS, "one name per predictions.csv id column");
enum { PRED_PROB = PRED_N_IDS, PRED_LABEL = PRED_PROB + CX_N_LABELS,
       PRED_N_COLS = PRED_LABEL + CX_N_LABELS };
static const char PRED_PROB_PREFIX[] = "prob_", PRED_LABEL_PREFIX[] = "label_";

// Name of predictions.csv column col (0..PRED_N_COLS-1) into buf.
static const char *pred_col_name(int col, char buf[96]) {
    if (col < PRED_N_IDS) return pred_id_col[col];
    int c = (col - PRED_PROB) % CX_N_LABELS;
    snprintf(buf, 96, "%s%s", col < PRED_LABEL ? PRED_PROB_PREFIX : PRED_LABEL_PREFIX,
             CX_LABELS[c]);
    return buf;
}

static void pred_write_row(csv_writer *w, const pack *pk, int64_t r, const float *prob) {
    csv_writer_field(w, pk->dicom_id ? pk->dicom_id[r] : "");
    csv_writer_field(w, pk->subject_id ? pk->subject_id[r] : "");
    csv_writer_field(w, CX_SPLITS[pk->split[r] < CX_N_SPLITS ? pk->split[r] : 0]);
    for (int c = 0; c < CX_N_LABELS; c++) csv_writer_fieldf(w, "%.7g", prob[c]);
    for (int c = 0; c < CX_N_LABELS; c++) {
        int masked = pk->label_mask && !pk->label_mask[r * CX_N_LABELS + c];
        if (masked) csv_writer_field(w, "");
        else csv_writer_fieldf(w, "%d", pk->labels[r * CX_N_LABELS + c] > 0.5f);
    }
    csv_writer_end_row(w);
}

int study_predictions_write(const char *eval_dir, const pack *pk, int n_parts,
                            const study_pred_rows *parts, cx_error *err) {
    char *path = file_in(eval_dir, PREDICTIONS_CSV), buf[96];
    csv_writer *w = csv_writer_open(path, err);
    free(path);
    if (!w) return -1;
    for (int col = 0; col < PRED_N_COLS; col++) csv_writer_field(w, pred_col_name(col, buf));
    csv_writer_end_row(w);
    for (int k = 0; k < n_parts; k++)
        for (int64_t i = 0; i < parts[k].n; i++)
            pred_write_row(w, pk, parts[k].rows[i], parts[k].prob + i * CX_N_LABELS);
    return csv_writer_commit(w, err);
}

int study_predictions_read(const char *eval_dir, const pack *pk, float *prob, cx_error *err) {
    char *path = file_in(eval_dir, PREDICTIONS_CSV);
    csv_table *t = csv_table_read(path, err);
    free(path);
    if (!t) return -1;
    // dicom_id and the probabilities (other columns are not needed to read the predictions).
    char buf[CX_N_LABELS][96];
    const char *names[1 + CX_N_LABELS] = {pred_id_col[PRED_DICOM_ID]};
    for (int c = 0; c < CX_N_LABELS; c++) names[1 + c] = pred_col_name(PRED_PROB + c, buf[c]);
    int idx[1 + CX_N_LABELS], rc = csv_require_cols(t, names, 1 + CX_N_LABELS, idx, err);
    cx_strmap rows;
    strmap_init(&rows);
    for (int64_t i = 0; i < pk->n; i++) strmap_put(&rows, pk->dicom_id[i], i);
    for (int64_t i = 0; i < pk->n * CX_N_LABELS; i++) prob[i] = NAN;
    for (int64_t r = 0; rc == 0 && r < csv_nrows(t); r++) {
        int64_t row = strmap_get(&rows, csv_get(t, r, idx[0]));
        if (row < 0) continue; // an image of another pack: not ours to judge
        for (int c = 0; c < CX_N_LABELS && rc == 0; c++) {
            double v;
            if (read_num(csv_get(t, r, idx[1 + c]), &v) || v < 0 || v > 1)
                rc = bad_cell(err, t, r, names[1 + c], "a probability in [0,1]");
            else prob[row * CX_N_LABELS + c] = (float)v;
        }
    }
    strmap_free(&rows);
    csv_table_free(t);
    return rc;
}

// ==== thresholds.csv ============================================================================
enum { THR_LABEL, THR_THRESHOLD, THR_F1, THR_N_POS, THR_N_NEG, THR_N_COLS };
static const char *const thr_col[] = {"label", "threshold", "f1", "n_pos", "n_neg"};
_Static_assert(N_ELEMS(thr_col) == THR_N_COLS, "one name per thresholds.csv column");

int study_thresholds_write(const char *eval_dir, const study_threshold thr[CX_N_LABELS],
                           cx_error *err) {
    char *path = file_in(eval_dir, THRESHOLDS_CSV);
    csv_writer *w = csv_writer_open(path, err);
    free(path);
    if (!w) return -1;
    csv_writer_row(w, THR_N_COLS, thr_col);
    for (int c = 0; c < CX_N_LABELS; c++) {
        csv_writer_field(w, CX_LABELS[c]);
        write_num(w, thr[c].threshold);
        write_num(w, thr[c].f1);
        csv_writer_fieldf(w, "%" PRId64, thr[c].n_pos);
        csv_writer_fieldf(w, "%" PRId64, thr[c].n_neg);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

int study_thresholds_read(const char *eval_dir, double thr[CX_N_LABELS], cx_error *err) {
    char *path = file_in(eval_dir, THRESHOLDS_CSV);
    csv_table *t = csv_table_read(path, err);
    free(path);
    if (!t) return -1;
    int idx[2], rc = csv_require_cols(t, thr_col, 2, idx, err); // label, threshold
    for (int c = 0; c < CX_N_LABELS; c++) thr[c] = 0.5;
    for (int64_t r = 0; rc == 0 && r < csv_nrows(t); r++) {
        int c = label_from_name(csv_get(t, r, idx[THR_LABEL]));
        double v;
        if (c < 0) rc = bad_cell(err, t, r, thr_col[THR_LABEL], "a CheXpert label name");
        else if (read_num(csv_get(t, r, idx[THR_THRESHOLD]), &v))
            rc = bad_cell(err, t, r, thr_col[THR_THRESHOLD], "a number or nothing");
        else if (!isnan(v)) thr[c] = v; // empty: no positives on validate -> 0.5
    }
    csv_table_free(t);
    return rc;
}

// ==== auroc.csv =================================================================================
enum { AU_MODEL, AU_LABEL, AU_N_POS, AU_N_NEG, AU_AUROC, AU_DELONG_LO, AU_DELONG_HI, AU_BOOT_LO,
       AU_BOOT_HI, AU_DELONG_P, AU_N_COLS };
static const char *const au_col[] = {"model",     "label",   "n_pos",   "n_neg",   "auroc",
                                     "delong_lo", "delong_hi", "boot_lo", "boot_hi", "delong_p"};
_Static_assert(N_ELEMS(au_col) == AU_N_COLS, "one name per auroc.csv column");

void study_auroc_table_init(study_auroc_table *t, int n_models, int has_delong_p) {
    t->n_models = n_models;
    t->has_delong_p = has_delong_p;
    t->name = cx_calloc((size_t)(n_models ? n_models : 1), sizeof *t->name);
    t->entry = cx_malloc((size_t)(n_models ? n_models : 1) * sizeof *t->entry);
    for (int m = 0; m < n_models; m++)
        for (int c = 0; c < CX_N_LABELS; c++)
            t->entry[m][c] = (study_auroc_entry){0, 0, NAN, NAN, NAN, NAN, NAN, NAN};
}

void study_auroc_table_free(study_auroc_table *t) {
    free(t->name);
    free(t->entry);
    memset(t, 0, sizeof *t);
}

int study_auroc_write(const char *eval_dir, const study_auroc_table *t, cx_error *err) {
    char *path = file_in(eval_dir, AUROC_CSV);
    csv_writer *w = csv_writer_open(path, err);
    free(path);
    if (!w) return -1;
    const int multi = t->n_models > 1;
    for (int col = multi ? AU_MODEL : AU_LABEL; col < AU_DELONG_P + t->has_delong_p; col++)
        csv_writer_field(w, au_col[col]);
    csv_writer_end_row(w);
    for (int m = 0; m < t->n_models; m++)
        for (int c = 0; c < CX_N_LABELS; c++) {
            const study_auroc_entry *e = &t->entry[m][c];
            if (multi) csv_writer_field(w, t->name[m]);
            csv_writer_field(w, CX_LABELS[c]);
            csv_writer_fieldf(w, "%" PRId64, e->n_pos);
            csv_writer_fieldf(w, "%" PRId64, e->n_neg);
            write_num(w, e->auroc);
            write_num(w, e->delong_lo);
            write_num(w, e->delong_hi);
            write_num(w, e->boot_lo);
            write_num(w, e->boot_hi);
            if (t->has_delong_p) write_num(w, m > 0 ? e->delong_p : NAN);
            csv_writer_end_row(w);
        }
    return csv_writer_commit(w, err);
}

// The model of row r: its index in t (a new one on first sight), or -1 past the limit.
static int auroc_model_of(study_auroc_table *t, const char *name) {
    for (int m = 0; m < t->n_models; m++)
        if (!strcmp(t->name[m], name)) return m;
    if (t->n_models == STUDY_EVAL_MAX_MODELS) return -1;
    int m = t->n_models++;
    snprintf(t->name[m], sizeof t->name[m], "%s", name);
    return m;
}

// One row of auroc.csv into its entry; idx: column indices (AU_*, -1 when absent).
static int auroc_read_row(const csv_table *t, int64_t r, const int *idx, study_auroc_entry *e,
                          cx_error *err) {
    int64_t *count[2] = {&e->n_pos, &e->n_neg};
    for (int k = 0; k < 2; k++)
        if (csv_parse_int64(csv_get(t, r, idx[AU_N_POS + k]), count[k]) != CSV_NUM_OK ||
            *count[k] < 0)
            return bad_cell(err, t, r, au_col[AU_N_POS + k], "a count");
    double *val[] = {&e->auroc, &e->delong_lo, &e->delong_hi, &e->boot_lo, &e->boot_hi,
                     &e->delong_p};
    for (int k = 0; k < (int)N_ELEMS(val); k++) {
        int col = AU_AUROC + k;
        if (idx[col] < 0) continue; // delong_p absent
        if (read_num(csv_get(t, r, idx[col]), val[k]))
            return bad_cell(err, t, r, au_col[col], "a number or nothing");
    }
    return 0;
}

int study_auroc_read(const char *eval_dir, study_auroc_table *out, cx_error *err) {
    char *path = file_in(eval_dir, AUROC_CSV);
    csv_table *t = csv_table_read(path, err);
    free(path);
    if (!t) return -1;
    int idx[AU_N_COLS];
    int rc = csv_require_cols(t, au_col + AU_LABEL, AU_DELONG_P - AU_LABEL, idx + AU_LABEL, err);
    idx[AU_MODEL] = csv_col(t, au_col[AU_MODEL]);
    idx[AU_DELONG_P] = csv_col(t, au_col[AU_DELONG_P]);
    study_auroc_table_init(out, STUDY_EVAL_MAX_MODELS, idx[AU_DELONG_P] >= 0);
    out->n_models = 0;
    for (int64_t r = 0; rc == 0 && r < csv_nrows(t); r++) {
        int m = auroc_model_of(out, idx[AU_MODEL] >= 0 ? csv_get(t, r, idx[AU_MODEL]) : "");
        int c = label_from_name(csv_get(t, r, idx[AU_LABEL]));
        if (m < 0) rc = bad_cell(err, t, r, au_col[AU_MODEL], "at most " STR(STUDY_EVAL_MAX_MODELS) " models");
        else if (c < 0) rc = bad_cell(err, t, r, au_col[AU_LABEL], "a CheXpert label name");
        else rc = auroc_read_row(t, r, idx, &out->entry[m][c], err);
    }
    csv_table_free(t);
    if (rc) study_auroc_table_free(out);
    return rc;
}

// ==== auroc_table.md (written for people; the report shows it as it is) ========================
static void md_model_columns(FILE *f, const study_auroc_table *t) {
    fputs(".\n\n| Label |", f);
    for (int m = 0; m < t->n_models; m++) fprintf(f, " %s AUROC (95%% CI) |", t->name[m]);
    for (int m = 1; t->has_delong_p && m < t->n_models; m++)
        fprintf(f, " p (%s vs %s) |", t->name[m], t->name[0]);
    fputs("\n|---|", f);
    for (int m = 0; m < t->n_models; m++) fputs("---|", f);
    for (int m = 1; t->has_delong_p && m < t->n_models; m++) fputs("---|", f);
    fputc('\n', f);
}

int study_auroc_md_write(const char *eval_dir, const study_auroc_table *t, const char *split,
                         cx_error *err) {
    char *path = file_in(eval_dir, AUROC_MD);
    cx_atomic_file af;
    int rc = cx_atomic_open(&af, path, err);
    free(path);
    if (rc) return -1;
    FILE *f = af.f;
    fprintf(f, "AUROC on the %s split with 95%% DeLong CI", split);
    if (t->has_delong_p && t->n_models > 1) fprintf(f, "; DeLong test p against %s", t->name[0]);
    md_model_columns(f, t);
    for (int c = 0; c < CX_N_LABELS; c++) {
        fprintf(f, "| %s |", CX_LABELS[c]);
        for (int m = 0; m < t->n_models; m++) {
            const study_auroc_entry *e = &t->entry[m][c];
            if (!isfinite(e->auroc)) fputs(" n/a |", f);
            else if (!isfinite(e->delong_lo)) fprintf(f, " %.3f |", e->auroc);
            else fprintf(f, " %.3f (%.3f-%.3f) |", e->auroc, e->delong_lo, e->delong_hi);
        }
        for (int m = 1; t->has_delong_p && m < t->n_models; m++) {
            if (isfinite(t->entry[m][c].delong_p)) fprintf(f, " %.3g |", t->entry[m][c].delong_p);
            else fputs(" n/a |", f);
        }
        fputc('\n', f);
    }
    fputs("| **Mean** |", f);
    for (int m = 0; m < t->n_models; m++) {
        double mean = 0;
        int used = 0;
        for (int c = 0; c < CX_N_LABELS; c++)
            if (isfinite(t->entry[m][c].auroc)) mean += t->entry[m][c].auroc, used++;
        if (used) fprintf(f, " %.3f |", mean / used);
        else fputs(" n/a |", f);
    }
    for (int m = 1; t->has_delong_p && m < t->n_models; m++) fputs(" |", f);
    fputc('\n', f);
    return cx_atomic_commit(&af, err); // reports any write error
}
