// `wharf serve` as a durable Step Functions service, driven with the real AWS SDK for JavaScript
// (@aws-sdk/client-sfn) as a user's program would, through every durable action of issue 3:
// state machines (create, idempotent create, describe, list with paging, update with revisions,
// delete), executions (start with idempotency, describe, list with filters and paging, history
// with paging and reverse order, stop, redrive, describe-for-execution), task tokens
// (.waitForTaskToken with SendTaskHeartbeat/Success/Failure and a heartbeat timeout), a function
// task with a Retry, a SIGTERM restart in the middle of a Wait, and AWS's error shapes. Requests
// are signed with Signature Version 4 with the access key of the project file.
//
// Each check prints `ok   NAME` or `FAIL NAME: ...`; the exit code is 1 on any failure.
// Usage: node tests/serve_sdk_durable_test.js PATH/TO/wharf
'use strict';
const assert = require('assert');
const { startWharf, sleep } = require('./serve_lib');
const fs = require('fs');
const os = require('os');
const path = require('path');
const sdk = require(path.join(__dirname, 'node/node_modules/@aws-sdk/client-sfn'));

const began = Date.now();
const wharf = path.resolve(process.argv[2] || 'wharf');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-sdk-durable-'));
const data = path.join(dir, 'data');
const tokens = path.join(dir, 'tokens.jsonl');
const beforeLog = path.join(dir, 'before.log');
const gateFlag = path.join(dir, 'gate.open');
const flakyCount = path.join(dir, 'flaky.count');
const KEY = 'AKIDWHARFDURABLE';
const secret = 'durable-sdk-secret-0123456789abcdef';
const REGION = 'us-east-1';
const ACCOUNT = '111111111111';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/wharf-test`;
const machineArn = (n) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${n}`;
const executionArn = (m, n) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${m}:${n}`;
const fnArn = (n) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${n}`;

// ---- the project: machines and functions ----

const tokenTask = (heartbeat) => ({
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: 'notify',
        Payload: { 'token.$': '$$.Task.Token', 'execution.$': '$$.Execution.Name' },
      },
      HeartbeatSeconds: heartbeat,
      TimeoutSeconds: 50,
      End: true,
    },
  },
});
const projectMachines = {
  approval: tokenTask(20),
  approval_hb: tokenTask(1),
  flaky: {
    StartAt: 'Call',
    States: {
      Call: {
        Type: 'Task', Resource: fnArn('flaky'), End: true,
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 1 }],
      },
    },
  },
  gated: {
    StartAt: 'Before',
    States: {
      Before: { Type: 'Task', Resource: fnArn('before'), Next: 'Gate' },
      Gate: { Type: 'Task', Resource: fnArn('gate'), Next: 'Done' },
      Done: { Type: 'Pass', Result: { passed: true }, ResultPath: '$.gate', End: true },
    },
  },
  long: {
    StartAt: 'Sleep',
    States: { Sleep: { Type: 'Wait', Seconds: 60, Next: 'Done' }, Done: { Type: 'Succeed' } },
  },
  pause: {
    StartAt: 'Sleep',
    States: {
      Sleep: { Type: 'Wait', Seconds: 2, Next: 'Done' },
      Done: { Type: 'Pass', Parameters: { 'woke.$': '$.who' }, End: true },
    },
  },
  quick: {
    StartAt: 'A',
    States: {
      A: { Type: 'Pass', Parameters: { 'n.$': '$.n', a: true }, Next: 'B' },
      B: { Type: 'Pass', Result: 'b', ResultPath: '$.b', End: true },
    },
  },
};
const sh = (script) => JSON.stringify(['/bin/sh', '-c', script]);
const functions = {
  // Appends the payload (the task token and the execution's name) to a file, one line each.
  notify: sh(`line=$(cat); printf '%s\\n' "$line" >> '${tokens}'`),
  // Fails with Flaky twice, then returns the attempt count and its input.
  flaky: sh(`n=$(( $(cat '${flakyCount}' 2>/dev/null || echo 0) + 1 )); echo $n > '${flakyCount}'; `
    + `if [ $n -lt 3 ]; then echo "{\\"errorType\\":\\"Flaky\\",\\"errorMessage\\":\\"attempt $n\\"}"; exit 1; fi; `
    + `printf '{"attempts":%s,"input":%s}' $n "$(cat)"`),
  // Logs that it ran and passes its input on.
  before: sh(`echo ran >> '${beforeLog}'; cat`),
  // Fails until the flag file exists.
  gate: sh(`if [ ! -f '${gateFlag}' ]; then echo '{"errorType":"Gate.Closed","errorMessage":"flag file missing"}'; exit 1; fi; cat`),
};
const yaml = ['state_machines:'];
for (const [name, def] of Object.entries(projectMachines)) {
  fs.writeFileSync(path.join(dir, `${name}.asl.json`), JSON.stringify(def, null, 2));
  yaml.push(`  ${name}:`, `    definition: ${name}.asl.json`);
}
yaml.push('functions:');
for (const [name, command] of Object.entries(functions)) {
  yaml.push(`  ${name}:`, `    command: ${command}`, '    timeout: 30');
}
yaml.push('  unused:', '    command: ["/bin/true"]', '    concurrency: 2');
yaml.push('auth:', '  access_keys:', `    - access_key_id: ${KEY}`, `      secret_access_key: ${secret}`, '');
fs.writeFileSync(path.join(dir, 'wharf.yaml'), yaml.join('\n'));

