/* qmail-checkpw [ -a ] prog [args]: a checkpassword program (cr.yp.to/checkpwd/interface.html).
   fd 3: "user\0password\0timestamp\0", at most 512 bytes. Virtual users come from
   $QMAILHOME/users/pop3passwd.cdb (qmail-newpop3), then system users from getpwnam/getspnam;
   a non-empty timestamp means APOP (password = MD5 hex digest), possible only for virtual users
   stored "{plain}". On success it becomes the user (never uid 0), sets USER, HOME, SHELL,
   enters HOME and execs prog. With -a (SMTP AUTH in qmail-smtpd, which runs as qmaild) it only
   checks the password and execs prog as it is. Exit codes: 1 bad login, 2 misuse, 111
   temporary failure. */
#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/cdb.h>
#include <skalibs/djbunix.h>
#include <skalibs/exec.h>
#include <skalibs/setgroups.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "checkpw-core.h"
#include "home.h"
#include "pop3-core.h"

#define USAGE "qmail-checkpw [ -a ] prog [ args... ]"
#define PASSWD_CDB "/users/pop3passwd.cdb"
/* a valid SHA-512 setting: unknown users cost a crypt(3) too, like known ones */
#define DUMMY_SETTING "$6$qmailcheckpwdummy$"

typedef struct account_s account_t ;
struct account_s
{
  stralloc sa ;   /* holds the strings below */
  char const *user, *secret, *home, *shell ;
  uid_t uid ;
  gid_t gid ;
  int isvirtual ;
} ;
#define ACCOUNT_ZERO { .sa = STRALLOC_ZERO, .user = 0, .secret = 0, .home = 0, .shell = 0, .uid = 0, .gid = 0, .isvirtual = 0 }

static size_t readrequest (char *buf, size_t max)
{
  size_t len = 0 ;
  for (;;)
  {
    ssize_t r = fd_read(3, buf + len, max + 1 - len) ;
    if (r < 0) strerr_diefusys(2, "read fd 3") ;
    if (!r) break ;
    len += r ;
    if (len > max) strerr_dief(2, "more than 512 bytes on fd 3") ;
  }
  fd_close(3) ;
  return len ;
}

/* 1 found, 0 not there (or no cdb) */
static int virtual (account_t *a, char const *user)
{
  stralloc path = STRALLOC_ZERO ;
  cdb c = CDB_ZERO ;
  cdb_data d ;
  checkpw_entry_t e ;
  int r ;
  if (!stralloc_cats(&path, home_dir()) || !stralloc_cats(&path, PASSWD_CDB) || !stralloc_0(&path)) strerr_diefusys(111, "build a path") ;
  if (!cdb_init(&c, path.s))
  {
    if (errno == ENOENT) { stralloc_free(&path) ; return 0 ; }
    strerr_diefusys(111, "open ", path.s) ;
  }
  r = cdb_find(&c, &d, user, strlen(user)) ;
  if (r < 0) strerr_diefusys(111, "read ", path.s) ;
  if (r)
  {
    if (!stralloc_copyb(&a->sa, d.s, d.len) || !checkpw_unpack(&e, a->sa.s, a->sa.len))
      strerr_dief(111, "malformed entry for ", user, " in ", path.s) ;
    a->secret = e.secret ; a->home = e.home ; a->uid = e.uid ; a->gid = e.gid ;
    a->shell = "/bin/sh" ; a->isvirtual = 1 ;
  }
  cdb_free(&c) ;
  stralloc_free(&path) ;
  return r ;
}

