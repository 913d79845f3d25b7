/* cleanclient.c: requests to qmail-clean (lib/cleanclient.h). */
#include <errno.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/skamisc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "cleanclient.h"
#include "exitcode.h"
#include "queue.h"

void cleanclient_init (cleanclient_t *c, int wfd, int rfd)
{
  c->wfd = wfd ;
  buffer_init(&c->in, &fd_readv, rfd, c->inbuf, sizeof c->inbuf) ;
}

static int cat_id (stralloc *sa, char op, char dir, uint64_t id)
{
  char fmt[UINT64_FMT] ;
  sa->len = 0 ;
  return stralloc_catb(sa, &op, 1) && (!dir || stralloc_catb(sa, &dir, 1))
    && stralloc_catb(sa, " ", 1) && stralloc_catb(sa, fmt, uint64_fmt(fmt, id)) ;
}

/* Send c->req plus a newline; wait for the answer line. */
static int transact (cleanclient_t *c)
{
  if (!stralloc_catb(&c->req, "\n", 1)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  if (allwrite(c->wfd, c->req.s, c->req.len) < c->req.len) strerr_diefusys(QX_TEMP, "write to qmail-clean") ;
  c->ans.len = 0 ;
  if (skagetln(&c->in, &c->ans, '\n') <= 0) strerr_diefusys(QX_TEMP, "read from qmail-clean") ;
  c->ans.s[c->ans.len - 1] = 0 ;
  if (c->ans.s[0] == '+') return 1 ;
  c->req.s[c->req.len - 1] = 0 ;
  strerr_warnw("qmail-clean refused \"", c->req.s, "\": ", c->ans.s + 1) ;
  return 0 ;
}

int cleanclient_write (cleanclient_t *c, char dir, uint64_t id, uint64_t off, char const *bytes, size_t len)
{
  char fmt[UINT64_FMT] ;
  if (!cat_id(&c->req, 'w', dir, id) || !stralloc_catb(&c->req, " ", 1)
   || !stralloc_catb(&c->req, fmt, uint64_fmt(fmt, off)) || !stralloc_catb(&c->req, " ", 1)
   || !stralloc_catb(&c->req, bytes, len)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  return transact(c) ;
}

int cleanclient_writetime (cleanclient_t *c, char dir, uint64_t id, uint64_t off, uint64_t t)
{
  char fixed[QUEUE_NUMLEN] ;
  for (int i = QUEUE_NUMLEN - 1 ; i >= 0 ; i--, t /= 10) fixed[i] = '0' + t % 10 ;
  return cleanclient_write(c, dir, id, off, fixed, QUEUE_NUMLEN) ;
}

int cleanclient_sync (cleanclient_t *c, char dir, uint64_t id)
{
  if (!cat_id(&c->req, 's', dir, id)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  return transact(c) ;
}

int cleanclient_move (cleanclient_t *c, uint64_t id)
{
  if (!cat_id(&c->req, 'm', 0, id)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  return transact(c) ;
}

int cleanclient_remove (cleanclient_t *c, uint64_t id)
{
  if (!cat_id(&c->req, 'r', 0, id)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  return transact(c) ;
}

int cleanclient_pidclean (cleanclient_t *c)
{
  c->req.len = 0 ;
  if (!stralloc_catb(&c->req, "p", 1)) strerr_diefusys(QX_TEMP, "build request to qmail-clean") ;
  return transact(c) ;
}
