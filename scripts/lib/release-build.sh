# The release build a host installs, shared by scripts/package and scripts/reproduce (sourced, not run):
#
#   release_build SOURCE_DIR COMMIT [PRODUCT]   # builds $release_bin/PRODUCT (default consort)
#
# The Swift runtime is linked in (no toolchain on the host); the commit is stamped into it (CConsortBuild), so a node
# reports it in its build measurement (Specs/attestation.md).
#
# The build always runs in one fixed directory, $release_root/src (default /var/tmp/consort-release/src: SOURCE_DIR's
# files are copied there first), and that directory is also remapped to /consort in everything the compilers write.
# The remapping alone is not enough: Swift 6.3 still passes the unmapped path's *length* to the runtime's
# escaping-closure check (`swift_isEscapingClosureAtFileLocation`), and the debug line tables and module hashes differ
# with it, so two builds in directories of different path lengths differ in a few bytes of code.
release_root=${CONSORT_RELEASE_ROOT:-/var/tmp/consort-release}
release_bin=$release_root/src/.build-static/release

# SOURCE_DIR's files (tracked and untracked, not ignored; or every file of an export without .git) replace what the
# build directory held, its build cache kept; when they are the same as last time, nothing is touched (so a second
# build, e.g. of generate-manual, reuses the first one's objects).
release_sync() {
    local dir=$1 target=$release_root/src archive
    mkdir -p "$target"
    archive=$(mktemp "$release_root/source.XXXXXX")
    if git -C "$dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$dir" && while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
            < <(git ls-files -z --cached --others --exclude-standard) | tar --null -T - -cf -) >"$archive"
    else
        tar -C "$dir" --exclude='./.build*' -cf - . >"$archive"
    fi
    local digest
    digest=$(sha256sum "$archive" | cut -d' ' -f1)
    if [ "$digest" != "$(cat "$release_root/source.sha256" 2>/dev/null)" ]; then
        find "$target" -mindepth 1 -maxdepth 1 ! -name .build-static -exec rm -rf {} +
        tar -x -C "$target" -f "$archive"
        echo "$digest" >"$release_root/source.sha256"
    fi
    rm -f "$archive"
    if [ -f "$dir/Package.resolved" ] && ! cmp -s "$dir/Package.resolved" "$target/Package.resolved"; then
        cp "$dir/Package.resolved" "$target/Package.resolved"
    fi
}

release_build() {
    local dir=$1 commit=$2 product=${3:-consort} target=$release_root/src
    release_sync "$dir"
    (cd "$target" && swift build -c release --product "$product" --static-swift-stdlib --scratch-path "$target/.build-static" \
        -Xswiftc -file-prefix-map -Xswiftc "$target=/consort" -Xcc "-ffile-prefix-map=$target=/consort" \
        -Xcc "-DCONSORT_BUILD_COMMIT=\"$commit\"" 2>&1 | tail -n 1)
    # The dependency versions it resolved go back with the source (scripts/reproduce reuses them).
    if [ -f "$target/Package.resolved" ] && [ ! -f "$dir/Package.resolved" ]; then cp "$target/Package.resolved" "$dir/"; fi
}

# Makes a stripped release binary independent of the build's one nondeterministic part, in place: Swift 6.3 writes a
# per-object hash for incremental code generation (section .swift_modhash, never read at run time) that differs from
# build to build, and the linker's build ID hashes it in. The section is zeroed and the build ID set to the SHA-1 of
# the file with both zeroed. Two builds of one commit in $release_root then give the same bytes (scripts/reproduce).
release_normalize() {
    python3 - "$1" <<'PY'
import hashlib, subprocess, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
sections = {}
for line in subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.replace("[ ", "[").split()
    if len(parts) > 6 and parts[1] in (".swift_modhash", ".note.gnu.build-id"):
        sections[parts[1]] = (int(parts[4], 16), int(parts[5], 16))
if ".swift_modhash" in sections:
    offset, size = sections[".swift_modhash"]
    data[offset:offset + size] = bytes(size)
if ".note.gnu.build-id" in sections:
    offset, size = sections[".note.gnu.build-id"]
    # The note: name size, descriptor size, type (4 bytes each), "GNU\0", then the ID.
    start, length = offset + 16, int.from_bytes(data[offset + 4:offset + 8], "little")
    data[start:start + length] = bytes(length)
    data[start:start + length] = hashlib.sha1(data).digest()[:length]
open(path, "wb").write(data)
PY
}
