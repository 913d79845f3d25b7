/* send-core.c: qmail-send's messages and deliveries (send-core.h, doc/QUEUE.md): loading
   messages, starting deliveries within each channel's concurrency, recording results through
   qmail-clean, retry times, bounces, and the log lines in qmail's vocabulary. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "bounce-core.h"
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "qqspawn.h"
#include "queue.h"
#include "send-core.h"

static char const chletter[2] = { QUEUE_LOCAL, QUEUE_REMOTE } ;
static char const *const chname[2] = { "local", "remote" } ;
static unsigned int const chskip[2] = { 10, 20 } ;
static char const toolong[] = "I'm not going to try again; this message has been in the queue too long.\n" ;

static void nomem (void)
{
  strerr_diefusys(QX_TEMP, "allocate memory") ;
}

void send_log (char const *const *v, unsigned int n)
{
  stralloc sa = STRALLOC_ZERO ;
  for (unsigned int i = 0 ; i < n ; i++) if (!stralloc_cats(&sa, v[i])) nomem() ;
  if (!stralloc_catb(&sa, "\n", 1)) nomem() ;
  /* one write per line: qmail-todo's lines share the logger's pipe */
  if (allwrite(1, sa.s, sa.len) < sa.len) strerr_diefusys(QX_TEMP, "write log") ;
  stralloc_free(&sa) ;
}

void send_status (send_t const *s)
{
  char a[UINT_FMT], b[ULONG_FMT], c[UINT_FMT], d[ULONG_FMT] ;
  a[uint_fmt(a, s->ch[0].busy)] = 0 ; b[ulong_fmt(b, s->ch[0].concurrency)] = 0 ;
  c[uint_fmt(c, s->ch[1].busy)] = 0 ; d[ulong_fmt(d, s->ch[1].concurrency)] = 0 ;
  send_log_("status: local ", a, "/", b, " remote ", c, "/", d) ;
}

static unsigned long readnum (char const *name, unsigned long def)
{
  unsigned long u ;
  int r = control_readulong(&u, name, def, 0) ;
  if (r < 0) control_die(name, r) ;
  return u ;
}

/* The control files qmail-send rereads on HUP, read whole before any is used. */
typedef struct conf_s { rewrite_t rw ; stralloc sa[5] ; unsigned long num[2] ; } conf_t ;
static char const *const confname[5] = { "me", "bouncefrom", "bouncehost", "doublebounceto", "doublebouncehost" } ;
static char const *const confdef[5] = { "localhost", "MAILER-DAEMON", 0, "postmaster", 0 } ;  /* 0: me */
static char const *const numname[2] = { "queuelifetime", "bouncemaxbytes" } ;
static unsigned long const numdef[2] = { 604800, 50000 } ;

static int conf_read (conf_t *c, char const **failed)
{
  int r = rewrite_load(&c->rw, failed) ;
  for (unsigned int i = 0 ; r >= 0 && i < 5 ; i++)
  {
    *failed = confname[i] ;
    r = control_readline(&c->sa[i], confname[i], confdef[i] ? confdef[i] : c->sa[0].s, confdef[i] ? 0 : CONTROL_ME) ;
  }
  for (unsigned int i = 0 ; r >= 0 && i < 2 ; i++)
  {
    *failed = numname[i] ;
    r = control_readulong(&c->num[i], numname[i], numdef[i], 0) ;
  }
  return r ;
}

