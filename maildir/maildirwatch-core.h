/* maildirwatch-core.h: the message summary of maildirwatch, apart so that unit tests reach it. */
#ifndef QM_MAILDIRWATCH_CORE_H
#define QM_MAILDIRWATCH_CORE_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* Append "Name: value\n" for the header field name (matched case-insensitively) in the message
   head h[0..len), which ends at the first empty line: the value unfolded, a tab shown as a blank
   and any other control character as '?' (so no escape sequence reaches the terminal), the line
   cut to width characters (UTF-8 aware). 1 if found, 0 if absent (out unchanged), -1 no memory. */
extern int maildirwatch_field (stralloc *out, char const *h, size_t len, char const *name, size_t width) ;

#endif
