/* natter-application.h - the GtkApplication: command line (--server, --port,
 * --nick, --connect), style sheet, and the notification action. Not unique,
 * so several natter windows (people) can run side by side. */
#ifndef NATTER_APPLICATION_H
#define NATTER_APPLICATION_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NATTER_APP_ID "org.natter.Natter"

#define NATTER_TYPE_APPLICATION (natter_application_get_type())
G_DECLARE_FINAL_TYPE(NatterApplication, natter_application, NATTER, APPLICATION, GtkApplication)

NatterApplication *natter_application_new(void);
/* Adds natter's style sheet to the default display (done at startup; the
 * in-process tests call it for windows made without the application). */
void natter_application_load_style(void);

G_END_DECLS

#endif
