/* config.h - natterd's settings: built-in defaults, then the key file
 * (--config), then command-line options. SIGHUP reloads the file. */
#ifndef NATTERD_CONFIG_H
#define NATTERD_CONFIG_H

#include <glib.h>
#include <stdbool.h>

/* One [room #name] section: that room's history settings (-1: the default). */
struct history_room_config {
	char *name;
	int max_age;          /* seconds */
	int max_lines;
	int before_join;      /* 0/1 */
};

/* [history] durable_ack: what waits for the writer's commit. */
enum history_ack {
	HIST_ACK_ALL,   /* every line showing a message (relays and echo) */
	HIST_ACK_ECHO,  /* only the sender's echo; others see it at once */
	HIST_ACK_OFF,   /* nothing: a crash may lose the last few ms */
};

/* [history] */
struct history_config {
	bool enabled;
	bool store_joins;     /* JOIN, PART and KICK too */
	enum history_ack durable_ack; /* what waits until a message is stored */
	bool synchronous_full; /* fsync every commit (power-loss safe) */
	bool before_join;     /* room history visible from before one joined */
	int batch_max;        /* records per transaction */
	int commit_window_ms; /* how long a batch waits for more records */
	int max_age;          /* seconds; 0 keeps forever */
	int max_lines_per_target; /* 0: no limit */
	int max_lines;        /* overall; 0: no limit */
	int retention_interval; /* seconds between retention passes */
	int replay_on_join;   /* lines for clients without draft/chathistory */
	int query_limit;      /* most lines one CHATHISTORY returns (ISUPPORT) */
	GPtrArray *rooms;     /* struct history_room_config * */
};

struct config {
	/* [server] */
	char *name;           /* server name shown as the source of replies */
	char *network;
	char *description;
	char *motd_file;      /* NULL: no MOTD (422) */
	char *data_dir;
	char **listen;        /* "host:port" or "tls:host:port", NULL-terminated */
	bool listen_default;  /* no listen setting given: the built-in pair */
	char *admin_location;
	char *admin_email;
	/* [channels] */
	char **default_channels; /* permanent rooms, created at start */
	/* [limits] */
	int max_clients;
	int max_per_address;
	int max_per_block;    /* connections from one network block */
	int ipv4_block;       /* prefix length of that block for IPv4 (24) */
	int ipv6_block;       /* ... and for IPv6 (64) */
	int max_unregistered; /* connections not yet registered; oldest evicted */
	int connect_burst;    /* new connections one block may open at once */
	double connect_rate;  /* ... and per second after that (connrate.h) */
	int accept_per_turn;  /* connections one listener accepts per loop turn */
	int sendq;            /* bytes of unsent output before a client is closed */
	int sendq_total;      /* all clients' unsent output; largest closed first */
	int sndbuf;           /* SO_SNDBUF of client sockets; 0 = kernel's choice */
	int flood_burst;      /* lines a client may send at once */
	double flood_rate;    /* lines per second after the burst */
	int registration_timeout; /* seconds */
	int ping_interval;    /* seconds of silence before we PING */
	int ping_timeout;     /* seconds to wait for the reply */
	int max_channels_per_user;
	int whowas_size;
	/* [accounts] (see accounts.h, login.h) */
	bool registration;    /* REGISTER creates accounts */
	bool loopback_is_secure; /* PLAIN and PASS allowed on loopback without TLS */
	int nick_grace;       /* seconds before someone on an owned nick is renamed */
	int password_min;     /* shortest password REGISTER accepts */
	int argon2_ops;       /* argon2id opslimit */
	int argon2_mem_kib;   /* argon2id memlimit, KiB */
	int scram_iterations; /* PBKDF2 rounds for SCRAM-SHA-256 */
	int login_free_failures; /* failed logins before delays begin */
	int login_delay;      /* first delay, seconds; doubles per failure */
	int login_delay_max;  /* seconds */
	int password_queue;   /* password checks waiting or running, at most */
	int oper_free_failures; /* failed OPERs (per name, per address) before delays */
	int oper_delay;       /* first delay, seconds; doubles per failure */
	int oper_delay_max;   /* seconds */
	struct history_config history;
	/* [tls] */
	char *tls_cert_file;  /* PEM chain; NULL: a self-signed one in data_dir */
	char *tls_key_file;   /* PEM private key; NULL: beside the default cert */
	int sts_duration;     /* seconds for the IRCv3 sts cap; -1 (unset): not offered */
	int sts_port;         /* TLS port to send plain clients to; 0: the first tls listener's */
	bool sts_preload;
	bool tls_own_records; /* TLS 1.3 records carried by tls13_record.c after the handshake */
	/* [opers] name = argon2id hash */
	GHashTable *opers;
	/* derived */
	char **motd_lines;    /* loaded from motd_file; NULL when absent */
};

/* Values given on the command line; they win over the file on every load. */
struct config_overrides {
	char **listen;
	char *data_dir;
	char *motd_file;
	char *config_file;
};

/* Loads defaults, the file named in @ov (if any) and @ov itself, and checks
 * every value (the same checks at start and on SIGHUP). Returns NULL and
 * sets @error when the file is unreadable or a value is invalid; unknown
 * groups and keys are only logged as warnings. A value may be followed by
 * a comment: whitespace, '#', then whitespace or the end of the line. */
struct config *config_load(const struct config_overrides *ov, GError **error);
void config_free(struct config *cfg);

/* The default data directory: $XDG_DATA_HOME/natter (~/.local/share/natter). */
char *config_default_data_dir(void);

#endif