int send_config (send_t *s, int initial)
{
  conf_t c = { .rw = REWRITE_ZERO, .sa = { STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO } } ;
  stralloc *dst[5] = { &s->me, &s->bouncefrom, &s->bouncehost, &s->doublebounceto, &s->doublebouncehost } ;
  char const *failed = "" ;
  int r = conf_read(&c, &failed) ;
  if (r < 0)
  {
    if (initial) control_die(failed, r) ;
    control_warn(failed, r) ;  /* a typo and a HUP must not stop the mail: the old values stay */
    rewrite_free(&c.rw) ;
    for (unsigned int i = 0 ; i < 5 ; i++) stralloc_free(&c.sa[i]) ;
    return 0 ;
  }
  rewrite_free(&s->rw) ;
  s->rw = c.rw ;
  for (unsigned int i = 0 ; i < 5 ; i++) { stralloc_free(dst[i]) ; *dst[i] = c.sa[i] ; }
  s->queuelifetime = c.num[0] ;
  s->bouncemaxbytes = c.num[1] ;
  if (!initial) return 1 ;  /* the delivery slots are sized once, at start */
  s->ch[CH_LOCAL].concurrency = readnum("concurrencylocal", 10) ;
  s->ch[CH_REMOTE].concurrency = readnum("concurrencyremote", 20) ;
  for (int ch = 0 ; ch < 2 ; ch++)
    if (!s->ch[ch].concurrency || s->ch[ch].concurrency > 65000)
      strerr_dief(QX_TEMP, "control/concurrency", chname[ch], " must be between 1 and 65000") ;
  return 1 ;
}

static msg_t *msgp (send_t *s, uint32_t i)
{
  return genalloc_s(msg_t, &s->msgs) + i ;
}

static int openmess (send_t *s, uint64_t id)
{
  if (!queue_path(&s->tmp, "mess", id, s->split)) nomem() ;
  return open2(s->tmp.s, O_RDONLY | O_CLOEXEC) ;
}

/* Read a message's header into s->hdr. 0 if the message is gone or damaged (logged). */
static int readhdr (send_t *s, uint64_t id, queuehdr_t *h)
{
  int fd = openmess(s, id) ;
  int ok = fd >= 0 && queuehdr_read(fd, &s->hdr, h) ;
  int e = errno ;
  if (!ok) strerr_warnwusys("read ", s->tmp.s) ;
  if (fd >= 0) fd_close(fd) ;
  errno = e ;   /* callers tell a vanished message (ENOENT) from a damaged one */
  return ok ;
}

static void waitfor (send_t *s, uint32_t i, int c, uint64_t when)
{
  msg_t *m = msgp(s, i) ;
  if (m->waiting[c] || !m->pending[c]) return ;
  if (!heap_push(&s->ch[c].heap, when, i)) nomem() ;
  m->waiting[c] = 1 ;
}

static void finish (send_t *s, uint32_t i) ;

void send_load (send_t *s, uint64_t id)
{
  queuehdr_t h ;
  queuercpt_t r ;
  msg_t m = { .id = id, .used = 1 } ;
  uint32_t i ;
  size_t pos ;
  if (idmap_get(&s->ids, id, &i) || !readhdr(s, id, &h)) return ;
  m.birth = h.birth ;
  m.bodyoff = h.bodyoff ;
  for (pos = h.rcptstart ; queuehdr_nextrcpt(&h, s->hdr.s, &pos, &r) ; )
  {
    if (r.state == QUEUE_LOCAL) m.pending[CH_LOCAL]++ ;
    else if (r.state == QUEUE_REMOTE) m.pending[CH_REMOTE]++ ;
    else if (r.state == QUEUE_FAILED) m.failed = 1 ;
  }
  if (genalloc_len(uint32_t, &s->freemsgs))
  {
    size_t n = genalloc_len(uint32_t, &s->freemsgs) - 1 ;
    i = genalloc_s(uint32_t, &s->freemsgs)[n] ;
    genalloc_setlen(uint32_t, &s->freemsgs, n) ;
    *msgp(s, i) = m ;
  }
  else
  {
    i = genalloc_len(msg_t, &s->msgs) ;
    if (!genalloc_append(msg_t, &s->msgs, &m)) nomem() ;
  }
  if (!idmap_put(&s->ids, id, i)) nomem() ;
  if (h.nextlocal == QUEUE_HOLD && h.nextremote == QUEUE_HOLD) msgp(s, i)->held = 1 ;
  else
  {
    waitfor(s, i, CH_LOCAL, h.nextlocal) ;
    waitfor(s, i, CH_REMOTE, h.nextremote) ;
  }
  if (!m.pending[0] && !m.pending[1]) finish(s, i) ;
}

