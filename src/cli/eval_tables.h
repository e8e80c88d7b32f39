// cli/eval_tables: the statistics tables of `cxrgaze eval` (stats/ over predictions from
// train/predict.c): per-label AUROC with DeLong and patient-bootstrap CIs, F1 thresholds on the
// validation split, DeLong tests between models, and the study-shaped Markdown table.
// Private to cli/ (cmd_eval.c and eval_tables.c).
#ifndef CX_CLI_EVAL_TABLES_H
#define CX_CLI_EVAL_TABLES_H

#include "data/data.h"
#include "stats/stats.h"

// One label's classification statistics on one split.
typedef struct eval_label_stats {
    int64_t n_pos, n_neg;      // counted (unmasked) cases
    stats_auroc_ci delong;     // AUROC and DeLong 95% CI
    stats_ci boot;             // patient-level percentile bootstrap 95% CI
} eval_label_stats;

// Probabilities of one model on rows of the pack (prob [n,14], CX_LABELS order).
typedef struct eval_preds {
    const int64_t *rows;
    int64_t n;
    const float *prob;
} eval_preds;

// predictions.csv: dicom_id,subject_id,split,prob_<Label> x14,label_<Label> x14 (1, 0, or
// empty when masked). Atomic.
int eval_write_predictions(const char *path, const pack *pk, const eval_preds *const *parts,
                           int n_parts, cx_error *err);
// F1-maximising thresholds per label on p (validation split); thr[c] NaN when undefined.
// Writes thresholds.csv: label,threshold,f1,n_pos,n_neg.
int eval_thresholds(const char *path, const pack *pk, const eval_preds *p, double *thr,
                    cx_error *err);
// Per-label AUROC + CIs on p (bootstrap over subject_id). Warns for one-class labels.
void eval_label_table(const pack *pk, const eval_preds *p, int n_boot, uint64_t seed,
                      eval_label_stats *out /* [14] */);
// auroc.csv rows of n_models models (model column when n_models > 1; delong_p vs model 0,
// p may be NULL): label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi[,delong_p].
int eval_write_auroc(const char *path, int n_models, const char *const *names,
                     const eval_label_stats *const *st, const double *const *delong_p,
                     cx_error *err);
// DeLong test of model a vs b per label on the same rows: p[c] (NaN when undefined).
void eval_delong_tests(const pack *pk, const eval_preds *a, const eval_preds *b, double *p);
// auroc_table.md: | Label | <name> AUROC (95% CI) | ... | DeLong p |.
int eval_write_table_md(const char *path, int n_models, const char *const *names,
                        const eval_label_stats *const *st, const double *const *delong_p,
                        const char *split, cx_error *err);

#endif
