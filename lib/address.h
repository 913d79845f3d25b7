/* address.h: envelope addresses (RFC 5321 §4.1.2, §4.5.3.1; RFC 6531 for SMTPUTF8).
   Internally, as in qmail, an address is "local@domain" with the local part unquoted (no
   quotes, no quoted-pairs), split at the LAST '@'; an address without '@' is a local part alone;
   the null sender is the empty string. address_parse reads a MAIL/RCPT argument into that form,
   address_quote writes it back in wire form: quote(parse(x)) is the canonical form of x. */
#ifndef QM_ADDRESS_H
#define QM_ADDRESS_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* RFC 5321 §4.5.3.1, in octets of the wire form */
#define ADDRESS_LOCALMAX 64
#define ADDRESS_DOMAINMAX 255
#define ADDRESS_PATHMAX 256    /* from '<' to '>' inclusive, source route included */

/* flags for address_parse */
#define ADDRESS_ALLOWNULL 1    /* "<>" is accepted (MAIL FROM) */
#define ADDRESS_ALLOWBARE 2    /* lenient, as qmail: a mailbox without angle brackets */
#define ADDRESS_SMTPUTF8 4     /* RFC 6531: UTF-8 in local part and domain labels */

typedef enum address_err_e address_err_t ;
enum address_err_e
{
  ADDRESS_OK = 0,
  ADDRESS_SYNTAX,          /* malformed path: brackets, dots, labels, stray characters */
  ADDRESS_LITERAL,         /* [...] that is not a valid IPv4 or IPv6 address literal */
  ADDRESS_NULLNOTALLOWED,  /* "<>" without ADDRESS_ALLOWNULL */
  ADDRESS_8BIT,            /* a byte >= 0x80 without ADDRESS_SMTPUTF8 */
  ADDRESS_BADUTF8,         /* with ADDRESS_SMTPUTF8: bytes that are not well-formed UTF-8 */
  ADDRESS_LOCALTOOLONG,    /* local part over ADDRESS_LOCALMAX */
  ADDRESS_DOMAINTOOLONG,   /* domain over ADDRESS_DOMAINMAX */
  ADDRESS_PATHTOOLONG,     /* path over ADDRESS_PATHMAX */
  ADDRESS_NOMEM            /* allocation failed, errno set: a temporary error */
} ;

/* Parse s[0..len) = the argument after "MAIL FROM:" or "RCPT TO:" (the caller strips CRLF):
   spaces, "<" [route ":"] mailbox ">" or "<>", then the end or spaces and ESMTP parameters.
   On ADDRESS_OK, sa holds the internal address, NUL-terminated, sa->len not counting the NUL,
   and *params is the offset of the first parameter (len if there is none). Syntax errors come
   before length errors. On error sa->len is 0 and *params is untouched. */
extern address_err_t address_parse (stralloc *sa, size_t *params, char const *s, size_t len, unsigned int flags) ;
extern char const *address_errstr (address_err_t e) ;

/* Append the wire form of the internal address s[0..len) to sa, without angle brackets: the
   local part as a Dot-string when it is one, else as a Quoted-string with '"' and '\' escaped;
   the domain as is. 1 on success; 0 with errno ENOMEM, or EINVAL when the local part holds a
   byte no SMTP local part can carry (controls, DEL); sa is unchanged on failure. */
extern int address_quote (stralloc *sa, char const *s, size_t len) ;
/* 1 if s[0..len) is a Dot-string (RFC 5321 §4.1.2; bytes >= 0x80 count as atext) */
extern int address_isdotstring (char const *s, size_t len) ;

/* Split at the last '@'. Returns the length of the local part; *domain and *domainlen get the
   domain, or 0 and 0 when there is no '@'. */
extern size_t address_split (char const *s, size_t len, char const **domain, size_t *domainlen) ;
/* Lowercase the ASCII letters of the domain part in place; the local part keeps its case. */
extern void address_lowerdomain (char *s, size_t len) ;
/* 1 if the two domains are equal ignoring ASCII case (other bytes compare exactly) */
extern int address_domainequal (char const *a, size_t alen, char const *b, size_t blen) ;

#endif
