// gls/interceptors/session_reactor.h
//
// Reactor base classes for callback-API services (grpc::CallbackService)
// whose callbacks run with the request's session bound.
//
// gls::server::WithContextBackup binds a request's session around the method
// handler only: the code that constructs the reactor. gRPC runs a reactor's
// callbacks (OnSendInitialMetadataDone, OnReadDone, OnWriteDone, OnCancel,
// OnDone) later, from its callback threads, after the interceptor returned:
// with a plain gRPC reactor they see the empty session (or, on a thread that
// has one bound for other reasons, that one), never the request's. Derive
// from these classes instead of gRPC's:
//
//   gls::server::SessionUnaryReactor             grpc::ServerUnaryReactor
//   gls::server::SessionReadReactor<Request>     grpc::ServerReadReactor
//   gls::server::SessionWriteReactor<Response>   grpc::ServerWriteReactor
//   gls::server::SessionBidiReactor<Request, Response>
//                                                grpc::ServerBidiReactor
//
// Each captures the session bound where it is constructed (gls::CurSession()
// in the method handler) and overrides gRPC's callbacks as `final`: each
// binds that session on the calling thread, calls the matching method below,
// and restores the thread's previous binding when it returns. Override these
// instead (an override of OnReadDone and the like does not compile):
//
//   OnSendInitialMetadataDoneInSession(bool ok)   every shape
//   OnReadDoneInSession(bool ok)                  Read, Bidi
//   OnWriteDoneInSession(bool ok)                 Write, Bidi
//   OnCancelInSession()                           every shape
//   OnDoneInSession()                             every shape; pure virtual
//
// OnDone ends the session first (IsValid() is false in OnDoneInSession; its
// context and values stay readable), then calls OnDoneInSession, which may
// `delete this`: what is bound then is a copy that outlives the reactor.
//
// A reactor constructed where nothing is bound (no interceptor installed, or
// outside a handler) captures the empty session, and its callbacks bind that:
// they never see a binding left on gRPC's thread. Reactors from
// ctx->DefaultReactor() run no code of yours after the handler: keep them.
//
// Example:
//
//   class Echo final
//       : public gls::server::SessionBidiReactor<Probe, Probe> {
//    public:
//     Echo() { StartRead(&in_); }  // the handler: the request is bound
//
//    private:
//     void OnReadDoneInSession(bool ok) override {
//       if (!ok) {
//         Finish(grpc::Status::OK);
//         return;
//       }
//       // gls::CurSession() is the request's session here, and outbound
//       // calls made here carry its metainfo.
//       out_ = in_;
//       StartWrite(&out_);
//     }
//     void OnWriteDoneInSession(bool) override { StartRead(&in_); }
//     void OnDoneInSession() override { delete this; }
//
//     Probe in_, out_;
//   };
//
//   grpc::ServerBidiReactor<Probe, Probe>* Bidi(
//       grpc::CallbackServerContext*) override {
//     return new Echo();
//   }
//
// Thread-safety: as gRPC's reactors. gRPC may run different callbacks of one
// reactor at once (OnReadDone with OnWriteDone or OnCancel); each binds the
// session on its own thread only, and Session is thread-safe, so session()
// may be read from any thread.

#ifndef GLS_INTERCEPTORS_SESSION_REACTOR_H_
#define GLS_INTERCEPTORS_SESSION_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include <utility>

#include "gls/session/binding.h"
#include "gls/session/session.h"

namespace gls {
namespace server {
namespace reactor_internal {

// What the four reactors share: the captured session, the callbacks every
// shape has, and the bind-and-call. `GrpcReactor` is one of gRPC's four
// server reactor classes.
template <typename GrpcReactor>
class SessionReactorBase : public GrpcReactor {
 public:
  // The session bound in every callback: the one bound where this reactor
  // was constructed.
  const Session& session() const { return session_; }

  void OnSendInitialMetadataDone(bool ok) final {
    RunInSession([this, ok] { OnSendInitialMetadataDoneInSession(ok); });
  }
  void OnCancel() final {
    RunInSession([this] { OnCancelInSession(); });
  }
  // gRPC calls OnDone once, after every other callback returned; the reactor
  // may be deleted in OnDoneInSession, so only the stack copy is touched
  // after it.
  void OnDone() final {
    SessionScope scope(session_);
    scope.session().End();
    OnDoneInSession();
  }

 protected:
  SessionReactorBase() : session_(CurSession()) {}

  virtual void OnSendInitialMetadataDoneInSession(bool /*ok*/) {}
  virtual void OnCancelInSession() {}
  // The call is over and the session ended. Usually `delete this`.
  virtual void OnDoneInSession() = 0;

  // Runs `fn` with session() bound, then restores the previous binding. The
  // reactor outlives every callback but OnDone (gRPC's contract), so the
  // binding borrows session_ without copying it.
  template <typename Fn>
  void RunInSession(Fn&& fn) {
    session_internal::BorrowedScope scope(&session_);
    std::forward<Fn>(fn)();
  }

 private:
  const Session session_;
};

}  // namespace reactor_internal

// A custom unary reactor: callbacks run with the request's session bound.
class SessionUnaryReactor
    : public reactor_internal::SessionReactorBase<grpc::ServerUnaryReactor> {};

// A client-streaming reactor: callbacks run with the request's session bound.
template <typename Request>
class SessionReadReactor : public reactor_internal::SessionReactorBase<
                               grpc::ServerReadReactor<Request>> {
 public:
  // gRPC's callback: runs OnReadDoneInSession(ok) with the session bound.
  void OnReadDone(bool ok) final {
    this->RunInSession([this, ok] { OnReadDoneInSession(ok); });
  }

 protected:
  // Override instead of OnReadDone: a read finished (`ok` false: no more
  // messages, or the call is over).
  virtual void OnReadDoneInSession(bool /*ok*/) {}
};

// A server-streaming reactor: callbacks run with the request's session bound.
template <typename Response>
class SessionWriteReactor : public reactor_internal::SessionReactorBase<
                                grpc::ServerWriteReactor<Response>> {
 public:
  // gRPC's callback: runs OnWriteDoneInSession(ok) with the session bound.
  void OnWriteDone(bool ok) final {
    this->RunInSession([this, ok] { OnWriteDoneInSession(ok); });
  }

 protected:
  // Override instead of OnWriteDone: a write finished (`ok` false: the call
  // is over).
  virtual void OnWriteDoneInSession(bool /*ok*/) {}
};

// A bidi-streaming reactor: callbacks run with the request's session bound.
template <typename Request, typename Response>
class SessionBidiReactor : public reactor_internal::SessionReactorBase<
                               grpc::ServerBidiReactor<Request, Response>> {
 public:
  // gRPC's callback: runs OnReadDoneInSession(ok) with the session bound.
  void OnReadDone(bool ok) final {
    this->RunInSession([this, ok] { OnReadDoneInSession(ok); });
  }
  // gRPC's callback: runs OnWriteDoneInSession(ok) with the session bound.
  void OnWriteDone(bool ok) final {
    this->RunInSession([this, ok] { OnWriteDoneInSession(ok); });
  }

 protected:
  // Override instead of OnReadDone: a read finished (`ok` false: no more
  // messages, or the call is over).
  virtual void OnReadDoneInSession(bool /*ok*/) {}
  // Override instead of OnWriteDone: a write finished (`ok` false: the call
  // is over).
  virtual void OnWriteDoneInSession(bool /*ok*/) {}
};

}  // namespace server
}  // namespace gls

#endif  // GLS_INTERCEPTORS_SESSION_REACTOR_H_
