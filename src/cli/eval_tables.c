// cli/eval_tables: AUROC/CI/threshold/DeLong tables of `cxrgaze eval` (see eval_tables.h).
#include "cli/eval_tables.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Counted cases of label c among p's rows: scores, 0/1 labels and patients.
static size_t label_cases(const pack *pk, const eval_preds *p, int c, double *score,
                          uint8_t *lab, int64_t *patient) {
    size_t m = 0;
    for (int64_t i = 0; i < p->n; i++) {
        int64_t r = p->rows[i];
        if (pk->label_mask && !pk->label_mask[r * CX_N_LABELS + c]) continue;
        score[m] = p->prob[i * CX_N_LABELS + c];
        lab[m] = pk->labels[r * CX_N_LABELS + c] > 0.5f;
        if (patient) {
            // subject_id is numeric in MIMIC; anything else gets a string hash.
            const char *s = pk->subject_id ? pk->subject_id[r] : NULL;
            char *end;
            errno = 0;
            long long v = s ? strtoll(s, &end, 10) : r;
            if (s && (errno || end == s || *end)) {
                uint64_t h = 0xcbf29ce484222325ull;
                for (const char *q = s; *q; q++) h = (h ^ (uint8_t)*q) * 0x100000001b3ull;
                v = (long long)(h >> 1);
            }
            patient[m] = v;
        }
        m++;
    }
    return m;
}

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.6f", v);
}

int eval_write_predictions(const char *path, const pack *pk, const eval_preds *const *parts,
                           int n_parts, cx_error *err) {
    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    fputs("dicom_id,subject_id,split", f);
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",prob_%s", CX_LABELS[c]);
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",label_%s", CX_LABELS[c]);
    fputc('\n', f);
    for (int k = 0; k < n_parts; k++) {
        const eval_preds *p = parts[k];
        for (int64_t i = 0; i < p->n; i++) {
            int64_t r = p->rows[i];
            csv_field(f, pk->dicom_id ? pk->dicom_id[r] : "");
            fputc(',', f);
            csv_field(f, pk->subject_id ? pk->subject_id[r] : "");
            fprintf(f, ",%s", CX_SPLITS[pk->split[r] < CX_N_SPLITS ? pk->split[r] : 0]);
            for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",%.7g", p->prob[i * CX_N_LABELS + c]);
            for (int c = 0; c < CX_N_LABELS; c++) {
                int masked = pk->label_mask && !pk->label_mask[r * CX_N_LABELS + c];
                if (masked) fputc(',', f);
                else fprintf(f, ",%d", pk->labels[r * CX_N_LABELS + c] > 0.5f);
            }
            fputc('\n', f);
        }
    }
    if (ferror(f)) {
        cx_atomic_abort(&af);
        return cx_fail(err, "%s: write error", path);
    }
    return cx_atomic_commit(&af, err);
}

int eval_thresholds(const char *path, const pack *pk, const eval_preds *p, double *thr,
                    cx_error *err) {
    double *score = cx_malloc((size_t)(p->n + 1) * sizeof *score);
    uint8_t *lab = cx_malloc((size_t)p->n + 1);
    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) {
        free(score);
        free(lab);
        return -1;
    }
    fputs("label,threshold,f1,n_pos,n_neg\n", af.f);
    for (int c = 0; c < CX_N_LABELS; c++) {
        size_t m = label_cases(pk, p, c, score, lab, NULL), npos = 0;
        for (size_t i = 0; i < m; i++) npos += lab[i];
        double f1 = NAN;
        stats_status st;
        thr[c] = stats_f1_threshold(score, lab, m, &f1, &st);
        if (st != STATS_OK)
            cx_warn("thresholds: %s has %s on the validation split (%zu positive of %zu): no "
                    "threshold", CX_LABELS[c], stats_status_name(st), npos, m);
        csv_field(af.f, CX_LABELS[c]);
        fputc(',', af.f);
        put_num(af.f, thr[c]);
        fputc(',', af.f);
        put_num(af.f, f1);
        fprintf(af.f, ",%zu,%zu\n", npos, m - npos);
    }
    free(score);
    free(lab);
    return cx_atomic_commit(&af, err);
}

void eval_label_table(const pack *pk, const eval_preds *p, int n_boot, uint64_t seed,
                      eval_label_stats *out) {
    double *score = cx_malloc((size_t)(p->n + 1) * sizeof *score);
    uint8_t *lab = cx_malloc((size_t)p->n + 1);
    int64_t *patient = cx_malloc((size_t)(p->n + 1) * sizeof *patient);
    for (int c = 0; c < CX_N_LABELS; c++) {
        eval_label_stats *o = &out[c];
        size_t m = label_cases(pk, p, c, score, lab, patient), npos = 0;
        for (size_t i = 0; i < m; i++) npos += lab[i];
        o->n_pos = (int64_t)npos;
        o->n_neg = (int64_t)(m - npos);
        stats_auroc_delong(score, lab, m, 0.95, &o->delong);
        // One stream per label: seed + c keeps labels independent and reproducible.
        stats_auroc_bootstrap(score, lab, patient, m, n_boot, 0.95, seed + (uint64_t)c, &o->boot);
        if (npos == 0 || npos == m)
            cx_warn("auroc: %s has only %s cases (%zu) on this split: AUROC undefined, left empty",
                    CX_LABELS[c], npos ? "positive" : "negative", m);
    }
    free(score);
    free(lab);
    free(patient);
}

