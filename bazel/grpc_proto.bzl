"""gls_grpc_proto_library: C++ messages and gRPC stubs for one .proto, offline.

Runs Debian's /usr/bin/protoc with /usr/bin/grpc_cpp_plugin in a genrule, as the
CMake build does, with the repository root as --proto_path, so that
"proto/greeter.proto" yields the headers "proto/greeter.pb.h" and
"proto/greeter.grpc.pb.h" (included under those names).
"""

PROTOC = "/usr/bin/protoc"
GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def gls_grpc_proto_library(name, src, deps = [], visibility = None, **kwargs):
    """Defines <name>_gen (genrule) and <name> (cc_library) for `src`.

    Args:
      name: name of the cc_library.
      src: the .proto file, in the calling package.
      deps: further cc_library deps (e.g. libraries of imported protos).
      visibility: visibility of the cc_library.
      **kwargs: passed to the cc_library.
    """
    if not src.endswith(".proto"):
        fail("src must be a .proto file: " + src)
    base = src[:-len(".proto")]
    outs = [base + ext for ext in [".pb.h", ".pb.cc", ".grpc.pb.h", ".grpc.pb.cc"]]
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = outs,
        # $(GENDIR) is the output root, so proto/x.proto lands in
        # <bin>/proto/x.pb.{h,cc}, i.e. exactly the declared outs.
        cmd = " ".join([
            PROTOC,
            "--proto_path=.",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--plugin=protoc-gen-grpc=" + GRPC_CPP_PLUGIN,
            "$(location %s)" % src,
        ]),
        message = "protoc " + src,
        visibility = visibility,
    )
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc", base + ".grpc.pb.cc"],
        hdrs = [base + ".pb.h", base + ".grpc.pb.h"],
        deps = deps + ["//bazel:grpc"],
        visibility = visibility,
        **kwargs
    )
