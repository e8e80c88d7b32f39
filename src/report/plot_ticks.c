// report: labels of a categorical axis that never run into each other. The text is measured with
// cairo (cairo_text_extents), then set level on one line, level wrapped at spaces, rotated 45
// degrees, or vertical; when even vertical labels are denser than a line, only every k-th is set.
#include "report/plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TICK_GAP = 4 };             // points between the axis and the labels
static const double TICK_PAD = 5;  // least gap between two level labels (points)
static const double TICK_SIZES[2] = {10, 9}; // font sizes tried for level labels

double rp_text_width(cairo_t *cr, const char *s) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

double rp_line_height(cairo_t *cr) {
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    return fe.ascent + fe.descent;
}

cairo_t *rp_measure_begin(void) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s); // cr holds its reference
    return cr;
}

void rp_measure_end(cairo_t *cr) { cairo_destroy(cr); }

static char *tick_line(rp_ticks *t, int i, int k) {
    return t->lines + ((size_t)i * RP_TICK_LINES + k) * RP_TICK_CHARS;
}

// Label i broken greedily at spaces into lines no wider than width: 0 when a word is wider or
// more than RP_TICK_LINES lines are needed.
static int wrap_label(cairo_t *cr, rp_ticks *t, int i, const char *label, double width) {
    char words[RP_TICK_CHARS];
    snprintf(words, sizeof words, "%s", label);
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (rp_text_width(cr, w) > width) return 0;
        char joined[2 * RP_TICK_CHARS];
        if (n > 0) {
            snprintf(joined, sizeof joined, "%s %s", tick_line(t, i, n - 1), w);
            if (rp_text_width(cr, joined) <= width && strlen(joined) < RP_TICK_CHARS) {
                memcpy(tick_line(t, i, n - 1), joined, strlen(joined) + 1); // fits: checked
                continue;
            }
        }
        if (n == RP_TICK_LINES) return 0;
        snprintf(tick_line(t, i, n++), RP_TICK_CHARS, "%s", w);
    }
    t->n_lines[i] = n ? n : 1;
    if (!n) tick_line(t, i, 0)[0] = 0;
    return 1;
}

// Level labels at the current font: one line each when neighbours clear each other, else wrapped
// to the spacing. 0 when neither fits.
static int layout_level(cairo_t *cr, rp_ticks *t, const char *const *labels) {
    double lh = rp_line_height(cr), prev_w = 0;
    int one_line = 1;
    for (int i = 0; i < t->n; i++) {
        double w = rp_text_width(cr, labels[i]);
        if (i > 0 && (w + prev_w) / 2 + TICK_PAD > t->spacing) one_line = 0;
        prev_w = w;
    }
    for (int i = 0; i < t->n; i++) {
        if (one_line) {
            t->n_lines[i] = 1;
            snprintf(tick_line(t, i, 0), RP_TICK_CHARS, "%s", labels[i]);
        } else if (!wrap_label(cr, t, i, labels[i], t->spacing - TICK_PAD)) {
            return 0;
        }
    }
    t->angle = 0;
    t->depth = TICK_GAP;
    for (int i = 0; i < t->n; i++) {
        double w = 0, x = i * t->spacing;
        for (int k = 0; k < t->n_lines[i]; k++) w = fmax(w, rp_text_width(cr, tick_line(t, i, k)));
        double y1 = TICK_GAP + t->n_lines[i] * lh;
        double box[4][2] = {
            {x - w / 2, TICK_GAP}, {x + w / 2, TICK_GAP}, {x + w / 2, y1}, {x - w / 2, y1}};
        memcpy(t->box[i], box, sizeof box);
        t->depth = fmax(t->depth, y1);
    }
    return 1;
}

// Rotated labels, one line each, reading upwards to their tick at angle t->angle: the text box
// [-w, 0] x [0, lh] (its right end at the anchor) turned by -angle, the anchor moved left by
// half the text's height so that the label centres on its tick.
static void layout_rotated(cairo_t *cr, rp_ticks *t, const char *const *labels) {
    double lh = rp_line_height(cr), c = cos(t->angle), s = sin(t->angle);
    t->depth = TICK_GAP;
    for (int i = 0; i < t->n; i++) {
        int set = i % t->stride == 0;
        t->n_lines[i] = set;
        snprintf(tick_line(t, i, 0), RP_TICK_CHARS, "%s", set ? labels[i] : "");
        double w = set ? rp_text_width(cr, labels[i]) : 0;
        double ax = i * t->spacing - s * lh / 2, ay = TICK_GAP;
        const double local[4][2] = {{-w, 0}, {0, 0}, {0, lh}, {-w, lh}};
        for (int k = 0; k < 4; k++) {
            double x = local[k][0], y = local[k][1];
            t->box[i][k][0] = ax + x * c + y * s;
            t->box[i][k][1] = ay - x * s + y * c;
            t->depth = fmax(t->depth, t->box[i][k][1]);
        }
    }
}

