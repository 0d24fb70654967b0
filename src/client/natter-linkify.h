/* natter-linkify.h - finds web addresses in message text and turns the text
 * into Pango markup with clickable <a href> links. GTK-free, so the rules are
 * unit-tested headless (tests/client/test-linkify.c). */
#ifndef NATTER_LINKIFY_H
#define NATTER_LINKIFY_H

#include <glib.h>

G_BEGIN_DECLS

/* One address found in a text: bytes [start, end) and where it leads
 * ("www." addresses get "http://" in front). */
typedef struct {
	gsize start;
	gsize end;
	char *href;
} NatterLink;

/* The addresses in @text, in order (NatterLink, freed with the array).
 * Recognised: http:// and https:// (any case) and www.; trailing
 * punctuation (".,;:!?'\"") is left out, and so is a closing bracket that
 * has no opening partner inside the address ("(see http://a.org/x)"),
 * while "http://w.org/Foo_(bar)" keeps its own. */
GArray *natter_linkify_find(const char *text);
/* @text escaped for Pango markup, with each address wrapped in <a href>. */
char *natter_linkify_markup(const char *text);
/* Appends natter_linkify_markup(@text) to @out. */
void natter_linkify_append(GString *out, const char *text);

G_END_DECLS

#endif
