// data/gaze: private declarations shared by gaze.c and reflacx_heat.c (not part of the module's
// public face): the resize's 1-D filter, so a heatmap built from separable per-fixation profiles
// can be brought to the model's resolution exactly as Pillow resizes the full-resolution map.
#ifndef CX_GAZE_INTERNAL_H
#define CX_GAZE_INTERNAL_H

// The resize's filter along one axis, as Pillow computes it for Image.resize(BILINEAR)
// (libImaging/Resample.c precompute_coeffs): output pixel o averages input pixels
// lo[o] .. lo[o]+n[o]-1 with a triangle of half-width max(1, in/out) input px centred at
// (o + 0.5) * in/out, weights normalised to sum 1 (renormalised where cut by the border).
typedef struct axis_filter {
    int out, maxn;
    int *lo, *n;
    double *w; // [out, maxn]
} axis_filter;

void axis_filter_init(axis_filter *f, int in, int out);
void axis_filter_free(axis_filter *f);
// out [f->out] = the line profile (of the filter's input length) resized through f.
void axis_filter_apply(const axis_filter *f, const double *profile, double *out);

#endif
