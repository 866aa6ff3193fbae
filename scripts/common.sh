# Shared by the scripts in this folder: installs the Debian 12 packages gls
# needs when they are missing. Source it, then call gls_install_packages
# (and gls_install_node for the JavaScript test peers).

GLS_CMAKE_PACKAGES="build-essential cmake ninja-build pkg-config libgrpc++-dev
  libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libabsl-dev
  libgtest-dev libbenchmark-dev libasio-dev"
GLS_BAZEL_PACKAGES="bazel-bootstrap bazel-rules-java iproute2"
# clang 14 with libFuzzer: libclang-rt-14-dev holds libclang_rt.fuzzer-x86_64.a
# and the sanitizer runtimes (clang-14 only recommends it, indirectly).
GLS_FUZZ_PACKAGES="clang libclang-rt-14-dev"
# The API reference: Doxygen, and python3 for its input filter.
GLS_DOCS_PACKAGES="doxygen python3"
# scripts/bench.sh: matplotlib draws benchmarks/growth.png, valgrind's
# callgrind counts instructions (benchmarks/count_instructions.py).
GLS_BENCH_PACKAGES="python3 python3-matplotlib valgrind"

# gls_install_packages [bazel] [fuzz] [docs] [bench]: installs what is missing (as
# root, or through sudo). With "bazel", also Bazel 4.2.3 and its Java rules;
# with "fuzz", also clang and its libFuzzer and sanitizer runtimes; with
# "docs", also Doxygen; with "bench", also matplotlib and valgrind.
gls_install_packages() {
  local wanted="$GLS_CMAKE_PACKAGES"
  local extra
  for extra in "$@"; do
    case "$extra" in
      bazel) wanted="$wanted $GLS_BAZEL_PACKAGES" ;;
      fuzz) wanted="$wanted $GLS_FUZZ_PACKAGES" ;;
      docs) wanted="$wanted $GLS_DOCS_PACKAGES" ;;
      bench) wanted="$wanted $GLS_BENCH_PACKAGES" ;;
    esac
  done
  local missing=()
  local p
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

# gls_install_node: makes `node` and `npm` available for the JavaScript test
# peers (tests/otel_interop): Debian's nodejs and npm when either is missing.
gls_install_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then
    return 0
  fi
  echo "== installing Debian packages: nodejs npm"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    --no-install-recommends nodejs npm
}
