"""Small macros shared by gls's BUILD.bazel files."""

def gls_cc_test(name, deps = [], **kwargs):
    """A GoogleTest test from <name>.cc, as gls_cc_test() in tests/CMakeLists.txt.

    Links gtest_main from the system and //tests:test_headers (the header-only
    test helpers, which CMake reaches through its include directory). CMake's
    TIMEOUT 300 is Bazel's "moderate".
    """
    native.cc_test(
        name = name,
        srcs = [name + ".cc"],
        deps = deps + [
            "//bazel:gtest_main",
            "//tests:test_headers",
        ],
        timeout = kwargs.pop("timeout", "moderate"),
        **kwargs
    )
