// Black-box test of `wharf serve` with the real AWS SDK for JavaScript v3 (@aws-sdk/client-sfn),
// pointed at the service with an endpoint override, as a user's program would be.
// Usage: node tests/serve_sdk_test.js PATH/TO/wharf
'use strict';
const { startWharf } = require('./serve_lib');
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const sdk = require(path.join(__dirname, 'node/node_modules/@aws-sdk/client-sfn'));

const wharf = path.resolve(process.argv[2]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-serve-'));
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
fs.writeFileSync(path.join(dir, 'hello.asl.json'), JSON.stringify({
  StartAt: 'Upper',
  States: {
    Upper: {
      Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:upper',
      ResultSelector: { 'shout.$': '$.WHO' }, Next: 'Greet',
    },
    Greet: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('hello {}', $.shout)" }, End: true },
  },
}));
fs.writeFileSync(path.join(dir, 'boom.asl.json'), JSON.stringify({
  StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Custom.Error', Cause: 'it broke' } },
}));
fs.writeFileSync(path.join(dir, 'wharf.yaml'), [
  'state_machines:',
  '  hello:',
  '    definition: hello.asl.json',
  '    type: EXPRESS',
  '  boom:',
  '    definition: boom.asl.json',
  '    type: EXPRESS',
  'functions:',
  '  upper:',
  '    command: ["/bin/sh", "-c", "tr a-z A-Z"]',
  'auth:',
  '  access_keys:',
  '    - access_key_id: AKIDWHARFTEST',
  `      secret_access_key: ${secret}`,
  '',
].join('\n'));

function startServer() {
  return startWharf(wharf, ['--project', path.join(dir, 'wharf.yaml')]);
}

// StartSyncExecution carries the endpoint host prefix "sync-" (sync-states.REGION.amazonaws.com);
// against a local endpoint the client must be told not to prepend it, as with any local service.
function client(endpoint, secretAccessKey) {
  return new sdk.SFNClient({
    endpoint, region: 'us-east-1', disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDWHARFTEST', secretAccessKey },
  });
}

async function main() {
  const { child, endpoint } = await startServer();
  let failures = 0;
  const check = async (name, fn) => {
    try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e}`); }
  };
  const sfn = client(endpoint, secret);
  const arn = (n) => `arn:aws:states:us-east-1:111111111111:stateMachine:${n}`;
  try {
    await check('ListStateMachines lists the project\'s machines', async () => {
      const r = await sfn.send(new sdk.ListStateMachinesCommand({}));
      assert.deepStrictEqual(r.stateMachines.map((m) => m.name), ['boom', 'hello']);
      assert.strictEqual(r.stateMachines[1].type, 'EXPRESS');
      assert.ok(r.stateMachines[1].creationDate instanceof Date);
    });
    await check('DescribeStateMachine returns the definition', async () => {
      const r = await sfn.send(new sdk.DescribeStateMachineCommand({ stateMachineArn: arn('hello') }));
      assert.strictEqual(JSON.parse(r.definition).StartAt, 'Upper');
    });
    await check('StartSyncExecution runs a function and returns the output', async () => {
      const r = await sfn.send(new sdk.StartSyncExecutionCommand({
        stateMachineArn: arn('hello'), name: 'first', input: JSON.stringify({ who: 'partner' }),
      }));
      assert.strictEqual(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
      assert.deepStrictEqual(JSON.parse(r.output), { greeting: 'hello PARTNER' });
      assert.ok(r.executionArn.startsWith('arn:aws:states:us-east-1:111111111111:express:hello:first:'));
      assert.ok(r.startDate instanceof Date && r.stopDate >= r.startDate);
    });
    await check('StartSyncExecution reports a failed execution', async () => {
      const r = await sfn.send(new sdk.StartSyncExecutionCommand({ stateMachineArn: arn('boom') }));
      assert.strictEqual(r.status, 'FAILED');
      assert.strictEqual(r.error, 'Custom.Error');
      assert.strictEqual(r.cause, 'it broke');
    });
    await check('an unknown state machine is StateMachineDoesNotExist', async () => {
      await assert.rejects(sfn.send(new sdk.DescribeStateMachineCommand({ stateMachineArn: arn('nope') })),
        (e) => e.name === 'StateMachineDoesNotExist');
    });
    await check('ValidateStateMachineDefinition reports what is wrong', async () => {
      const r = await sfn.send(new sdk.ValidateStateMachineDefinitionCommand({
        definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
      }));
      assert.strictEqual(r.result, 'FAIL');
      assert.ok(r.diagnostics[0].message.includes('Nowhere'), r.diagnostics[0].message);
    });
    await check('a wrong secret is refused with AWS\'s error', async () => {
      await assert.rejects(client(endpoint, 'not-the-secret').send(new sdk.ListStateMachinesCommand({})),
        (e) => e.name === 'InvalidSignatureException');
    });
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
