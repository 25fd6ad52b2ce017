/*
 * log.h - the daemon's logging: one line per event on stderr (the journal
 * under systemd).  fatal/fatalx are for broken invariants and start-up
 * failures only; a bad client never reaches them.
 */
#ifndef OMG_LOG_H
#define OMG_LOG_H

void	log_init(int verbose);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
