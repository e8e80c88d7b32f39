// train/schedule: reduce-on-plateau learning rate and early stopping on the validation loss
// (CheXclusion's recipe, METHODS.md §1). An epoch improves when its validation loss is strictly
// below the best so far. After `patience` epochs in a row without improvement the learning rate
// is halved and the count restarts (so the next halving needs `patience` more bad epochs);
// training stops once `early_stop` epochs have passed since the best one.
#include "train/train.h"

#include <math.h>

void plateau_init(plateau_sched *s, double lr, int patience, int early_stop, double factor) {
    s->lr = lr;
    s->factor = factor;
    s->patience = patience;
    s->early_stop = early_stop;
    s->best = INFINITY;
    s->best_epoch = -1;
    s->bad = 0;
    s->since_best = 0;
    s->stop = 0;
}

int plateau_step(plateau_sched *s, double val_loss, int epoch) {
    int improved = val_loss < s->best; // NaN never improves
    if (improved) {
        s->best = val_loss;
        s->best_epoch = epoch;
        s->bad = 0;
        s->since_best = 0;
    } else {
        s->bad++;
        s->since_best++;
        if (s->patience > 0 && s->bad >= s->patience) {
            s->lr *= s->factor;
            s->bad = 0;
        }
        if (s->early_stop > 0 && s->since_best >= s->early_stop) s->stop = 1;
    }
    return improved;
}
