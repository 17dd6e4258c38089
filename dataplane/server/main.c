/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa: the QUIC server. EAL options, then "--", then ours (srv_opts_usage()).
 *
 * Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM) or --help; 2 for a bad option, a
 * missing or unreadable file, a key that does not match its certificate; 1 when the
 * environment refuses (EAL, ports).
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread before the EAL starts its lcore
 * threads (which inherit the mask), and a control thread takes them with sigtimedwait(): it
 * asks the workers to close their connections, waits (bounded) for them to drain, then stops
 * the dataplane. Nothing runs in signal-handler context.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/error.h>
#include <quic/token.h>

#include "srv.h"

#define EXIT_USAGE    2
#define EXIT_RUNTIME  1
#define DRAIN_WAIT_MS 2000
#define KEYFILE_READ  4096 /* a key file is at most ~4 lines of ~65 bytes, plus comments */

struct control {
	struct srv *s;
	sigset_t sigs;
	uint32_t stats_s;
	int main_done; /* release store by main after dp_run(), acquire load here */
	char tmpdir[64];
	struct quic_token_keyset *keys; /* from start-up until setup_dp() publishes it */
};

static void
print_stats(const struct srv *s)
{
	struct dp_counters dc;
	static char buf[4096];
	uint64_t v[SRV_CNT_MAX] = {0};
	unsigned i, k;

	dp_stats(s->dp, &dc);
	dp_counters_format(&dc, 1, buf, sizeof(buf));
	for (k = 0; k < s->n_workers; k++)
		for (i = 0; i < SRV_CNT_MAX; i++)
			v[i] += __atomic_load_n(&srv_worker_counters(s->workers[k])->v[i],
						__ATOMIC_RELAXED);
	printf("--- stats: dataplane\n%s--- stats: quic\n", buf);
	for (i = 0; i < SRV_CNT_MAX; i++)
		printf("%s %llu\n", srv_cnt_name(i), (unsigned long long)v[i]);
	fflush(stdout);
}

static bool
all_drained(const struct srv *s)
{
	for (unsigned k = 0; k < s->n_workers; k++)
		if (!srv_worker_drained(s->workers[k]))
			return false;
	return true;
}

/* Stop accepting, let the workers send CONNECTION_CLOSE, then stop the dataplane. */
static void
shutdown_workers(struct control *ctl)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
	int i;

	/* Release pairs with the acquire load in the workers' on_tick. */
	__atomic_store_n(&ctl->s->stopping, 1, __ATOMIC_RELEASE);
	for (i = 0; i < DRAIN_WAIT_MS / 10 && !all_drained(ctl->s); i++)
		nanosleep(&ts, NULL);
	dp_stop(ctl->s->dp);
}

/*
 * Read and parse a token key file, which must not be readable or writable by others (it
 * holds secrets). @return 0, or -1 with a one-line reason in msg
 */
