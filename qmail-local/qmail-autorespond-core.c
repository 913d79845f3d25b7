/* qmail-autorespond-core.c: RFC 3834 decisions, the per-sender limit and the reply's header
   (see the header). */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <skalibs/bytestr.h>
#include <skalibs/fmtscan.h>
#include <skalibs/sha256.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "address.h"
#include "addrlist.h"
#include "date822.h"
#include "qmail-autorespond-core.h"

#define REFERENCES_MAX 4000   /* a longer References is left out, not copied (RFC 5322 3.6.4 allows trimming) */

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' ;
}

/* 1 if s[0..len) is w, ASCII case ignored */
static int equalci (char const *s, size_t len, char const *w)
{
  return strlen(w) == len && !strncasecmp(s, w, len) ;
}

static void trim (char const **s, size_t *len)
{
  while (*len && isblank_(**s)) { (*s)++ ; (*len)-- ; }
  while (*len && isblank_((*s)[*len - 1])) (*len)-- ;
}

/* Where the colon is if the line s[0..end) starts a field ("Name:", blanks allowed before the
   colon, printable ASCII names), else 0. */
static size_t colonat (char const *s, size_t end)
{
  size_t n = 0, i ;
  while (n < end && (unsigned char)s[n] > 32 && (unsigned char)s[n] < 127 && s[n] != ':') n++ ;
  for (i = n ; i < end && (s[i] == ' ' || s[i] == '\t') ; i++) ;
  return n && i < end && s[i] == ':' ? i : 0 ;
}

static int isemptyline (char const *s, size_t len)
{
  return len && (s[0] == '\n' || (s[0] == '\r' && len > 1 && s[1] == '\n')) ;
}

int autoresp_nextfield (char const *h, size_t len, size_t *pos, autoresp_field_t *f)
{
  size_t i = *pos ;
  while (i < len && !isemptyline(h + i, len - i))
  {
    size_t start = i, end = i, colon ;
    for (;;)
    {
      while (end < len && h[end] != '\n') end++ ;
      if (end + 1 < len && (h[end + 1] == ' ' || h[end + 1] == '\t')) { end++ ; continue ; }
      break ;
    }
    i = end < len ? end + 1 : len ;
    colon = colonat(h + start, end - start) ;
    if (!colon) continue ;
    f->name = h + start ;
    for (f->namelen = 0 ; h[start + f->namelen] != ':' && h[start + f->namelen] != ' ' && h[start + f->namelen] != '\t' ; f->namelen++) ;
    f->value = h + start + colon + 1 ;
    f->valuelen = end - start - colon - 1 ;
    *pos = i ;
    return 1 ;
  }
  *pos = i ;
  return 0 ;
}

char const *autoresp_whystr (autoresp_why_t why)
{
  switch (why)
  {
    case AUTORESP_YES: return "answer" ;
    case AUTORESP_NULLSENDER: return "null sender (a bounce)" ;
    case AUTORESP_BADSENDER: return "unusable sender address" ;
    case AUTORESP_ROBOT: return "the sender is a mailer or list robot" ;
    case AUTORESP_SELF: return "the sender is the recipient itself" ;
    case AUTORESP_XLOOP: return "X-Loop names the recipient (loop)" ;
    case AUTORESP_DELIVERED: return "Delivered-To names the recipient (loop)" ;
    case AUTORESP_AUTOSUBMITTED: return "Auto-Submitted other than no" ;
    case AUTORESP_PRECEDENCE: return "Precedence bulk, list or junk" ;
    case AUTORESP_LIST: return "a mailing list header field" ;
    case AUTORESP_NOTADDRESSED: return "the recipient is not in To, Cc, Bcc or Resent-*" ;
  }
  return "unknown reason" ;
}

static int isown (char const *addr, size_t len, autoresp_rcpt_t const *rc, size_t upto)
{
  for (size_t i = 0 ; i < upto && i < rc->n ; i++)
    if (equalci(addr, len, rc->addrs[i])) return 1 ;
  return 0 ;
}

/* RFC 3834 section 2 names owner-*, *-request and MAILER-DAEMON; the rest are list robots. */
static int isrobot (char const *local, size_t len)
{
  static char const *const names[] = { "mailer-daemon", "postmaster", "listserv", "majordomo", 0 } ;
  for (unsigned int i = 0 ; names[i] ; i++)
    if (equalci(local, len, names[i])) return 1 ;
  return (len >= 6 && !strncasecmp(local, "owner-", 6))
      || (len >= 6 && !strncasecmp(local + len - 6, "-owner", 6))
      || (len >= 8 && !strncasecmp(local + len - 8, "-request", 8)) ;
}

