// Black-box test of the EventBridge API of `wharf serve` with the real AWS SDK for JavaScript v3
// (@aws-sdk/client-eventbridge, AWS JSON 1.1, signed for "events"), with @aws-sdk/client-sfn to
// see the executions the rules start, and `wharf dead-letters` for the dead letters.
// Usage: node tests/serve_eventbridge_test.js PATH/TO/wharf
'use strict';
const { execFileSync } = require('child_process');
const { startWharf, sleep } = require('./serve_lib');
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const eb = require(path.join(__dirname, 'node/node_modules/@aws-sdk/client-eventbridge'));
const sfnSdk = require(path.join(__dirname, 'node/node_modules/@aws-sdk/client-sfn'));

const wharf = path.resolve(process.argv[2]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-eventbridge-'));
const keyId = 'AKIDWHARFEVENTS';
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const account = '111111111111';
const machineArn = (n) => `arn:aws:states:us-east-1:${account}:stateMachine:${n}`;
const echo = JSON.stringify({ StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } });
fs.writeFileSync(path.join(dir, 'echo.asl.json'), echo);
fs.writeFileSync(path.join(dir, 'wharf.yaml'), [
  'state_machines:',
  '  import:',
  '    definition: echo.asl.json',
  'rules:',
  '  from-project:',
  '    event_pattern: {"source": ["project.only"]}',
  '    targets:',
  '      - state_machine: import',
  'auth:',
  '  access_keys:',
  `    - access_key_id: ${keyId}`,
  `      secret_access_key: ${secret}`,
  `data: ${path.join(dir, 'data')}`,
  '',
].join('\n'));

function startServer() {
  return startWharf(wharf, ['--project', path.join(dir, 'wharf.yaml')]);
}

