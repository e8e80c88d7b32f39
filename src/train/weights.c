// train/weights: starting weights for `train --init` (torchvision-named files such as converted
// ImageNet weights) and the model files a run writes (last/best.safetensors via model_save).
#include "train/train_internal.h"

#include <stdio.h>
#include <string.h>

int train_init_weights(densenet *net, const char *path, cx_error *err) {
    densenet *src = NULL;
    if (model_load_ex(path, MODEL_LOAD_IGNORE_UNKNOWN, &src, NULL, err))
        return cx_fail_wrap(err, "--init %s", path);
    int rc = 0, copied = 0, kept = 0;
    const int nt = densenet_num_tensors(net);
    for (int i = 0; i < nt && !rc; i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        const nn_tensor_info *s = densenet_find_tensor(src, t->name);
        int head = !strncmp(t->name, "gaze_head.", 10), cls = !strncmp(t->name, "classifier.", 11);
        int same = s && s->kind == t->kind && s->ndim == t->ndim && s->numel == t->numel;
        for (int d = 0; same && d < t->ndim; d++) same = s->shape[d] == t->shape[d];
        if (same) {
            if (t->kind == NN_COUNTER) *t->counter = *s->counter;
            else memcpy(t->data, s->data, t->numel * sizeof *t->data);
            copied++;
        } else if (head || cls) {
            kept++; // classifier of another shape / no gaze head: keep the fresh initialisation
        } else {
            rc = cx_fail(err, "--init %s: tensor \"%s\" %s (architecture %s)", path, t->name,
                         s ? "has another shape" : "is missing", densenet_cfg(net)->arch);
        }
    }
    if (!rc)
        cx_info("--init %s: %d tensors loaded, %d (classifier/gaze head) freshly initialised",
                path, copied, kept);
    densenet_free(src);
    return rc;
}
