// data/annotations_raster: COCO run-length codes, polygon filling as CheXlocalize does it, and
// rendering an image's annotations to S x S through the image's own fit geometry.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

// ---- COCO RLE -----------------------------------------------------------------------------------
// pycocotools' compressed counts (maskApi.c rleToString / rleFrString): each run length, from the
// fourth on as the difference to the run two before, is written in 5-bit groups, least
// significant first, as characters 48 + (group | 0x20 when more follow); the last group's bit
// 0x10 is the sign. Runs alternate 0s and 1s starting with 0s, over the mask in column-major
// (Fortran) order.
int annot_rle_from_string(const char *s, int64_t npix, uint32_t **runs, int64_t *n,
                          cx_error *err) {
    size_t len = strlen(s), cap = len ? len : 1;
    int64_t *v = cx_malloc(cap * sizeof *v);
    int64_t m = 0, sum = 0;
    for (size_t p = 0; p < len;) {
        int64_t x = 0;
        int k = 0, more = 1;
        while (more) {
            if (p >= len) {
                free(v);
                return cx_fail(err, "compressed RLE: truncated at character %zu", p);
            }
            int c = (unsigned char)s[p] - 48;
            if (c < 0 || c > 63 || k > 6) {
                free(v);
                return cx_fail(err, "compressed RLE: %s at character %zu",
                               k > 6 ? "run length too long" : "character outside '0'..'o'", p);
            }
            x |= (int64_t)(c & 0x1f) << (5 * k);
            more = c & 0x20;
            p++;
            k++;
            if (!more && (c & 0x10)) x -= (int64_t)1 << (5 * k); // sign-extend
        }
        if (m > 2) x += v[m - 2];
        if (x < 0 || x > npix) {
            free(v);
            return cx_fail(err, "compressed RLE: run %lld is %lld, expected 0..%lld",
                           (long long)m, (long long)x, (long long)npix);
        }
        v[m++] = x;
        sum += x;
        if (sum > npix) break;
    }
    if (sum != npix) {
        free(v);
        return cx_fail(err, "compressed RLE: runs sum to %lld, expected h*w = %lld",
                       (long long)sum, (long long)npix);
    }
    *runs = cx_malloc((size_t)(m ? m : 1) * sizeof **runs);
    for (int64_t i = 0; i < m; i++) (*runs)[i] = (uint32_t)v[i];
    *n = m;
    free(v);
    return 0;
}

char *annot_rle_to_string(const uint8_t *mask, int w, int h) {
    const int64_t npix = (int64_t)w * h;
    int64_t m = 0, cap = 64;
    int64_t *v = cx_malloc((size_t)cap * sizeof *v);
    uint8_t cur = 0;
    int64_t run = 0;
    for (int64_t j = 0; j <= npix; j++) {
        uint8_t b = j < npix ? mask[(j % h) * w + j / h] != 0 : (uint8_t)!cur;
        if (b == cur) {
            run++;
            continue;
        }
        if (m == cap) v = cx_realloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[m++] = run;
        run = 1;
        cur = b;
    }
    char *s = cx_malloc((size_t)m * 8 + 1);
    size_t p = 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t x = v[i] - (i > 2 ? v[i - 2] : 0);
        for (int more = 1; more;) {
            int c = (int)(x & 0x1f);
            x >>= 5; // arithmetic shift keeps the sign
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more) c |= 0x20;
            s[p++] = (char)(c + 48);
        }
    }
    s[p] = 0;
    free(v);
    return s;
}

void annot_rle_paint(const uint32_t *runs, int64_t n, int w, int h, uint8_t *mask) {
    int64_t j = 0;
    const int64_t npix = (int64_t)w * h;
    for (int64_t i = 0; i < n && j < npix; i++) {
        int64_t end = j + runs[i] < npix ? j + runs[i] : npix;
        if (i & 1)
            for (; j < end; j++) mask[(j % h) * w + j / h] = 1;
        else
            j = end;
    }
}

