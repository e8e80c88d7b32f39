// report: a document written as one self-contained HTML page (PNG figures embedded as base64
// data URIs, inline CSS, no scripts or external requests) and as Markdown, from the same calls.
#include "report/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->s = cx_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_puts(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *tmp = cx_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(b, tmp, (size_t)n);
    free(tmp);
}

static void sb_html_escaped(strbuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '&': sb_puts(b, "&amp;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        default: sb_put(b, s, 1);
        }
    }
}

// Markdown table cells: a '|' would split the cell, a newline would end the row.
static void sb_md_cell(strbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '|') sb_puts(b, "\\|");
        else if (*s == '\n') sb_puts(b, " ");
        else sb_put(b, s, 1);
    }
}

// RFC 4648 base64 of n bytes.
static void sb_base64(strbuf *b, const unsigned char *p, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        out[0] = tbl[(v >> 18) & 63];
        out[1] = tbl[(v >> 12) & 63];
        out[2] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? tbl[v & 63] : '=';
        sb_put(b, out, 4);
    }
}

struct rp_doc {
    strbuf html, md;
};

static const char *css =
    "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:1100px;margin:1.5em auto;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.7em;border-bottom:2px solid #444}h2{font-size:1.3em;margin-top:1.8em;"
    "border-bottom:1px solid #bbb}h3{font-size:1.1em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.88em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;overflow-wrap:anywhere}th{background:#f0f0f0}"
    "tr:nth-child(even) td{background:#fafafa}caption{caption-side:top;text-align:left;"
    "font-weight:bold;padding:4px 0}"
    "figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.88em;color:#555}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;"
    "font-size:.85em}";

rp_doc *rp_doc_new(const char *title) {
    rp_doc *d = cx_calloc(1, sizeof *d);
    sb_puts(&d->html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>");
    sb_html_escaped(&d->html, title);
    sb_printf(&d->html, "</title>\n<style>%s</style></head><body>\n<h1>", css);
    sb_html_escaped(&d->html, title);
    sb_puts(&d->html, "</h1>\n");
    sb_printf(&d->md, "# %s\n\n", title);
    return d;
}

void rp_doc_heading(rp_doc *d, int level, const char *text) {
    if (level < 2) level = 2;
    if (level > 4) level = 4;
    sb_printf(&d->html, "<h%d>", level);
    sb_html_escaped(&d->html, text);
    sb_printf(&d->html, "</h%d>\n", level);
    for (int i = 0; i < level; i++) sb_puts(&d->md, "#");
    sb_printf(&d->md, " %s\n\n", text);
}

void rp_doc_paragraph(rp_doc *d, const char *text) {
    sb_puts(&d->html, "<p>");
    sb_html_escaped(&d->html, text);
    sb_puts(&d->html, "</p>\n");
    sb_printf(&d->md, "%s\n\n", text);
}

void rp_doc_bullets(rp_doc *d, int n, const char *const *items) {
    sb_puts(&d->html, "<ul>\n");
    for (int i = 0; i < n; i++) {
        sb_puts(&d->html, "<li>");
        sb_html_escaped(&d->html, items[i]);
        sb_puts(&d->html, "</li>\n");
        sb_printf(&d->md, "- %s\n", items[i]);
    }
    sb_puts(&d->html, "</ul>\n");
    sb_puts(&d->md, "\n");
}

void rp_doc_table(rp_doc *d, const char *caption, int ncols, int nrows, const char *const *header,
                  const char *const *cells) {
    sb_puts(&d->html, "<table>");
    if (caption) {
        sb_puts(&d->html, "<caption>");
        sb_html_escaped(&d->html, caption);
        sb_puts(&d->html, "</caption>");
        sb_printf(&d->md, "**%s**\n\n", caption);
    }
    sb_puts(&d->html, "\n<tr>");
    sb_puts(&d->md, "|");
    for (int c = 0; c < ncols; c++) {
        sb_puts(&d->html, "<th>");
        sb_html_escaped(&d->html, header[c]);
        sb_puts(&d->html, "</th>");
        sb_puts(&d->md, " ");
        sb_md_cell(&d->md, header[c]);
        sb_puts(&d->md, " |");
    }
    sb_puts(&d->html, "</tr>\n");
    sb_puts(&d->md, "\n|");
    for (int c = 0; c < ncols; c++) sb_puts(&d->md, "---|");
    sb_puts(&d->md, "\n");
    for (int r = 0; r < nrows; r++) {
        sb_puts(&d->html, "<tr>");
        sb_puts(&d->md, "|");
        for (int c = 0; c < ncols; c++) {
            const char *v = cells[(size_t)r * ncols + c];
            sb_puts(&d->html, "<td>");
            sb_html_escaped(&d->html, v ? v : "");
            sb_puts(&d->html, "</td>");
            sb_puts(&d->md, " ");
            sb_md_cell(&d->md, v ? v : "");
            sb_puts(&d->md, " |");
        }
        sb_puts(&d->html, "</tr>\n");
        sb_puts(&d->md, "\n");
    }
    sb_puts(&d->html, "</table>\n");
    sb_puts(&d->md, "\n");
}

int rp_doc_image(rp_doc *d, const char *png_path, const char *md_rel, const char *caption,
                 cx_error *err) {
    char *data;
    size_t n;
    if (cx_read_file(png_path, &data, &n, err)) return -1;
    if (n < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0) {
        free(data);
        return cx_fail(err, "%s: not a PNG file", png_path);
    }
    sb_puts(&d->html, "<figure><img alt=\"");
    sb_html_escaped(&d->html, caption ? caption : "figure");
    sb_puts(&d->html, "\" src=\"data:image/png;base64,");
    sb_base64(&d->html, (const unsigned char *)data, n);
    sb_puts(&d->html, "\">");
    free(data);
    if (caption) {
        sb_puts(&d->html, "<figcaption>");
        sb_html_escaped(&d->html, caption);
        sb_puts(&d->html, "</figcaption>");
    }
    sb_puts(&d->html, "</figure>\n");
    sb_printf(&d->md, "![%s](%s)\n\n", caption ? caption : "figure", md_rel);
    if (caption) sb_printf(&d->md, "*%s*\n\n", caption);
    return 0;
}

void rp_doc_code(rp_doc *d, const char *text) {
    sb_puts(&d->html, "<pre>");
    sb_html_escaped(&d->html, text);
    sb_puts(&d->html, "</pre>\n");
    sb_printf(&d->md, "```\n%s\n```\n\n", text);
}

int rp_doc_write(rp_doc *d, const char *html_path, const char *md_path, cx_error *err) {
    strbuf page = {0};
    sb_put(&page, d->html.s, d->html.n);
    sb_printf(&page, "<hr><p style=\"color:#777;font-size:.8em\">Made by cxrgaze %s.</p>\n"
                     "</body></html>\n", CX_VERSION);
    int rc = cx_write_file_atomic(html_path, page.s, page.n, err);
    free(page.s);
    if (rc) return rc;
    if (md_path) return cx_write_file_atomic(md_path, d->md.s, d->md.n, err);
    return 0;
}

void rp_doc_free(rp_doc *d) {
    if (!d) return;
    free(d->html.s);
    free(d->md.s);
    free(d);
}
