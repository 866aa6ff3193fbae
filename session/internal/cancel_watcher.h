// gls/session/internal/cancel_watcher.h
//
// Internal to gls; not for use outside the library.
//
// The cancel watcher: one thread per process, started on first use, that
// looks at every listed session once per tick (kWatchTick, 20 ms) while any
// is listed: it polls the session's poller (sync services, whose cancellation
// gRPC does not push), cancels the session when the request's deadline
// passed, and cancels calls whose own deadline (from the context a
// BackupHandler returned) passed (SessionAccess::WatchPass). A session is
// listed while it has outbound calls in flight that need it (a poller or a
// finite deadline).
//
// A poll asks gRPC (ServerContext::IsCancelled, which polls the call's
// completion queue) and costs far more than the rest of a pass (polling
// every listed request cost 1.5-2 % of the benchmark chain's throughput at
// concurrency 8, BENCHMARKS.md), so a session
// is polled only once kMinPollAgeMs has passed since its first listing: the
// short calls of a busy server are never polled, and a cancellation reaches
// a request's calls within a tick once it is that old (within a tick and
// kMinPollAgeMs of its first outbound call at worst).
//
// Listing and unlisting cost one uncontended spin lock of a shard picked by
// the calling thread (no process-wide lock or counter, no allocation: the
// node is part of the session's state). The watcher holds no strong
// reference between ticks, so it never keeps a session alive; after a
// second with nothing listed it parks until the next listing wakes it. Its
// thread inherits no session.
//
// Example (the session layer, under the session's cancellation lock):
//
//   if (!node_.listed()) StartWatching(&node_);   // first call in flight
//   ...
//   if (node_.listed()) StopWatching(&node_);     // last call done
//
// Thread-safety: thread-safe. A node is listed and unlisted under its
// owner's lock (one thread at a time per node).

#ifndef GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_
#define GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_

#include <cstdint>

#include "absl/time/time.h"

namespace gls {
namespace session_internal {

class SessionState;

// How often the watcher looks at the listed sessions: the most a polled
// cancellation or a passed deadline waits to reach the calls.
inline constexpr absl::Duration kWatchTick = absl::Milliseconds(20);
// How long a session has had calls in flight (since its first listing)
// before the watcher polls it.
inline constexpr uint32_t kMinPollAgeMs = 10;

// The watcher's link to one session's state, embedded in it. Its fields
// belong to the watcher (guarded by the shard's lock); `owner` is set once.
class WatchNode {
 public:
  explicit WatchNode(SessionState* owner) : owner_(owner) {}
  WatchNode(const WatchNode&) = delete;
  WatchNode& operator=(const WatchNode&) = delete;

  // Whether the node is listed. Read under the owner's lock only.
  bool listed() const { return shard_ >= 0; }

 private:
  friend class Watcher;
  SessionState* const owner_;
  WatchNode* prev_ = nullptr;
  WatchNode* next_ = nullptr;
  int32_t shard_ = -1;  // -1: not listed
  // When the node was first listed: the steady clock in milliseconds, mod
  // 2^32 (ages compare modulo 2^32; 0: never). Fits beside shard_, so the
  // session state keeps its size.
  uint32_t first_listed_ms_ = 0;
};

// Lists `node` (not listed). Starts the watcher, or wakes it from parking.
void StartWatching(WatchNode* node);
// Unlists `node` (listed). After it returns the watcher does not reach the
// node any more (a tick that already took a reference to its session may
// still finish with it).
void StopWatching(WatchNode* node);

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_
