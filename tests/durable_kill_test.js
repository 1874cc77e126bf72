// Crash test of the durable engine: 50 executions of a 20-state workflow run while `wharf serve`
// is killed with SIGKILL at random moments, 20 times over, and restarted on the same data
// folder. Afterwards every execution must have succeeded with the right output, its history
// must hold each state exactly once, and no function call whose result was committed may have
// run again: a function runs twice only when its process was lost, and then it sees the same
// WHARF_ATTEMPT_ID with a higher WHARF_ATTEMPT_NUMBER.
//
// Driven with the real AWS SDK for JavaScript (@aws-sdk/client-sfn), as a user's program would.
// Usage: node tests/durable_kill_test.js PATH/TO/wharf [--seed N] [--kills N]
'use strict';
const { startWharf, sleep } = require('./serve_lib');
const fs = require('fs');
const os = require('os');
const path = require('path');
const sdk = require(path.join(__dirname, 'node/node_modules/@aws-sdk/client-sfn'));

const args = process.argv.slice(2);
const wharf = path.resolve(args[0]);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
let seed = opt('--seed', Date.now() % 1000000);
const KILLS = opt('--kills', 20);
const EXECUTIONS = 50;
const TASKS = 15;
console.log(`seed ${seed} (rerun with --seed ${seed})`);
// A small deterministic generator, so that a failing run can be repeated.
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-kill-'));
const log = path.join(dir, 'calls.log');
const secret = 'kill-test-secret-0123456789';

