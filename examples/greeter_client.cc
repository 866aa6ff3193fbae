// The example greeter client: sends SayHello with the metadata a caller in a
// Kitex-style chain carries, then prints, as a table, what each hop received
// (the front's own Hop first, then the middle's and the leaf's for each path
// the front took), and the backward values the response brought back
// (gls::client::ReceivedBackwardValues: this client has no session).
//
//   greeter_client --target=127.0.0.1:PORT --tenant=acme --hop=edge
//                  --authorization="Bearer secret"    (one command line)
//
// --slow sends a request named "slow" (the example leaf works on it for
// seconds unless cancelled) and prints one line: how the call ended and
// after how long, e.g. "DEADLINE_EXCEEDED after 301 ms" with
// --deadline_ms=300. It exits 0 if the call ended OK or DEADLINE_EXCEEDED.
//
// It also sends the W3C context an OpenTelemetry caller would
// (--traceparent, --tracestate, --baggage; an empty flag sends none): the
// table's "trace-id" column shows the trace id of the traceparent each hop
// received, "baggage" the baggage members it received (key=value as on the
// wire, properties left out).
//
// --binary_header=NAME=BASE64 also sends the binary header NAME (it must end
// in "-bin") with the bytes BASE64 decodes to, e.g.
// --binary_header=rpc-persist-trace-bin=/wD+ sends the bytes ff 00 fe. A hop
// reports a binary value as "base64:" and its base64 (see leaf_greeter.h).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/baggage.h"
#include "gls/session/log.h"
#include "gls/session/trace_context.h"
#include "gls/session/metainfo.h"
#include "proto/greeter.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "front service HOST:PORT");
ABSL_FLAG(std::string, name, "gls", "name to greet");
ABSL_FLAG(std::string, tenant, "acme", "rpc-persist-tenant (persistent)");
ABSL_FLAG(std::string, hop, "edge", "rpc-transit-hop (transient: one hop)");
ABSL_FLAG(std::string, authorization, "Bearer secret",
          "authorization (never forwarded)");
ABSL_FLAG(std::string, binary_header, "",
          "NAME=BASE64: also send binary header NAME (ending in -bin) with the "
          "bytes BASE64 decodes to; empty: none");
ABSL_FLAG(std::string, traceparent,
          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          "W3C traceparent to send; empty: none");
ABSL_FLAG(std::string, tracestate, "congo=t61rcWkgMzE",
          "W3C tracestate to send; empty: none");
ABSL_FLAG(std::string, baggage, "user=alice;pii,tier=gold",
          "W3C baggage to send; empty: none");
