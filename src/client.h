/*
 * client.h - one request, one answer: through the daemon's socket when a
 * daemon answers, else in this process from the same cache (embedded
 * mode) with the same query code.
 */
#ifndef OMG_CLIENT_H
#define OMG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct client_opts {
	const char	*socket;
	const char	*config;
	const char	*cache;
	const char	*advisories;
	const char	*settings;	/* omg.conf, or NULL for the default */
	int		 no_daemon;
	int		 fresh_only;	/* embedded: never rebuild; a cache
					   that is not up to date is no
					   answer (command-not-found) */
	int		 quiet;		/* no word about a missing daemon */
	int		 timeout_ms;	/* for each message; 0: none */
};

/*
 * Send the request payload and put the response payload in resp.  Returns
 * 0, or -1 with a one-line reason in err when neither a daemon nor the
 * cache can answer.
 */
int	client_request(const struct client_opts *, const uint8_t *, size_t,
	    struct buf *, char *, size_t);

/* A message's payload; 1 when it was the last, 0 for more, -1 to stop. */
typedef int	(*client_msg_fn)(void *, const uint8_t *, size_t);

/*
 * For the ops answered with more than one message (refresh, subscribe):
 * send the request and hand each message to fn as it comes, until fn
 * returns 1.  Without a daemon, the query runs in this process: a
 * refresh rebuilds the cache here, telling its progress the same way.
 * Returns 0, or -1 with a one-line reason in err (or fn's -1).
 */
int	client_stream(const struct client_opts *, const uint8_t *, size_t,
	    client_msg_fn, void *, char *, size_t);

#endif