void send_scan (send_t *s)
{
  stralloc dir = STRALLOC_ZERO ;
  for (unsigned int sub = 0 ; sub < s->split ; sub++)
  {
    char fmt[UINT_FMT] ;
    DIR *d ;
    dir.len = 0 ;
    if (!stralloc_cats(&dir, "mess/") || !stralloc_catb(&dir, fmt, uint_fmt(fmt, sub)) || !stralloc_0(&dir)) nomem() ;
    d = opendir(dir.s) ;
    if (!d) strerr_diefusys(QX_TEMP, "open ", dir.s) ;
    for (;;)
    {
      direntry *e = readdir(d) ;
      uint64_t id ;
      if (!e) break ;
      if (e->d_name[0] != '.' && uint64_scan(e->d_name, &id) == strlen(e->d_name)) send_load(s, id) ;
    }
    dir_close(d) ;
  }
  stralloc_free(&dir) ;
}

static void sanitize (stralloc *sa, char const *text)
{
  size_t len = strlen(text) ;
  while (len && text[len - 1] == '\n') len-- ;
  sa->len = 0 ;
  if (!stralloc_catb(sa, text, len) || !stralloc_0(sa)) nomem() ;
  for (size_t i = 0 ; i < len ; i++)
    if (sa->s[i] == '\n') sa->s[i] = '/' ;
    else if ((unsigned char)sa->s[i] < 32 || sa->s[i] == 127) sa->s[i] = '_' ;
}

/* An address as it may appear in a log line: no control character can forge another line. */
static char const *logaddr (stralloc *sa, char const *addr)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, addr) || !stralloc_0(sa)) nomem() ;
  for (size_t i = 0 ; i + 1 < sa->len ; i++)
    if ((unsigned char)sa->s[i] < 32 || sa->s[i] == 127) sa->s[i] = '?' ;
  return sa->s ;
}

/* qmail's VERP: a sender "prefix-@host-@[]" becomes "prefix-rlocal=rhost@host" for each
   recipient rlocal@rhost, so that a bounce names the recipient that failed. */
static void sender_for (stralloc *out, char const *sender, char const *rcpt)
{
  size_t len = strlen(sender), at, rat ;
  out->len = 0 ;
  if (len < 5 || strcmp(sender + len - 4, "-@[]"))
  {
    if (!stralloc_cats(out, sender) || !stralloc_0(out)) nomem() ;
    return ;
  }
  len -= 4 ;
  at = byte_rchr(sender, len, '@') ;
  rat = str_rchr(rcpt, '@') ;
  if (!stralloc_catb(out, sender, at) || !stralloc_catb(out, rcpt, rat)) nomem() ;
  if (rcpt[rat] && (!stralloc_catb(out, "=", 1) || !stralloc_cats(out, rcpt + rat + 1))) nomem() ;
  if (!stralloc_catb(out, sender + at, len - at) || !stralloc_0(out)) nomem() ;
}

static int startjob (send_t *s, int c, uint32_t i, queuehdr_t const *h, queuercpt_t const *r)
{
  channel_t *ch = s->ch + c ;
  msg_t *m = msgp(s, i) ;
  char slot[UINT_FMT], id[UINT64_FMT], off[UINT64_FMT], num[UINT_FMT] ;
  unsigned int j = 0 ;
  while (ch->jobs[j].busy) j++ ;  /* there is a free slot: the caller checked */
  if (!rewrite_recipient(&s->rw, r->addr, &ch->jobs[j].addr)) nomem() ;
  ch->jobs[j].msg = i ;
  ch->jobs[j].off = r->off ;
  ch->jobs[j].delnum = ++s->delnum ;
  ch->jobs[j].busy = 1 ;
  sender_for(&s->bounce, h->sender, r->addr) ;
  s->tmp.len = 0 ;
  if (!stralloc_catb(&s->tmp, slot, uint_fmt(slot, j)) || !stralloc_0(&s->tmp)
   || !stralloc_catb(&s->tmp, id, uint64_fmt(id, m->id)) || !stralloc_0(&s->tmp)
   || !stralloc_catb(&s->tmp, off, uint64_fmt(off, m->bodyoff)) || !stralloc_0(&s->tmp)
   || !stralloc_catb(&s->tmp, s->bounce.s, s->bounce.len) 
   || !stralloc_catb(&s->tmp, ch->jobs[j].addr.s, ch->jobs[j].addr.len + 1)) nomem() ;
  if (allwrite(ch->jobfd, s->tmp.s, s->tmp.len) < s->tmp.len) strerr_diefusys(QX_TEMP, "write to qmail-", c ? "rspawn" : "lspawn") ;
  m->inflight[c]++ ;
  ch->busy++ ;
  id[uint64_fmt(id, m->id)] = 0 ;
  num[uint_fmt(num, ch->jobs[j].delnum)] = 0 ;
  send_log_("starting delivery ", num, ": msg ", id, " to ", chname[c], " ", logaddr(&s->bounce, ch->jobs[j].addr.s)) ;
  send_status(s) ;
  return 1 ;
}