static int
load_keys(const char *path, struct quic_token_keyset **out, char *msg, size_t cap)
{
	struct quic_keyfile_error ke = {0};
	static char text[KEYFILE_READ]; /* control thread only */
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(msg, cap, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		snprintf(msg, cap, "%s: mode %03o is wider than 0600 (chmod 600 it)", path,
			 (unsigned)(st.st_mode & 0777));
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(text)) {
		snprintf(msg, cap, "%s: %s", path, n < 0 ? strerror(errno) : "file too large");
		return -1;
	}
	rc = quic_token_keyfile_parse(out, text, (size_t)n, &ke);
	crypto_wipe(text, sizeof(text));
	if (rc == QUIC_ERR_MALFORMED)
		snprintf(msg, cap, "%s:%u: %s", path, ke.line, quic_keyfile_strerror(ke.err));
	else if (rc != 0)
		snprintf(msg, cap, "%s: %s", path, quic_strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* SIGHUP: publish the key file again; a bad file keeps the keys in use. Control thread. */
static void
reload_keys(struct srv *s)
{
	struct quic_token_keyset *ks = NULL;
	char msg[256];

	if (s->opts.token_keys == NULL) {
		fprintf(stderr, "hayabusa: SIGHUP: no --token-keys file to reload\n");
		return;
	}
	if (load_keys(s->opts.token_keys, &ks, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "hayabusa: SIGHUP: %s; keeping the current token keys\n", msg);
		return;
	}
	if (quic_token_domain_publish(s->tokens, ks) != 0) {
		quic_token_keyset_free(ks);
		return;
	}
	/* ks is the domain's now, alive until a later publish retires it (this thread). */
	if (srv_ticket_key_publish(s, ks) != 0)
		fprintf(stderr, "hayabusa: SIGHUP: ticket key not rotated\n");
	fprintf(stderr,
		"hayabusa: SIGHUP: token and ticket keys reloaded from %s (current key %u)\n",
		s->opts.token_keys, 0u + quic_token_keyset_current(ks));
}

static void *
control_main(void *arg)
{
	struct control *ctl = arg;
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
	uint64_t ticks = 0;
	int sig;

	for (;;) {
		sig = sigtimedwait(&ctl->sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			printf("hayabusa: %s: closing connections\n", strsignal(sig));
			fflush(stdout);
			shutdown_workers(ctl);
			return NULL;
		}
		if (sig == SIGHUP)
			reload_keys(ctl->s);
		if (__atomic_load_n(&ctl->main_done, __ATOMIC_ACQUIRE) != 0)
			return NULL;
		quic_token_domain_reclaim(ctl->s->tokens);
		ticks++;
		if (ctl->stats_s != 0 && ticks % (5ull * ctl->stats_s) == 0)
			print_stats(ctl->s);
	}
}

/* One line on stderr. @return EXIT_USAGE */
static int __attribute__((format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("hayabusa: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* A self-signed ECDSA P-256 certificate in a fresh temporary directory. */
static int
make_cert(struct control *ctl, char *cert, char *key, size_t len)
{
	struct tls_cert_params p;

	snprintf(ctl->tmpdir, sizeof(ctl->tmpdir), "/tmp/hayabusa-cert-XXXXXX");
	if (mkdtemp(ctl->tmpdir) == NULL) {
		ctl->tmpdir[0] = '\0';
		return -1;
	}
	snprintf(cert, len, "%s/cert.pem", ctl->tmpdir);
	snprintf(key, len, "%s/key.pem", ctl->tmpdir);
	memset(&p, 0, sizeof(p));
	p.key_type = TLS_KEY_ECDSA_P256;
	p.host_name = "localhost";
	if (tls_cert_generate_files(&p, cert, key) != 0)
		return -1;
	printf("hayabusa: no --cert/--key: self-signed ECDSA P-256 certificate for localhost "
	       "in %s\n",
	       ctl->tmpdir);
	return 0;
}

static void
remove_cert(struct control *ctl)
{
	char path[96];

	if (ctl->tmpdir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/cert.pem", ctl->tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/key.pem", ctl->tmpdir);
	unlink(path);
	rmdir(ctl->tmpdir);
}

/* Hex of n bytes into out (2n + 1 bytes); returns the end of the text. */
static char *
hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		*out++ = digits[b[i] >> 4];
		*out++ = digits[b[i] & 15];
	}
	*out = '\0';
	return out;
}

/*
 * NSS key log line, from the worker running the handshake. Each line goes out in one write()
 * on an O_APPEND descriptor, so the lines of several workers never interleave.
 */
static void
keylog_line(void *arg, const char *label, const uint8_t client_random[32], const uint8_t *secret,
	    size_t len)
{
	const struct srv *s = arg;
	char line[64 + 2 * 32 + 2 * CRYPTO_MAX_SECRET_LEN + 4], *p;
	size_t n = strlen(label);

	if (len > CRYPTO_MAX_SECRET_LEN || n > 63)
		return;
	memcpy(line, label, n);
	p = line + n;
	*p++ = ' ';
	p = hex(p, client_random, 32);
	*p++ = ' ';
	p = hex(p, secret, len);
	*p++ = '\n';
	if (write(s->keylog_fd, line, (size_t)(p - line)) < 0)
		return; /* a debugging aid: never fail the handshake for it */
}

/* --keylog FILE, else SSLKEYLOGFILE: open for appending. @return 0 or an exit code */
static int
setup_keylog(struct srv *s)
{
	const char *path = s->opts.keylog != NULL ? s->opts.keylog : getenv("SSLKEYLOGFILE");

	if (path == NULL || path[0] == '\0')
		return 0;
	s->keylog_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->keylog_fd < 0)
		return die_usage("key log %s: %s", path, strerror(errno));
	fprintf(stderr, "hayabusa: warning: writing TLS secrets to %s (debugging only)\n", path);
	return 0;
}

int
srv_tls_new(struct srv *s, struct tls_server_config **out)
{
	const struct srv_opts *o = &s->opts;
	struct tls_keylog kl = {.fn = keylog_line, .arg = s};
	struct tls_server_config *cfg;
	int rc;

	*out = NULL;
	rc = tls_server_config_new(&cfg);
	if (rc != 0)
		return rc;
	rc = tls_server_config_set_cert_files(cfg, s->cert_path, s->key_path);
	if (rc == 0)
		rc = tls_server_config_set_alpn(cfg, o->alpn, o->n_alpn);
	/* One ticket per connection; none with --tickets off (RFC 9846 §4.6.1). */
	if (rc == 0)
		rc = tls_server_config_set_tickets(cfg, o->tickets ? 1 : 0,
						   TLS_DEFAULT_TICKET_LIFETIME_S);
	/* 0-RTT from those tickets, within TLS's freshness window (RFC 9846 §8.3). */
	tls_server_config_set_early_data(cfg, o->tickets && o->early_data,
					 TLS_DEFAULT_FRESHNESS_WINDOW_MS);
	if (rc == 0 && s->keylog_fd >= 0)
		tls_server_config_set_keylog(cfg, &kl);
	if (rc != 0) {
		tls_server_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* Token keys: --token-keys FILE, or a set made now for this process only. */
static int
setup_keys(const struct srv_opts *o, struct control *ctl)
{
	const struct crypto_rand sys = {.fn = crypto_rand_system};
	char msg[256], text[QUIC_TOKEN_KEYFILE_MAX_LEN];
	size_t len = 0;
	int rc;

	if (o->token_keys != NULL)
		return load_keys(o->token_keys, &ctl->keys, msg, sizeof(msg)) == 0
			       ? 0
			       : die_usage("--token-keys %s", msg);
	rc = quic_token_keyfile_write(NULL, &sys, text, sizeof(text), &len);
	if (rc == 0)
		rc = quic_token_keyfile_parse(&ctl->keys, text, len, NULL);
	crypto_wipe(text, sizeof(text));
	return rc == 0 ? 0 : EXIT_RUNTIME;
}

/* TLS configuration, web root and side options. @return 0 or an exit code */
static int
setup_srv(struct srv *s, struct control *ctl)
{
	const struct srv_opts *o = &s->opts;
	char msg[320];
	int rc;

	if ((o->cert == NULL) != (o->key == NULL))
		return die_usage("--cert and --key go together");
	if (o->cert == NULL && make_cert(ctl, s->cert_path, s->key_path, sizeof(s->cert_path)) != 0)
		return die_usage("cannot generate a self-signed certificate");
	if (o->cert != NULL && ((size_t)snprintf(s->cert_path, sizeof(s->cert_path), "%s",
						 o->cert) >= sizeof(s->cert_path) ||
				(size_t)snprintf(s->key_path, sizeof(s->key_path), "%s", o->key) >=
					sizeof(s->key_path)))
		return die_usage("--cert/--key: path longer than %zu bytes",
				 sizeof(s->cert_path) - 1);
	rc = setup_keylog(s);
	if (rc != 0)
		return rc;
	rc = srv_tls_new(s, &s->tls);
	if (rc == TLS_ERR_IO)
		return die_usage("cannot read %s or %s", s->cert_path, s->key_path);
	if (rc != 0)
		return die_usage("%s / %s: unusable certificate or key, or the key does not "
				 "match the certificate",
				 s->cert_path, s->key_path);
	s->root_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return die_usage("--root %s: %s", o->root, strerror(errno));
	srv_provider_init(&s->provider, s);
	rc = setup_keys(o, ctl);
	if (rc != 0)
		return rc;
	if (o->qlog_dir != NULL && srv_qlog_init(&s->qlog, o->qlog_dir, msg, sizeof(msg)) != 0)
		return die_usage("%s", msg);
	/* Reset and ticket keys from the token key: the same on every server of the file. */
	if (srv_keys_derive(ctl->keys, "hayabusa stateless reset key v1", s->reset_key,
			    sizeof(s->reset_key)) != 0 ||
	    srv_ticket_key_publish(s, ctl->keys) != 0)
		return EXIT_RUNTIME;
	return 0;
}

static int
setup_dp(struct srv *s, struct control *ctl, const struct dp_opts *dpo)
{
	unsigned i;
	int rc;

	rc = dp_new(&s->dp, dpo);
	if (rc != 0) {
		fprintf(stderr, "hayabusa: dataplane: %s\n", dp_strerror(rc));
		return EXIT_RUNTIME;
	}
	s->n_workers = dp_worker_count(s->dp);
	if (s->n_workers > SRV_MAX_WORKERS) {
		fprintf(stderr, "hayabusa: at most %d workers\n", SRV_MAX_WORKERS);
		return EXIT_USAGE;
	}
	if (quic_token_domain_new(&s->tokens, s->n_workers) != 0 ||
	    quic_token_domain_publish(s->tokens, ctl->keys) != 0)
		return EXIT_RUNTIME;
	ctl->keys = NULL; /* the domain owns it */
	for (i = 0; i < s->n_workers; i++) {
		rc = srv_worker_new(&s->workers[i], s, dp_worker_get(s->dp, i));
		if (rc != 0) {
			fprintf(stderr, "hayabusa: worker %u: %s\n", i, quic_strerror(rc));
			return EXIT_RUNTIME;
		}
	}
	/* Best effort, like the dataplane's: a server without telemetry still serves. */
	if (srv_telemetry_publish(s) != 0)
		fprintf(stderr, "hayabusa: warning: telemetry command /hayabusa/server refused\n");
	return 0;
}

static void
teardown(struct srv *s, struct control *ctl)
{
	srv_telemetry_withdraw();
	for (unsigned i = 0; i < s->n_workers; i++)
		srv_worker_free(s->workers[i]);
	dp_free(s->dp);
	quic_token_domain_free(s->tokens);
	quic_token_keyset_free(ctl->keys);
	tls_server_config_free(s->tls);
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->keylog_fd >= 0)
		close(s->keylog_fd);
	srv_qlog_fini(&s->qlog);
	remove_cert(ctl);
}

/* `hayabusa keygen [FILE]`: a fresh token key file, mode 0600 (stdout without FILE). */
static int
keygen(const char *path)
{
	const struct crypto_rand sys = {.fn = crypto_rand_system};
	char text[QUIC_TOKEN_KEYFILE_MAX_LEN];
	size_t len = 0;
	int fd = STDOUT_FILENO;
	ssize_t n;

	if (quic_token_keyfile_write(NULL, &sys, text, sizeof(text), &len) != 0)
		return EXIT_RUNTIME;
	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, 0600) != 0) {
			crypto_wipe(text, sizeof(text));
			if (fd >= 0)
				close(fd);
			return die_usage("keygen: %s: %s", path, strerror(errno));
		}
	}
	n = write(fd, text, len);
	crypto_wipe(text, sizeof(text));
	if (path != NULL && close(fd) != 0)
		n = -1;
	if (n < 0 || (size_t)n != len)
		return die_usage("keygen: %s: write failed", path != NULL ? path : "stdout");
	return 0;
}

