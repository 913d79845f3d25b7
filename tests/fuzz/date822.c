/* date822.c: fuzz date822_scan on RFC 5322 dates; a date it accepts, formatted again, scans to
   the same time. The first 8 bytes are also read as a time_t: fmt then scan gives it back. */
#include <string.h>
#include <time.h>
#include "date822.h"
#include "common/fuzz.h"

static void fmtscan (time_t t)
{
  char buf[DATE822_FMT], cbuf[DATE822_CTIME_FMT] ;
  time_t back = 0 ;
  size_t n = date822_fmt(buf, t) ;
  fuzz_assert(n < DATE822_FMT) ;
  if (n)
  {
    if (!date822_scan(buf, n, &back))
    {
      fprintf(stderr, "unable to scan back: %.*s\n", (int)n, buf) ;
      abort() ;
    }
    fuzz_assert(back == t) ;
  }
  n = date822_fmt_local(buf, t) ;
  fuzz_assert(n < DATE822_FMT) ;
  if (n) fuzz_assert(date822_scan(buf, n, &back) && back == t) ;
  fuzz_assert(date822_fmt_ctime(cbuf, t) < DATE822_CTIME_FMT) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  time_t t ;
  if (size >= 8)
  {
    int64_t v ;
    memcpy(&v, data, 8) ;
    fmtscan((time_t)v) ;
  }
  if (date822_scan((char const *)data, size, &t)) fmtscan(t) ;
  return 0 ;
}
