/* qmail-tls: the one program linked with a TLS library (libtls). The protocol programs never
   hold a key: they talk plaintext to qmail-tls over pipes.
   Server, STARTTLS/STLS (under tcpserver, before qmail-smtpd or qmail-popup):
     qmail-tls -s [ -t secs ] [ -U | -u uid -g gid ] [ -P ] prog...
   prog starts at once on the plaintext connection (fds 0/1, the socket) with SSLCTLFD,
   SSLREADFD and SSLWRITEFD in its environment. To start TLS it sends its "go ahead" reply,
   writes "Y" on SSLCTLFD, stops using fds 0/1 (and drops whatever it read ahead), and reads one
   line on SSLCTLFD: "Y" version " " cipher LF after a good handshake, then talks plaintext on
   SSLREADFD/SSLWRITEFD; or "N" reason LF, and then it should exit.
   Server, implicit TLS (SMTPS, POP3S): qmail-tls -s -i ...: the handshake comes first; prog
   then talks on fds 0/1 (pipes to us) with SSL_PROTOCOL and SSL_CIPHER in its environment.
   Client (qmail-remote): qmail-tls -c [ -t secs ] [ -n servername ] [ -v ] [ -A cafile ]:
   fds 0/1 are the connection; plaintext comes in on fd 6 and goes out on fd 7, after one
   line on fd 7: "Y" version " " cipher " " verified|unverified LF, or "N" reason LF.
   -t bounds the handshake and, in client mode, each write to the peer.
   The server key and certificate: control/servercert.pem (chain and key), or the key apart in
   control/serverkey.pem; they are read before privileges are dropped (-U: $UID and $GID as
   tcpserver's -U gives them); prog drops with it, unless -P: then prog keeps the uid qmail-tls
   started with (qmail-popup, which must stay root for checkpassword) and only qmail-tls drops,
   right after forking prog (which, with -i, waits on a pipe for the handshake's result).
   TLS 1.2 and 1.3 only.
   Exit codes: prog's own; 100 usage; 111 a TLS or system failure (logged on fd 2). */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <tls.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/env.h>
#include <skalibs/iopause.h>
#include <skalibs/setgroups.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "home.h"

#define USAGE "qmail-tls -s [ -i ] [ -t secs ] [ -U | -u uid -g gid ] [ -P ] prog... | qmail-tls -c [ -t secs ] [ -n servername ] [ -v ] [ -A cafile ]"
#define CERT "control/servercert.pem"
#define KEY "control/serverkey.pem"
#define BUFSIZE 16384

typedef struct opts_s opts_t ;
struct opts_s
{
  int server, client, implicit, verify, keep ;
  unsigned int timeout ;
  uid_t uid ; gid_t gid ; int setids ;
  char const *servername, *cafile ;
} ;

static void dietls (struct tls *t, char const *what)
{
  strerr_dief(111, what, ": ", t ? tls_error(t) : "no context") ;
}

static char const *const *parseopts (int argc, char const *const *argv, opts_t *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  uint32_t u ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "sict:Uu:g:n:vA:P", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 's' : o->server = 1 ; break ;
      case 'c' : o->client = 1 ; break ;
      case 'i' : o->implicit = 1 ; break ;
      case 't' : if (!uint0_scan(l.arg, &o->timeout) || !o->timeout) strerr_dieusage(100, USAGE) ; break ;
      case 'U' :
      {
        char const *x = getenv("UID"), *y = getenv("GID") ;
        if (!x || !y || !uint320_scan(x, &u)) strerr_dief(100, "-U needs $UID and $GID") ;
        o->uid = u ;
        if (!uint320_scan(y, &u)) strerr_dief(100, "-U needs $UID and $GID") ;
        o->gid = u ; o->setids |= 3 ;
        break ;
      }
      case 'u' : if (!uint320_scan(l.arg, &u)) strerr_dieusage(100, USAGE) ; o->uid = u ; o->setids |= 1 ; break ;
      case 'g' : if (!uint320_scan(l.arg, &u)) strerr_dieusage(100, USAGE) ; o->gid = u ; o->setids |= 2 ; break ;
      case 'n' : o->servername = l.arg ; break ;
      case 'v' : o->verify = 1 ; break ;
      case 'A' : o->cafile = l.arg ; break ;
      case 'P' : o->keep = 1 ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  if (o->server == o->client || (o->setids && o->setids != 3)) strerr_dieusage(100, USAGE) ;
  if (o->server && l.ind >= argc) strerr_dieusage(100, USAGE) ;
  if (o->client && (l.ind < argc || o->implicit || o->keep)) strerr_dieusage(100, USAGE) ;
  if (o->server && !o->setids && !geteuid()) strerr_dief(100, "refusing to run as root: use -U or -u and -g") ;
  return argv + l.ind ;
}