static int sendercheck (char const *sender, autoresp_rcpt_t const *rc)
{
  size_t len = strlen(sender), local, dlen ;
  char const *domain ;
  if (!len || !strcmp(sender, "#@[]")) return AUTORESP_NULLSENDER ;
  for (size_t i = 0 ; i < len ; i++)
    if ((unsigned char)sender[i] < 32 || sender[i] == 127) return AUTORESP_BADSENDER ;
  local = address_split(sender, len, &domain, &dlen) ;
  if (!domain || !local || !dlen) return AUTORESP_BADSENDER ;
  if (isrobot(sender, local)) return AUTORESP_ROBOT ;
  if (isown(sender, len, rc, rc->n)) return AUTORESP_SELF ;
  return AUTORESP_YES ;
}

/* 1 if the address list in the field names one of the first upto addresses, 0 if not (or if
   it does not parse), -1 on ENOMEM. */
static int namesown (addrlist_t *al, autoresp_field_t const *f, autoresp_rcpt_t const *rc, size_t upto)
{
  if (addrlist_parse(al, f->value, f->valuelen) == ADDRLIST_ENOMEM) return -1 ;
  for (size_t i = 0 ; i < addrlist_n(al) ; i++)
  {
    addrlist_addr_t const *a = addrlist_get(al, i) ;
    if (isown(addrlist_textof(al, a), a->textlen, rc, upto)) return 1 ;
  }
  return 0 ;
}

/* The first word of a structured value: after blanks and (nested) comments, up to a blank,
   "(" or ";". Enough for Auto-Submitted (RFC 3834 section 5) and Precedence. */
static void firstword (char const *s, size_t len, char const **w, size_t *wlen)
{
  size_t i = 0, depth = 0, start ;
  while (i < len)
  {
    if (depth)
    {
      if (s[i] == '\\' && i + 1 < len) i++ ;
      else if (s[i] == '(') depth++ ;
      else if (s[i] == ')') depth-- ;
    }
    else if (s[i] == '(') depth++ ;
    else if (!isblank_(s[i])) break ;
    i++ ;
  }
  start = i ;
  while (i < len && !isblank_(s[i]) && s[i] != '(' && s[i] != ';') i++ ;
  *w = s + start ;
  *wlen = i - start ;
}

static int fieldcheck (addrlist_t *al, autoresp_field_t const *f, autoresp_rcpt_t const *rc, int *addressed)
{
  static char const *const rcptfields[] = { "To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc", 0 } ;
  char const *w ;
  size_t wlen ;
  int r ;
  if ((f->namelen > 5 && !strncasecmp(f->name, "List-", 5)) || equalci(f->name, f->namelen, "Mailing-List"))
    return AUTORESP_LIST ;
  if (equalci(f->name, f->namelen, "Auto-Submitted"))
  {
    firstword(f->value, f->valuelen, &w, &wlen) ;
    return equalci(w, wlen, "no") ? AUTORESP_YES : AUTORESP_AUTOSUBMITTED ;
  }
  if (equalci(f->name, f->namelen, "Precedence"))
  {
    firstword(f->value, f->valuelen, &w, &wlen) ;
    return equalci(w, wlen, "bulk") || equalci(w, wlen, "list") || equalci(w, wlen, "junk") ? AUTORESP_PRECEDENCE : AUTORESP_YES ;
  }
  if (equalci(f->name, f->namelen, "X-Loop") || equalci(f->name, f->namelen, "Delivered-To"))
  {
    r = namesown(al, f, rc, rc->nself) ;
    if (r <= 0) return r ;
    return f->namelen == 6 ? AUTORESP_XLOOP : AUTORESP_DELIVERED ;
  }
  if (*addressed) return AUTORESP_YES ;
  for (unsigned int i = 0 ; rcptfields[i] ; i++)
    if (equalci(f->name, f->namelen, rcptfields[i]))
    {
      r = namesown(al, f, rc, rc->n) ;
      if (r < 0) return r ;
      *addressed = r ;
      break ;
    }
  return AUTORESP_YES ;
}

int autoresp_decide (char const *hdr, size_t len, char const *sender, autoresp_rcpt_t const *rc)
{
  addrlist_t al = ADDRLIST_ZERO ;
  autoresp_field_t f ;
  size_t pos = 0 ;
  int addressed = rc->anyrcpt ;
  int why = sendercheck(sender, rc) ;
  while (!why && autoresp_nextfield(hdr, len, &pos, &f))
    why = fieldcheck(&al, &f, rc, &addressed) ;
  addrlist_free(&al) ;
  if (!why && !addressed) why = AUTORESP_NOTADDRESSED ;
  return why ;
}

