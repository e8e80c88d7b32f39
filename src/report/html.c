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

// Wide enough for the qualitative grid at full size (8 cells of 160 px); prose lines stay short.
static const char *css =
    "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:1340px;margin:1.5em auto;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "p,ul{max-width:60em}"
    "h1{font-size:1.7em;border-bottom:2px solid #444}h2{font-size:1.3em;margin-top:1.8em;"
    "border-bottom:1px solid #bbb}h3{font-size:1.1em;margin-top:1.4em}"
    ".tw{overflow-x:auto}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.88em}"
    "th,td{border:1px solid #ccc;padding:3px "
    "8px;text-align:left;overflow-wrap:anywhere}th{background:#f0f0f0}"
    "tr:nth-child(even) td{background:#fafafa}caption{caption-side:top;text-align:left;"
    "font-weight:bold;padding:4px 0}"
    "table.paper{font-size:.76em}table.paper thead th{font-weight:normal}"
    "table.paper td,table.paper th{text-align:center;padding:2px 3px;overflow-wrap:normal}"
    "table.paper td{white-space:nowrap}"
    "table.paper th.rh,table.paper td.rh{text-align:left;white-space:nowrap;padding:2px 6px}"
    "table.paper td[title]{cursor:help}"
    "figure{display:inline-block;vertical-align:top;margin:.5em .6em .8em 0;max-width:100%}"
    "figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.88em;color:#555;max-width:60em}"
    ".note{font-size:.85em;color:#555;margin-top:-.2em}"
    "details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.2em .6em}"
    "details[open]{padding-bottom:.6em}summary{cursor:pointer;color:#333}"
    "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}";

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

rp_doc *rp_doc_fragment(void) { return cx_calloc(1, sizeof(rp_doc)); }

