/* queuescan.c: the queue tools' reading of the queue (queuescan.h, doc/QUEUE.md). Listing
   reads each file once, keeps its formatted lines, and sorts them at the end, so the output
   is ordered by arrival without holding any header longer than it takes to format it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "date822.h"
#include "exitcode.h"
#include "home.h"
#include "queuescan.h"

void queuescan_chdir (unsigned int *split)
{
  home_chdir() ;
  if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
  if (!queue_split(split)) strerr_diefusys(QX_TEMP, "read queue/split") ;
}

int queuescan_id (char const *s, uint64_t *id)
{
  uint64_t v = 0 ;
  if (s[0] < '1' || s[0] > '9') return 0 ;
  for (size_t i = 0 ; s[i] ; i++)
  {
    unsigned int d = (unsigned char)s[i] - '0' ;
    if (d > 9 || i >= QUEUESCAN_IDMAX || v > (UINT64_MAX - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  *id = v ;
  return 1 ;
}

static int subdir (stralloc *sa, char const *dir, unsigned int sub)
{
  char fmt[UINT_FMT] ;
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_catb(sa, "/", 1)
    && stralloc_catb(sa, fmt, uint_fmt(fmt, sub)) && stralloc_0(sa) ;
}

/* The ids of one subdirectory. 0 only when out of memory. */
static int scandir_ (genalloc *ids, char const *name, unsigned int sub, unsigned int split, unsigned int *bad)
{
  DIR *d = opendir(name) ;
  if (!d) { strerr_warnwusys("open ", name) ; (*bad)++ ; return 1 ; }
  for (;;)
  {
    direntry *e ;
    uint64_t id ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (!queuescan_id(e->d_name, &id)) continue ;
    if (id % split != sub)
    {
      /* nobody would ever deliver it: every program finds a message by its id */
      strerr_warnw(name, "/", e->d_name, " is in the wrong subdirectory") ;
      (*bad)++ ;
      continue ;
    }
    if (!genalloc_append(uint64_t, ids, &id)) { dir_close(d) ; return 0 ; }
  }
  if (errno) { strerr_warnwusys("read ", name) ; (*bad)++ ; }
  dir_close(d) ;
  return 1 ;
}

int queuescan_ids (genalloc *ids, char const *dir, unsigned int split, unsigned int *bad)
{
  stralloc name = STRALLOC_ZERO ;
  int ok = 1 ;
  for (unsigned int sub = 0 ; ok && sub < split ; sub++)
    ok = subdir(&name, dir, sub) && scandir_(ids, name.s, sub, split, bad) ;
  stralloc_free(&name) ;
  return ok ;
}

static int cmp_u64 (void const *a, void const *b)
{
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b ;
  return x < y ? -1 : x > y ;
}

size_t queuescan_uniq (uint64_t *v, size_t n)
{
  size_t out = 0 ;
  if (!n) return 0 ;
  if (n) qsort(v, n, sizeof *v, &cmp_u64) ;
  for (size_t i = 1 ; i < n ; i++)
    if (v[i] != v[out]) v[++out] = v[i] ;
  return out + 1 ;
}

int queuemsg_open (queuemsg_t *m, uint64_t id, unsigned int split, int rw)
{
  struct stat st ;
  int e ;
  queuemsg_close(m) ;
  m->id = id ;
  for (int i = 0 ; i < 2 ; i++)
  {
    m->dir = i ? 'm' : 't' ;
    if (!queue_path(&m->path, i ? "mess" : "todo", id, split)) return 0 ;
    /* O_NONBLOCK: a FIFO planted in the queue must not hang us; it fails S_ISREG below */
    m->fd = open2(m->path.s, (rw ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW) ;
    if (m->fd >= 0 || errno != ENOENT) break ;
  }
  if (m->fd < 0) return 0 ;
  errno = 0 ;   /* queuehdr_read leaves errno alone on a short read */
  if (fstat(m->fd, &st) < 0) goto err ;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL ; goto err ; }
  if (!queuehdr_read(m->fd, &m->hdr, &m->h)) goto err ;
  if ((uint64_t)st.st_size < m->h.bodyoff) { errno = EINVAL ; goto err ; }
  m->size = st.st_size - m->h.bodyoff ;
  return 1 ;
 err:
  e = errno ? errno : EINVAL ;
  queuemsg_close(m) ;
  errno = e ;
  return 0 ;
}

void queuemsg_close (queuemsg_t *m)
{
  if (m->fd >= 0) fd_close(m->fd) ;
  m->fd = -1 ;
}

void queuemsg_free (queuemsg_t *m)
{
  queuemsg_close(m) ;
  stralloc_free(&m->hdr) ;
  stralloc_free(&m->path) ;
}

int queuemsg_held (queuemsg_t const *m)
{
  return m->h.nextlocaloff && m->h.nextremoteoff && m->h.nextlocal == QUEUE_HELD && m->h.nextremote == QUEUE_HELD ;
}