/* Keys are in memory once tls_configure has run: then drop to the service's uid (before
   any byte from the network is parsed). */
static void dropprivs (opts_t const *o)
{
  if (!o->setids) return ;
  if (!o->uid) strerr_dief(100, "refusing to drop to uid 0") ;
  if (skalibs_setgroups(1, &o->gid) < 0 || setgid(o->gid) < 0 || setuid(o->uid) < 0)
    strerr_diefusys(111, "drop privileges") ;
  if (getuid() != o->uid || geteuid() != o->uid || getgid() != o->gid || getegid() != o->gid)
    strerr_dief(111, "privileges not dropped") ;
}

static struct tls *serverctx (void)
{
  struct tls_config *cfg ;
  struct tls *t ;
  char const *key = access(KEY, F_OK) == 0 ? KEY : CERT ;
  if (tls_init() < 0) strerr_dief(111, "unable to initialise libtls") ;
  cfg = tls_config_new() ;
  if (!cfg) strerr_dief(111, "unable to allocate a TLS configuration") ;
  if (tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) < 0
   || tls_config_set_cert_file(cfg, CERT) < 0 || tls_config_set_key_file(cfg, key) < 0)
    strerr_dief(111, "unable to load ", CERT, ": ", tls_config_error(cfg)) ;
  tls_config_prefer_ciphers_server(cfg) ;
  t = tls_server() ;
  if (!t || tls_configure(t, cfg) < 0) dietls(t, "unable to configure TLS") ;
  tls_config_free(cfg) ;
  return t ;
}

static struct tls *clientctx (opts_t const *o)
{
  struct tls_config *cfg ;
  struct tls *t ;
  if (tls_init() < 0) strerr_dief(111, "unable to initialise libtls") ;
  cfg = tls_config_new() ;
  if (!cfg) strerr_dief(111, "unable to allocate a TLS configuration") ;
  if (tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) < 0
   || (o->cafile && tls_config_set_ca_file(cfg, o->cafile) < 0))
    strerr_dief(111, "unable to configure TLS: ", tls_config_error(cfg)) ;
  if (!o->verify)
  {
    /* opportunistic: encrypt whatever the certificate, and say whether it verified */
    tls_config_insecure_noverifycert(cfg) ;
    tls_config_insecure_noverifyname(cfg) ;
  }
  t = tls_client() ;
  if (!t || tls_configure(t, cfg) < 0) dietls(t, "unable to configure TLS") ;
  tls_config_free(cfg) ;
  return t ;
}

/* Wait until fd is ready for what libtls asked (r is TLS_WANT_POLLIN or _POLLOUT). 0 on timeout. */
static int tlswait (int r, int rfd, int wfd, tain const *deadline)
{
  iopause_fd x = { .fd = r == TLS_WANT_POLLIN ? rfd : wfd, .events = r == TLS_WANT_POLLIN ? IOPAUSE_READ : IOPAUSE_WRITE } ;
  int n = iopause_g(&x, 1, deadline) ;
  if (n < 0) strerr_diefusys(111, "iopause") ;
  return n > 0 ;
}

/* The handshake on the connection: 1 done, 0 failed (why in *err). */
static int handshake (struct tls *t, int rfd, int wfd, unsigned int timeout, char const **err)
{
  tain deadline ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, timeout) ;
  for (;;)
  {
    int r = tls_handshake(t) ;
    if (!r) return 1 ;
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { *err = tls_error(t) ; return 0 ; }
    if (!tlswait(r, rfd, wfd, &deadline)) { *err = "handshake timed out" ; return 0 ; }
  }
}

/* "Y" version " " cipher [" " extra] LF */
static size_t report (char *buf, size_t max, struct tls *t, char const *extra)
{
  char const *v = tls_conn_version(t), *c = tls_conn_cipher(t) ;
  size_t n = 0 ;
  char const *parts[5] = { v ? v : "unknown", " ", c ? c : "unknown", extra ? " " : "", extra ? extra : "" } ;
  buf[n++] = 'Y' ;
  for (int i = 0 ; i < 5 ; i++)
  {
    size_t len = strlen(parts[i]) ;
    if (n + len + 2 > max) break ;
    memcpy(buf + n, parts[i], len) ;
    n += len ;
  }
  buf[n++] = '\n' ;
  return n ;
}

/* "N" reason LF, the reason cut to fit */
static size_t failline (char *buf, size_t max, char const *err)
{
  size_t n = strlen(err ? err : "unknown error") ;
  if (n > max - 2) n = max - 2 ;
  buf[0] = 'N' ;
  memcpy(buf + 1, err ? err : "unknown error", n) ;
  buf[n + 1] = '\n' ;
  return n + 2 ;
}

/* Write all of buf through TLS, within timeout seconds (0: no limit). 0 if the connection
   failed or the peer took no data for that long. */