// ---- polygons -----------------------------------------------------------------------------------
// CheXlocalize's annotation_to_segmentation.py create_mask: PIL Image.new('1', (w, h)) and
// ImageDraw.Draw(...).polygon(points, outline=1, fill=1). With outline equal to fill Pillow draws
// the filled polygon only (ImageDraw.polygon), by libImaging/Draw.c's scan-line filler as in
// Pillow 9.2-11.0 (Debian 12: 9.4): vertices truncated to integers; each integer row y from the
// lowest to the highest vertex takes every non-horizontal edge's x at y (float), an edge's lower
// end counted twice, corners joined (join_corner), sorted; pixels ROUND_UP(x[i]) ..
// ROUND_DOWN(x[i+1]) of each pair are set; horizontal edges are drawn as lines. Pixel (x, y) has
// its centre at (x, y). Identical to Pillow 9.4 on simple outlines (docs/annotations.md).
static int round_up(float f) { return (int)(f >= 0 ? floor(f + 0.5f) : -floor(fabsf(f) + 0.5f)); }
static int round_down(float f) { return (int)(f >= 0 ? ceil(f - 0.5f) : -ceil(fabsf(f) - 0.5f)); }

typedef struct edge {
    int x0, y0, xmin, xmax, ymin, ymax;
    float dx;
} edge;

static void hline(uint8_t *mask, int w, int h, int x0, int y, int x1) {
    if (y < 0 || y >= h || x1 < 0 || x0 >= w) return;
    if (x0 < 0) x0 = 0;
    if (x1 >= w) x1 = w - 1;
    if (x0 <= x1) memset(mask + (size_t)y * w + x0, 1, (size_t)(x1 - x0 + 1));
}

static int float_cmp(const void *a, const void *b) {
    float d = *(const float *)a - *(const float *)b;
    return (d > 0) - (d < 0);
}

// The edge's crossing at row y in float, the product rounded before the sum as in Pillow's
// generic x86-64 build (volatile: no fused multiply-add under -march=native).
static float edge_x(const edge *d, int y) {
    volatile float prod = (float)(y - d->y0) * d->dx;
    return prod + (float)d->x0;
}

// Pillow 9.2-11.0's "connect discontiguous corners" (python-pillow/Pillow #5980 with #6303, as
// Debian 12's 9.4 has it): when edge i's crossing at row y is an integer and an earlier edge of
// the same slope sign starts (or ends) at row y too, with the same crossing, a crossing is moved
// out to the next row's (the previous row's on the last row) extent of the two edges. As Pillow
// does, the value written is xx[k], k being the earlier edge's index among the sloped edges, not
// necessarily its crossing's slot (fixed in Pillow 11.1).
static void join_corner(const edge *const *t, int64_t i, int y, int ymax, float *xx, int64_t j) {
    const edge *d = t[i];
    if (d->dx == 0 || roundf(xx[j - 1]) != xx[j - 1]) return;
    for (int64_t k = 0; k < i; k++) {
        const edge *o = t[k];
        if ((d->dx > 0 && o->dx <= 0) || (d->dx < 0 && o->dx >= 0)) continue;
        int joined = (y == d->ymin && y == o->ymin) || (y == d->ymax && y == o->ymax);
        if (!joined || xx[j - 1] != edge_x(o, y)) continue;
        int off = y == ymax ? -1 : 1;
        float adj = edge_x(d, y + off), adj_o = edge_x(o, y + off);
        if (y == d->ymax) xx[k] = d->dx > 0 ? fmaxf(adj, adj_o) + 1 : fminf(adj, adj_o) - 1;
        else xx[k] = d->dx > 0 ? fminf(adj, adj_o) : fmaxf(adj, adj_o) + 1;
        return;
    }
}

