/*
 * Included first (`-include`) when build_wheelhouse.py compiles floe_extract's C extension for the
 * Glue runtime: binds the dl* calls to the symbol versions every glibc since 2.2.5 exports.
 *
 * glibc 2.34 moved dlopen, dlsym and dlerror from libdl into libc under a new version, GLIBC_2.34,
 * and a build on a newer glibc references that version: such an extension refuses to load on an
 * older glibc, and floe_extract then falls back to the COPY pump's Python loop without a word. The
 * old versions are still exported (libc keeps them for binaries built before 2.34), so binding to
 * them loses nothing here and keeps the extension within manylinux2014 (glibc 2.17), which
 * auditwheel then checks from the symbols themselves. The link adds libdl.so.2, where glibc before
 * 2.34 defines these functions (as `-l:libdl.so.2`: since 2.34, `-ldl` finds an empty libdl.a).
 * https://developers.redhat.com/articles/2021/12/17/why-glibc-234-removed-libpthread
 * https://blog.aurel32.net/glibc-2.34-unstable.html
 * https://peps.python.org/pep-0599/ (manylinux2014: glibc 2.17, libdl.so.2 allowed)
 */
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
