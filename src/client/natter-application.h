/* natter-application.h - the AdwApplication: command line (--server, --port,
 * --nick, --connect), style sheet (AdwApplication loads style.css from the
 * resources), the notification action, About, Dark Style and Quit. Not
 * unique, so several natter windows (people) can run side by side. */
#ifndef NATTER_APPLICATION_H
#define NATTER_APPLICATION_H

#include <adwaita.h>

G_BEGIN_DECLS

#define NATTER_APP_ID "org.natter.Natter"

#define NATTER_TYPE_APPLICATION (natter_application_get_type())
G_DECLARE_FINAL_TYPE(NatterApplication, natter_application, NATTER, APPLICATION, AdwApplication)

NatterApplication *natter_application_new(void);
/* Initialises libadwaita and adds natter's style sheet to the default
 * display, for windows made without the application (the in-process tests). */
void natter_application_load_style(void);

G_END_DECLS

#endif
