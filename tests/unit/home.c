/* Unit tests of lib/home.c: QMAILHOME overrides the configured home when ids agree. */
#include <stdlib.h>
#include <unistd.h>
#include "home.h"
#include "../tap.h"

int main (int argc, char const *const *argv)
{
  char const *dflt ;
  (void)argv ;
  if (argc > 1)  /* "print": used by tests/build.t to run this binary setuid */
  {
    printf("%s\n", home_dir()) ;
    return 0 ;
  }
  unsetenv("QMAILHOME") ;
  ok(home_env_trusted(), "environment trusted when real and effective ids agree") ;
  dflt = home_dir() ;
  ok(dflt[0] == '/', "configured home is absolute") ;
  setenv("QMAILHOME", "/tmp/instance", 1) ;
  is_str(home_dir(), "/tmp/instance", "QMAILHOME overrides") ;
  setenv("QMAILHOME", "", 1) ;
  is_str(home_dir(), dflt, "empty QMAILHOME is ignored") ;
  setenv("QMAILHOME", "/", 1) ;
  home_chdir() ;
  {
    char buf[8] ;
    ok(getcwd(buf, sizeof buf) && buf[0] == '/' && !buf[1], "home_chdir goes there") ;
  }
  return tap_done() ;
}