static int tlsputall (struct tls *t, char const *buf, size_t len, int rfd, int wfd, unsigned int timeout)
{
  tain deadline = TAIN_INFINITE ;
  if (timeout) { tain_now_g() ; tain_addsec_g(&deadline, timeout) ; }
  while (len)
  {
    ssize_t w = tls_write(t, buf, len) ;
    if (w == TLS_WANT_POLLIN || w == TLS_WANT_POLLOUT) { if (!tlswait((int)w, rfd, wfd, &deadline)) return 0 ; continue ; }
    if (w < 0) return 0 ;
    buf += w ; len -= w ;
  }
  return 1 ;
}

/* Relay until either side ends: plaintext from pin goes out through TLS on the connection,
   what TLS delivers goes to pout. Returns when the connection or pin ends, or (with a
   timeout) when a write to the peer stalls that long. */
static void relay (struct tls *t, int netr, int netw, int pin, int pout, unsigned int timeout)
{
  char buf[BUFSIZE] ;
  int pinopen = 1 ;
  for (;;)
  {
    iopause_fd x[2] = { { .fd = netr, .events = IOPAUSE_READ }, { .fd = pin, .events = IOPAUSE_READ } } ;
    ssize_t r ;
    /* first whatever libtls has decrypted and buffered already */
    for (;;)
    {
      r = tls_read(t, buf, sizeof buf) ;
      if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) break ;
      if (r <= 0) return ;   /* the peer closed, or an error */
      if (allwrite(pout, buf, r) < (size_t)r) return ;
    }
    if (!pinopen) return ;
    if (iopause_g(x, 2, 0) < 0) strerr_diefusys(111, "iopause") ;
    if (x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))
    {
      r = fd_read(pin, buf, sizeof buf) ;
      if (r <= 0) { pinopen = 0 ; tls_close(t) ; return ; }
      if (!tlsputall(t, buf, r, netr, netw, timeout)) return ;
    }
  }
}

/* -i: the program waits for the handshake's result on fd, "Y" version " " cipher LF (what
   report() writes), and gets it as SSL_PROTOCOL and SSL_CIPHER; anything else: exit quietly,
   qmail-tls logs the failure. */
static void awaitgo (int fd)
{
  char buf[300], *sp ;
  size_t n = 0 ;
  while (n < sizeof buf - 1 && fd_read(fd, buf + n, 1) == 1 && buf[n] != '\n') n++ ;
  buf[n] = 0 ;
  if (buf[0] != 'Y') _exit(111) ;
  close(fd) ;
  sp = strchr(buf, ' ') ;
  if (sp) *sp++ = 0 ;
  if (setenv("SSL_PROTOCOL", buf + 1, 1) < 0 || setenv("SSL_CIPHER", sp ? sp : "unknown", 1) < 0)
    strerr_diefusys(111, "set the environment") ;
}

/* The program, with fds moved (pairs from, to; -1 ends), the environment added, privileges
   dropped unless -P, and with -i (go: the result pipe) after a good handshake. */
static pid_t spawn (opts_t const *o, char const *const *argv, int const *fds, char const *const *envp, size_t envn, int const *go)
{
  pid_t pid = fork() ;
  if (pid < 0) strerr_diefusys(111, "fork") ;
  if (pid) return pid ;
  for (int i = 0 ; fds[i] >= 0 ; i += 2)
    if (fd_move(fds[i + 1], fds[i]) < 0) strerr_diefusys(111, "move fds") ;
  if (!o->keep) dropprivs(o) ;
  if (go) { close(go[1]) ; awaitgo(go[0]) ; }
  for (size_t i = 0 ; i < envn ; i++)
  {
    char const *eq = strchr(envp[i], '=') ;
    char name[32] ;
    size_t n = eq - envp[i] ;
    memcpy(name, envp[i], n) ;
    name[n] = 0 ;
    if (setenv(name, eq + 1, 1) < 0) strerr_diefusys(111, "set the environment") ;
  }
  sig_restore(SIGPIPE) ;
  execvp(argv[0], (char *const *)argv) ;
  strerr_diefusys(111, "run ", argv[0]) ;
}

static int waitexit (pid_t pid)
{
  int wstat ;
  if (wait_pid(pid, &wstat) != pid) strerr_diefusys(111, "wait for the program") ;
  return WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 111 ;
}

/* Implicit TLS: the program is forked first (so that with -P it keeps our starting uid),
   then we drop privileges, do the handshake and tell it the result; it talks on pipes. */
