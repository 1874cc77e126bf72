// Drives wharf's HTTP server with the AWS SDK for JavaScript v3, as a user's program would:
//   node api_sfn_sdk.mjs ENDPOINT ACCESS_KEY_ID SECRET
// The server under test (src/api/http_server_test.cc) answers ListStateMachines with one state
// machine named "hello" and DescribeStateMachine with StateMachineDoesNotExist. Prints
// "api_sfn_sdk: ok" and exits 0 when every check holds.
import {
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const client = (secret) =>
  new SFNClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey: secret },
    maxAttempts: 1,
  });

// A signed call verifies and its answer deserialises.
const listed = await client(secretAccessKey).send(new ListStateMachinesCommand({ maxResults: 5 }));
assert.equal(listed.$metadata.httpStatusCode, 200);
assert.equal(listed.stateMachines.length, 1);
assert.equal(listed.stateMachines[0].name, "hello");
assert.ok(listed.stateMachines[0].creationDate instanceof Date);
assert.equal(listed.stateMachines[0].creationDate.getTime(), 1700000000500);

// A service error reaches the SDK under its AWS name.
const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
await assert.rejects(
  client(secretAccessKey).send(new DescribeStateMachineCommand({ stateMachineArn: arn })),
  (e) => {
    assert.equal(e.name, "StateMachineDoesNotExist");
    assert.equal(e.message, `State Machine Does Not Exist: '${arn}'`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.$metadata.requestId.length, 36);
    return true;
  },
);

// A wrong secret is refused as AWS refuses it.
await assert.rejects(client("wrong-secret").send(new ListStateMachinesCommand({})), (e) => {
  assert.equal(e.name, "InvalidSignatureException");
  assert.match(e.message, /^The request signature we calculated does not match/);
  return true;
});

console.log("api_sfn_sdk: ok");
