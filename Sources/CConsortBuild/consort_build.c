#include "consort_build.h"

// A C macro because SwiftPM has no build-time value for Swift code: scripts/package and scripts/reproduce pass
// -Xcc -DCONSORT_BUILD_COMMIT="<40 hex digits>"; the flag is part of the build's command lines, so a new commit
// rebuilds this file, and two builds of one commit embed the same string.
#ifndef CONSORT_BUILD_COMMIT
#define CONSORT_BUILD_COMMIT ""
#endif

const char *consort_build_commit(void) { return CONSORT_BUILD_COMMIT; }