int autoresp_ratelimit (unsigned long *count, time_t *start, time_t now, unsigned long secs, unsigned long max)
{
  int open = *count && *start <= now && (unsigned long long)(now - *start) < secs ;
  if (!open)
  {
    *count = 1 ;
    *start = now ;
    return 1 ;
  }
  if (*count >= max) return 0 ;
  (*count)++ ;
  return 1 ;
}

void autoresp_statename (char *name, char const *addr)
{
  SHA256Schedule ctx = SHA256_INIT() ;
  char digest[32], buf[64] ;
  size_t len = strlen(addr) ;
  while (len)
  {
    size_t n = len < sizeof buf ? len : sizeof buf ;
    memcpy(buf, addr, n) ;
    case_lowerb(buf, n) ;
    sha256_update(&ctx, buf, n) ;
    addr += n ;
    len -= n ;
  }
  sha256_final(&ctx, digest) ;
  name[ucharn_fmt(name, digest, sizeof digest)] = 0 ;
}

int autoresp_statefmt (stralloc *sa, unsigned long count, char const *addr)
{
  char fmt[ULONG_FMT] ;
  size_t at ;
  if (!stralloc_catb(sa, fmt, ulong_fmt(fmt, count)) || !stralloc_catb(sa, "\n", 1)) return 0 ;
  at = sa->len ;
  if (!stralloc_cats(sa, addr) || !stralloc_catb(sa, "\n", 1)) return 0 ;
  for (; at < sa->len - 1 ; at++) if (sa->s[at] == '\n') sa->s[at] = '_' ;
  return 1 ;
}

unsigned long autoresp_statecount (char const *s, size_t len)
{
  unsigned long v = 0 ;
  size_t i = 0 ;
  for (; i < len && s[i] != '\n' ; i++)
  {
    unsigned int d = (unsigned char)s[i] - '0' ;
    if (d > 9 || v > (~0UL - d) / 10) return 1 ;
    v = v * 10 + d ;
  }
  return i ? v : 1 ;
}

size_t autoresp_textsplit (char const *s, size_t len, size_t *hdrlen)
{
  size_t i = 0, e = 0 ;
  *hdrlen = 0 ;
  while (e < len && s[e] != '\n') e++ ;
  if (!colonat(s, e)) return 0 ;
  while (i < len)
  {
    if (isemptyline(s + i, len - i))
    {
      *hdrlen = i ;
      e = i + (s[i] == '\r') ;
      return e < len ? e + 1 : len ;
    }
    for (e = i ; e < len && s[e] != '\n' ; e++) ;
    i = e < len ? e + 1 : len ;
  }
  *hdrlen = len ;
  return len ;
}

/* A value without its surrounding blanks and without CRs; folding is kept. */
static int catvalue (stralloc *sa, char const *v, size_t len)
{
  trim(&v, &len) ;
  for (size_t i = 0 ; i < len ; i++)
    if (v[i] != '\r' && !stralloc_catb(sa, v + i, 1)) return 0 ;
  return 1 ;
}

static int cataddrfield (stralloc *sa, char const *name, char const *addr)
{
  return stralloc_cats(sa, name) && address_quote(sa, addr, strlen(addr)) && stralloc_catb(sa, "\n", 1) ;
}

/* The first "<...>" of s[0..len), brackets included, if nothing blank or '<' is inside; *n
   counts the '<' in s. */
static int findmsgid (char const *s, size_t len, char const **id, size_t *idlen, size_t *n)
{
  size_t i = 0, j ;
  *n = 0 ;
  for (j = 0 ; j < len ; j++) if (s[j] == '<') (*n)++ ;
  while (i < len && s[i] != '<') i++ ;
  for (j = i + 1 ; j < len && s[j] != '>' ; j++)
    if (isblank_(s[j]) || s[j] == '<') return 0 ;
  if (j >= len || j == i + 1) return 0 ;
  *id = s + i ;
  *idlen = j + 1 - i ;
  return 1 ;
}

static int subjectfield (stralloc *sa, autoresp_field_t const *subj)
{
  char const *v = subj->value ;
  size_t len = subj->valuelen ;
  if (v) trim(&v, &len) ;
  if (!v || !len) return stralloc_cats(sa, "Subject: Re: your message\n") ;
  return stralloc_cats(sa, len >= 3 && !strncasecmp(v, "re:", 3) ? "Subject: " : "Subject: Re: ")
      && catvalue(sa, v, len) && stralloc_catb(sa, "\n", 1) ;
}