void queuemsg_warn (queuemsg_t const *m)
{
  char const *path = m->path.s ? m->path.s : "a message file" ;
  if (errno == EINVAL) strerr_warnw("damaged message file ", path) ;
  else strerr_warnwusys("read ", path) ;
}

static int cat_printable (stralloc *sa, char const *s)
{
  size_t start = sa->len, len = strlen(s) ;
  if (!stralloc_catb(sa, s, len)) return 0 ;
  for (size_t i = start ; i < sa->len ; i++)
    if ((unsigned char)sa->s[i] < 32 || sa->s[i] == 127) sa->s[i] = '?' ;
  return 1 ;
}

static int cat_u64 (stralloc *sa, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, u)) ;
}

/* RFC 5322 date in UTC; a time no calendar form fits (years past 9999) stays a number. */
static int cat_time (stralloc *sa, uint64_t t)
{
  char buf[DATE822_FMT] ;
  size_t n = (time_t)t >= 0 && (uint64_t)(time_t)t == t ? date822_fmt(buf, (time_t)t) : 0 ;
  return n ? stralloc_catb(sa, buf, n) : cat_u64(sa, t) ;
}

static char const *statename (char state)
{
  switch (state)
  {
    case QUEUE_NEW : return "new" ;
    case QUEUE_LOCAL : return "local" ;
    case QUEUE_REMOTE : return "remote" ;
    case QUEUE_DONE : return "done" ;
    default : return "failed" ;
  }
}

int queuemsg_fmtlist (stralloc *sa, queuemsg_t const *m)
{
  queuercpt_t r ;
  size_t pos = m->h.rcptstart ;
  if (!cat_time(sa, m->h.birth) || !stralloc_cats(sa, " #") || !cat_u64(sa, m->id)
   || !stralloc_catb(sa, " ", 1) || !cat_u64(sa, m->size) || !stralloc_cats(sa, " <")
   || !cat_printable(sa, m->h.sender) || !stralloc_catb(sa, ">", 1)) return 0 ;
  if (queuemsg_held(m) && !stralloc_cats(sa, " held")) return 0 ;
  if (!stralloc_catb(sa, "\n", 1)) return 0 ;
  while (queuehdr_nextrcpt(&m->h, m->hdr.s, &pos, &r))
    if (!stralloc_catb(sa, "\t", 1) || !stralloc_cats(sa, statename(r.state)) || !stralloc_catb(sa, "\t", 1)
     || !cat_printable(sa, r.addr) || !stralloc_catb(sa, "\n", 1)) return 0 ;
  return 1 ;
}

static int cat_field (stralloc *sa, char const *name, char const *value)
{
  return stralloc_cats(sa, name) && stralloc_cats(sa, ": ") && stralloc_cats(sa, value) ;
}

/* "none" for a time never set (0, or no field), else the date */
static int cat_nexttry (stralloc *sa, char const *name, size_t off, uint64_t t)
{
  if (!stralloc_cats(sa, name) || !stralloc_cats(sa, ": ")) return 0 ;
  if (!(off && t ? cat_time(sa, t) : stralloc_cats(sa, "none"))) return 0 ;
  return stralloc_catb(sa, "\n", 1) ;
}

int queuemsg_fmtinfo (stralloc *sa, queuemsg_t const *m)
{
  queuercpt_t r ;
  size_t pos = m->h.rcptstart ;
  if (!stralloc_cats(sa, "id: ") || !cat_u64(sa, m->id) || !stralloc_catb(sa, "\n", 1)
   || !cat_field(sa, "file", m->path.s) || !stralloc_catb(sa, "\n", 1)
   || !stralloc_cats(sa, "arrival: ") || !cat_time(sa, m->h.birth) || !stralloc_catb(sa, "\n", 1)
   || !stralloc_cats(sa, "size: ") || !cat_u64(sa, m->size) || !stralloc_catb(sa, "\n", 1)
   || !stralloc_cats(sa, "from: <") || !cat_printable(sa, m->h.sender) || !stralloc_cats(sa, ">\n")
   || !stralloc_cats(sa, "uid: ") || !cat_u64(sa, m->h.uid) || !stralloc_catb(sa, "\n", 1)
   || !stralloc_cats(sa, "pid: ") || !cat_u64(sa, m->h.pid) || !stralloc_catb(sa, "\n", 1)
   || !cat_field(sa, "held", queuemsg_held(m) ? "yes\n" : "no\n")
   || !cat_nexttry(sa, "next local try", m->h.nextlocaloff, m->h.nextlocal)
   || !cat_nexttry(sa, "next remote try", m->h.nextremoteoff, m->h.nextremote)) return 0 ;
  while (queuehdr_nextrcpt(&m->h, m->hdr.s, &pos, &r))
    if (!cat_field(sa, "recipient", statename(r.state)) || !stralloc_catb(sa, " ", 1)
     || !cat_printable(sa, r.addr) || !stralloc_catb(sa, "\n", 1)) return 0 ;
  return 1 ;
}