void eval_delong_tests(const pack *pk, const eval_preds *a, const eval_preds *b, double *p) {
    CX_ASSERT(a->n == b->n);
    double *sa = cx_malloc((size_t)(a->n + 1) * sizeof *sa), *sb = cx_malloc((size_t)(a->n + 1) * sizeof *sb);
    uint8_t *lab = cx_malloc((size_t)a->n + 1), *lab2 = cx_malloc((size_t)a->n + 1);
    for (int c = 0; c < CX_N_LABELS; c++) {
        size_t m = label_cases(pk, a, c, sa, lab, NULL);
        size_t m2 = label_cases(pk, b, c, sb, lab2, NULL);
        CX_ASSERT(m == m2);
        stats_delong_test t;
        stats_delong_compare(sa, sb, lab, m, &t);
        p[c] = t.p;
    }
    free(sa);
    free(sb);
    free(lab);
    free(lab2);
}

int eval_write_auroc(const char *path, int n_models, const char *const *names,
                     const eval_label_stats *const *st, const double *const *delong_p,
                     cx_error *err) {
    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    fprintf(f, "%slabel,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi%s\n",
            n_models > 1 ? "model," : "", delong_p ? ",delong_p" : "");
    for (int m = 0; m < n_models; m++)
        for (int c = 0; c < CX_N_LABELS; c++) {
            const eval_label_stats *s = &st[m][c];
            if (n_models > 1) {
                csv_field(f, names[m]);
                fputc(',', f);
            }
            csv_field(f, CX_LABELS[c]);
            fprintf(f, ",%" PRId64 ",%" PRId64 ",", s->n_pos, s->n_neg);
            put_num(f, s->delong.auroc);
            fputc(',', f);
            put_num(f, s->delong.lo);
            fputc(',', f);
            put_num(f, s->delong.hi);
            fputc(',', f);
            put_num(f, s->boot.lo);
            fputc(',', f);
            put_num(f, s->boot.hi);
            if (delong_p) {
                fputc(',', f);
                if (m > 0) put_num(f, delong_p[m][c]);
            }
            fputc('\n', f);
        }
    return cx_atomic_commit(&af, err);
}

int eval_write_table_md(const char *path, int n_models, const char *const *names,
                        const eval_label_stats *const *st, const double *const *delong_p,
                        const char *split, cx_error *err) {
    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    fprintf(f, "AUROC on the %s split with 95%% DeLong CI", split);
    if (delong_p && n_models > 1) fprintf(f, "; DeLong test p against %s", names[0]);
    fputs(".\n\n| Label |", f);
    for (int m = 0; m < n_models; m++) fprintf(f, " %s AUROC (95%% CI) |", names[m]);
    for (int m = 1; delong_p && m < n_models; m++)
        fprintf(f, " p (%s vs %s) |", names[m], names[0]);
    fputs("\n|---|", f);
    for (int m = 0; m < n_models; m++) fputs("---|", f);
    for (int m = 1; delong_p && m < n_models; m++) fputs("---|", f);
    fputc('\n', f);
    double mean[16] = {0};
    int used[16] = {0};
    for (int c = 0; c < CX_N_LABELS; c++) {
        fprintf(f, "| %s |", CX_LABELS[c]);
        for (int m = 0; m < n_models; m++) {
            const stats_auroc_ci *a = &st[m][c].delong;
            if (!isfinite(a->auroc)) fputs(" n/a |", f);
            else if (!isfinite(a->lo)) fprintf(f, " %.3f |", a->auroc);
            else fprintf(f, " %.3f (%.3f-%.3f) |", a->auroc, a->lo, a->hi);
            if (isfinite(a->auroc) && m < 16) {
                mean[m] += a->auroc;
                used[m]++;
            }
        }
        for (int m = 1; delong_p && m < n_models; m++) {
            if (isfinite(delong_p[m][c])) fprintf(f, " %.3g |", delong_p[m][c]);
            else fputs(" n/a |", f);
        }
        fputc('\n', f);
    }
    fputs("| **Mean** |", f);
    for (int m = 0; m < n_models; m++) {
        if (m < 16 && used[m]) fprintf(f, " %.3f |", mean[m] / used[m]);
        else fputs(" n/a |", f);
    }
    for (int m = 1; delong_p && m < n_models; m++) fputs(" |", f);
    fputc('\n', f);
    return cx_atomic_commit(&af, err);
}
