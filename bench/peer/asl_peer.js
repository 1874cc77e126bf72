#!/usr/bin/env node
// The peer side of bench/run: times aws-local-stepfunctions (the npm package, installed by
// scripts/install-deps under tests/node/node_modules) on one workload folder written by
// bench/gen_workloads.js, the same way bench/engine_bench.cc times wharf.
//
// The state machine is constructed once; then executions run one after another for about
// --seconds, each awaited to completion. Throughput is state transitions per second, with the
// transitions per execution taken from the workload's meta.json (checked against the peer's own
// event log with --verify).
//
// Usage: node bench/peer/asl_peer.js WORKLOAD_DIR [--seconds S] [--warmup S] [--verify]
//                                    [--output-file FILE]
// Prints one JSON object on stdout.
'use strict';

const fs = require('fs');
const path = require('path');

const kPeerModule =
    path.join(__dirname, '..', '..', 'tests', 'node', 'node_modules', 'aws-local-stepfunctions');
const {StateMachine} = require(kPeerModule);
const peerVersion = require(path.join(kPeerModule, 'package.json')).version;

function parseArgs(argv) {
  const args = {seconds: 2, warmup: 0.3, verify: false, outputFile: null, dir: null};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--warmup') args.warmup = Number(argv[++i]);
    else if (a === '--verify') args.verify = true;
    else if (a === '--output-file') args.outputFile = argv[++i];
    else if (!args.dir) args.dir = a;
    else throw new Error('unexpected argument ' + a);
  }
  if (!args.dir) throw new Error('usage: asl_peer.js WORKLOAD_DIR [--seconds S] [--verify]');
  return args;
}

// Runs one execution and counts the states it entered from the peer's event log.
async function countTransitions(machine, input) {
  const execution = machine.run(input);
  let entered = 0;
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') entered++;
  }
  const output = await execution.result;
  return {entered, output};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const read = (f) => JSON.parse(fs.readFileSync(path.join(args.dir, f), 'utf8'));
  const definition = read('definition.json');
  const input = read('input.json');
  const meta = read('meta.json');
  const perExecution = meta.transitions_per_execution;

  const machine = new StateMachine(definition);

  const report = {
    engine: 'aws-local-stepfunctions',
    version: peerVersion,
    node: process.version,
    workload: meta.name,
    transitions_per_execution: perExecution,
  };

  if (args.verify || args.outputFile) {
    const {entered, output} = await countTransitions(machine, input);
    report.verified_transitions = entered;
    if (entered !== perExecution) {
      process.stderr.write(`asl_peer: ${meta.name}: the peer entered ${entered} states, ` +
                           `meta.json says ${perExecution}\n`);
      process.exitCode = 1;
    }
    if (args.outputFile) fs.writeFileSync(args.outputFile, JSON.stringify(output) + '\n');
  }

  // Warm up the JIT, then measure. At least 3 executions, so slow workloads still give a rate.
  const warmupEnd = performance.now() + args.warmup * 1000;
  while (performance.now() < warmupEnd) await machine.run(input).result;

  let executions = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await machine.run(input).result;
    executions++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < args.seconds || executions < 3);

  report.executions = executions;
  report.seconds = elapsed;
  report.transitions = executions * perExecution;
  report.transitions_per_sec = report.transitions / elapsed;
  report.peak_rss_kb = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => {
  process.stderr.write('asl_peer: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
