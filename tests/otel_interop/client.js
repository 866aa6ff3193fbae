// The OpenTelemetry JS client of gls's interop test (run.sh). It sends W3C
// context made and injected by OpenTelemetry JS (@opentelemetry/api plus
// @opentelemetry/core's W3C propagators) to the front of the example chain
// (C++ front -> C++ middle -> OpenTelemetry JS leaf, leaf.js) and checks, on
// every path of the front, what OpenTelemetry itself parsed at the leaf.
// Scenarios (run the ones named):
//
//   full         trace (sampled) + tracestate + baggage with properties and
//                percent-encoded values: the leaf sees them all, equal
//   many         70 small baggage members: >= 64 arrive intact
//   large        six 900-byte members: whole members dropped, >= 3 arrive,
//                none cut; the tenant and the trace still arrive
//   invalid      a baggage header with invalid members: exactly the valid
//                ones arrive
//   zero         an all-zero traceparent and its tracestate: neither arrives
//   crosstalk    1,000 requests, 32 concurrent, each with its own trace id,
//                baggage and tenant: 0 wrong
//   none         (servers under OTEL_PROPAGATORS=none) no W3C header leaves
//                the front, the tenant does
//   tracecontext (servers under OTEL_PROPAGATORS=tracecontext) the trace
//                leaves, baggage does not
//
// Prints one line per scenario; exits 1 if any check failed.
//
//   node client.js PROTO_FILE FRONT_HOST:PORT LEAF_NAME SCENARIO...
'use strict';

const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const api = require('@opentelemetry/api');
const core = require('@opentelemetry/core');

const [protoFile, target, leafName, ...scenarios] = process.argv.slice(2);
const greeter = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoFile, {keepCase: true, defaults: true}))
    .gls.examples;
const stub = new greeter.Greeter(target, grpc.credentials.createInsecure());
// The paths the front calls the middle on: each reaches the leaf once.
const kPaths = ['handler-thread', 'thread-pool', 'std-async'];

const setter = {set: (md, key, value) => md.set(key, value)};
const propagator = new core.CompositePropagator({
  propagators: [
    new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator(),
  ],
});

function newSpanContext(sampled) {
  return {
    traceId: crypto.randomBytes(16).toString('hex'),
    spanId: crypto.randomBytes(8).toString('hex'),
    traceFlags: sampled ? api.TraceFlags.SAMPLED : api.TraceFlags.NONE,
    isRemote: false,
  };
}

// Metadata carrying `spanContext` and `entries` ({key: {value, metadata}})
// as OpenTelemetry injects them, plus rpc-persist-tenant.
function otelMetadata(spanContext, entries, tenant) {
  let ctx = api.ROOT_CONTEXT;
  if (spanContext) ctx = api.trace.setSpanContext(ctx, spanContext);
  if (entries) {
    ctx = api.propagation.setBaggage(ctx, api.propagation.createBaggage(entries));
  }
  const md = new grpc.Metadata();
  propagator.inject(ctx, md, setter);
  if (tenant) md.set('rpc-persist-tenant', tenant);
  return md;
}

function call(md, name = 'otel') {
  return new Promise((resolve, reject) => {
    stub.SayHello(
        {name}, md, {deadline: Date.now() + 20000}, (err, reply) => {
          if (err) reject(err);
          else resolve(reply);
        });
  });
}

// The leaf's hops of a reply, by path; throws unless there is one per path.
function leafHops(reply) {
  const hops = reply.hops.filter((h) => h.service === leafName);
  const vias = hops.map((h) => h.via).sort();
  if (JSON.stringify(vias) !== JSON.stringify([...kPaths].sort())) {
    throw new Error(`leaf hops ${JSON.stringify(vias)}, want one per path ` +
                    `${JSON.stringify(kPaths)}: ${JSON.stringify(reply.hops)}`);
  }
  return hops;
}

