// The OpenTelemetry JS leaf of gls's interop test (run.sh): a Greeter server
// on @grpc/grpc-js that reports, as its Hop, every header it received plus
// what OpenTelemetry's own W3C propagators (@opentelemetry/core's
// W3CTraceContextPropagator and W3CBaggagePropagator) extract from them:
//
//   otel.valid        "true" if a valid remote span context was extracted
//   otel.trace_id     its trace id          otel.span_id    its parent id
//   otel.sampled      "true" / "false"      otel.tracestate its tracestate,
//                                                           serialized
//   otel.baggage      JSON [[key, value, metadata], ...] sorted by key
//
// Binary (-bin) header values are reported base64-encoded, as the C++ leaf
// does. Prints "NAME listening on 127.0.0.1:PORT" once serving; exits on
// SIGTERM.
//
//   node leaf.js PROTO_FILE NAME
'use strict';

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const api = require('@opentelemetry/api');
const core = require('@opentelemetry/core');

const [protoFile, name] = process.argv.slice(2);
if (!protoFile || !name) {
  console.error('usage: node leaf.js PROTO_FILE NAME');
  process.exit(2);
}
const greeter = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoFile, {keepCase: true, defaults: true}))
    .gls.examples;

// OpenTelemetry's TextMapGetter over grpc-js Metadata.
const getter = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const values = md.get(key).map(String);
    return values.length === 0 ? undefined : values;
  },
};

function otelView(md) {
  let ctx = api.ROOT_CONTEXT;
  ctx = new core.W3CTraceContextPropagator().extract(ctx, md, getter);
  ctx = new core.W3CBaggagePropagator().extract(ctx, md, getter);
  const view = {};
  const sc = api.trace.getSpanContext(ctx);
  const valid = sc !== undefined && api.isSpanContextValid(sc);
  view['otel.valid'] = String(valid);
  if (valid) {
    view['otel.trace_id'] = sc.traceId;
    view['otel.span_id'] = sc.spanId;
    view['otel.sampled'] =
        String((sc.traceFlags & api.TraceFlags.SAMPLED) !== 0);
    view['otel.tracestate'] = sc.traceState ? sc.traceState.serialize() : '';
  }
  const baggage = api.propagation.getBaggage(ctx);
  const entries = baggage === undefined ? [] : baggage.getAllEntries().map(
      ([key, e]) => [key, e.value, e.metadata ? e.metadata.toString() : '']);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  view['otel.baggage'] = JSON.stringify(entries);
  return view;
}

function sayHello(call, callback) {
  const metadata = {};
  for (const [key, values] of Object.entries(call.metadata.toJSON())) {
    if (key.startsWith(':') || key.startsWith('grpc-')) continue;
    metadata[key] = values
        .map((v) => (Buffer.isBuffer(v) ? 'base64:' + v.toString('base64') : v))
        .join(',');
  }
  Object.assign(metadata, otelView(call.metadata));
  callback(null, {
    message: 'Hello ' + call.request.name,
    hops: [{service: name, via: '', metadata}],
  });
}

const server = new grpc.Server();
server.addService(greeter.Greeter.service, {SayHello: sayHello});
server.bindAsync(
    '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        console.error(`${name}: cannot listen: ${err.message}`);
        process.exit(1);
      }
      console.log(`${name} listening on 127.0.0.1:${port}`);
    });
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