ABSL_FLAG(int, deadline_ms, 10000, "the call's deadline, in milliseconds");
ABSL_FLAG(bool, slow, false,
          "send a request named \"slow\" and print how it ended (see above)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string binary_name;
  std::string binary_value;
  if (const std::string flag = absl::GetFlag(FLAGS_binary_header);
      !flag.empty()) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(flag, absl::MaxSplits('=', 1));
    binary_name = parts.first;
    if (!absl::EndsWith(binary_name, "-bin") ||
        !absl::Base64Unescape(parts.second, &binary_value)) {
      std::cerr << "--binary_header: want NAME-bin=BASE64, got "
                << gls::QuoteForLog(flag) << "\n";
      return 2;
    }
  }
  auto stub = gls::examples::Greeter::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("rpc-persist-tenant", absl::GetFlag(FLAGS_tenant));
  context.AddMetadata("rpc-transit-hop", absl::GetFlag(FLAGS_hop));
  context.AddMetadata("authorization", absl::GetFlag(FLAGS_authorization));
  if (!binary_name.empty()) context.AddMetadata(binary_name, binary_value);
  for (const auto& [name, value] :
       {std::make_pair("traceparent", absl::GetFlag(FLAGS_traceparent)),
        std::make_pair("tracestate", absl::GetFlag(FLAGS_tracestate)),
        std::make_pair("baggage", absl::GetFlag(FLAGS_baggage))}) {
    if (!value.empty()) context.AddMetadata(name, value);
  }
  const int deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(deadline_ms));
  const bool slow = absl::GetFlag(FLAGS_slow);
  gls::examples::HelloRequest request;
  request.set_name(slow ? "slow" : absl::GetFlag(FLAGS_name));
  gls::examples::HelloReply reply;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = stub->SayHello(&context, request, &reply);
  if (slow) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    std::cout << "slow request with a " << deadline_ms
              << " ms deadline: " << absl::StatusCodeToString(code) << " after "
              << ms << " ms" << std::endl;
    return code == absl::StatusCode::kOk ||
                   code == absl::StatusCode::kDeadlineExceeded
               ? 0
               : 1;
  }
  if (!status.ok()) {
    // The message comes from the server: quoted, escaped and capped.
    std::cerr << "SayHello failed: " << status.error_code() << " "
              << gls::QuoteForLog(status.error_message()) << "\n";
    return 1;
  }

  // Columns: headers by name, then the W3C context (parsed), then the
  // authorization header (last: its value has a space).
  const std::vector<std::string> columns = {"rpc-persist-tenant",
                                            "rpc-transit-hop"};
  const std::vector<std::string> shown = {"rpc-persist-tenant",
                                          "rpc-transit-hop", "authorization",
                                          "traceparent", "baggage"};
  std::cout << "sent: rpc-persist-tenant=" << absl::GetFlag(FLAGS_tenant)
            << "  rpc-transit-hop=" << absl::GetFlag(FLAGS_hop)
            << "  authorization=" << absl::GetFlag(FLAGS_authorization)
            << "\n      traceparent=" << absl::GetFlag(FLAGS_traceparent)
            << "  tracestate=" << absl::GetFlag(FLAGS_tracestate)
            << "  baggage=" << absl::GetFlag(FLAGS_baggage)
            << "\nreply: " << reply.message()
            << "\n\nwhat each hop received (via: the front's path to it; - = "
               "not received):\n";
  std::cout << std::left << std::setw(8) << "service" << std::setw(16) << "via";
  for (const auto& c : columns) std::cout << std::setw(22) << c;
  std::cout << std::setw(34) << "trace-id" << std::setw(24) << "baggage"
            << std::setw(16) << "authorization"
            << "other headers\n";
  for (const auto& hop : reply.hops()) {
    std::cout << std::setw(8) << hop.service() << std::setw(16)
              << (hop.via().empty() ? "-" : hop.via());
    auto header = [&](const std::string& name) -> std::string {
      auto it = hop.metadata().find(name);
      return it == hop.metadata().end() ? "" : it->second;
    };
    for (const auto& c : columns) {
      const std::string v = header(c);
      std::cout << std::setw(22) << (v.empty() ? "-" : v);
    }
    const gls::TraceContext trace =
        gls::ParseTraceContext(header("traceparent"), "");
    gls::Baggage baggage;
    gls::ParseBaggage(header("baggage"), &baggage);
    std::string members;
    for (gls::BaggageEntry& e : baggage) {
      e.properties.clear();
      absl::StrAppend(&members, members.empty() ? "" : ",",
                      gls::EncodeBaggageMember(e));
    }
    const std::string authorization = header("authorization");
    std::cout << std::setw(34) << (trace.valid() ? trace.trace_id : "-")
              << std::setw(24) << (members.empty() ? "-" : members)
              << std::setw(16) << (authorization.empty() ? "-" : authorization);
    std::string others;
    for (const auto& [k, v] : hop.metadata()) {
      bool listed = false;
      for (const auto& c : shown) listed = listed || c == k;
      if (!listed) others += (others.empty() ? "" : " ") + k + "=" + v;
    }
    std::cout << (others.empty() ? "-" : others) << "\n";
  }
  // Set by the leaf, forwarded by the middle and the front.
  std::string backward;
  for (const auto& [key, value] :
       gls::client::ReceivedBackwardValues(context)) {
    absl::StrAppend(&backward, backward.empty() ? "" : " ",
                    gls::MetainfoHeaderName(gls::MetaKind::kBackward, key), "=",
                    value);
  }
  std::cout << "backward values the client received: "
            << (backward.empty() ? "none" : backward) << "\n";
  return 0;
}