int queuemsg_copybody (queuemsg_t const *m, int fd)
{
  char buf[65536] ;
  uint64_t off = m->h.bodyoff ;
  for (;;)
  {
    ssize_t r = pread(m->fd, buf, sizeof buf, off) ;
    if (r < 0 && errno == EINTR) continue ;
    if (r < 0) return 0 ;
    if (!r) return 1 ;
    if (allwrite(fd, buf, r) < (size_t)r) return -1 ;
    off += r ;
  }
}

static int cmp_ent (void const *a, void const *b)
{
  queuelistent_t const *x = a, *y = b ;
  if (x->birth != y->birth) return x->birth < y->birth ? -1 : 1 ;
  return x->id < y->id ? -1 : x->id > y->id ;
}

int queuelist_scan (queuelist_t *l, unsigned int split, unsigned int *bad)
{
  genalloc ids = GENALLOC_ZERO ;
  queuemsg_t m = QUEUEMSG_ZERO ;
  size_t n ;
  int ok = 0 ;
  /* todo/ before mess/: a message moving between the two reads is seen twice, never missed */
  if (!queuescan_ids(&ids, "todo", split, bad) || !queuescan_ids(&ids, "mess", split, bad)) goto end ;
  n = queuescan_uniq(genalloc_s(uint64_t, &ids), genalloc_len(uint64_t, &ids)) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    queuelistent_t e = { .id = genalloc_s(uint64_t, &ids)[i], .pos = l->text.len } ;
    if (!queuemsg_open(&m, e.id, split, 0))
    {
      if (errno == ENOMEM) goto end ;
      if (errno != ENOENT) { queuemsg_warn(&m) ; (*bad)++ ; }   /* ENOENT: delivered meanwhile */
      continue ;
    }
    e.birth = m.h.birth ;
    if (!queuemsg_fmtlist(&l->text, &m)) goto end ;
    e.len = l->text.len - e.pos ;
    queuemsg_close(&m) ;
    if (!genalloc_append(queuelistent_t, &l->entries, &e)) goto end ;
  }
  if (genalloc_len(queuelistent_t, &l->entries))
    qsort(genalloc_s(queuelistent_t, &l->entries), genalloc_len(queuelistent_t, &l->entries), sizeof(queuelistent_t), &cmp_ent) ;
  ok = 1 ;
 end:
  queuemsg_free(&m) ;
  genalloc_free(uint64_t, &ids) ;
  return ok ;
}

int queuelist_write (queuelist_t const *l, buffer *b)
{
  queuelistent_t const *v = genalloc_s(queuelistent_t, &l->entries) ;
  size_t n = genalloc_len(queuelistent_t, &l->entries) ;
  for (size_t i = 0 ; i < n ; i++)
    if (buffer_put(b, l->text.s + v[i].pos, v[i].len) < (ssize_t)v[i].len) return 0 ;
  return 1 ;
}

void queuelist_free (queuelist_t *l)
{
  stralloc_free(&l->text) ;
  genalloc_free(queuelistent_t, &l->entries) ;
}

int queuescan_list (unsigned int split)
{
  queuelist_t l = QUEUELIST_ZERO ;
  unsigned int bad = 0 ;
  if (!queuelist_scan(&l, split, &bad)) strerr_diefusys(QX_TEMP, "list the queue") ;
  if (!queuelist_write(&l, buffer_1) || !buffer_flush(buffer_1)) strerr_diefusys(QX_TEMP, "write to stdout") ;
  queuelist_free(&l) ;
  return bad ? QX_TEMP : QX_OK ;
}

int queuescan_show (char const *idarg, unsigned int split, unsigned int what)
{
  queuemsg_t m = QUEUEMSG_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  uint64_t id ;
  int r = 1 ;
  if (!queuescan_id(idarg, &id)) strerr_dief(QX_PERM, "malformed message id: ", idarg) ;
  if (!queuemsg_open(&m, id, split, 0))
  {
    if (errno == ENOENT) strerr_dief(QX_PERM, "no message ", idarg, " in the queue") ;
    if (errno == EINVAL) strerr_dief(QX_TEMP, "damaged message file ", m.path.s) ;
    strerr_diefusys(QX_TEMP, "read ", m.path.s ? m.path.s : "the message") ;
  }
  if (what & QUEUESHOW_INFO && !queuemsg_fmtinfo(&sa, &m)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  if (what == (QUEUESHOW_INFO | QUEUESHOW_BODY) && !stralloc_catb(&sa, "\n", 1)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  if (allwrite(1, sa.s, sa.len) < sa.len) strerr_diefusys(QX_TEMP, "write to stdout") ;
  if (what & QUEUESHOW_BODY) r = queuemsg_copybody(&m, 1) ;
  if (!r) strerr_diefusys(QX_TEMP, "read ", m.path.s) ;
  if (r < 0) strerr_diefusys(QX_TEMP, "write to stdout") ;
  stralloc_free(&sa) ;
  queuemsg_free(&m) ;
  return QX_OK ;
}