// ---- the server ----

function startServer() {
  return startWharf(wharf, ['--project', path.join(dir, 'wharf.yaml'), '--data', data]);
}

function client(endpoint, secretAccessKey = secret, accessKeyId = KEY) {
  return new sdk.SFNClient({
    endpoint, region: REGION, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey },
  });
}

let server = null;
let sfn = null;
const send = (Command, input) => sfn.send(new Command(input));

async function describe(arn) {
  return send(sdk.DescribeExecutionCommand, { executionArn: arn });
}

// Polls until the execution is no longer RUNNING (or `until` holds).
async function waitFor(arn, until = (d) => d.status !== 'RUNNING', timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await describe(arn);
    if (until(d)) return d;
    if (Date.now() > deadline) throw new Error(`${arn} still ${d.status} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function history(arn, extra = {}) {
  const events = [];
  let nextToken;
  do {
    const h = await send(sdk.GetExecutionHistoryCommand, { executionArn: arn, maxResults: 1000, nextToken, ...extra });
    events.push(...h.events);
    nextToken = h.nextToken;
  } while (nextToken);
  return events;
}

// The task token the notify function wrote for an execution.
async function tokenOf(execution, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Whole lines only: a line still being written has no newline yet.
    const lines = fs.existsSync(tokens) ? fs.readFileSync(tokens, 'utf8').split('\n').slice(0, -1) : [];
    for (const l of lines) {
      const p = JSON.parse(l);
      if (p.execution === execution) return p.token;
    }
    if (Date.now() > deadline) throw new Error(`no token for ${execution} in ${tokens}: ${lines.join(' | ')}`);
    await sleep(50);
  }
}

const rejectsWith = (promise, names) => assert.rejects(promise, (e) => {
  const want = [].concat(names);
  assert.ok(want.includes(e.name), `got ${e.name} (${e.message}), want ${want.join(' or ')}`);
  assert.strictEqual(e.$metadata.httpStatusCode, 400);
  return true;
});

async function main() {
  let failures = 0;
  const check = async (name, fn) => {
    const t = Date.now();
    try {
      await fn();
      console.log(`ok   ${name} (${Date.now() - t} ms)`);
    } catch (e) {
      failures++;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  };
  server = await startServer();
  sfn = client(server.endpoint);
  console.log(`server ready at ${server.endpoint} in ${Date.now() - began} ms`);
  try {
    // ---- state machines ----
    const v1 = {
      StartAt: 'Sleep',
      States: {
        Sleep: { Type: 'Wait', Seconds: 2, Next: 'Mark' },
        Mark: { Type: 'Pass', Result: { version: 1 }, End: true },
      },
    };
    const v2 = { StartAt: 'Mark', States: { Mark: { Type: 'Pass', Result: { version: 2 }, End: true } } };
    let created;
    await check('CreateStateMachine creates a STANDARD machine', async () => {
      created = await send(sdk.CreateStateMachineCommand, {
        name: 'evolving', definition: JSON.stringify(v1), roleArn: ROLE, type: 'STANDARD',
      });
      assert.strictEqual(created.stateMachineArn, machineArn('evolving'));
      assert.ok(created.creationDate instanceof Date, `creationDate ${created.creationDate}`);
      assert.ok(Math.abs(created.creationDate - Date.now()) < 60000, `creationDate ${created.creationDate}`);
      for (const n of ['made-1', 'made-2', 'made-3']) {
        const r = await send(sdk.CreateStateMachineCommand, { name: n, definition: JSON.stringify(v2), roleArn: ROLE });
        assert.strictEqual(r.stateMachineArn, machineArn(n));
      }
    });
    await check('CreateStateMachine again with the same definition is idempotent', async () => {
      const again = await send(sdk.CreateStateMachineCommand, {
        name: 'evolving', definition: JSON.stringify(v1), roleArn: ROLE, type: 'STANDARD',
      });
      assert.strictEqual(again.stateMachineArn, created.stateMachineArn);
      assert.strictEqual(again.creationDate.getTime(), created.creationDate.getTime());
    });
    await check('CreateStateMachine with a changed definition is StateMachineAlreadyExists', async () => {
      await rejectsWith(send(sdk.CreateStateMachineCommand, {
        name: 'evolving', definition: JSON.stringify(v2), roleArn: ROLE, type: 'STANDARD',
      }), 'StateMachineAlreadyExists');
    });
    await check('CreateStateMachine with a broken definition is InvalidDefinition', async () => {
      await rejectsWith(send(sdk.CreateStateMachineCommand, {
        name: 'broken', roleArn: ROLE,
        definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
      }), 'InvalidDefinition');
      await rejectsWith(send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('broken') }),
        'StateMachineDoesNotExist');
    });
    let firstRevision;
    await check('DescribeStateMachine returns the machine as created', async () => {
      const d = await send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('evolving') });
      assert.strictEqual(d.name, 'evolving');
      assert.strictEqual(d.status, 'ACTIVE');
      assert.strictEqual(d.type, 'STANDARD');
      assert.strictEqual(d.roleArn, ROLE);
      assert.deepStrictEqual(JSON.parse(d.definition), v1);
      assert.strictEqual(d.creationDate.getTime(), created.creationDate.getTime());
      assert.ok(d.revisionId, 'no revisionId');
      assert.strictEqual(d.loggingConfiguration.level, 'OFF');
      firstRevision = d.revisionId;
      const p = await send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('approval') });
      assert.deepStrictEqual(JSON.parse(p.definition), projectMachines.approval);
    });
    await check('ListStateMachines pages through the project\'s and the created machines', async () => {
      const names = [];
      let nextToken;
      let pages = 0;
      do {
        const r = await send(sdk.ListStateMachinesCommand, { maxResults: 3, nextToken });
        assert.ok(r.stateMachines.length <= 3, `${r.stateMachines.length} machines in a page of 3`);
        for (const m of r.stateMachines) {
          assert.strictEqual(m.stateMachineArn, machineArn(m.name));
          assert.strictEqual(m.type, 'STANDARD');
          assert.ok(m.creationDate instanceof Date);
        }
        names.push(...r.stateMachines.map((m) => m.name));
        nextToken = r.nextToken;
        pages++;
      } while (nextToken && pages < 20);
      const want = [...Object.keys(projectMachines), 'evolving', 'made-1', 'made-2', 'made-3'].sort();
      assert.deepStrictEqual([...names].sort(), want);
      assert.strictEqual(pages, Math.ceil(want.length / 3));
    });

    // ---- UpdateStateMachine while an execution runs ----
    let oldRun;
    await check('UpdateStateMachine makes a new revision; a running execution keeps its own', async () => {
      oldRun = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('evolving'), name: 'old-rev' });
      const u = await send(sdk.UpdateStateMachineCommand, {
        stateMachineArn: machineArn('evolving'), definition: JSON.stringify(v2),
      });
      assert.ok(u.updateDate instanceof Date);
      assert.ok(u.revisionId && u.revisionId !== firstRevision, `revisionId ${u.revisionId} after ${firstRevision}`);
      const d = await send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('evolving') });
      assert.deepStrictEqual(JSON.parse(d.definition), v2);
      assert.strictEqual(d.revisionId, u.revisionId);
      const f = await send(sdk.DescribeStateMachineForExecutionCommand, { executionArn: oldRun.executionArn });
      assert.strictEqual((await describe(oldRun.executionArn)).status, 'RUNNING', 'the old execution ended too soon');
      assert.deepStrictEqual(JSON.parse(f.definition), v1);
      assert.strictEqual(f.revisionId, firstRevision);
      assert.strictEqual(f.stateMachineArn, machineArn('evolving'));
      assert.strictEqual(f.name, 'evolving');
      assert.strictEqual(f.roleArn, ROLE);
      const fresh = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('evolving'), name: 'new-rev' });
      const nd = await waitFor(fresh.executionArn);
      assert.strictEqual(nd.status, 'SUCCEEDED', `${nd.error}: ${nd.cause}`);
      assert.deepStrictEqual(JSON.parse(nd.output), { version: 2 });
      const nf = await send(sdk.DescribeStateMachineForExecutionCommand, { executionArn: fresh.executionArn });
      assert.strictEqual(nf.revisionId, u.revisionId);
      const od = await waitFor(oldRun.executionArn);
      assert.strictEqual(od.status, 'SUCCEEDED', `${od.error}: ${od.cause}`);
      assert.deepStrictEqual(JSON.parse(od.output), { version: 1 }, 'the old execution ran the new definition');
    });
    await check('DeleteStateMachine removes a machine', async () => {
      assert.deepStrictEqual(Object.keys(await send(sdk.DeleteStateMachineCommand, { stateMachineArn: machineArn('made-3') }))
        .filter((k) => k !== '$metadata'), []);
      await rejectsWith(send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('made-3') }),
        'StateMachineDoesNotExist');
      const r = await send(sdk.ListStateMachinesCommand, {});
      assert.ok(!r.stateMachines.some((m) => m.name === 'made-3'), 'made-3 is still listed');
      await rejectsWith(send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('made-3') }),
        'StateMachineDoesNotExist');
    });

    // ---- executions ----
    const longInput = JSON.stringify({ job: 7, tags: ['a', 'b'] });
    let stopme;
    await check('StartExecution is idempotent by name and input', async () => {
      stopme = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('long'), name: 'stopme', input: longInput });
      assert.strictEqual(stopme.executionArn, executionArn('long', 'stopme'));
      assert.ok(stopme.startDate instanceof Date);
      const again = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('long'), name: 'stopme', input: longInput });
      assert.strictEqual(again.executionArn, stopme.executionArn);
      assert.strictEqual(again.startDate.getTime(), stopme.startDate.getTime());
    });
    await check('StartExecution with the same name and another input is ExecutionAlreadyExists', async () => {
      await rejectsWith(send(sdk.StartExecutionCommand, {
        stateMachineArn: machineArn('long'), name: 'stopme', input: JSON.stringify({ job: 8 }),
      }), 'ExecutionAlreadyExists');
    });
    await check('ListExecutions with statusFilter RUNNING shows the running execution', async () => {
      await waitFor(stopme.executionArn, (d) => d.status === 'RUNNING');
      const r = await send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('long'), statusFilter: 'RUNNING' });
      assert.deepStrictEqual(r.executions.map((e) => e.name), ['stopme']);
      assert.strictEqual(r.executions[0].status, 'RUNNING');
    });
    await check('StopExecution aborts a Wait of 60 s and keeps error and cause', async () => {
      const h0 = await history(stopme.executionArn);
      assert.ok(h0.some((e) => e.type === 'WaitStateEntered'), `not in the Wait yet: ${h0.map((e) => e.type)}`);
      const s = await send(sdk.StopExecutionCommand, {
        executionArn: stopme.executionArn, error: 'Operator.Stopped', cause: 'no longer needed',
      });
      assert.ok(s.stopDate instanceof Date);
      const d = await describe(stopme.executionArn);
      assert.strictEqual(d.status, 'ABORTED');
      assert.strictEqual(d.error, 'Operator.Stopped');
      assert.strictEqual(d.cause, 'no longer needed');
      assert.strictEqual(d.stopDate.getTime(), s.stopDate.getTime());
      assert.ok(d.stopDate - d.startDate < 30000, 'the stop waited for the Wait');
      const h = await history(stopme.executionArn);
      const last = h[h.length - 1];
      assert.strictEqual(last.type, 'ExecutionAborted');
      assert.strictEqual(last.executionAbortedEventDetails.error, 'Operator.Stopped');
      assert.strictEqual(last.executionAbortedEventDetails.cause, 'no longer needed');
      const a = await send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('long'), statusFilter: 'ABORTED' });
      assert.deepStrictEqual(a.executions.map((e) => e.name), ['stopme']);
      await rejectsWith(send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('long'), name: 'stopme', input: longInput }),
        'ExecutionAlreadyExists');
    });

    const quick = [];
    await check('DescribeExecution returns input, output, status and dates', async () => {
      for (let i = 0; i < 5; i++) {
        quick.push(await send(sdk.StartExecutionCommand, {
          stateMachineArn: machineArn('quick'), name: `q${i}`, input: JSON.stringify({ n: i }),
        }));
        await sleep(5); // distinct start dates, for the newest-first order
      }
      for (let i = 0; i < 5; i++) {
        const d = await waitFor(quick[i].executionArn);
        assert.strictEqual(d.status, 'SUCCEEDED', `${d.error}: ${d.cause}`);
        assert.strictEqual(d.executionArn, executionArn('quick', `q${i}`));
        assert.strictEqual(d.stateMachineArn, machineArn('quick'));
        assert.strictEqual(d.name, `q${i}`);
        assert.deepStrictEqual(JSON.parse(d.input), { n: i });
        assert.deepStrictEqual(JSON.parse(d.output), { n: i, a: true, b: 'b' });
        assert.strictEqual(d.startDate.getTime(), quick[i].startDate.getTime());
        assert.ok(d.stopDate instanceof Date && d.stopDate >= d.startDate, `${d.startDate} .. ${d.stopDate}`);
        assert.strictEqual(d.error, undefined);
      }
    });
    await check('ListExecutions pages newest first, with statusFilter', async () => {
      const seen = [];
      let nextToken;
      let pages = 0;
      do {
        const r = await send(sdk.ListExecutionsCommand, {
          stateMachineArn: machineArn('quick'), statusFilter: 'SUCCEEDED', maxResults: 2, nextToken,
        });
        assert.ok(r.executions.length <= 2);
        seen.push(...r.executions);
        nextToken = r.nextToken;
        pages++;
      } while (nextToken && pages < 10);
      assert.strictEqual(pages, 3);
      assert.deepStrictEqual(seen.map((e) => e.name), ['q4', 'q3', 'q2', 'q1', 'q0']);
      for (const e of seen) {
        assert.strictEqual(e.status, 'SUCCEEDED');
        assert.ok(e.startDate instanceof Date && e.stopDate instanceof Date);
      }
      const failed = await send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('quick'), statusFilter: 'FAILED' });
      assert.deepStrictEqual(failed.executions, []);
      assert.strictEqual(failed.nextToken, undefined);
      const all = await send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('quick') });
      assert.strictEqual(all.executions.length, 5);
    });
    await check('GetExecutionHistory pages by 2, in both orders, with AWS\'s event types', async () => {
      const arn = quick[0].executionArn;
      const pages = [];
      let nextToken;
      do {
        const h = await send(sdk.GetExecutionHistoryCommand, { executionArn: arn, maxResults: 2, nextToken });
        pages.push(h.events);
        nextToken = h.nextToken;
      } while (nextToken && pages.length < 10);
      const events = pages.flat();
      assert.deepStrictEqual(pages.map((p) => p.length), [2, 2, 2]);
      assert.deepStrictEqual(events.map((e) => e.type), ['ExecutionStarted', 'PassStateEntered', 'PassStateExited',
        'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
      events.forEach((e, i) => {
        assert.strictEqual(e.id, i + 1);
        assert.strictEqual(e.previousEventId, i);
        assert.ok(e.timestamp instanceof Date);
        if (i > 0) assert.ok(e.timestamp >= events[i - 1].timestamp, `event ${e.id} goes back in time`);
      });
      assert.deepStrictEqual(JSON.parse(events[0].executionStartedEventDetails.input), { n: 0 });
      assert.strictEqual(events[1].stateEnteredEventDetails.name, 'A');
      assert.strictEqual(events[3].stateEnteredEventDetails.name, 'B');
      assert.deepStrictEqual(JSON.parse(events[5].executionSucceededEventDetails.output), { n: 0, a: true, b: 'b' });
      const reversed = [];
      nextToken = undefined;
      do {
        const h = await send(sdk.GetExecutionHistoryCommand, { executionArn: arn, maxResults: 2, reverseOrder: true, nextToken });
        reversed.push(...h.events);
        nextToken = h.nextToken;
      } while (nextToken && reversed.length < 20);
      assert.deepStrictEqual(reversed.map((e) => e.id), [6, 5, 4, 3, 2, 1]);
      assert.deepStrictEqual(reversed, [...events].reverse());
    });
    await check('DescribeStateMachineForExecution shows the machine of the execution', async () => {
      const f = await send(sdk.DescribeStateMachineForExecutionCommand, { executionArn: quick[0].executionArn });
      const d = await send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('quick') });
      assert.strictEqual(f.stateMachineArn, machineArn('quick'));
      assert.strictEqual(f.name, 'quick');
      assert.strictEqual(f.definition, d.definition);
      assert.strictEqual(f.revisionId, d.revisionId);
      assert.ok(f.updateDate instanceof Date);
    });

    // ---- a function task with a Retry ----
    await check('a function task retries a failing /bin/sh command and returns its output', async () => {
      const r = await send(sdk.StartExecutionCommand, {
        stateMachineArn: machineArn('flaky'), name: 'retry', input: JSON.stringify({ x: 'y' }),
      });
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'SUCCEEDED', `${d.error}: ${d.cause}`);
      assert.deepStrictEqual(JSON.parse(d.output), { attempts: 3, input: { x: 'y' } });
      const types = (await history(r.executionArn)).map((e) => e.type);
      assert.strictEqual(types.filter((t) => t === 'LambdaFunctionScheduled').length, 3, types.join(' '));
      assert.strictEqual(types.filter((t) => t === 'LambdaFunctionFailed').length, 2, types.join(' '));
      assert.strictEqual(types.filter((t) => t === 'LambdaFunctionSucceeded').length, 1, types.join(' '));
      assert.ok(d.stopDate - d.startDate >= 2000, `two retries of 1 s took ${d.stopDate - d.startDate} ms`);
    });

    // ---- redrive ----
    await check('RedriveExecution runs a FAILED execution again from the failed state', async () => {
      const r = await send(sdk.StartExecutionCommand, {
        stateMachineArn: machineArn('gated'), name: 'gate-1', input: JSON.stringify({ item: 1 }),
      });
      const failed = await waitFor(r.executionArn);
      assert.strictEqual(failed.status, 'FAILED');
      assert.strictEqual(failed.error, 'Gate.Closed');
      assert.ok(failed.cause.includes('flag file missing'), failed.cause);
      assert.strictEqual(failed.redriveStatus, 'REDRIVABLE');
      assert.strictEqual(failed.redriveCount, 0);
      fs.writeFileSync(gateFlag, 'open\n');
      const rd = await send(sdk.RedriveExecutionCommand, { executionArn: r.executionArn });
      assert.ok(rd.redriveDate instanceof Date);
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'SUCCEEDED', `${d.error}: ${d.cause}`);
      assert.deepStrictEqual(JSON.parse(d.output), { item: 1, gate: { passed: true } });
      assert.strictEqual(d.redriveCount, 1);
      assert.strictEqual(d.redriveDate.getTime(), rd.redriveDate.getTime());
      assert.strictEqual(d.error, undefined, `error ${d.error} kept after the redrive`);
      assert.strictEqual(fs.readFileSync(beforeLog, 'utf8'), 'ran\n', 'the state before the failure ran again');
      const h = await history(r.executionArn);
      h.forEach((e, i) => assert.strictEqual(e.id, i + 1));
      const redriven = h.filter((e) => e.type === 'ExecutionRedriven');
      assert.strictEqual(redriven.length, 1, h.map((e) => e.type).join(' '));
      assert.strictEqual(redriven[0].executionRedrivenEventDetails.redriveCount, 1);
      const entered = h.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails.name);
      assert.deepStrictEqual(entered, ['Before', 'Gate', 'Gate']);
      const l = await send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('gated'), redriveFilter: 'REDRIVEN' });
      assert.deepStrictEqual(l.executions.map((e) => [e.name, e.redriveCount]), [['gate-1', 1]]);
      await rejectsWith(send(sdk.RedriveExecutionCommand, { executionArn: r.executionArn }), 'ExecutionNotRedrivable');
    });

    // ---- task tokens ----
    let spent;
    await check('.waitForTaskToken: SendTaskHeartbeat, then SendTaskSuccess gives the output', async () => {
      const r = await send(sdk.StartExecutionCommand, {
        stateMachineArn: machineArn('approval'), name: 'yes', input: JSON.stringify({ order: 1 }),
      });
      const token = await tokenOf('yes');
      assert.ok(token.length > 0 && token.length <= 2048, `token of ${token.length} characters`);
      assert.strictEqual((await describe(r.executionArn)).status, 'RUNNING');
      await send(sdk.SendTaskHeartbeatCommand, { taskToken: token });
      await send(sdk.SendTaskSuccessCommand, { taskToken: token, output: JSON.stringify({ approved: true, by: 'test' }) });
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'SUCCEEDED', `${d.error}: ${d.cause}`);
      assert.deepStrictEqual(JSON.parse(d.output), { approved: true, by: 'test' });
      const types = (await history(r.executionArn)).map((e) => e.type);
      assert.deepStrictEqual(types, ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted',
        'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
      spent = token;
    });
    await check('a spent task token is refused', async () => {
      assert.ok(spent, 'no token from the check before');
      let name;
      await assert.rejects(send(sdk.SendTaskSuccessCommand, { taskToken: spent, output: '{}' }), (e) => {
        name = e.name;
        return ['TaskTimedOut'].includes(e.name);
      });
      await rejectsWith(send(sdk.SendTaskHeartbeatCommand, { taskToken: spent }), ['TaskTimedOut']);
      await rejectsWith(send(sdk.SendTaskFailureCommand, { taskToken: spent, error: 'Late' }), ['TaskTimedOut']);
      console.log(`     (the service answers ${name})`);
    });
    await check('.waitForTaskToken: SendTaskFailure fails the execution with that error and cause', async () => {
      const r = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('approval'), name: 'no' });
      const token = await tokenOf('no');
      await send(sdk.SendTaskFailureCommand, { taskToken: token, error: 'Approval.Rejected', cause: 'budget exceeded' });
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'FAILED');
      assert.strictEqual(d.error, 'Approval.Rejected');
      assert.strictEqual(d.cause, 'budget exceeded');
      const h = await history(r.executionArn);
      const failed = h.find((e) => e.type === 'TaskFailed');
      assert.ok(failed, h.map((e) => e.type).join(' '));
      assert.strictEqual(failed.taskFailedEventDetails.error, 'Approval.Rejected');
    });
    await check('.waitForTaskToken: HeartbeatSeconds 1 without heartbeats is States.HeartbeatTimeout', async () => {
      const r = await send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('approval_hb'), name: 'silent' });
      const token = await tokenOf('silent');
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'FAILED');
      assert.strictEqual(d.error, 'States.HeartbeatTimeout');
      assert.ok(d.stopDate - d.startDate >= 1000, `timed out after ${d.stopDate - d.startDate} ms`);
      const types = (await history(r.executionArn)).map((e) => e.type);
      assert.ok(types.includes('TaskTimedOut'), types.join(' '));
      await rejectsWith(send(sdk.SendTaskSuccessCommand, { taskToken: token, output: '{}' }), ['TaskTimedOut']);
    });
    await check('an unknown task token is refused', async () => {
      await rejectsWith(send(sdk.SendTaskSuccessCommand, { taskToken: 'not-a-token', output: '{}' }),
        ['InvalidToken']);
    });

    // ---- restart in the middle of a Wait ----
    await check('SIGTERM during a Wait of 2 s: after a restart the execution finishes', async () => {
      const r = await send(sdk.StartExecutionCommand, {
        stateMachineArn: machineArn('pause'), name: 'across-restart', input: JSON.stringify({ who: 'me' }),
      });
      const deadline = Date.now() + 5000;
      while (!(await history(r.executionArn)).some((e) => e.type === 'WaitStateEntered')) {
        assert.ok(Date.now() < deadline, 'the execution never entered its Wait');
        await sleep(20);
      }
      const old = server;
      old.child.kill('SIGTERM');
      const exited = await old.exit;
      assert.deepStrictEqual(exited, { code: 0, signal: null }, `wharf serve exited with ${JSON.stringify(exited)}: ${old.err}`);
      sfn.destroy();
      server = await startServer();
      sfn = client(server.endpoint);
      const resumed = server.out.match(/\((\d+) running executions resumed\)/);
      assert.ok(resumed && Number(resumed[1]) >= 1, `not resumed: ${server.out}`);
      const d = await waitFor(r.executionArn);
      assert.strictEqual(d.status, 'SUCCEEDED', `${d.error}: ${d.cause}`);
      assert.deepStrictEqual(JSON.parse(d.output), { woke: 'me' });
      assert.ok(d.stopDate - d.startDate >= 2000, `the Wait of 2 s took ${d.stopDate - d.startDate} ms`);
      const types = (await history(r.executionArn)).map((e) => e.type);
      assert.strictEqual(types.filter((t) => t === 'WaitStateEntered').length, 1, types.join(' '));
      assert.deepStrictEqual(types, ['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'PassStateEntered',
        'PassStateExited', 'ExecutionSucceeded']);
    });
    await check('after the restart the machines and closed executions are still there', async () => {
      const d = await send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('evolving') });
      assert.deepStrictEqual(JSON.parse(d.definition), v2);
      const e = await describe(executionArn('long', 'stopme'));
      assert.strictEqual(e.status, 'ABORTED');
      assert.strictEqual(e.cause, 'no longer needed');
      const q = await describe(executionArn('quick', 'q3'));
      assert.deepStrictEqual(JSON.parse(q.output), { n: 3, a: true, b: 'b' });
    });

    // ---- errors as the SDK sees them ----
    await check('a missing execution is ExecutionDoesNotExist', async () => {
      await rejectsWith(describe(executionArn('quick', 'never-started')), 'ExecutionDoesNotExist');
      await rejectsWith(send(sdk.GetExecutionHistoryCommand, { executionArn: executionArn('quick', 'never-started') }),
        'ExecutionDoesNotExist');
      await rejectsWith(send(sdk.StopExecutionCommand, { executionArn: executionArn('quick', 'never-started') }),
        'ExecutionDoesNotExist');
    });
    await check('a missing state machine is StateMachineDoesNotExist', async () => {
      await rejectsWith(send(sdk.DescribeStateMachineCommand, { stateMachineArn: machineArn('nope') }), 'StateMachineDoesNotExist');
      await rejectsWith(send(sdk.StartExecutionCommand, { stateMachineArn: machineArn('nope') }), 'StateMachineDoesNotExist');
      await rejectsWith(send(sdk.ListExecutionsCommand, { stateMachineArn: machineArn('nope') }), 'StateMachineDoesNotExist');
    });
    await check('a garbage ARN is InvalidArn', async () => {
      await rejectsWith(describe('garbage'), 'InvalidArn');
      await rejectsWith(send(sdk.DescribeStateMachineCommand, { stateMachineArn: 'garbage' }), 'InvalidArn');
      await rejectsWith(send(sdk.StartExecutionCommand, { stateMachineArn: 'arn:aws:nothing' }), 'InvalidArn');
    });
    await check('a wrong secret is InvalidSignatureException', async () => {
      const bad = client(server.endpoint, 'not-the-secret');
      await rejectsWith(bad.send(new sdk.ListStateMachinesCommand({})), 'InvalidSignatureException');
      bad.destroy();
    });
    await check('an unknown access key is UnrecognizedClientException', async () => {
      const bad = client(server.endpoint, secret, 'AKIDNOBODYKNOWS');
      await rejectsWith(bad.send(new sdk.DescribeExecutionCommand({ executionArn: quick[0].executionArn })),
        'UnrecognizedClientException');
      bad.destroy();
    });
  } finally {
    if (server && !server.exited) {
      server.child.kill('SIGTERM');
      await server.exit;
    }
    if (failures && server) console.log(`server stderr:\n${server.err}`);
    if (failures) console.log(`data kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${failures} failure(s) in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL ${e.stack || e}`);
  if (server && !server.exited) server.child.kill('SIGKILL');
  process.exit(1);
});