// Init, 8 tasks, a Wait, a Choice, 7 tasks, a Wait, Done: 20 states.
const states = {};
const order = ['Init'];
states.Init = { Type: 'Pass', Parameters: { 'n.$': '$.n', c: 0 }, Next: 'T1' };
for (let i = 1; i <= TASKS; i++) {
  const name = `T${i}`;
  order.push(name);
  states[name] = { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:inc' };
}
for (let i = 1; i <= 8; i++) states[`T${i}`].Next = i < 8 ? `T${i + 1}` : 'Pause';
states.Pause = { Type: 'Wait', Seconds: 1, Next: 'Check' };
states.Check = {
  Type: 'Choice', Choices: [{ Variable: '$.c', NumericEquals: 8, Next: 'T9' }], Default: 'Wrong',
};
for (let i = 9; i <= TASKS; i++) states[`T${i}`].Next = i < TASKS ? `T${i + 1}` : 'Rest';
states.Rest = { Type: 'Wait', Seconds: 1, Next: 'Done' };
states.Done = { Type: 'Pass', Parameters: { 'n.$': '$.n', 'c.$': '$.c', done: true }, End: true };
states.Wrong = { Type: 'Fail', Error: 'Wrong', Cause: 'a task ran twice into the same count' };
order.splice(9, 0, 'Pause', 'Check');
order.push('Rest', 'Done');
if (order.length !== 20) throw new Error(`the workflow has ${order.length} states`);
fs.writeFileSync(path.join(dir, 'chain.asl.json'), JSON.stringify({ StartAt: 'Init', States: states }));

// The function: logs its attempt, sleeps a little (so that kills find processes running), and
// returns its input with c + 1. The input is compact JSON {"n":N,"c":C}.
fs.writeFileSync(path.join(dir, 'inc.sh'), [
  '#!/bin/sh',
  `echo "$WHARF_ATTEMPT_ID $WHARF_ATTEMPT_NUMBER" >> ${log}`,
  'sleep 0.05',
  'awk -F\'[:,}]\' \'{ printf "{\\"n\\":%s,\\"c\\":%d}", $2, $4 + 1 }\'',
  '',
].join('\n'), { mode: 0o755 });
// A function that outlives a kill: it records its pid, then sleeps.
const sleeperPid = path.join(dir, 'sleeper.pid');
fs.writeFileSync(path.join(dir, 'sleeper.sh'), `#!/bin/sh\necho $$ > ${sleeperPid}\nexec sleep 60\n`,
  { mode: 0o755 });
fs.writeFileSync(path.join(dir, 'sleeper.asl.json'), JSON.stringify({
  StartAt: 'S', States: { S: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:sleeper', End: true } },
}));
fs.writeFileSync(path.join(dir, 'wharf.yaml'), [
  'state_machines:',
  '  chain:',
  '    definition: chain.asl.json',
  '  sleeper:',
  '    definition: sleeper.asl.json',
  'functions:',
  '  sleeper:',
  `    command: ["${path.join(dir, 'sleeper.sh')}"]`,
  '  inc:',
  `    command: ["${path.join(dir, 'inc.sh')}"]`,
  'auth:',
  '  access_keys:',
  '    - access_key_id: AKIDKILLTEST',
  `      secret_access_key: ${secret}`,
  '',
].join('\n'));

let server = null;
async function startServer() {
  const s = await startWharf(wharf, ['--project', path.join(dir, 'wharf.yaml'),
    '--data', path.join(dir, 'data')]);
  s.sfn = new sdk.SFNClient({
    endpoint: s.endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDKILLTEST', secretAccessKey: secret },
  });
  return s;
}

function kill(s) {
  return new Promise((resolve) => {
    s.child.on('exit', () => resolve());
    s.child.kill('SIGKILL');
  });
}

const machine = 'arn:aws:states:us-east-1:111111111111:stateMachine:chain';
const arnOf = (i) => `arn:aws:states:us-east-1:111111111111:execution:chain:e${i}`;

// Starts execution i, retrying across restarts: StartExecution is idempotent by name and input.
const started = new Set();
async function startSome(from, to) {
  const pending = [];
  for (let i = from; i < to; i++) {
    if (started.has(i)) continue;
    pending.push(server.sfn.send(new sdk.StartExecutionCommand({
      stateMachineArn: machine, name: `e${i}`, input: JSON.stringify({ n: i }),
    })).then((r) => {
      if (r.executionArn !== arnOf(i)) throw new Error(`unexpected ARN ${r.executionArn}`);
      started.add(i);
    }, () => {}));
  }
  await Promise.all(pending);
}

const alive = (pid) => {
  try { process.kill(pid, 0); return true; } catch (e) { return false; }
};

// A function process orphaned by kill -9 is killed when wharf starts again, so that it does not
// run on beside its own re-run.
async function orphanIsKilled() {
  server = await startServer();
  const arn = (await server.sfn.send(new sdk.StartExecutionCommand({
    stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:sleeper', name: 'sleeper',
  }))).executionArn;
  for (let i = 0; i < 200 && !fs.existsSync(sleeperPid); i++) await sleep(20);
  const first = Number(fs.readFileSync(sleeperPid, 'utf8'));
  fs.unlinkSync(sleeperPid);
  await kill(server);
  if (!alive(first)) throw new Error('the function process died with wharf; this check proves nothing');
  server = await startServer();
  for (let i = 0; i < 100 && alive(first); i++) await sleep(20);
  if (alive(first)) throw new Error(`the orphaned function process ${first} still runs after the restart`);
  for (let i = 0; i < 200 && !fs.existsSync(sleeperPid); i++) await sleep(20);
  if (!fs.existsSync(sleeperPid)) throw new Error('the lost task did not run again');
  await server.sfn.send(new sdk.StopExecutionCommand({ executionArn: arn }));
  console.log('ok   a function process orphaned by kill -9 is killed at the restart, and its task runs again');
}

async function main() {
  await orphanIsKilled();
  await startSome(0, EXECUTIONS / 2);
  for (let k = 0; k < KILLS; k++) {
    // Some starts race with the kill; the ones that fail are retried after the restart.
    const starting = k === 3 ? startSome(EXECUTIONS / 2, EXECUTIONS) : Promise.resolve();
    await sleep(50 + Math.floor(random() * 600));
    await kill(server);
    await starting;
    server = await startServer();
    await startSome(0, k >= 3 ? EXECUTIONS : EXECUTIONS / 2);
  }
  await startSome(0, EXECUTIONS);
  if (started.size !== EXECUTIONS) throw new Error(`only ${started.size} executions started`);

  // Let everything finish.
  const deadline = Date.now() + 180000;
  const final = new Map();
  while (final.size < EXECUTIONS && Date.now() < deadline) {
    for (let i = 0; i < EXECUTIONS; i++) {
      if (final.has(i)) continue;
      const d = await server.sfn.send(new sdk.DescribeExecutionCommand({ executionArn: arnOf(i) }));
      if (d.status !== 'RUNNING') final.set(i, d);
    }
    if (final.size < EXECUTIONS) await sleep(250);
  }

  const problems = [];
  for (let i = 0; i < EXECUTIONS; i++) {
    const d = final.get(i);
    if (!d) { problems.push(`e${i} did not finish`); continue; }
    if (d.status !== 'SUCCEEDED') { problems.push(`e${i} is ${d.status}: ${d.error} ${d.cause}`); continue; }
    const want = JSON.stringify({ n: i, c: TASKS, done: true });
    if (d.output !== want) problems.push(`e${i} output ${d.output}, want ${want}`);
  }

  // History: contiguous ids, and every state entered exactly once.
  for (let i = 0; i < EXECUTIONS; i++) {
    const events = [];
    let nextToken;
    do {
      const h = await server.sfn.send(new sdk.GetExecutionHistoryCommand({
        executionArn: arnOf(i), maxResults: 1000, nextToken,
      }));
      events.push(...h.events);
      nextToken = h.nextToken;
    } while (nextToken);
    events.forEach((e, j) => {
      if (e.id !== j + 1) problems.push(`e${i}: event ${j + 1} has id ${e.id}`);
    });
    const entered = new Map();
    for (const e of events) {
      if (e.stateEnteredEventDetails) {
        const n = e.stateEnteredEventDetails.name;
        entered.set(n, (entered.get(n) || 0) + 1);
      }
    }
    for (const s of order) {
      if (entered.get(s) !== 1) problems.push(`e${i}: state ${s} entered ${entered.get(s) || 0} times`);
    }
    // Started, entered and exited per state, scheduled/started/succeeded per call, succeeded.
    const want = 1 + 2 * order.length + 3 * TASKS + 1;
    if (events.length !== want) problems.push(`e${i}: ${events.length} events, want ${want}`);
    const starts = events.filter((e) => e.type === 'ExecutionStarted').length;
    const ends = events.filter((e) => e.type === 'ExecutionSucceeded').length;
    const scheduled = events.filter((e) => e.type === 'LambdaFunctionScheduled').length;
    if (starts !== 1 || ends !== 1) problems.push(`e${i}: ${starts} starts and ${ends} ends`);
    if (scheduled !== TASKS) problems.push(`e${i}: ${scheduled} function calls scheduled, want ${TASKS}`);
  }

  // Function calls: one attempt id per task state, and a repeat only with a higher attempt number.
  const calls = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
  const byAttempt = new Map();
  for (const [id, number] of calls) {
    if (!byAttempt.has(id)) byAttempt.set(id, []);
    byAttempt.get(id).push(Number(number));
  }
  let reruns = 0;
  for (let i = 0; i < EXECUTIONS; i++) {
    const ids = [...byAttempt.keys()].filter((id) => id.startsWith(`${arnOf(i)}/`));
    if (ids.length !== TASKS) problems.push(`e${i}: ${ids.length} distinct attempt ids, want ${TASKS}`);
  }
  for (const [id, numbers] of byAttempt) {
    const distinct = new Set(numbers);
    if (distinct.size !== numbers.length) problems.push(`${id} ran twice with the same attempt number: ${numbers}`);
    reruns += numbers.length - 1;
  }

  await kill(server);
  console.log(`${KILLS} kills, ${calls.length} function runs, ${reruns} of them repeats of a lost process`);
  if (problems.length) {
    console.log(`FAIL: ${problems.length} problems (data folder kept in ${dir})`);
    for (const p of problems.slice(0, 40)) console.log(`  ${p}`);
    process.exit(1);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('ok   every execution succeeded once, with the right output and no state run twice');
}

main().catch(async (e) => {
  console.log(`FAIL ${e.stack || e}`);
  if (server) server.child.kill('SIGKILL');
  process.exit(1);
});
