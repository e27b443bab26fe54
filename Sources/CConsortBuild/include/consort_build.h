#ifndef CONSORT_BUILD_H
#define CONSORT_BUILD_H

/// The commit the binary was built from, as the release scripts stamp it (-DCONSORT_BUILD_COMMIT="…"), or "" when
/// the build was not stamped (a developer's `swift build`).
const char *consort_build_commit(void);

#endif