/* Our options after "--" (the dataplane's are collected for dp_opts_parse_app()). */
static int
parse_app_opts(void *o, int argc, char **argv, char **dp_argv, int *dp_argc, char *err,
	       size_t err_len)
{
	return srv_opts_parse(o, argc, argv, dp_argv, dp_argc, err, err_len);
}

/* Parse our options and the dataplane's. @return 0, or an exit code */
static int
parse_all(struct srv *s, struct dp_opts *dpo, int argc, char **argv)
{
	char err[256];
	int rc = dp_opts_parse_app(dpo, parse_app_opts, &s->opts, argc, argv, err, sizeof(err));

	if (rc == DP_ERR_NOMEM)
		return EXIT_RUNTIME;
	return rc != 0 ? die_usage("%s", err) : 0;
}

static int
serve(struct srv *s, struct control *ctl)
{
	pthread_t th;
	int rc;

	if (pthread_create(&th, NULL, control_main, ctl) != 0)
		return EXIT_RUNTIME;
	printf("hayabusa: serving %s on %s (udp port %s), %u worker(s), alpn %s%s%s\n",
	       s->opts.root, s->opts.n_listen ? s->opts.listen[0] : "--port", s->opts.udp_port_arg,
	       s->n_workers, s->opts.alpn[0], s->opts.n_alpn > 1 ? "," : "",
	       s->opts.n_alpn > 1 ? s->opts.alpn[1] : "");
	fflush(stdout);
	rc = dp_run(s->dp);
	/* Release pairs with the acquire load in control_main(). */
	__atomic_store_n(&ctl->main_done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_stats(s); /* the final counters, --stats or not */
	if (rc != 0) {
		fprintf(stderr, "hayabusa: %s\n", dp_strerror(rc));
		return EXIT_RUNTIME;
	}
	printf("hayabusa: stopped\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static struct srv s = {.root_fd = -1, .keylog_fd = -1, .qlog = {.dir_fd = -1}};
	static struct control ctl;
	struct dp_opts dpo = {0};
	int n, rc;

	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return argc <= 3 ? keygen(argc == 3 ? argv[2] : NULL)
				 : die_usage("usage: hayabusa keygen [FILE]");
	if (dp_opts_wants_help(argc, argv)) {
		printf("Usage: hayabusa [EAL options] -- [options]\n%s\nDataplane options:\n%s",
		       srv_opts_usage(), dp_opts_usage());
		return 0;
	}
	sigemptyset(&ctl.sigs);
	sigaddset(&ctl.sigs, SIGINT);
	sigaddset(&ctl.sigs, SIGTERM);
	sigaddset(&ctl.sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ctl.sigs, NULL);
	ctl.s = &s;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "hayabusa: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	rc = parse_all(&s, &dpo, argc - n, argv + n);
	ctl.stats_s = dpo.stats_s;
	if (rc == 0)
		rc = setup_srv(&s, &ctl);
	if (rc == 0)
		rc = setup_dp(&s, &ctl, &dpo);
	if (rc == 0)
		rc = serve(&s, &ctl);
	teardown(&s, &ctl);
	rte_eal_cleanup();
	return rc;
}
