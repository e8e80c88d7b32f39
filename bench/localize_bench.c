// Times study_localize (METHODS.md §4): an annotated pack of N_IMG images of S x S with two
// annotated labels each, one method's maps for every (image, label) (2 * N_IMG maps: blobs on
// noise, the default abs-p98 and Otsu), gaze for the first N_GAZE images, the centre bias on every
// pair, 1,000 patient-bootstrap resamples. Prints the wall time of study_localize (best of 3; the
// pack and maps are written once before) and the items scored.
// Usage: localize_bench DIR [N_IMG=500] [S=224]
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/io.h"
#include "study/study.h"

enum { N_GAZE = 100 };

static void write_inputs(const char *dir, int n_img, int S) {
    size_t npix = (size_t)S * S;
    uint8_t *images = cx_calloc((size_t)n_img * npix, 1),
            *mask = cx_calloc((size_t)n_img * CX_N_LABELS, 1);
    uint8_t *split = cx_malloc((size_t)n_img), *fix = cx_calloc(N_GAZE * npix, 1);
    uint8_t *regions = cx_calloc(N_GAZE * 4 * npix, 1), *present = cx_calloc(N_GAZE * 4, 1);
    float *labels = cx_calloc((size_t)n_img * CX_N_LABELS, sizeof(float));
    float *gaze = cx_malloc(N_GAZE * npix * sizeof(float));
    int32_t *gaze_row = cx_malloc((size_t)n_img * sizeof(int32_t));
    image_record *ids = cx_calloc((size_t)n_img, sizeof *ids);
    int64_t na = 2 * (int64_t)n_img;
    uint8_t *amask = cx_calloc((size_t)na * npix, 1);
    int32_t *arow = cx_malloc((size_t)na * 4), *alabel = cx_malloc((size_t)na * 4);
    float *maps = cx_malloc((size_t)na * npix * sizeof(float));
    cx_rng rng;
    cx_rng_seed(&rng, 1, 0);
    for (int i = 0; i < n_img; i++) {
        split[i] = SPLIT_TEST;
        gaze_row[i] = i < N_GAZE ? i : -1;
        for (int c = 0; c < CX_N_LABELS; c++)
            mask[i * CX_N_LABELS + c] = 1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "img%05d", i);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1%07d", i / 2);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5%07d", i);
        ids[i].split = SPLIT_TEST;
        ids[i].egd = i < N_GAZE ? i : -1;
        for (int k = 0; k < 2; k++) { // Cardiomegaly (1) and Edema (3): a box; a blob map nearby
            int64_t a = 2 * (int64_t)i + k;
            arow[a] = i, alabel[a] = k ? 3 : 1;
            labels[i * CX_N_LABELS + alabel[a]] = 1;
            int y0 = S / 8 + (int)(cx_rng_uniform(&rng) * S / 2),
                x0 = S / 8 + (int)(cx_rng_uniform(&rng) * S / 2);
            double cy = y0 + S / 8.0 + S / 10.0 * (cx_rng_uniform(&rng) - 0.5), cx = x0 + S / 8.0;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    size_t q = (size_t)y * S + x;
                    amask[a * npix + q] = y >= y0 && y < y0 + S / 4 && x >= x0 && x < x0 + S / 4;
                    double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    maps[a * npix + q] =
                        (float)(exp(-d2 / (2.0 * S * S / 100)) + 0.2 * cx_rng_uniform(&rng));
                    if (i < N_GAZE && k == 0)
                        gaze[i * npix + q] = (float)exp(-d2 / (2.0 * S * S / 64));
                }
        }
    }
    const char *names[CX_N_LABELS];
    for (int c = 0; c < CX_N_LABELS; c++)
        names[c] = CX_LABELS[c];
    pack_contents pc = {.n = n_img,
                        .n_gaze = N_GAZE,
                        .size = S,
                        .images = images,
                        .labels = labels,
                        .label_mask = mask,
                        .split = split,
                        .gaze_row = gaze_row,
                        .gaze = gaze,
                        .fixations = fix,
                        .regions = regions,
                        .region_present = present,
                        .ids = ids,
                        .n_annot = na,
                        .annot_mask = amask,
                        .annot_row = arow,
                        .annot_label = alabel,
                        .n_annot_labels = CX_N_LABELS,
                        .annot_labels = names};
    char p[4200];
    cx_error err;
    snprintf(p, sizeof p, "%s/data", dir);
    if (pack_write(&pc, p, NULL, &err)) fprintf(stderr, "%s\n", err.msg), exit(1);
    snprintf(p, sizeof p, "%s/attr", dir);
    cx_mkdir_p(p, NULL);
    snprintf(p, sizeof p, "%s/attr/maps.csv", dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "map_row,dicom_id,target,label,positive,probability\n");
    for (int64_t a = 0; a < na; a++)
        fprintf(f, "%lld,img%05d,%d,%s,1,0.5\n", (long long)a, arow[a], alabel[a],
                CX_LABELS[alabel[a]]);
    fclose(f);
    st_writer *w = st_writer_new();
    st_writer_add(w, "sl", ST_F32, 3, (int64_t[]){na, S, S}, maps);
    snprintf(p, sizeof p, "%s/attr/sl.safetensors", dir);
    if (st_writer_write(w, p, &err)) fprintf(stderr, "%s\n", err.msg), exit(1);
    st_writer_free(w);
    free(images), free(mask), free(split), free(fix), free(regions), free(present), free(labels);
    free(gaze), free(gaze_row), free(ids), free(amask), free(arow), free(alabel), free(maps);
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: localize_bench DIR [N_IMG] [S]\n"), 2;
    int n_img = argc > 2 ? atoi(argv[2]) : 500, S = argc > 3 ? atoi(argv[3]) : 224;
    write_inputs(argv[1], n_img, S);
    char data[4200], attr[4200], out[4200];
    snprintf(data, sizeof data, "%s/data", argv[1]);
    snprintf(attr, sizeof attr, "%s/attr", argv[1]);
    snprintf(out, sizeof out, "%s/localize", argv[1]);
    study_localize_settings s;
    study_localize_settings_default(&s);
    s.data_dir = data, s.n_models = 1, s.attr_dir[0] = attr, s.name[0] = "m", s.out_dir = out;
    study_localize_result r = {0};
    for (int files = 1; files >= 0; files--) { // with the files written (fsync'd), then without
        s.out_dir = files ? out : NULL;
        double best = 1e30, best_cpu = 1e30;
        for (int round = 0; round < 3; round++) {
            cx_error err;
            study_localize_result_free(&r);
            double t0 = cx_now_s(), c0 = cpu_s();
            if (study_localize(&s, &r, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
            double t = cx_now_s() - t0, c = cpu_s() - c0;
            best = t < best ? t : best;
            best_cpu = c < best_cpu ? c : best_cpu;
        }
        printf("study_localize%s: %lld method maps + %lld gaze + %lld centre-bias items at %dx%d, "
               "1000 bootstrap resamples: wall %.3f s, cpu %.3f s (best of 3, %d threads)\n",
               files ? "" : " (no files)", (long long)(r.n_items - r.n_gaze_pairs - r.n_pairs),
               (long long)r.n_gaze_pairs, (long long)r.n_pairs, S, S, best, best_cpu,
               omp_get_max_threads());
    }
    study_localize_result_free(&r);
    return 0;
}
