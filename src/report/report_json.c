// report: JSON records (summary.json, run.json, compare.json, sanity.json) as field/value tables.
#include "report/report_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- JSON records as field/value tables ---------------------------------------------------------
// A record (summary.json, run.json, compare.json) reads as one row per value: nested objects as
// dotted keys (images_per_split.train), entries of arrays of objects as key[i]. Nothing is left
// out without a row that says what was left out and where to find it.
enum {
    RB_LIST_MAX = 16,    // arrays of scalars up to this many values are listed in one cell,
    RB_LIST_CHARS = 300, // when the list stays this short; longer ones are summarised
    RB_ENTRIES_MAX = 20, // entries of an array of objects shown; the rest are counted
};

typedef struct rb_record {
    rb_cells body; // field, value, field, value, ...
    int rows;
    const char *file; // the record's file name, for "see <file>"
} rb_record;

static void rb_row(rb_record *r, const char *key, const char *value) {
    rb_cell_add(&r->body, "%s", key[0] ? key : "(whole file)");
    rb_cell_add(&r->body, "%s", value);
    r->rows++;
}

// 1083 -> "1,083" (counts in sentences; values in the table keep their exact digits).
static void rb_thousands(long long v, char *out, size_t cap) {
    char digits[32];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(digits, sizeof digits, "%llu", u), o = 0;
    if (v < 0 && o + 1 < (int)cap) out[o++] = '-';
    for (int i = 0; i < n && o + 2 < (int)cap; i++) {
        if (i && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

// Settings people type (0.0005, 1e-05, 2.5) have few digits and are shown exactly; measured values
// (0.93341090200010512 seconds) get 4 significant digits; whole numbers print as integers.
static void rb_real(double v, char *out, size_t cap) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 6; digits++) {
        snprintf(out, cap, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
    if (fabs(v) >= 1e4 && fabs(v) < 1e15) snprintf(out, cap, "%.0f", v);
    else snprintf(out, cap, "%.4g", v);
}

// A scalar as text: strings as they are, integers as integers, reals by rb_real, booleans yes/no,
// null "none". Returns the string itself or buf.
static const char *rb_json_scalar(const json_t *v, char *buf, size_t cap) {
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER: snprintf(buf, cap, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: rb_real(json_real_value(v), buf, cap); break;
    case JSON_TRUE: snprintf(buf, cap, "yes"); break;
    case JSON_FALSE: snprintf(buf, cap, "no"); break;
    default: snprintf(buf, cap, "none"); break;
    }
    return buf;
}

static int rb_json_is_scalar(const json_t *v) { return !json_is_object(v) && !json_is_array(v); }

// "6, 12, 24, 16", or NULL when the array is too long to read in one cell.
static char *rb_json_list(const json_t *a) {
    size_t n = json_array_size(a), len = 0;
    if (n > RB_LIST_MAX) return NULL;
    char *list = cx_strdup("");
    for (size_t i = 0; i < n && len <= RB_LIST_CHARS; i++) {
        char buf[64];
        const char *t = rb_json_scalar(json_array_get(a, i), buf, sizeof buf);
        size_t l = strlen(t);
        list = cx_realloc(list, len + l + 3);
        if (i) memcpy(list + len, ", ", 2), len += 2;
        memcpy(list + len, t, l + 1);
        len += l;
    }
    if (len > RB_LIST_CHARS) {
        free(list);
        return NULL;
    }
    return list;
}

// A long array of scalars: how many, their range when numbers, and where they are.
static void rb_json_list_summary(rb_record *r, const char *key, const json_t *a) {
    size_t n = json_array_size(a);
    int numbers = 1, strings = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        numbers &= json_is_number(x);
        strings &= json_is_string(x);
        if (!json_is_number(x)) continue;
        lo = fmin(lo, json_number_value(x));
        hi = fmax(hi, json_number_value(x));
    }
    char count[32], lo_s[32], hi_s[32], line[400];
    rb_thousands((long long)n, count, sizeof count);
    if (numbers) {
        rb_real(lo, lo_s, sizeof lo_s);
        rb_real(hi, hi_s, sizeof hi_s);
        snprintf(line, sizeof line, "%s numbers from %s to %s, not listed here (see %s)", count,
                 lo_s, hi_s, r->file);
    } else {
        snprintf(line, sizeof line, "%s %s, not listed here (see %s)", count,
                 strings ? "strings" : "values", r->file);
    }
    rb_row(r, key, line);
}

static void rb_flatten(rb_record *r, char *key, size_t cap, const json_t *v);

// Arrays of scalars in one cell (or summarised); arrays of objects entry by entry as key[i].
static void rb_flatten_array(rb_record *r, char *key, size_t cap, const json_t *a) {
    size_t n = json_array_size(a), len = strlen(key), shown = 0; // entries flattened
    int all_scalars = 1;
    for (size_t i = 0; i < n; i++) all_scalars &= rb_json_is_scalar(json_array_get(a, i));
    if (n == 0) {
        rb_row(r, key, "none");
    } else if (all_scalars) {
        char *list = rb_json_list(a);
        if (list) rb_row(r, key, list);
        else rb_json_list_summary(r, key, a);
        free(list);
    } else {
        for (; shown < n && shown < RB_ENTRIES_MAX; shown++) {
            snprintf(key + len, cap - len, "[%zu]", shown);
            rb_flatten(r, key, cap, json_array_get(a, shown));
        }
        if (shown < n) {
            char count[32], line[300];
            snprintf(key + len, cap - len, "[%zu-%zu]", shown, n - 1);
            rb_thousands((long long)(n - shown), count, sizeof count);
            snprintf(line, sizeof line, "%s more entries, not listed here (see %s)", count,
                     r->file);
            rb_row(r, key, line);
        }
    }
    key[len] = 0;
}

// key: the dotted path so far, extended in place and restored.
static void rb_flatten(rb_record *r, char *key, size_t cap, const json_t *v) {
    size_t len = strlen(key);
    if (json_is_object(v)) {
        if (json_object_size(v) == 0) rb_row(r, key, "none");
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            snprintf(key + len, cap - len, "%s%s", len ? "." : "", k);
            rb_flatten(r, key, cap, x);
        }
        key[len] = 0;
    } else if (json_is_array(v)) {
        rb_flatten_array(r, key, cap, v);
    } else {
        char buf[64];
        rb_row(r, key, rb_json_scalar(v, buf, sizeof buf));
    }
}

void rb_json_table(rp_doc *d, const char *path, const char *caption) {
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        char line[4400];
        snprintf(line, sizeof line, "%s: line %d: %s (not shown)", path, je.line, je.text);
        rp_doc_paragraph(d, line);
        return;
    }
    const char *slash = strrchr(path, '/');
    rb_record r = {.file = slash ? slash + 1 : path};
    char key[4096] = "";
    rb_flatten(&r, key, sizeof key, root);
    const char *hdr[2] = {"field", "value"};
    rp_doc_table(d, caption, 2, r.rows, hdr, (const char *const *)r.body.v);
    rb_cells_free(&r.body);
    json_decref(root);
}

