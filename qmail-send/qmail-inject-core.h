/* qmail-inject-core.h: qmail-inject's header rewriting (qmail-header(5)), apart from its I/O so
   that tests/unit/inject.c can drive it. Addresses are in the internal form of lib/address.h. */
#ifndef QM_INJECT_CORE_H
#define QM_INJECT_CORE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include "addrlist.h"

/* The hosts of the rewriting rules; defaulthost is already qualified (inject_qualify). */
typedef struct inject_hosts_s inject_hosts_t, *inject_hosts_t_ref ;
struct inject_hosts_s
{
  char const *defaulthost ;
  char const *defaultdomain ;
  char const *plusdomain ;
} ;

/* QMAILINJECT letters that change the header (the others, r and m, change the sender) */
#define INJECT_DELFROM 1    /* f: delete any From */
#define INJECT_DELMSGID 2   /* i: delete any Message-ID */

/* fields seen, as bits of inject_t.seen */
#define INJECT_SEEN_DATE 0x1
#define INJECT_SEEN_MSGID 0x2
#define INJECT_SEEN_FROM 0x4
#define INJECT_SEEN_TOCC 0x8
#define INJECT_SEEN_MFT 0x10
#define INJECT_SEEN_RESENT 0x20   /* any Resent- field: the message is resent */
#define INJECT_SEEN_RDATE 0x40
#define INJECT_SEEN_RMSGID 0x80
#define INJECT_SEEN_RFROM 0x100
#define INJECT_SEEN_RTOCC 0x200
#define INJECT_SEEN_RETURNPATH 0x400

/* Address lists below hold internal addresses, each followed by a NUL. */
typedef struct inject_s inject_t, *inject_t_ref ;
struct inject_s
{
  inject_hosts_t hosts ;
  unsigned int flags ;
  unsigned int seen ;
  stralloc header ;       /* the kept fields, rewritten, each ending in its newline */
  stralloc rcpts ;        /* To, Cc, Bcc, Apparently-To */
  stralloc resentrcpts ;  /* Resent-To, Resent-Cc, Resent-Bcc */
  stralloc tocc ;         /* To and Cc, for Mail-Followup-To */
  stralloc returnpath ;   /* the first Return-Path address, NUL-terminated, if SEEN_RETURNPATH */
  addrlist_t al ;
} ;
#define INJECT_ZERO { .header = STRALLOC_ZERO, .rcpts = STRALLOC_ZERO, .resentrcpts = STRALLOC_ZERO, \
  .tocc = STRALLOC_ZERO, .returnpath = STRALLOC_ZERO, .al = ADDRLIST_ZERO }

/* Length of the field name if line[0..len) starts a header field ("Name:", blanks allowed before
   the colon; printable ASCII names only, as qmail-inject), else 0. */
extern size_t inject_fieldname (char const *line, size_t len) ;

/* Append host[0..len) qualified: "h+" -> "h.plusdomain", no dot -> ".defaultdomain" appended,
   "[literal]" as is. An empty host gives defaulthost. */
extern int inject_qualify (stralloc *sa, char const *host, size_t len, inject_hosts_t const *h) ;

/* Append the rewritten internal form of a (lib/addrlist) with a NUL: "@defaulthost" added to a
   bare local part, the host qualified. The null address "<>" gives "". */
extern int inject_address (stralloc *sa, addrlist_t const *al, addrlist_addr_t const *a, inject_hosts_t const *h) ;

/* Append s[0..len), the field body al was parsed from, with every address rewritten in place:
   source routes dropped, missing commas added, hosts completed and qualified. */
extern int inject_rewrite (stralloc *sa, char const *s, size_t len, addrlist_t const *al, inject_hosts_t const *h) ;

/* One whole header field (continuation lines and line ends included; a missing final newline is
   added). Returns 1, 0 on ENOMEM, or an ADDRLIST_E* syntax error (negative, below -1). */
extern int inject_field (inject_t *ij, char const *field, size_t len) ;
extern void inject_free (inject_t *ij) ;

/* Generated fields, appended to sa with a final "\n". name is the field name. */
extern int inject_datefield (stralloc *sa, char const *name, time_t t) ;
extern int inject_msgidfield (stralloc *sa, char const *name, time_t t, pid_t pid, char const *unique, char const *idhost) ;
/* "Name: Full Name <addr>", or with commentstyle "Name: addr (Full Name)"; fullname may be 0. */
extern int inject_fromfield (stralloc *sa, char const *name, char const *addr, char const *fullname, int commentstyle) ;
/* "Name: a, b, c" from a list of internal addresses, folded before 78 columns. */
extern int inject_listfield (stralloc *sa, char const *name, char const *list, size_t len) ;

/* 1 if the internal address is in the list (case-insensitive, as QMAILMFTFILE is compared). */
extern int inject_inlist (char const *list, size_t len, char const *addr) ;
/* Recipients in order without duplicates: the local parts compared exactly, the domains without
   case. A hash table of offsets into list keeps adding constant time for 100,000 of them. */
typedef struct inject_rcpts_s inject_rcpts_t, *inject_rcpts_t_ref ;
struct inject_rcpts_s
{
  stralloc list ;   /* internal addresses, each NUL-terminated */
  size_t n ;
  size_t *slots ;   /* offset + 1 into list, 0 for a free slot */
  size_t cap ;      /* a power of 2, at least twice n */
} ;
#define INJECT_RCPTS_ZERO { .list = STRALLOC_ZERO, .n = 0, .slots = 0, .cap = 0 }

/* 1 added, 2 already there, 0 on ENOMEM. */
extern int inject_rcpts_add (inject_rcpts_t *r, char const *addr) ;
extern void inject_rcpts_free (inject_rcpts_t *r) ;

/* The envelope sender with QMAILINJECT's VERP letters: m appends "-TIME.PID" to the local part,
   r turns local@host into local-@host-@[] (qmail's per-recipient VERP). "" stays "". */
extern int inject_verp (stralloc *sa, char const *sender, int m, int r, time_t t, pid_t pid) ;

#endif
