lib/exitcode.o: lib/exitcode.c lib/exitcode.h
lib/exitcode.h:
