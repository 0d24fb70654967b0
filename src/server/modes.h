/* modes.h - every user and channel mode letter natterd knows, in one table.
 *
 * MODE parsing (cmd_mode.c), the mode strings (324, 221), 004 and the
 * CHANMODES / PREFIX ISUPPORT tokens are all derived from these tables, so
 * a letter is added in exactly one place. */
#ifndef NATTERD_MODES_H
#define NATTERD_MODES_H

#include <glib.h>
#include <stdbool.h>

/* The four CHANMODES classes (Modern IRC "CHANMODES Parameter") plus the
 * membership prefixes of PREFIX. */
enum chanmode_kind {
	CHANMODE_LIST,      /* A: a list (+b mask); no argument lists it */
	CHANMODE_PARAM,     /* B: always takes an argument (+k) */
	CHANMODE_PARAM_SET, /* C: takes an argument only when set (+l) */
	CHANMODE_FLAG,      /* D: a flag (+imnst) */
	CHANMODE_PREFIX,    /* a member status (+o, +v) with a NAMES prefix */
};

struct chanmode_info {
	char letter;
	enum chanmode_kind kind;
	unsigned bit;   /* enum channel_mode (FLAG), enum member_flag (PREFIX),
			 * enum channel_list (LIST), 0 otherwise */
	char prefix;    /* '@', '+' for PREFIX modes */
	const char *what; /* for HELP and docs */
};

struct usermode_info {
	char letter;
	unsigned bit;   /* enum client_mode */
	bool user_settable; /* a client may set it with MODE (+o only via OPER) */
	bool user_clearable;
	const char *what;
};

/* The tables, ordered as they appear in mode strings. */
extern const struct chanmode_info chanmode_table[];
extern const size_t chanmode_count;
extern const struct usermode_info usermode_table[];
extern const size_t usermode_count;

/* The entry for @letter, or NULL when it is unknown. */
const struct chanmode_info *chanmode_find(char letter);
const struct usermode_info *usermode_find(char letter);

/* True when @info with @sign ('+' or '-') takes an argument. */
bool chanmode_takes_arg(const struct chanmode_info *info, char sign);

/* "b,k,l,imnst": the CHANMODES value. */
void chanmodes_isupport(GString *out);
/* "(ov)@+": the PREFIX value. */
void chanmodes_prefix(GString *out);
/* All channel mode letters ("biklmnostv") / those with a parameter ("bklov"),
 * and all user mode letters ("iow"), for 004. */
void chanmodes_letters(GString *out, bool with_param_only);
void usermodes_letters(GString *out);

/* How rooms' modes are saved (storage.c, chanreg.c): as letters, which
 * stay stable across builds, unlike the bits. */
/* The flag modes set in @modes ("intR"); g_free it. */
char *chanmode_flag_letters(unsigned modes);
/* The flag mode bits named by @letters; other letters are skipped. */
unsigned chanmode_flag_bits(const char *letters);
/* The letter of list mode @list (an enum channel_list), '?' if none. */
char chanmode_list_letter(unsigned list);

#endif