static int datefields (stralloc *sa, autoresp_reply_t const *r)
{
  char date[DATE822_FMT], fmt[UINT64_FMT] ;
  size_t n = date822_fmt_local(date, r->now), dlen ;
  char const *domain ;
  if (!n) return 0 ;
  address_split(r->from, strlen(r->from), &domain, &dlen) ;
  if (!stralloc_cats(sa, "Date: ") || !stralloc_catb(sa, date, n)
   || !stralloc_cats(sa, "\nMessage-ID: <") || !stralloc_catb(sa, fmt, uint64_fmt(fmt, (uint64_t)r->now))
   || !stralloc_catb(sa, ".", 1) || !stralloc_catb(sa, fmt, pid_fmt(fmt, r->pid))
   || !stralloc_cats(sa, ".qmail-autorespond@")
   || !(dlen ? stralloc_catb(sa, domain, dlen) : stralloc_cats(sa, "localhost"))
   || !stralloc_cats(sa, ">\n")) return 0 ;
  return 1 ;
}

/* In-Reply-To: the original's Message-ID; References: its References (or its In-Reply-To
   when that holds one identifier) followed by its Message-ID (RFC 5322 3.6.4). */
static int threadfields (stralloc *sa, autoresp_field_t const *o)
{
  char const *id = 0, *prev = 0, *x ;
  size_t idlen = 0, prevlen = 0, n, xlen ;
  if (o[1].value) findmsgid(o[1].value, o[1].valuelen, &id, &idlen, &n) ;
  if (o[2].value) { prev = o[2].value ; prevlen = o[2].valuelen ; }
  else if (o[3].value && findmsgid(o[3].value, o[3].valuelen, &x, &xlen, &n) && n == 1) { prev = x ; prevlen = xlen ; }
  if (prev) trim(&prev, &prevlen) ;
  if (prevlen > REFERENCES_MAX) prevlen = 0 ;
  if (id && (!stralloc_cats(sa, "In-Reply-To: ") || !stralloc_catb(sa, id, idlen) || !stralloc_catb(sa, "\n", 1))) return 0 ;
  if (!id && !prevlen) return 1 ;
  return stralloc_cats(sa, "References: ") && catvalue(sa, prev, prevlen)
      && (!prevlen || !id || stralloc_cats(sa, "\n "))
      && (!id || stralloc_catb(sa, id, idlen)) && stralloc_catb(sa, "\n", 1) ;
}

/* Fields of the response text that the reply generates or must not carry. */
static int isdropped (autoresp_field_t const *f)
{
  static char const *const names[] = { "To", "Cc", "Bcc", "Date", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "X-Loop", "Return-Path", "Delivered-To", 0 } ;
  for (unsigned int i = 0 ; names[i] ; i++)
    if (equalci(f->name, f->namelen, names[i])) return 1 ;
  return 0 ;
}

int autoresp_header (stralloc *sa, char const *orig, size_t origlen, char const *text, size_t textlen, autoresp_reply_t const *r)
{
  static char const *const onames[4] = { "Subject", "Message-ID", "References", "In-Reply-To" } ;
  autoresp_field_t o[4] = { { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } }, f ;
  size_t pos = 0, start = sa->len ;
  int textfrom = 0, textsubject = 0 ;
  while (autoresp_nextfield(orig, origlen, &pos, &f))
    for (unsigned int k = 0 ; k < 4 ; k++)
      if (!o[k].name && equalci(f.name, f.namelen, onames[k])) o[k] = f ;
  for (pos = 0 ; autoresp_nextfield(text, textlen, &pos, &f) ; )
  {
    if (equalci(f.name, f.namelen, "From")) textfrom = 1 ;
    if (equalci(f.name, f.namelen, "Subject")) textsubject = 1 ;
  }
  if ((!textfrom && !cataddrfield(sa, "From: ", r->from))
   || !cataddrfield(sa, "To: ", r->to)
   || (!textsubject && !subjectfield(sa, &o[0]))
   || !datefields(sa, r) || !threadfields(sa, o)
   || !stralloc_cats(sa, "Auto-Submitted: auto-replied\n")
   || !cataddrfield(sa, "X-Loop: ", r->from)) goto err ;
  for (pos = 0 ; autoresp_nextfield(text, textlen, &pos, &f) ; )
    if (!isdropped(&f) && (!stralloc_catb(sa, f.name, f.value + f.valuelen - f.name) || !stralloc_catb(sa, "\n", 1))) goto err ;
  if (stralloc_catb(sa, "\n", 1)) return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}