static int implicit (struct tls *srv, opts_t const *o, char const *const *argv)
{
  struct tls *t = 0 ;
  char const *err ;
  int in[2], out[2], go[2] ;
  char buf[300] ;
  pid_t pid ;
  if (pipecoe(in) < 0 || pipecoe(out) < 0 || pipecoe(go) < 0) strerr_diefusys(111, "create pipes") ;
  pid = spawn(o, argv, (int const[]){ out[0], 0, in[1], 1, -1 }, 0, 0, go) ;
  close(out[0]) ; close(in[1]) ; close(go[0]) ;
  dropprivs(o) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefusys(111, "set the connection non-blocking") ;
  if (tls_accept_fds(srv, &t, 0, 1) < 0) err = tls_error(srv) ? tls_error(srv) : "unable to accept TLS" ;
  else if (handshake(t, 0, 1, o->timeout, &err)) err = 0 ;
  if (err || allwrite(go[1], buf, report(buf, sizeof buf, t, 0)) < 1)
  {
    close(go[1]) ; close(out[1]) ; close(in[0]) ;
    waitexit(pid) ;
    strerr_dief(111, "TLS handshake failed: ", err ? err : "the program went away") ;
  }
  close(go[1]) ;
  relay(t, 0, 1, in[0], out[1], 0) ;
  close(out[1]) ;
  close(in[0]) ;
  return waitexit(pid) ;
}

/* STARTTLS: the program runs on the plaintext connection until it asks for TLS. */
static int delayed (struct tls *srv, opts_t const *o, char const *const *argv)
{
  int ctl[2], in[2], out[2] ;
  char e1[32], e2[32], e3[32], buf[300], c ;
  pid_t pid ;
  struct tls *t = 0 ;
  char const *err ;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 || pipecoe(in) < 0 || pipecoe(out) < 0)
    strerr_diefusys(111, "create pipes") ;
  /* the child's ends keep their numbers: clear close-on-exec on them */
  if (uncoe(ctl[1]) < 0 || uncoe(out[0]) < 0 || uncoe(in[1]) < 0) strerr_diefusys(111, "prepare fds") ;
  strcpy(e1, "SSLCTLFD=") ; e1[9 + uint_fmt(e1 + 9, ctl[1])] = 0 ;
  strcpy(e2, "SSLREADFD=") ; e2[10 + uint_fmt(e2 + 10, out[0])] = 0 ;
  strcpy(e3, "SSLWRITEFD=") ; e3[11 + uint_fmt(e3 + 11, in[1])] = 0 ;
  pid = spawn(o, argv, (int const[]){ -1 }, (char const *const[]){ e1, e2, e3 }, 3, 0) ;
  close(ctl[1]) ; close(out[0]) ; close(in[1]) ;
  dropprivs(o) ;
  if (fd_read(ctl[0], &c, 1) != 1 || c != 'Y')
  {
    close(ctl[0]) ; close(out[1]) ; close(in[0]) ;
    return waitexit(pid) ;   /* the program ended without TLS */
  }
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefusys(111, "set the connection non-blocking") ;
  if (tls_accept_fds(srv, &t, 0, 1) < 0 || !handshake(t, 0, 1, o->timeout, &err))
  {
    if (!t) err = tls_error(srv) ;
    allwrite(ctl[0], buf, failline(buf, sizeof buf, err)) ;
    strerr_warnw("TLS handshake failed: ", err ? err : "unknown error") ;
    close(ctl[0]) ; close(out[1]) ; close(in[0]) ;
    waitexit(pid) ;
    return 111 ;
  }
  allwrite(ctl[0], buf, report(buf, sizeof buf, t, 0)) ;
  relay(t, 0, 1, in[0], out[1], 0) ;
  close(out[1]) ; close(in[0]) ; close(ctl[0]) ;
  return waitexit(pid) ;
}

static int client (struct tls *ctx, opts_t const *o)
{
  char buf[300] ;
  char const *err = 0 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefusys(111, "set the connection non-blocking") ;
  if (tls_connect_fds(ctx, 0, 1, o->servername) < 0 || !handshake(ctx, 0, 1, o->timeout, &err))
  {
    if (tls_error(ctx)) err = tls_error(ctx) ;
    allwrite(7, buf, failline(buf, sizeof buf, err)) ;
    return 111 ;
  }
  allwrite(7, buf, report(buf, sizeof buf, ctx, o->verify ? "verified" : "unverified")) ;
  relay(ctx, 0, 1, 6, 7, o->timeout) ;
  return 0 ;
}

int main (int argc, char const *const *argv)
{
  opts_t o = { .timeout = 60 } ;
  PROG = "qmail-tls" ;
  argv = parseopts(argc, argv, &o) ;
  if (!sig_ignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  sig_restore(SIGCHLD) ;
  if (o.client) return client(clientctx(&o), &o) ;
  home_chdir() ;
  {
    struct tls *srv = serverctx() ;
    return o.implicit ? implicit(srv, &o, argv) : delayed(srv, &o, argv) ;
  }
}