double rp_ticks_level_spacing(int n, const char *const *labels) {
    cairo_t *cr = rp_measure_begin();
    rp_font(cr, TICK_SIZES[0], 0);
    double need = 0, prev_w = 0;
    for (int i = 0; i < n; i++) {
        double w = rp_text_width(cr, labels[i]);
        need = fmax(need, (i ? (w + prev_w) / 2 : w) + TICK_PAD);
        prev_w = w;
    }
    rp_measure_end(cr);
    return need;
}

double rp_ticks_widest_word(int n, const char *const *labels) {
    cairo_t *cr = rp_measure_begin();
    rp_font(cr, TICK_SIZES[0], 0);
    double widest = 0;
    for (int i = 0; i < n; i++) {
        char words[RP_TICK_CHARS], *save = NULL;
        snprintf(words, sizeof words, "%s", labels[i]);
        for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
            widest = fmax(widest, rp_text_width(cr, w));
    }
    rp_measure_end(cr);
    return widest;
}

void rp_ticks_layout(rp_ticks *t, int n, const char *const *labels, double spacing) {
    memset(t, 0, sizeof *t);
    t->n = n;
    t->spacing = spacing;
    t->stride = 1;
    t->n_lines = cx_calloc(n ? n : 1, sizeof *t->n_lines);
    t->lines = cx_calloc((size_t)(n ? n : 1) * RP_TICK_LINES, RP_TICK_CHARS);
    t->box = cx_calloc(n ? n : 1, sizeof *t->box);
    cairo_t *cr = rp_measure_begin();
    for (int k = 0; k < 2; k++) {
        t->font_size = TICK_SIZES[k];
        rp_font(cr, t->font_size, 0);
        if (layout_level(cr, t, labels)) {
            rp_measure_end(cr);
            return;
        }
    }
    // Rotated at 9 pt: parallel labels clear each other when their distance across the text,
    // spacing * sin(angle), exceeds a line.
    double lh = rp_line_height(cr);
    if (spacing * sin(M_PI / 4) >= lh + 1) {
        t->angle = M_PI / 4;
    } else {
        t->angle = M_PI / 2;
        while (t->stride * spacing < lh + 1) t->stride++;
    }
    layout_rotated(cr, t, labels);
    rp_measure_end(cr);
}

void rp_ticks_free(rp_ticks *t) {
    free(t->n_lines);
    free(t->lines);
    free(t->box);
    memset(t, 0, sizeof *t);
}

const char *rp_ticks_line(const rp_ticks *t, int i, int k) {
    return t->lines + ((size_t)i * RP_TICK_LINES + k) * RP_TICK_CHARS;
}

void rp_ticks_draw(cairo_t *cr, const rp_ticks *t, double x0, double y) {
    rp_font(cr, t->font_size, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    double lh = rp_line_height(cr);
    for (int i = 0; i < t->n; i++) {
        if (t->angle == 0) {
            for (int k = 0; k < t->n_lines[i]; k++) {
                cairo_font_extents_t fe;
                cairo_font_extents(cr, &fe);
                // baseline at the line's top + ascent: lines stack by the font's line height
                const char *s = rp_ticks_line(t, i, k);
                cairo_move_to(cr, x0 + i * t->spacing - rp_text_width(cr, s) / 2,
                              y + TICK_GAP + k * lh + fe.ascent);
                cairo_show_text(cr, s);
            }
        } else if (t->n_lines[i]) {
            const char *s = rp_ticks_line(t, i, 0);
            cairo_font_extents_t fe;
            cairo_font_extents(cr, &fe);
            cairo_save(cr);
            cairo_translate(cr, x0 + i * t->spacing - sin(t->angle) * lh / 2, y + TICK_GAP);
            cairo_rotate(cr, -t->angle);
            cairo_move_to(cr, -rp_text_width(cr, s), fe.ascent);
            cairo_show_text(cr, s);
            cairo_restore(cr);
        }
    }
}