function bag(hop) {
  return JSON.parse(hop.metadata['otel.baggage']);
}
function entriesOf(baggage) {  // {key: {value, metadata}} -> sorted triples
  return Object.keys(baggage).sort().map((k) => [
    k, baggage[k].value,
    baggage[k].metadata ? baggage[k].metadata.toString() : '',
  ]);
}
function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Each check returns a list of failures (empty: passed) and a summary.
const checks = {
  async full() {
    const sc = newSpanContext(true);
    sc.traceState = api.createTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const entries = {
      'user': {
        value: 'al ice/é,;%"',
        metadata: api.baggageEntryMetadataFromString('pii;ttl=60'),
      },
      'tier': {value: 'gold'},
      'my key': {value: '100% 🚀'},
      'region': {value: 'eu-west', metadata: api.baggageEntryMetadataFromString('p')},
    };
    const reply = await call(otelMetadata(sc, entries, 'acme'));
    const failures = [];
    for (const hop of leafHops(reply)) {
      const m = hop.metadata;
      const want = {
        'otel.valid': 'true', 'otel.trace_id': sc.traceId,
        'otel.span_id': sc.spanId, 'otel.sampled': 'true',
        'otel.tracestate': sc.traceState.serialize(),
        'rpc-persist-tenant': 'acme',
      };
      for (const [k, v] of Object.entries(want)) {
        if (m[k] !== v) failures.push(`${hop.via}: ${k} = ${m[k]}, want ${v}`);
      }
      if (!same(bag(hop), entriesOf(entries))) {
        failures.push(`${hop.via}: baggage ${m['otel.baggage']}, want ` +
                      JSON.stringify(entriesOf(entries)));
      }
    }
    return [failures, `trace ${sc.traceId}, tracestate and 4 baggage entries on 3 paths`];
  },

  async many() {
    const entries = {};
    for (let i = 0; i < 70; i++) {
      entries[`k${String(i).padStart(2, '0')}`] = {value: `v${i}`};
    }
    const reply = await call(otelMetadata(newSpanContext(true), entries, 'acme'));
    const failures = [];
    const counts = [];
    for (const hop of leafHops(reply)) {
      const got = bag(hop);
      counts.push(got.length);
      if (got.length < 64) failures.push(`${hop.via}: ${got.length} members`);
      for (const [k, v, meta] of got) {
        if (!entries[k] || entries[k].value !== v || meta !== '') {
          failures.push(`${hop.via}: member ${k}=${v} was not sent so`);
        }
      }
    }
    return [failures, `70 sent, ${counts.join('/')} arrived intact`];
  },

  async large() {
    const entries = {};
    for (let i = 0; i < 6; i++) {
      // "bigN=" and 895 value bytes: a 900-byte member on the wire.
      entries[`big${i}`] = {value: String(i).repeat(895)};
    }
    const sc = newSpanContext(true);
    const reply = await call(otelMetadata(sc, entries, 'acme'));
    const failures = [];
    const counts = [];
    for (const hop of leafHops(reply)) {
      const got = bag(hop);
      counts.push(got.length);
      if (got.length < 3 || got.length > 6) {
        failures.push(`${hop.via}: ${got.length} members`);
      }
      for (const [k, v] of got) {
        if (!entries[k] || entries[k].value !== v) {
          failures.push(`${hop.via}: member ${k} cut or changed (${v.length} bytes)`);
        }
      }
      if (hop.metadata['rpc-persist-tenant'] !== 'acme') {
        failures.push(`${hop.via}: tenant lost`);
      }
      if (hop.metadata['otel.trace_id'] !== sc.traceId) {
        failures.push(`${hop.via}: trace lost`);
      }
    }
    return [failures, `six 900-byte members, ${counts.join('/')} arrived whole`];
  },

  async invalid() {
    const md = otelMetadata(newSpanContext(true), null, 'acme');
    md.set('baggage', 'good=1,bad key=2,pct=%zz,utf=%FF,ok=%41;p,novalue,' +
                      'q="x",a@b=3');
    const reply = await call(md);
    const want = [['good', '1', ''], ['ok', 'A', 'p']];
    const failures = [];
    for (const hop of leafHops(reply)) {
      if (!same(bag(hop), want)) {
        failures.push(`${hop.via}: baggage ${hop.metadata['otel.baggage']}, ` +
                      `want ${JSON.stringify(want)}`);
      }
    }
    return [failures, 'six invalid members dropped, the two valid ones kept'];
  },

  async zero() {
    const md = new grpc.Metadata();
    md.set('traceparent',
           '00-00000000000000000000000000000000-00f067aa0ba902b7-01');
    md.set('tracestate', 'congo=t61rcWkgMzE');
    md.set('baggage', 'a=1');
    md.set('rpc-persist-tenant', 'acme');
    const reply = await call(md);
    const failures = [];
    for (const hop of leafHops(reply)) {
      const m = hop.metadata;
      for (const h of ['traceparent', 'tracestate']) {
        if (h in m) failures.push(`${hop.via}: ${h} forwarded: ${m[h]}`);
      }
      if (m['otel.valid'] !== 'false') failures.push(`${hop.via}: a span context`);
      if (!same(bag(hop), [['a', '1', '']])) failures.push(`${hop.via}: baggage lost`);
    }
    return [failures, 'all-zero traceparent and its tracestate not forwarded'];
  },

  async crosstalk() {
    const total = 1000;
    const concurrency = 32;
    let next = 0;
    let wrong = 0;
    const failures = [];
    async function worker() {
      while (next < total) {
        const i = next++;
        const sc = newSpanContext(i % 2 === 0);
        const entries = {req: {value: `r${i}`}, who: {value: `t${i}`, metadata: api.baggageEntryMetadataFromString(`n=${i}`)}};
        const reply = await call(otelMetadata(sc, entries, `t${i}`), `n${i}`);
        for (const hop of leafHops(reply)) {
          const m = hop.metadata;
          if (m['otel.trace_id'] !== sc.traceId ||
              m['otel.span_id'] !== sc.spanId ||
              m['otel.sampled'] !== String(i % 2 === 0) ||
              m['rpc-persist-tenant'] !== `t${i}` ||
              !same(bag(hop), entriesOf(entries))) {
            if (++wrong <= 5) failures.push(`request ${i} ${hop.via}: ${JSON.stringify(m)}`);
          }
        }
      }
    }
    await Promise.all(Array.from({length: concurrency}, worker));
    if (wrong > 5) failures.push(`... ${wrong} wrong in all`);
    return [failures, `${total} requests at ${concurrency} concurrent, ${total * 3} leaf hops, ${wrong} wrong`];
  },

  async none() {
    const sc = newSpanContext(true);
    sc.traceState = api.createTraceState('congo=t61rcWkgMzE');
    const reply = await call(otelMetadata(sc, {a: {value: '1'}}, 'acme'));
    const failures = [];
    for (const hop of leafHops(reply)) {
      const m = hop.metadata;
      for (const h of ['traceparent', 'tracestate', 'baggage']) {
        if (h in m) failures.push(`${hop.via}: ${h} forwarded: ${m[h]}`);
      }
      if (m['rpc-persist-tenant'] !== 'acme') failures.push(`${hop.via}: tenant lost`);
    }
    return [failures, 'OTEL_PROPAGATORS=none: no W3C header left the front, the tenant did'];
  },

  async tracecontext() {
    const sc = newSpanContext(true);
    sc.traceState = api.createTraceState('congo=t61rcWkgMzE');
    const reply = await call(otelMetadata(sc, {a: {value: '1'}}, 'acme'));
    const failures = [];
    for (const hop of leafHops(reply)) {
      const m = hop.metadata;
      if (m['otel.trace_id'] !== sc.traceId) failures.push(`${hop.via}: trace lost`);
      if (m['otel.tracestate'] !== 'congo=t61rcWkgMzE') failures.push(`${hop.via}: tracestate lost`);
      if ('baggage' in m) failures.push(`${hop.via}: baggage forwarded: ${m.baggage}`);
      if (m['rpc-persist-tenant'] !== 'acme') failures.push(`${hop.via}: tenant lost`);
    }
    return [failures, 'OTEL_PROPAGATORS=tracecontext: the trace left the front, baggage did not'];
  },
};

(async () => {
  let failed = false;
  for (const name of scenarios) {
    if (!checks[name]) {
      console.log(`FAIL ${name}: no such scenario`);
      failed = true;
      continue;
    }
    try {
      const [failures, summary] = await checks[name]();
      console.log(`${failures.length === 0 ? 'ok  ' : 'FAIL'} ${name}: ${summary}`);
      for (const f of failures) console.log(`       ${f}`);
      failed = failed || failures.length > 0;
    } catch (err) {
      console.log(`FAIL ${name}: ${err.stack || err}`);
      failed = true;
    }
  }
  stub.close();
  process.exit(failed ? 1 : 0);
})();
