#include "gls/examples/leaf_greeter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace examples {
std::string HopValue(absl::string_view name, absl::string_view value) {
  constexpr absl::string_view kEncoded = "base64:";
  if (!absl::EndsWith(name, "-bin") && !absl::StartsWith(value, kEncoded) &&
      std::all_of(value.begin(), value.end(),
                  [](char c) { return absl::ascii_isprint(c); })) {
    return std::string(value);
  }
  return absl::StrCat(kEncoded, absl::Base64Escape(value));
}

grpc::Status LeafGreeter::SayHello(grpc::ServerContext* context,
                                   const HelloRequest* request,
                                   HelloReply* reply) {
  reply->set_message(absl::StrCat("Hello ", request->name()));
  Hop* hop = reply->add_hops();
  hop->set_service(name_);
  for (const auto& [key, value] : context->client_metadata()) {
    absl::string_view name(key.data(), key.size());
    if (IsTransportHeader(name)) continue;
    (*hop->mutable_metadata())[std::string(name)] =
        HopValue(name, absl::string_view(value.data(), value.size()));
  }
  return grpc::Status::OK;
}

}  // namespace examples
}  // namespace gls
