# The release build a host installs, shared by scripts/package and scripts/reproduce (sourced, not run):
#
#   release_build SOURCE_DIR COMMIT [PRODUCT]   # builds SOURCE_DIR/.build-static/release/PRODUCT (default consort)
#
# The Swift runtime is linked in (no toolchain on the host); the source directory is remapped to /consort in
# everything the compilers write, so the binary does not depend on where it was built; the commit is stamped into
# it (CConsortBuild), so a node reports it in its build measurement (Specs/attestation.md).
release_build() {
    local dir=$1 commit=$2 product=${3:-consort}
    (cd "$dir" && swift build -c release --product "$product" --static-swift-stdlib --scratch-path "$dir/.build-static" \
        -Xswiftc -file-prefix-map -Xswiftc "$dir=/consort" -Xcc "-ffile-prefix-map=$dir=/consort" \
        -Xcc "-DCONSORT_BUILD_COMMIT=\"$commit\"" 2>&1 | tail -n 1)
}