static int system_ (account_t *a, char const *user)
{
  struct passwd *pw ;
  char const *secret ;
  errno = 0 ;
  pw = getpwnam(user) ;
  if (!pw)
  {
    if (errno && errno != ENOENT && errno != ESRCH) strerr_diefusys(111, "read the password database") ;
    return 0 ;
  }
  secret = pw->pw_passwd ;
  if (!strcmp(secret, "x") || !strcmp(secret, "*"))
  {
    struct spwd *sp = getspnam(user) ;
    if (!sp) strerr_diefusys(111, "read the shadow entry of ", user) ;
    secret = sp->sp_pwdp ;
  }
  a->sa.len = 0 ;
  if (!stralloc_catb(&a->sa, secret, strlen(secret) + 1) || !stralloc_catb(&a->sa, pw->pw_dir, strlen(pw->pw_dir) + 1)
   || !stralloc_catb(&a->sa, pw->pw_shell, strlen(pw->pw_shell) + 1)) strerr_diefusys(111, "store the account") ;
  a->secret = a->sa.s ;
  a->home = a->secret + strlen(a->secret) + 1 ;
  a->shell = a->home + strlen(a->home) + 1 ;
  a->uid = pw->pw_uid ; a->gid = pw->pw_gid ;
  return 1 ;
}

static int cryptequal (char const *secret, char const *pass)
{
  char const *h ;
  if (!*secret || *secret == '{') return 0 ;  /* no password, or a scheme crypt(3) does not know */
  h = crypt(pass, secret) ;
  return h && *h != '*' && checkpw_equal(h, secret) ;
}

static int verify (account_t const *a, int found, checkpw_req_t const *r)
{
  if (!found) { crypt(r->pass, DUMMY_SETTING) ; return 0 ; }
  if (*r->stamp) return a->isvirtual && checkpw_apop(a->secret, r->stamp, r->pass) ;
  if (a->isvirtual && !strncmp(a->secret, CHECKPW_PLAIN, sizeof CHECKPW_PLAIN - 1)) return checkpw_plain(a->secret, r->pass) ;
  return cryptequal(a->secret, r->pass) ;
}

/* root becomes the user; anyone else can only stay itself */
static void become (account_t const *a)
{
  char fmt[UINT_FMT], mine[UINT_FMT] ;
  fmt[uint_fmt(fmt, a->uid)] = 0 ;
  if (getuid() && geteuid())
  {
    if (a->uid == getuid()) return ;
    mine[uint_fmt(mine, getuid())] = 0 ;
    strerr_dief(111, "cannot log in ", a->user, ": its uid ", fmt, " is not mine (", mine, ") and I am not root") ;
  }
  if (skalibs_setgroups(1, &a->gid) == -1 || setgid(a->gid) == -1 || setuid(a->uid) == -1)
    strerr_diefusys(111, "become uid ", fmt) ;
  if (getuid() != a->uid || geteuid() != a->uid || getgid() != a->gid || getegid() != a->gid)
    strerr_dief(111, "still not uid ", fmt, " after setuid") ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  account_t a = ACCOUNT_ZERO ;
  checkpw_req_t req ;
  char buf[CHECKPW_MAX + 1] ;
  size_t len ;
  int found, authonly = 0 ;
  PROG = "qmail-checkpw" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "a", &l) ;
    if (opt == -1) break ;
    if (opt == 'a') authonly = 1 ;
    else strerr_dieusage(2, USAGE) ;
  }
  argc -= l.ind ; argv += l.ind ;
  if (!argc) strerr_dieusage(2, USAGE) ;
  len = readrequest(buf, CHECKPW_MAX) ;
  if (!checkpw_request(&req, buf, len)) strerr_dief(2, "malformed request on fd 3") ;
  a.user = req.user ;
  found = virtual(&a, req.user) || system_(&a, req.user) ;
  if (!verify(&a, found, &req)) { pop3_wipe(buf, sizeof buf) ; return 1 ; }
  pop3_wipe(buf + (req.pass - buf), strlen(req.pass)) ;
  if (!a.uid) { strerr_warnw("refusing a login as ", req.user, ": uid 0") ; return 1 ; }
  if (authonly) xexec(argv) ;
  become(&a) ;
  if (setenv("USER", req.user, 1) == -1 || setenv("HOME", a.home, 1) == -1 || setenv("SHELL", a.shell, 1) == -1)
    strerr_diefusys(111, "set the environment") ;
  if (chdir(a.home) == -1) strerr_diefusys(111, "chdir to ", a.home) ;
  xexec(argv) ;
}
