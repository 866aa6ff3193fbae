#!/bin/sh
# Stand-in for the real coverage tools, which Bazel would download.
echo "remote_coverage_tools: coverage is not supported in the offline Bazel build" >&2
exit 1