void rp_doc_append(rp_doc *d, const rp_doc *part) {
    if (part->html.n) sb_put(&d->html, part->html.s, part->html.n);
    if (part->md.n) sb_put(&d->md, part->md.s, part->md.n);
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

void rp_doc_note(rp_doc *d, const char *text) {
    sb_puts(&d->html, "<p class=\"note\">");
    sb_html_escaped(&d->html, text);
    sb_puts(&d->html, "</p>\n");
    sb_printf(&d->md, "<sub>%s</sub>\n\n", text);
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
    sb_puts(&d->html, "<div class=\"tw\"><table>");
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
    sb_puts(&d->html, "</table></div>\n");
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
    // IHDR: the width, big-endian, at byte 16; figures have 2 pixels per point.
    const unsigned char *u = (const unsigned char *)data;
    uint32_t px =
        n >= 24 ? (uint32_t)u[16] << 24 | (uint32_t)u[17] << 16 | (uint32_t)u[18] << 8 | u[19] : 0;
    sb_puts(&d->html, "<figure><img alt=\"");
    sb_html_escaped(&d->html, caption ? caption : "figure");
    if (px >= 2) sb_printf(&d->html, "\" width=\"%u", (unsigned)(px / 2));
    sb_puts(&d->html, "\" src=\"data:image/png;base64,");
    sb_base64(&d->html, (const unsigned char *)data, n);
    sb_puts(&d->html, "\">");
    free(data);
    if (caption) {
        sb_printf(&d->html, "<figcaption style=\"max-width:%upx\">",
                  (unsigned)(px >= 2 ? px / 2 : 600));
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

void rp_doc_details_begin(rp_doc *d, const char *summary, const char *file_href) {
    sb_puts(&d->html, "<details><summary>");
    sb_html_escaped(&d->html, summary);
    sb_puts(&d->md, "<details><summary>");
    sb_html_escaped(&d->md, summary);
    if (file_href) {
        const char *slash = strrchr(file_href, '/');
        strbuf link = {0};
        sb_puts(&link, " &mdash; <a href=\"");
        sb_html_escaped(&link, file_href);
        sb_puts(&link, "\">");
        sb_html_escaped(&link, slash ? slash + 1 : file_href);
        sb_puts(&link, "</a>");
        sb_puts(&d->html, link.s);
        sb_puts(&d->md, link.s);
        free(link.s);
    }
    sb_puts(&d->html, "</summary>\n");
    sb_puts(&d->md, "</summary>\n\n");
}

void rp_doc_details_end(rp_doc *d) {
    sb_puts(&d->html, "</details>\n");
    sb_puts(&d->md, "</details>\n\n");
}

// ---- tables with header rows, spans, bold cells and hover text ----------------------------------
typedef struct rp_tcell {
    char *text, *hover;
    int colspan;
    unsigned style;
} rp_tcell;

typedef struct rp_trow {
    int header, n, cap;
    rp_tcell *cell;
} rp_trow;

struct rp_table {
    char *caption, *css_class;
    int n, cap;
    rp_trow *row;
};

static char *dup_or_null(const char *s) { return s ? cx_strdup(s) : NULL; }

rp_table *rp_table_new(const char *caption, const char *css_class) {
    rp_table *t = cx_calloc(1, sizeof *t);
    t->caption = dup_or_null(caption);
    t->css_class = dup_or_null(css_class);
    return t;
}

void rp_table_row(rp_table *t, int header) {
    if (t->n == t->cap)
        t->row = cx_realloc(t->row, sizeof *t->row * (t->cap = t->cap ? 2 * t->cap : 16));
    t->row[t->n++] = (rp_trow){.header = header};
}

void rp_table_cell(rp_table *t, const char *text, const char *hover, int colspan, unsigned style) {
    if (!t->n) rp_table_row(t, 0);
    rp_trow *r = &t->row[t->n - 1];
    if (r->n == r->cap)
        r->cell = cx_realloc(r->cell, sizeof *r->cell * (r->cap = r->cap ? 2 * r->cap : 16));
    r->cell[r->n++] =
        (rp_tcell){cx_strdup(text ? text : ""), hover && *hover ? cx_strdup(hover) : NULL,
                   colspan > 1 ? colspan : 1, style};
}

// HTML text with "\n" as a line break.
static void sb_html_lines(strbuf *b, const char *s) {
    for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1) {
        char *part = cx_malloc((size_t)(nl - s) + 1);
        memcpy(part, s, (size_t)(nl - s));
        part[nl - s] = 0;
        sb_html_escaped(b, part);
        sb_puts(b, "<br>");
        free(part);
    }
    sb_html_escaped(b, s);
}

static void table_html(strbuf *b, const rp_table *t) {
    sb_puts(b, "<div class=\"tw\"><table");
    if (t->css_class) {
        sb_puts(b, " class=\"");
        sb_html_escaped(b, t->css_class);
        sb_puts(b, "\"");
    }
    sb_puts(b, ">");
    if (t->caption) {
        sb_puts(b, "<caption>");
        sb_html_escaped(b, t->caption);
        sb_puts(b, "</caption>");
    }
    sb_puts(b, "\n");
    int in_head = 0;
    for (int i = 0; i < t->n; i++) {
        const rp_trow *r = &t->row[i];
        if (r->header && !in_head && i == 0) sb_puts(b, "<thead>"), in_head = 1;
        if (!r->header && in_head == 1) sb_puts(b, "</thead><tbody>\n"), in_head = 2;
        if (!r->header && i == 0) sb_puts(b, "<tbody>"), in_head = 2;
        sb_puts(b, "<tr>");
        for (int k = 0; k < r->n; k++) {
            const rp_tcell *c = &r->cell[k];
            const char *tag = r->header || (c->style & RP_CELL_HEAD) ? "th" : "td";
            sb_printf(b, "<%s", tag);
            if (c->colspan > 1) sb_printf(b, " colspan=\"%d\"", c->colspan);
            if (!r->header && (c->style & RP_CELL_HEAD)) sb_puts(b, " class=\"rh\"");
            if (c->hover) {
                sb_puts(b, " title=\"");
                sb_html_escaped(b, c->hover);
                sb_puts(b, "\"");
            }
            sb_puts(b, ">");
            if (c->style & RP_CELL_BOLD) sb_puts(b, "<b>");
            sb_html_lines(b, c->text);
            if (c->style & RP_CELL_BOLD) sb_puts(b, "</b>");
            sb_printf(b, "</%s>", tag);
        }
        sb_puts(b, "</tr>\n");
    }
    if (in_head == 1) sb_puts(b, "</thead>");
    if (in_head == 2) sb_puts(b, "</tbody>");
    sb_puts(b, "</table></div>\n");
}

// One Markdown header row: each column's header texts, top down, joined by spaces.
static void table_md(strbuf *b, const rp_table *t) {
    int ncols = 0;
    for (int i = 0; i < t->n; i++) {
        int w = 0;
        for (int k = 0; k < t->row[i].n; k++) w += t->row[i].cell[k].colspan;
        if (w > ncols) ncols = w;
    }
    if (!ncols) return;
    if (t->caption) sb_printf(b, "**%s**\n\n", t->caption);
    strbuf *head = cx_calloc((size_t)ncols, sizeof *head);
    int body0 = 0;
    for (; body0 < t->n && t->row[body0].header; body0++) {
        int col = 0;
        for (int k = 0; k < t->row[body0].n; k++) {
            const rp_tcell *c = &t->row[body0].cell[k];
            for (int q = 0; q < c->colspan && col < ncols; q++, col++)
                if (c->text[0]) {
                    if (head[col].n) sb_puts(&head[col], " ");
                    sb_puts(&head[col], c->text);
                }
        }
    }
    sb_puts(b, "|");
    for (int c = 0; c < ncols; c++) {
        sb_puts(b, " ");
        sb_md_cell(b, head[c].s ? head[c].s : "");
        sb_puts(b, " |");
        free(head[c].s);
    }
    free(head);
    sb_puts(b, "\n|");
    for (int c = 0; c < ncols; c++) sb_puts(b, "---|");
    sb_puts(b, "\n");
    for (int i = body0; i < t->n; i++) {
        const rp_trow *r = &t->row[i];
        int col = 0;
        sb_puts(b, "|");
        for (int k = 0; k < r->n; k++, col++) {
            const rp_tcell *c = &r->cell[k];
            int bold = (c->style & RP_CELL_BOLD) && c->text[0];
            sb_puts(b, bold ? " **" : " ");
            sb_md_cell(b, c->text);
            sb_puts(b, bold ? "** |" : " |");
            for (int q = 1; q < c->colspan; q++, col++) sb_puts(b, "  |");
        }
        for (; col < ncols; col++) sb_puts(b, "  |");
        sb_puts(b, "\n");
    }
    sb_puts(b, "\n");
}

void rp_doc_add_table(rp_doc *d, rp_table *t) {
    table_html(&d->html, t);
    table_md(&d->md, t);
    for (int i = 0; i < t->n; i++) {
        for (int k = 0; k < t->row[i].n; k++)
            free(t->row[i].cell[k].text), free(t->row[i].cell[k].hover);
        free(t->row[i].cell);
    }
    free(t->row);
    free(t->caption);
    free(t->css_class);
    free(t);
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
