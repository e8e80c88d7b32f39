// attr/overlay.c: a saliency map drawn over its radiograph with the viridis colour map
// (perceptually uniform; van der Walt & Smith, matplotlib 2.0 default), plus a colour bar. The map
// goes to [0,1] by the same normalisation as compare and metrics (stats_map_normalise).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr.h"

// Viridis sampled at 33 evenly spaced points of [0,1] (8-bit sRGB, derived from matplotlib's
// 256-entry table by tests/ref/attr_ref.py --viridis); linear interpolation between anchors stays
// within 2.5/255 of the full table.
static const uint8_t viridis_anchor[33][3] = {
    {68, 1, 84},     {71, 13, 96},    {72, 24, 106},   {72, 35, 116},   {71, 45, 123},
    {69, 55, 129},   {66, 64, 134},   {62, 73, 137},   {59, 82, 139},   {55, 91, 141},
    {51, 99, 141},   {47, 107, 142},  {44, 114, 142},  {41, 122, 142},  {38, 130, 142},
    {35, 137, 142},  {33, 145, 140},  {31, 152, 139},  {31, 160, 136},  {34, 167, 133},
    {40, 174, 128},  {50, 182, 122},  {63, 188, 115},  {78, 195, 107},  {94, 201, 98},
    {112, 207, 87},  {132, 212, 75},  {152, 216, 62},  {173, 220, 48},  {194, 223, 35},
    {216, 226, 25},  {236, 229, 27},  {253, 231, 37},
};

void attr_viridis(double t, uint8_t rgb[3]) {
    if (!(t > 0)) t = 0; // NaN -> 0
    if (t > 1) t = 1;
    double f = t * 32;
    int i = (int)f;
    if (i > 31) i = 31;
    double u = f - i;
    for (int k = 0; k < 3; k++) {
        double v = (1 - u) * viridis_anchor[i][k] + u * viridis_anchor[i + 1][k];
        rgb[k] = (uint8_t)lrint(v);
    }
}

static int bar_gap(int w) { return w / 32 > 3 ? w / 32 : 3; }
static int bar_width(int w) { return w / 16 > 8 ? w / 16 : 8; }
int attr_overlay_width(int w) { return w + bar_gap(w) + bar_width(w); }

void attr_overlay_rgb(const uint8_t *gray, const float *map, int h, int w, stats_map_norm norm,
                      double alpha, uint8_t *rgb) {
    size_t plane = (size_t)h * w;
    float *t = cx_malloc(2 * plane * sizeof *t); // [0,plane): the map in [0,1]; then scratch
    memcpy(t, map, plane * sizeof *t);
    stats_map_normalise(t, plane, norm, t + plane); // constant or non-finite: all 0
    int ow = attr_overlay_width(w), gap = bar_gap(w);
    memset(rgb, 255, (size_t)h * ow * 3); // white margin
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint8_t c[3];
            attr_viridis(t[i], c);
            uint8_t *px = rgb + ((size_t)y * ow + x) * 3;
            for (int k = 0; k < 3; k++) px[k] = (uint8_t)lrint((1 - alpha) * gray[i] + alpha * c[k]);
        }
    // colour bar: 1 at the top, 0 at the bottom
    for (int y = 0; y < h; y++) {
        uint8_t c[3];
        attr_viridis(h > 1 ? 1.0 - (double)y / (h - 1) : 1.0, c);
        for (int x = w + gap; x < ow; x++) memcpy(rgb + ((size_t)y * ow + x) * 3, c, 3);
    }
    free(t);
}