/* Start as many of the attempt's remaining recipients as the channel has slots for; the
   cursor is left at the first one not started, or 0 once all are. */
static void proceed (send_t *s, int c, uint32_t i)
{
  channel_t *ch = s->ch + c ;
  queuehdr_t h ;
  queuercpt_t r ;
  size_t pos ;
  if (!readhdr(s, msgp(s, i)->id, &h))
  {
    msgp(s, i)->cursor[c] = 0 ;
    if (errno == ENOENT) msgp(s, i)->deleting = 1 ;  /* gone from under us: nothing left to do */
    return ;
  }
  pos = msgp(s, i)->cursor[c] < h.rcptstart ? h.rcptstart : msgp(s, i)->cursor[c] ;
  for (;;)
  {
    size_t here = pos ;
    if (!queuehdr_nextrcpt(&h, s->hdr.s, &pos, &r)) { msgp(s, i)->cursor[c] = 0 ; return ; }
    if (r.state != chletter[c]) continue ;
    if (ch->busy >= ch->concurrency) { msgp(s, i)->cursor[c] = here ; return ; }
    startjob(s, c, i, &h, &r) ;
  }
}

void send_start (send_t *s, uint64_t now)
{
  for (int c = 0 ; c < 2 ; c++)
  {
    channel_t *ch = s->ch + c ;
    if (ch->jobfd < 0) continue ;
    while (ch->busy < ch->concurrency)
    {
      uint32_t i ;
      msg_t *m ;
      if (genalloc_len(uint32_t, &ch->active))
      {
        i = genalloc_s(uint32_t, &ch->active)[0] ;
        m = msgp(s, i) ;
        if (m->held || m->deleting) m->cursor[c] = 0 ;  /* start nothing more of this attempt */
        else proceed(s, c, i) ;
      }
      else
      {
        heapent_t e ;
        if (!ch->heap.n || ch->heap.v[0].when > now || !heap_pop(&ch->heap, &e)) break ;
        i = e.msg ;
        m = msgp(s, i) ;
        m->waiting[c] = 0 ;
        /* stale entries (flushes push extra ones) and messages that must not start */
        if (!m->used || !m->pending[c] || m->held || m->deleting || m->cursor[c] || m->inflight[c]) continue ;
        m->cursor[c] = 1 ;   /* before the first recipient: proceed starts there */
        m->deferred[c] = 0 ;
        if (!genalloc_append(uint32_t, &ch->active, &i)) nomem() ;
        proceed(s, c, i) ;
      }
      m = msgp(s, i) ;
      if (!m->cursor[c])  /* every recipient of this attempt started: leave the active list */
      {
        uint32_t *v = genalloc_s(uint32_t, &ch->active) ;
        size_t n = genalloc_len(uint32_t, &ch->active) ;
        memmove(v, v + 1, (n - 1) * sizeof *v) ;
        genalloc_setlen(uint32_t, &ch->active, n - 1) ;
        if (!m->inflight[c] && !m->held && !m->deleting) waitfor(s, i, c, sched_nextretry(m->birth, now, chskip[c])) ;
        if (!m->inflight[0] && !m->inflight[1] && m->deleting) finish(s, i) ;
      }
    }
  }
}