void annot_polygon_fill(const double *xy, int64_t n, int w, int h, uint8_t *mask) {
    if (n <= 0) return;
    int *p = cx_malloc((size_t)n * 2 * sizeof *p);
    for (int64_t i = 0; i < 2 * n; i++) p[i] = (int)xy[i]; // C truncation, as Pillow 9's _draw_polygon
    edge *e = cx_malloc((size_t)(n + 1) * sizeof *e);
    int64_t ne = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i + 1 < n ? i + 1 : 0;
        if (j == 0 && p[2 * i] == p[0] && p[2 * i + 1] == p[1]) break; // already closed
        int x0 = p[2 * i], y0 = p[2 * i + 1], x1 = p[2 * j], y1 = p[2 * j + 1];
        edge *d = &e[ne++];
        d->x0 = x0, d->y0 = y0;
        d->xmin = x0 < x1 ? x0 : x1, d->xmax = x0 < x1 ? x1 : x0;
        d->ymin = y0 < y1 ? y0 : y1, d->ymax = y0 < y1 ? y1 : y0;
        d->dx = y0 == y1 ? 0.0f : (float)(x1 - x0) / (float)(y1 - y0);
    }
    int ymin = h - 1, ymax = 0;
    for (int64_t i = 0; i < ne; i++) {
        if (e[i].ymin < ymin) ymin = e[i].ymin;
        if (e[i].ymax > ymax) ymax = e[i].ymax;
        if (e[i].ymin == e[i].ymax) hline(mask, w, h, e[i].xmin, e[i].ymin, e[i].xmax);
    }
    if (ymin < 0) ymin = 0;
    if (ymax > h) ymax = h;
    const edge **t = cx_malloc((size_t)(ne + 1) * sizeof *t); // the sloped edges
    int64_t nt = 0;
    for (int64_t i = 0; i < ne; i++)
        if (e[i].ymin != e[i].ymax) t[nt++] = &e[i];
    float *xx = cx_calloc((size_t)(2 * nt + 1), sizeof *xx);
    for (int y = ymin; y <= ymax; y++) {
        int64_t j = 0;
        for (int64_t i = 0; i < nt; i++) {
            const edge *d = t[i];
            if (y < d->ymin || y > d->ymax) continue;
            xx[j++] = edge_x(d, y);
            if (y == d->ymax && y < ymax) { // the edge's lower end, counted twice
                xx[j] = xx[j - 1];
                j++;
            } else {
                join_corner(t, i, y, ymax, xx, j);
            }
        }
        qsort(xx, (size_t)j, sizeof *xx, float_cmp);
        for (int64_t i = 1; i < j; i += 2)
            hline(mask, w, h, round_up(xx[i - 1]), y, round_down(xx[i]));
    }
    free(xx);
    free(t);
    free(e);
    free(p);
}

// ---- rendering ----------------------------------------------------------------------------------
// A raster shape (polygon, RLE) at its own frame, brought through g by area coverage >= 0.5
// (img_fit_mask: the frame spans the whole image, whatever its size) and OR-ed into out.
static int render_raster(const annot_shape *s, const img_fit_geom *g, uint8_t *out, uint8_t *fit,
                         cx_error *err) {
    const int64_t npix = (int64_t)s->frame_w * s->frame_h;
    uint8_t *m = cx_calloc((size_t)npix, 1);
    if (s->kind == ANNOT_POLYGON) annot_polygon_fill(s->pts, s->n, s->frame_w, s->frame_h, m);
    else annot_rle_paint(s->runs, s->n, s->frame_w, s->frame_h, m);
    int rc = img_fit_mask(m, s->frame_w, s->frame_h, g, fit, err);
    free(m);
    if (rc) return -1;
    for (int64_t p = 0; p < (int64_t)g->size * g->size; p++) out[p] |= fit[p] != 0;
    return 0;
}

// A box [x, x+w) x [y, y+h) in its frame, scaled to the original image (W / frame_w,
// H / frame_h): the target pixels whose centre maps inside (as truth_render's boxes).
static void render_box(const annot_shape *s, const img_fit_geom *g, uint8_t *out) {
    const int S = g->size;
    const double sx = (double)g->orig_w / s->frame_w, sy = (double)g->orig_h / s->frame_h;
    const double x0 = s->box[0] * sx, x1 = (s->box[0] + s->box[2]) * sx;
    const double y0 = s->box[1] * sy, y1 = (s->box[1] + s->box[3]) * sy;
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            double xo, yo;
            img_fit_to_orig(g, u + 0.5, v + 0.5, &xo, &yo);
            if (xo >= x0 && xo < x1 && yo >= y0 && yo < y1) out[(size_t)v * S + u] = 1;
        }
}

int64_t annot_render(const annot_set *a, int64_t key, int label, const img_fit_geom *g,
                     uint8_t *out, cx_error *err) {
    const int64_t SS = (int64_t)g->size * g->size;
    memset(out, 0, (size_t)SS);
    uint8_t *fit = NULL;
    for (int64_t i = a->first[key]; i < a->first[key + 1]; i++) {
        const annot_shape *s = &a->s[i];
        if (s->label != label) continue;
        if (s->kind == ANNOT_BOX) {
            render_box(s, g, out);
            continue;
        }
        if (!fit) fit = cx_malloc((size_t)SS);
        if (render_raster(s, g, out, fit, err)) {
            free(fit);
            return cx_fail_wrap(err, "%s: image \"%s\", label %s", a->path, a->keys[key],
                                a->labels[label]);
        }
    }
    free(fit);
    int64_t inside = 0;
    for (int64_t p = 0; p < SS; p++) inside += out[p];
    return inside;
}