async function until(what, fn, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function main() {
  const { child, endpoint } = await startServer();
  const credentials = { accessKeyId: keyId, secretAccessKey: secret };
  const events = new eb.EventBridgeClient({ endpoint, region: 'us-east-1', credentials });
  const sfn = new sfnSdk.SFNClient({ endpoint, region: 'us-east-1', credentials });
  const cli = (...args) => execFileSync(wharf, ['dead-letters', ...args, '--endpoint', endpoint], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const executions = async (machine) => (await sfn.send(new sfnSdk.ListExecutionsCommand({
    stateMachineArn: machineArn(machine) }))).executions;
  const order = (file) => ({
    Source: 'partner.orders', DetailType: 'Order file', Detail: JSON.stringify({ file, lines: 3 }),
    Resources: ['arn:aws:s3:::landing'],
  });
  const pattern = JSON.stringify({ source: ['partner.orders'], detail: { file: [{ suffix: '.csv' }] } });

  let failures = 0;
  const check = async (name, fn) => {
    try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e}`); }
  };
  try {
    await check('PutRule returns the rule ARN; DescribeRule and ListRules show it', async () => {
      const put = await events.send(new eb.PutRuleCommand({
        Name: 'csv-orders', EventPattern: pattern, State: 'ENABLED', Description: 'order files',
      }));
      assert.strictEqual(put.RuleArn, `arn:aws:events:us-east-1:${account}:rule/csv-orders`);
      const d = await events.send(new eb.DescribeRuleCommand({ Name: 'csv-orders' }));
      assert.strictEqual(d.Arn, put.RuleArn);
      assert.strictEqual(d.State, 'ENABLED');
      assert.strictEqual(d.Description, 'order files');
      assert.strictEqual(d.EventBusName, 'default');
      assert.strictEqual(d.CreatedBy, account);
      assert.deepStrictEqual(JSON.parse(d.EventPattern), JSON.parse(pattern));
      const all = await events.send(new eb.ListRulesCommand({}));
      assert.deepStrictEqual(all.Rules.map((r) => r.Name), ['csv-orders', 'from-project']);
      assert.strictEqual(all.Rules[1].ManagedBy, 'project');
      const some = await events.send(new eb.ListRulesCommand({ NamePrefix: 'csv' }));
      assert.deepStrictEqual(some.Rules.map((r) => r.Name), ['csv-orders']);
    });

    await check('PutTargets with an InputTransformer; PutEvents starts the execution with the transformed input', async () => {
      const r = await events.send(new eb.PutTargetsCommand({
        Rule: 'csv-orders',
        Targets: [{
          Id: 'import', Arn: machineArn('import'),
          InputTransformer: {
            InputPathsMap: { file: '$.detail.file', lines: '$.detail.lines' },
            InputTemplate: '{"path": <file>, "lines": <lines>, "rule": <aws.events.rule-name>}',
          },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
        }],
      }));
      assert.strictEqual(r.FailedEntryCount, 0);
      const t = await events.send(new eb.ListTargetsByRuleCommand({ Rule: 'csv-orders' }));
      assert.strictEqual(t.Targets.length, 1);
      assert.strictEqual(t.Targets[0].Arn, machineArn('import'));
      assert.strictEqual(t.Targets[0].RetryPolicy.MaximumRetryAttempts, 2);
      assert.strictEqual(t.Targets[0].InputTransformer.InputPathsMap.file, '$.detail.file');

      const sent = await events.send(new eb.PutEventsCommand({ Entries: [order('a.csv'), order('b.txt')] }));
      assert.strictEqual(sent.FailedEntryCount, 0);
      assert.strictEqual(sent.Entries.length, 2);
      assert.match(sent.Entries[0].EventId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const list = await until('the execution', async () => {
        const e = await executions('import');
        return e.length >= 1 && e;
      });
      await sleep(300);
      assert.strictEqual((await executions('import')).length, 1, 'b.txt matched nothing');
      const d = await sfn.send(new sfnSdk.DescribeExecutionCommand({ executionArn: list[0].executionArn }));
      assert.deepStrictEqual(JSON.parse(d.input), { path: 'a.csv', lines: 3, rule: 'csv-orders' });
    });

    await check('PutEvents reports a bad entry by itself', async () => {
      const r = await events.send(new eb.PutEventsCommand({
        Entries: [{ Source: 'x', DetailType: 'y', Detail: '{not json' }, { Source: 'x', DetailType: 'y', Detail: '{}' }],
      }));
      assert.strictEqual(r.FailedEntryCount, 1);
      assert.strictEqual(r.Entries[0].ErrorCode, 'MalformedDetail');
      assert.ok(r.Entries[1].EventId);
    });

    await check('a disabled rule starts nothing; enabled again it does', async () => {
      await events.send(new eb.DisableRuleCommand({ Name: 'csv-orders' }));
      assert.strictEqual((await events.send(new eb.DescribeRuleCommand({ Name: 'csv-orders' }))).State, 'DISABLED');
      await events.send(new eb.PutEventsCommand({ Entries: [order('c.csv')] }));
      await sleep(500);
      assert.strictEqual((await executions('import')).length, 1);
      await events.send(new eb.EnableRuleCommand({ Name: 'csv-orders' }));
      await events.send(new eb.PutEventsCommand({ Entries: [order('d.csv')] }));
      await until('the second execution', async () => (await executions('import')).length === 2);
    });

    await check('TestEventPattern: true, false, and an invalid pattern', async () => {
      const event = JSON.stringify({
        id: '1', account, source: 'partner.orders', time: '2024-01-01T00:00:00Z', region: 'us-east-1',
        resources: [], 'detail-type': 'Order file', detail: { file: 'x.csv' },
      });
      assert.strictEqual((await events.send(new eb.TestEventPatternCommand({ EventPattern: pattern, Event: event }))).Result, true);
      assert.strictEqual((await events.send(new eb.TestEventPatternCommand({
        EventPattern: JSON.stringify({ source: ['other'] }), Event: event }))).Result, false);
      await assert.rejects(events.send(new eb.TestEventPatternCommand({ EventPattern: '{"source": "x"}', Event: event })),
        (e) => e.name === 'InvalidEventPatternException' && e instanceof eb.InvalidEventPatternException);
    });

    await check('DeleteRule refuses a rule with targets; RemoveTargets, then DeleteRule', async () => {
      await assert.rejects(events.send(new eb.DeleteRuleCommand({ Name: 'csv-orders' })),
        (e) => e.name === 'ValidationException' && e.message === "Rule can't be deleted since it has targets.");
      const r = await events.send(new eb.RemoveTargetsCommand({ Rule: 'csv-orders', Ids: ['import'] }));
      assert.strictEqual(r.FailedEntryCount, 0);
      assert.strictEqual((await events.send(new eb.ListTargetsByRuleCommand({ Rule: 'csv-orders' }))).Targets.length, 0);
      await events.send(new eb.DeleteRuleCommand({ Name: 'csv-orders' }));
      await assert.rejects(events.send(new eb.DescribeRuleCommand({ Name: 'csv-orders' })),
        (e) => e instanceof eb.ResourceNotFoundException && e.message === 'Rule csv-orders does not exist on EventBus default.');
    });

    await check('a rule of the project file is ManagedRuleException', async () => {
      await assert.rejects(events.send(new eb.DisableRuleCommand({ Name: 'from-project' })),
        (e) => e instanceof eb.ManagedRuleException);
      await assert.rejects(events.send(new eb.DeleteRuleCommand({ Name: 'from-project' })),
        (e) => e.name === 'ManagedRuleException');
      await assert.rejects(events.send(new eb.PutRuleCommand({ Name: 'from-project', EventPattern: pattern })),
        (e) => e.name === 'ManagedRuleException');
    });

    await check('a target without its state machine ends in the dead letters; replayed once the machine exists', async () => {
      await events.send(new eb.PutRuleCommand({ Name: 'late', EventPattern: JSON.stringify({ source: ['late.source'] }) }));
      await events.send(new eb.PutTargetsCommand({ Rule: 'late', Targets: [{ Id: 'later', Arn: machineArn('later') }] }));
      const sent = await events.send(new eb.PutEventsCommand({
        Entries: [{ Source: 'late.source', DetailType: 'x', Detail: '{"n": 1}' }] }));
      const eventId = sent.Entries[0].EventId;
      const letters = await until('the dead letter', () => {
        const l = JSON.parse(cli('--json'));
        return l.length === 1 && l;
      });
      assert.strictEqual(letters[0].EventId, eventId);
      assert.strictEqual(letters[0].Rule, 'late');
      assert.strictEqual(letters[0].TargetId, 'later');
      assert.match(letters[0].Reason, /StateMachineDoesNotExist/);
      assert.strictEqual(JSON.parse(letters[0].Event).detail.n, 1);
      const table = cli();
      assert.match(table, /^ID\s+FAILED\s+RULE\s+TARGET\s+ATTEMPTS\s+EVENT\s+REASON/);
      assert.ok(table.includes(eventId), table);

      await sfn.send(new sfnSdk.CreateStateMachineCommand({
        name: 'later', definition: echo, roleArn: `arn:aws:iam::${account}:role/wharf` }));
      assert.match(cli('replay', String(letters[0].Id)), /queued/);
      const started = await until('the replayed execution', async () => {
        const e = await executions('later');
        return e.length === 1 && e;
      });
      const d = await sfn.send(new sfnSdk.DescribeExecutionCommand({ executionArn: started[0].executionArn }));
      assert.strictEqual(JSON.parse(d.input).id, eventId);
      assert.deepStrictEqual(JSON.parse(cli('--json')), []);
      // The API extension answers too, and an unknown id is ResourceNotFoundException.
      assert.throws(() => cli('replay', '999999'), (e) => /ResourceNotFoundException/.test(String(e.stderr)));
    });
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