/* A permanent failure: its text goes to bounce/S/ID, on disk before the X that points at it. */
static int recordfailure (send_t *s, msg_t const *m, char const *addr, char const *text)
{
  int fd, ok ;
  if (!queue_path(&s->tmp, "bounce", m->id, s->split)) nomem() ;
  fd = open3(s->tmp.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) ;
  if (fd < 0) { strerr_warnwusys("open ", s->tmp.s) ; return 0 ; }
  ok = allwrite(fd, addr, strlen(addr) + 1) == strlen(addr) + 1 && allwrite(fd, text, strlen(text) + 1) == strlen(text) + 1 && fsync(fd) == 0 ;
  if (!ok) strerr_warnwusys("write ", s->tmp.s) ;
  fd_close(fd) ;
  return ok ;
}

/* The recipient's address as queued, for the bounce: jobs carry the rewritten one. */
static void queuedaddr (send_t *s, msg_t const *m, uint64_t off, stralloc *out)
{
  queuehdr_t h ;
  out->len = 0 ;
  if (readhdr(s, m->id, &h) && off >= h.rcptstart && off < h.end && !stralloc_cats(out, s->hdr.s + off + 1)) nomem() ;
  if (!stralloc_0(out)) nomem() ;
}

void send_result (send_t *s, int c, unsigned int slot, char code, char const *text)
{
  channel_t *ch = s->ch + c ;
  job_t *j = ch->jobs + slot ;
  uint32_t i = j->msg ;
  msg_t *m = msgp(s, i) ;
  uint64_t now = time(0) ;
  char num[UINT_FMT] ;
  char const *letter = 0 ;
  stralloc why = STRALLOC_ZERO ;  /* the bounce text when queuelifetime turns a deferral into a failure */
  num[uint_fmt(num, j->delnum)] = 0 ;
  if (code == 'Z' && now >= m->birth + s->queuelifetime)
  {
    /* the last reason, then qmail's verdict: both go to the bounce */
    sanitize(&s->bounce, text) ;
    send_log_("delivery ", num, ": deferral: ", s->bounce.s) ;
    code = 'D' ;
    if (!stralloc_cats(&why, text) || (why.len && why.s[why.len - 1] != '\n' && !stralloc_catb(&why, "\n", 1))
     || !stralloc_cats(&why, toolong) || !stralloc_0(&why)) nomem() ;
    text = why.s ;
  }
  sanitize(&s->bounce, text) ;
  switch (code)
  {
    case 'K' : send_log_("delivery ", num, ": success: ", s->bounce.s) ; letter = "D" ; break ;
    case 'Z' : send_log_("delivery ", num, ": deferral: ", s->bounce.s) ; m->deferred[c] = 1 ; break ;
    default :
      send_log_("delivery ", num, ": failure: ", s->bounce.s) ;
      {
        stralloc a = STRALLOC_ZERO ;
        queuedaddr(s, m, j->off, &a) ;
        if (recordfailure(s, m, a.s, text)) { letter = "X" ; m->failed = 1 ; }
        else m->deferred[c] = 1 ;  /* could not record it: try the delivery again later */
        stralloc_free(&a) ;
      }
  }
  if (letter)
  {
    if (cleanclient_write(&s->clean, 'm', m->id, j->off, letter, 1) && cleanclient_sync(&s->clean, 'm', m->id)) { if (m->pending[c]) m->pending[c]-- ; }
    else m->deferred[c] = 1 ;
  }
  stralloc_free(&why) ;
  j->busy = 0 ;
  ch->busy-- ;
  m->inflight[c]-- ;
  send_status(s) ;
  if (m->inflight[c] || m->cursor[c]) return ;
  if (m->deleting) { if (!m->inflight[!c]) finish(s, i) ; }
  else if (m->held) ;
  else if (m->pending[c])
  {
    uint64_t next = sched_nextretry(m->birth, now, chskip[c]) ;
    queuehdr_t h ;
    if (readhdr(s, m->id, &h))
      cleanclient_writetime(&s->clean, 'm', m->id, c ? h.nextremoteoff : h.nextlocaloff, next) ;
    waitfor(s, i, c, next) ;
  }
  else if (!m->pending[!c] && !m->inflight[!c]) finish(s, i) ;
}

