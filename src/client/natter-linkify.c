/* natter-linkify.c - web addresses in message text (see natter-linkify.h). */
#include "natter-linkify.h"

#include <string.h>

static void clear_link(gpointer data)
{
	g_free(((NatterLink *)data)->href);
}

static gboolean starts_url(const char *p)
{
	return g_ascii_strncasecmp(p, "http://", 7) == 0 || g_ascii_strncasecmp(p, "https://", 8) == 0 ||
	       g_ascii_strncasecmp(p, "www.", 4) == 0;
}

/* Where an address that starts at @p ends, or @p when it is only a scheme. */
static const char *url_end(const char *p)
{
	const char *end = p;
	const char *body = p + (g_ascii_strncasecmp(p, "www.", 4) == 0 ? 4 : strcspn(p, ":") + 3);

	while (*end != '\0' && !g_ascii_isspace(*end) && strchr("<>\"", *end) == NULL)
		end++;
	/* Drop trailing punctuation and unpaired closing brackets. */
	while (end > body) {
		char c = end[-1];
		const char *open = c == ')' ? "(" : c == ']' ? "[" : c == '}' ? "{" : NULL;
		if (strchr(".,;:!?'", c) != NULL) {
			end--;
			continue;
		}
		if (open != NULL) {
			int depth = 0;
			for (const char *q = p; q < end; q++)
				depth += *q == *open ? 1 : *q == c ? -1 : 0;
			if (depth < 0) {
				end--;
				continue;
			}
		}
		break;
	}
	return end > body ? end : p;
}

GArray *natter_linkify_find(const char *text)
{
	GArray *links = g_array_new(FALSE, TRUE, sizeof(NatterLink));
	const char *p = text;

	g_array_set_clear_func(links, clear_link);
	while (*p != '\0') {
		/* An address starts a word, or follows punctuation like "(". */
		gboolean boundary = p == text || !g_ascii_isalnum(p[-1]);
		if (!boundary || !starts_url(p)) {
			p++;
			continue;
		}
		const char *end = url_end(p);
		if (end == p) {
			p++;
			continue;
		}
		NatterLink link = { (gsize)(p - text), (gsize)(end - text), NULL };
		g_autofree char *url = g_strndup(p, (gsize)(end - p));
		link.href = g_ascii_strncasecmp(url, "www.", 4) == 0 ? g_strconcat("http://", url, NULL)
								       : g_steal_pointer(&url);
		g_array_append_val(links, link);
		p = end;
	}
	return links;
}

void natter_linkify_append(GString *out, const char *text)
{
	g_autoptr(GArray) links = natter_linkify_find(text);
	gsize pos = 0;

	for (guint i = 0; i < links->len; i++) {
		NatterLink *link = &g_array_index(links, NatterLink, i);
		g_autofree char *before = g_markup_escape_text(text + pos, (gssize)(link->start - pos));
		g_autofree char *shown = g_markup_escape_text(text + link->start, (gssize)(link->end - link->start));
		g_autofree char *href = g_markup_escape_text(link->href, -1);
		g_string_append_printf(out, "%s<a href=\"%s\">%s</a>", before, href, shown);
		pos = link->end;
	}
	g_autofree char *rest = g_markup_escape_text(text + pos, -1);
	g_string_append(out, rest);
}

char *natter_linkify_markup(const char *text)
{
	GString *out = g_string_new(NULL);

	natter_linkify_append(out, text);
	return g_string_free(out, FALSE);
}
