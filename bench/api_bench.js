// api_bench: `wharf serve` as a user meets it (issue 3's figures).
//   - start-up: from spawning `wharf serve` to its "ready" line, and to the first answered request;
//   - idle memory: VmRSS of the process after a second of idling, with no executions and with
//     1,000 executions waiting in a Wait state;
//   - executions started per second through the API: StartExecution calls from the real AWS SDK
//     for JavaScript (@aws-sdk/client-sfn), SigV4-signed, from --processes client processes with
//     --concurrency calls in flight each, for --seconds. The machine is 20 Pass states, so every
//     started execution also runs to its end. The SDK costs more CPU per call than the service
//     (signing and parsing in JavaScript), so one client process cannot saturate wharf.
// Usage: node bench/api_bench.js PATH/TO/wharf [--seconds S] [--concurrency N] [--processes N]
// Prints one JSON object.
'use strict';
const { spawn, fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const sdk = require(path.join(__dirname, '../tests/node/node_modules/@aws-sdk/client-sfn'));

const args = process.argv.slice(2);
const wharf = args.length ? path.resolve(args[0]) : '';
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SECONDS = opt('--seconds', 5);
const CONCURRENCY = opt('--concurrency', 16);
const PROCESSES = opt('--processes', 2);
const secret = 'api-bench-secret-0123456789';
const machine = (n) => `arn:aws:states:us-east-1:111111111111:stateMachine:${n}`;

// A client process: StartExecution calls until the deadline; reports how many succeeded.
async function load({ endpoint, until, prefix, concurrency }) {
  const sfn = new sdk.SFNClient({
    endpoint, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDAPIBENCH', secretAccessKey: secret },
  });
  let n = 0;
  let count = 0;
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push((async () => {
      while (Date.now() < until) {
        await sfn.send(new sdk.StartExecutionCommand({
          stateMachineArn: machine('pass20'), name: `${prefix}${n++}`, input: '{"n":1}',
        }));
        count++;
      }
    })());
  }
  await Promise.all(workers);
  return count;
}
if (process.env.API_BENCH_CHILD) {
  process.on('message', async (m) => {
    const count = await load(m);
    process.send({ count });
    process.exit(0);
  });
  return;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-api-bench-'));
const states = {};
for (let i = 0; i < 20; i++) {
  states[`S${i}`] = { Type: 'Pass', Result: i, ResultPath: '$.last' };
  if (i < 19) states[`S${i}`].Next = `S${i + 1}`; else states[`S${i}`].End = true;
}
fs.writeFileSync(path.join(dir, 'pass20.asl.json'), JSON.stringify({ StartAt: 'S0', States: states }));
fs.writeFileSync(path.join(dir, 'idle.asl.json'), JSON.stringify({
  StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } },
}));
fs.writeFileSync(path.join(dir, 'wharf.yaml'), [
  'state_machines:',
  '  pass20:',
  '    definition: pass20.asl.json',
  '  idle:',
  '    definition: idle.asl.json',
  'auth:',
  '  access_keys:',
  '    - access_key_id: AKIDAPIBENCH',
  `      secret_access_key: ${secret}`,
  '',
].join('\n'));

function startServer() {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(wharf, ['serve', '--project', path.join(dir, 'wharf.yaml'),
      '--data', path.join(dir, 'data'), '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let endpoint = null;
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/on http:\/\/([^\s]+)/);
      if (m) endpoint = `http://${m[1]}`;
      if (endpoint && /ready in/.test(out)) {
        const ready_ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolve({ child, endpoint, ready_ms, t0 });
      }
    });
    child.on('exit', (code) => reject(new Error(`wharf serve exited with ${code}: ${out}`)));
  });
}

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]) / 1024;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stop = (child) => new Promise((r) => { child.on('exit', r); child.kill('SIGTERM'); });

async function main() {
  const result = { concurrency_per_process: CONCURRENCY, seconds: SECONDS };
  // Start-up on an empty data folder, then again on the folder the first run created.
  for (const label of ['first', 'second']) {
    const s = await startServer();
    const sfn = new sdk.SFNClient({
      endpoint: s.endpoint, region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDAPIBENCH', secretAccessKey: secret },
    });
    await sfn.send(new sdk.ListStateMachinesCommand({}));
    result[`startup_${label}_ready_ms`] = Math.round(s.ready_ms * 10) / 10;
    result[`startup_${label}_first_answer_ms`] =
      Math.round(Number(process.hrtime.bigint() - s.t0) / 1e5) / 10;
    await sleep(1000);
    result[`idle_rss_${label}_mb`] = Math.round(rssMb(s.child.pid) * 10) / 10;
    await stop(s.child);
  }

  const s = await startServer();
  const sfn = new sdk.SFNClient({
    endpoint: s.endpoint, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDAPIBENCH', secretAccessKey: secret },
  });
  // Client processes, each with CONCURRENCY calls in flight: a warm-up, then the timed run.
  const round = async (ms, tag) => {
    const until = Date.now() + ms;
    const children = [];
    for (let p = 0; p < PROCESSES; p++) {
      children.push(new Promise((resolve, reject) => {
        const child = fork(__filename, [], { env: { ...process.env, API_BENCH_CHILD: '1' } });
        child.on('message', (m) => resolve(m.count));
        child.on('error', reject);
        child.send({ endpoint: s.endpoint, until, prefix: `${tag}p${p}e`, concurrency: CONCURRENCY });
      }));
    }
    const counts = await Promise.all(children);
    return counts.reduce((a, b) => a + b, 0);
  };
  await round(1000, 'warm');
  const t0 = Date.now();
  const count = await round(SECONDS * 1000, 'run');
  result.starts_per_second = Math.round(count / ((Date.now() - t0) / 1000));
  result.started = count;
  result.processes = PROCESSES;

  // Memory with 1,000 executions waiting.
  for (let i = 0; i < 1000; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; j++) {
      batch.push(sfn.send(new sdk.StartExecutionCommand({
        stateMachineArn: machine('idle'), name: `w${j}`, input: '{}',
      })));
    }
    await Promise.all(batch);
  }
  await sleep(1000);
  result.idle_rss_1000_waiting_mb = Math.round(rssMb(s.child.pid) * 10) / 10;
  await stop(s.child);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