/* Run qmail-queue ($QMAILQUEUE) with msg and envelope; its exit code, or -1. */
static int inject (char const *msg, size_t msglen, char const *env, size_t envlen)
{
  int msgfd, envfd, sig ;
  pid_t pid = qq_spawn(&msgfd, &envfd, 0) ;
  if (pid < 0) return -1 ;
  allwrite(msgfd, msg, msglen) ;   /* qmail-queue reads all of the message before the envelope */
  close(msgfd) ;
  allwrite(envfd, env, envlen) ;
  close(envfd) ;
  return qq_wait(pid, &sig) ;
}

/* Queue the bounce for message i. 1 when done (or dropped as a triple bounce). */
static int bounce (send_t *s, uint32_t i)
{
  msg_t *m = msgp(s, i) ;
  stralloc fail = STRALLOC_ZERO, orig = STRALLOC_ZERO, to = STRALLOC_ZERO, env = STRALLOC_ZERO ;
  bounce_t b ;
  queuehdr_t h ;
  struct stat st ;
  char id[UINT64_FMT] ;
  int ok = 0, fd ;
  char const *sender ;
  id[uint64_fmt(id, m->id)] = 0 ;
  if (!queue_path(&s->tmp, "bounce", m->id, s->split)) nomem() ;
  if (!openslurpclose(&fail, s->tmp.s) && errno != ENOENT) { strerr_warnwusys("read ", s->tmp.s) ; goto end ; }
  fd = openmess(s, m->id) ;
  if (fd < 0 || fstat(fd, &st) < 0 || !queuehdr_read(fd, &s->hdr, &h)) { fd_close(fd) ; goto end ; }
  {
    size_t want = (uint64_t)st.st_size - h.bodyoff > s->bouncemaxbytes + 1 ? s->bouncemaxbytes + 1 : st.st_size - h.bodyoff ;
    ssize_t r ;
    if (!stralloc_ready(&orig, want)) nomem() ;
    r = pread(fd, orig.s, want, h.bodyoff) ;
    fd_close(fd) ;
    if (r < 0) goto end ;
    orig.len = r ;
  }
  sender = h.sender ;
  if (!strcmp(sender, "#@[]"))
  {
    send_log_("triple bounce: discarding bounce/", id) ;
    ok = 1 ;
    goto end ;
  }
  if (!*sender && !s->doublebounceto.len)
  {
    send_log_("double bounce: discarding bounce/", id) ;
    ok = 1 ;
    goto end ;
  }
  if (!*sender)
  {
    if (!stralloc_copy(&to, &s->doublebounceto)) nomem() ;
    if (byte_chr(to.s, to.len, '@') == to.len && (!stralloc_catb(&to, "@", 1) || !stralloc_cat(&to, &s->doublebouncehost))) nomem() ;
  }
  else
  {
    sender_for(&to, sender, fail.len ? fail.s : "") ;  /* a VERP sender: to the first failed recipient's form */
    to.len-- ;
  }
  if (!stralloc_0(&to) || !stralloc_copy(&s->tmp, &s->bouncefrom) || !stralloc_catb(&s->tmp, "@", 1) || !stralloc_cat(&s->tmp, &s->bouncehost) || !stralloc_0(&s->tmp)) nomem() ;
  b = (bounce_t){ .me = s->me.s, .from = s->tmp.s, .to = to.s, .now = time(0), .arrival = m->birth, .id = m->id,
    .failures = fail.s, .failureslen = fail.len, .original = orig.s, .originallen = orig.len,
    .originaltotal = st.st_size - h.bodyoff, .cap = s->bouncemaxbytes } ;
  s->bounce.len = 0 ;
  if (!bounce_build(&s->bounce, &b)) nomem() ;
  if (!envelope_start(&env, *sender ? "" : "#@[]") || !envelope_addrcpt(&env, to.s) || !envelope_finish(&env)) nomem() ;
  {
    int r = inject(s->bounce.s, s->bounce.len, env.s, env.len) ;
    if (r) { strerr_warnw("unable to queue the bounce of msg ", id, ", will try again") ; goto end ; }
  }
  {
    stralloc l = STRALLOC_ZERO ;
    send_log_("bounce msg ", id, " to <", logaddr(&l, to.s), ">") ;
    stralloc_free(&l) ;
  }
  ok = 1 ;
 end:
  stralloc_free(&fail) ; stralloc_free(&orig) ; stralloc_free(&to) ; stralloc_free(&env) ;
  return ok ;
}

