// stats: the map metrics' names, selection bits and values, indexed by stats_metric.
#include "stats/stats.h"

#include <string.h>

static const struct {
    const char *name;
    unsigned bit; // STATS_M_*
} metrics[] = {
    [STATS_SSIM] = {"ssim", STATS_M_SSIM},        [STATS_CC] = {"cc", STATS_M_CC},
    [STATS_NSS] = {"nss", STATS_M_NSS},           [STATS_KL] = {"kl", STATS_M_KL},
    [STATS_SIM] = {"sim", STATS_M_SIM},           [STATS_AUC_JUDD] = {"auc_judd", STATS_M_AUC_JUDD},
    [STATS_EMD] = {"emd", STATS_M_EMD},           [STATS_SAUC] = {"sauc", STATS_M_SAUC},
    [STATS_IG_CENTRE] = {"ig_centre", STATS_M_IG_CENTRE},
    [STATS_IG_MEAN_GAZE] = {"ig_mean_gaze", STATS_M_IG_MEAN_GAZE},
};
_Static_assert(sizeof metrics / sizeof metrics[0] == STATS_N_METRICS,
               "one name per stats_metric");
_Static_assert(STATS_M_ALL == (1u << STATS_N_PAIR_METRICS) - 1, "STATS_M_ALL: the pair metrics");

const char *stats_metric_name(stats_metric m) {
    return (unsigned)m < STATS_N_METRICS ? metrics[m].name : "?";
}

int stats_metric_parse(const char *name) {
    for (int m = 0; m < STATS_N_METRICS; m++)
        if (!strcmp(name, metrics[m].name)) return m;
    return -1;
}

unsigned stats_metric_bit(stats_metric m) {
    return (unsigned)m < STATS_N_METRICS ? metrics[m].bit : 0;
}

double stats_map_metric_value(const stats_map_metrics *v, stats_metric m) {
    switch (m) {
    case STATS_SSIM: return v->ssim;
    case STATS_CC: return v->cc;
    case STATS_NSS: return v->nss;
    case STATS_KL: return v->kl;
    case STATS_SIM: return v->sim;
    case STATS_AUC_JUDD: return v->auc_judd;
    case STATS_SAUC: return v->sauc;
    case STATS_IG_CENTRE: return v->ig_centre;
    case STATS_IG_MEAN_GAZE: return v->ig_mean_gaze;
    default: return v->emd;
    }
}

int stats_metric_lower_is_better(stats_metric m) { return m == STATS_KL || m == STATS_EMD; }
