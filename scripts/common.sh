# Shared by the scripts in this folder: installs the Debian 12 packages gls
# needs when they are missing. Source it, then call gls_install_packages.

GLS_CMAKE_PACKAGES="build-essential cmake ninja-build pkg-config libgrpc++-dev
  libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libabsl-dev
  libgtest-dev libbenchmark-dev"
GLS_BAZEL_PACKAGES="bazel-bootstrap bazel-rules-java iproute2"

# gls_install_packages [bazel]: installs what is missing (as root, or through
# sudo). With "bazel", also Bazel 4.2.3 and its Java rules.
gls_install_packages() {
  local wanted="$GLS_CMAKE_PACKAGES"
  [ "${1:-}" = bazel ] && wanted="$wanted $GLS_BAZEL_PACKAGES"
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