static void finish (send_t *s, uint32_t i)
{
  msg_t *m = msgp(s, i) ;
  char id[UINT64_FMT] ;
  if (m->failed && !m->deleting && !bounce(s, i))
  {
    s->nextbouncetry = time(0) + 60 ;
    return ;  /* the message stays; send_retrybounces tries again */
  }
  m = msgp(s, i) ;
  if (!cleanclient_remove(&s->clean, m->id)) { s->nextbouncetry = time(0) + 60 ; return ; }
  /* the message is gone, so its failure texts are no longer needed */
  if (queue_path(&s->tmp, "bounce", m->id, s->split)) unlink(s->tmp.s) ;
  id[uint64_fmt(id, m->id)] = 0 ;
  if (m->deleting) send_log_("delete msg ", id) ;
  send_log_("end msg ", id) ;
  idmap_del(&s->ids, m->id) ;
  m->used = 0 ;
  if (!genalloc_append(uint32_t, &s->freemsgs, &i)) nomem() ;
}

/* Messages whose every recipient is done but whose bounce or removal failed earlier. */
void send_retrybounces (send_t *s, uint64_t now)
{
  size_t n = genalloc_len(msg_t, &s->msgs) ;
  if (!s->nextbouncetry || now < s->nextbouncetry) return ;
  s->nextbouncetry = 0 ;
  for (uint32_t i = 0 ; i < n ; i++)
  {
    msg_t *m = msgp(s, i) ;
    if (m->used && ((!m->pending[0] && !m->pending[1]) || m->deleting) && !m->inflight[0] && !m->inflight[1]) finish(s, i) ;
  }
}

/* Both next-try times, through qmail-clean: QUEUE_HOLD holds the message. */
static int settimes (send_t *s, msg_t const *m, uint64_t t)
{
  queuehdr_t h ;
  return readhdr(s, m->id, &h)
    && cleanclient_writetime(&s->clean, 'm', m->id, h.nextlocaloff, t)
    && cleanclient_writetime(&s->clean, 'm', m->id, h.nextremoteoff, t)
    && cleanclient_sync(&s->clean, 'm', m->id) ;
}

void send_control (send_t *s, char cmd, uint64_t id)
{
  char fmt[UINT64_FMT] ;
  uint64_t now = time(0) ;
  uint32_t i ;
  msg_t *m ;
  fmt[uint64_fmt(fmt, id)] = 0 ;
  if (cmd == 'f' && !id)
  {
    send_log_("flush: retrying every message now") ;
    heap_allnow(&s->ch[0].heap) ;
    heap_allnow(&s->ch[1].heap) ;
    return ;
  }
  if (!idmap_get(&s->ids, id, &i)) { send_log_("warning: qmail-qctl: no msg ", fmt) ; return ; }
  m = msgp(s, i) ;
  switch (cmd)
  {
    case 'd' :
      m->deleting = 1 ;
      if (!m->inflight[0] && !m->inflight[1]) finish(s, i) ;
      else send_log_("delete msg ", fmt, ": after the deliveries in progress") ;
      return ;
    case 'h' :
      if (!settimes(s, m, QUEUE_HOLD)) return ;
      m->held = 1 ;
      send_log_("hold msg ", fmt) ;
      return ;
    case 'r' :
      if (!settimes(s, m, now)) return ;
      m->held = 0 ;
      send_log_("release msg ", fmt) ;
      break ;
    case 'f' :
      if (m->held) { send_log_("warning: qmail-qctl: msg ", fmt, " is held: release it first") ; return ; }
      send_log_("flush msg ", fmt) ;
      break ;
    default : return ;
  }
  for (int c = 0 ; c < 2 ; c++)
    if (m->pending[c])
    {
      if (!heap_push(&s->ch[c].heap, 0, i)) nomem() ;  /* a stale entry, if any, is skipped */
      m->waiting[c] = 1 ;
    }
}
